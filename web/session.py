"""The user of a plain HTTP request (a download link, not a Streamlit run).

The browser sends the login cookie with every same-site request: the
streamlit-authenticator token signed with ``SGLD_COOKIE_KEY`` (HS256,
``username`` and ``exp_date``).  It counts only while it has not expired and
was issued after the user's session version, the same rule ``ui/auth.py``
applies on every run — so logout, a password change, a reset or a
deactivation closes download links at once.  Behind a trusted gateway
(``SGLD_TRUSTED_HEADER``, loopback only) the gateway's header names the
user, as it does for the pages."""
from __future__ import annotations

from datetime import datetime

import jwt

from sgld import clock, settings
from sgld.security import Actor
from sgld.services import accounts, sso


def _from_cookie(token: str | None) -> Actor | None:
    if not token:
        return None
    cfg = settings.get()
    try:
        claims = jwt.decode(token, cfg.cookie_key, algorithms=["HS256"])
        username, exp = str(claims["username"]), float(claims["exp_date"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
    expires = datetime.fromtimestamp(exp, clock.TZ).replace(tzinfo=None)
    now = clock.now()
    if expires <= now or accounts.cookie_idle(expires, now, cfg.idle_minutes):
        return None
    actor = accounts.actor_by_username(username)
    issued = accounts.cookie_last_active(expires, cfg.idle_minutes)
    if actor is None or not actor.roles or not accounts.session_valid(actor.user_id, issued):
        return None
    return actor


def _from_header(values: list[str], address: str | None) -> Actor | None:
    c = sso.config()
    if not c.header or sso.header_mode_problem(c.header, address):
        return None
    if len(values) != 1:
        return None
    return sso.actor_for_header(values[0])


def actor_for(cookies: dict, header_values, address: str | None) -> Actor | None:
    """The active actor a request speaks for, or None."""
    cfg = settings.get()
    actor = _from_cookie(cookies.get(cfg.cookie_name))
    if actor is None and header_values:
        actor = _from_header([v for v in header_values if v and v.strip()], address)
    return actor
