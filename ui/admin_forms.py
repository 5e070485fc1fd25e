"""Form helpers of the 系统管理 and 账号设置 pages (no tab of its own: not
listed in ``ui.registry.ADMIN_TABS``).

* Forms keep what was typed when the service refuses it (no
  ``clear_on_submit``); after a successful save :func:`clear_fields` drops
  the widget values so the next run starts with an empty form.
* :func:`mark_field` puts a red note under the input the error is about
  (``ValidationError.field``).
* :func:`confirmed` is a destructive button in two steps: the first click
  asks, only 确认… acts.
"""

from __future__ import annotations

import streamlit as st

from sgld.errors import SgldError
from ui.widgets import md_text

CONFIRM_KEY = "sgld_adm_confirm"
DONE_KEY = "sgld_adm_done"  # {form: message} shown once on the next run


def clear_fields(*keys: str) -> None:
    """Forget these widgets' values (the next run shows them empty)."""
    for k in keys:
        st.session_state.pop(k, None)


def mark_field(places: dict, exc: SgldError, aliases: dict | None = None) -> None:
    """Show a red note under the input ``exc.field`` names; ``places`` maps
    field -> ``st.empty()`` placed right under that input."""
    name = (aliases or {}).get(exc.field, exc.field)
    place = places.get(name)
    if place is not None:
        place.markdown(f":red[:material/error: {md_text(str(exc))}]")


def done(form: str, message: str) -> None:
    """Keep a success message for the next run (after ``st.rerun``)."""
    st.session_state.setdefault(DONE_KEY, {})[form] = message


def show_done(form: str) -> None:
    """The success message of the last save of ``form`` (once)."""
    message = st.session_state.get(DONE_KEY, {}).pop(form, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def confirmed(
    key: str,
    label: str,
    prompt: str,
    confirm_label: str,
    *,
    disabled: bool = False,
    help: str | None = None,
    where=None,
) -> bool:
    """A destructive action: the first click shows ``prompt`` with
    ``confirm_label`` and 取消; True only in the run where the user confirms."""
    where = where or st
    if st.session_state.get(CONFIRM_KEY) != key:
        if where.button(label, key=f"{key}_ask", disabled=disabled, help=help):
            st.session_state[CONFIRM_KEY] = key
            st.rerun()
        return False
    box = st.container(border=True)  # full width of the enclosing block, not the button's column
    box.warning(prompt, icon=":material/warning:")
    yes, no = box.columns(2)
    if yes.button(confirm_label, key=f"{key}_yes", type="primary"):
        st.session_state.pop(CONFIRM_KEY, None)
        return True
    if no.button("取消", key=f"{key}_no"):
        st.session_state.pop(CONFIRM_KEY, None)
        st.rerun()
    return False


def cancel_confirm() -> None:
    st.session_state.pop(CONFIRM_KEY, None)
