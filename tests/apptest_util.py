"""Helpers for streamlit.testing AppTest runs."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import DEMO_PASSWORD, ROOT

TIMEOUT = 30


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def login(username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """Run app.py, fill in the login form and submit; returns the AppTest."""
    at = app().run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def page_source(at: AppTest) -> str:
    """All text the run rendered (markdown, titles, captions, errors...)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "info",
                 "warning", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)
