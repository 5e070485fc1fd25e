"""Server launcher: ``streamlit run server.py``.

The pages are ``app.py`` (Streamlit's multipage script); this module adds the
HTTP routes served by the same process — checked file downloads
(``web/files.py``), the login cookie (``web/session.py``) and the HTTP API
for other systems (``web/api/``, ``/api/v1/…``, docs/api.md) — through
``st.App``.  Streamlit finds ``app`` and runs it under its own uvicorn server
with the usual ``.streamlit/config.toml``."""

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from sgld import startup
from web import api, files, session, tcp

# app.py declares every page with st.navigation.  Until some run in this
# process has called it, Streamlit's legacy ``pages/`` folder mode runs a page
# file opened by its URL on its own, without app.py: after a restart, logging
# in on a bookmarked page (/联络员) showed that page with no sidebar, no
# navigation and no 退出登录 until someone opened /.  Declare the mode at start.
PagesManager.uses_pages_directory = False

# Migrations, a first demo start's data and the event feed's backfill, before
# the first request: that may be an API call (a department system pulling
# /events), not a page, and a feed pulled before its backfill would later
# gain older events behind the client's cursor.
try:
    startup.ensure_ready()
except Exception as exc:  # noqa: BLE001 - any reason the database cannot open stops the start
    startup.refuse(exc)

tcp.install()  # TCP_NODELAY on every connection (web/tcp.py: ~40 ms per kept-alive request)

_base = config.get_option("server.baseUrlPath")
app = st.App(
    "app.py",
    routes=files.routes(_base) + session.routes(_base) + api.routes(_base),
    middleware=[Middleware(files.MediaLoginMiddleware, base_url=_base)],
)
