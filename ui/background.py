"""Start this server process's background work once (the scheduled penalty
extraction).  Imported by the supervision pages; best called from
``ui/auth._ready`` so it starts with the first page of any user."""

from __future__ import annotations

import streamlit as st

from sgld import startup


@st.cache_resource(show_spinner=False)
def _started() -> bool:
    return startup.start_background()


def ensure_started() -> None:
    try:
        _started()
    except Exception:  # noqa: BLE001 - a bad setting must not break the page
        import logging

        logging.getLogger(__name__).exception("could not start the background scheduler")
