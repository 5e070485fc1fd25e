"""The login cookie on the HTTP side: who a plain request (a download link)
speaks for, and the route that sets and clears the cookie itself.

The cookie is streamlit-authenticator's token (HS256 with ``SGLD_COOKIE_KEY``,
``username`` and ``exp_date``), but the server writes it, ``HttpOnly``,
``SameSite=Strict`` and, behind TLS, ``Secure``: a cookie written by a browser
component from JavaScript can be read by any script on the page, and
rendering that component cost every page load a second script run.

Setting it: a script run that logged someone in (or slides an active user's
cookie) hands the browser a **ticket** — a token for the same user that lives
two minutes and cannot serve as a login cookie — and a small component posts
it to ``POST {base}/_sgld/session``, whose answer carries the cookie.
``POST {base}/_sgld/session/end`` clears it (logout); the session version
has already made it worthless by then.

A cookie counts only while it has not expired, its last activity is within
the idle timeout and it was issued after the user's session version: the
rule ``ui/auth.py`` applies on every run, so logout, a password change, a
reset or a deactivation closes download links at once.  Behind a trusted
gateway (``SGLD_TRUSTED_HEADER``, loopback only) the gateway's header names
the user, as it does for the pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sgld import clock, settings
from sgld.security import Actor
from sgld.services import accounts, sso

TICKET_SECONDS = 120
PREFIX = "/_sgld/session"


def _epoch(at: datetime) -> float:
    return at.replace(tzinfo=clock.TZ).timestamp()


def from_epoch(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, clock.TZ).replace(tzinfo=None)


def actor_for_claims(claims) -> Actor | None:
    """The active actor of a decoded login-cookie token, or None when the
    token has expired, is idle or predates the user's session version."""
    try:
        username, exp = str(claims["username"]), float(claims["exp_date"])
    except (KeyError, TypeError, ValueError):
        return None
    cfg = settings.get()
    expires, now = from_epoch(exp), clock.now()
    if expires <= now or accounts.cookie_idle(expires, now, cfg.idle_minutes):
        return None
    actor = accounts.actor_by_username(username)
    issued = accounts.cookie_last_active(expires, cfg.idle_minutes)
    if actor is None or not actor.roles or not accounts.session_valid(actor.user_id, issued):
        return None
    return actor


def issued_at(claims) -> datetime:
    """The last activity a valid login-cookie token records."""
    return accounts.cookie_last_active(from_epoch(float(claims["exp_date"])), settings.get().idle_minutes)


def idle(claims) -> bool:
    """A well-formed token whose user has been idle too long (its grace
    period lets the login page say why the user was logged out)."""
    try:
        expires = from_epoch(float(claims["exp_date"]))
    except (KeyError, TypeError, ValueError):
        return False
    return accounts.cookie_idle(expires, clock.now(), settings.get().idle_minutes)


def _decode(token: str | None) -> dict | None:
    if not token:
        return None
    try:
        claims = jwt.decode(token, settings.get().cookie_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def _from_cookie(token: str | None) -> Actor | None:
    claims = _decode(token)
    return actor_for_claims(claims) if claims else None


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


# -- setting and clearing the cookie -------------------------------------------


def ticket(actor: Actor) -> str:
    """A two-minute token the browser exchanges for the login cookie of
    ``actor``.  It names the user under another claim than the cookie does,
    so neither can stand in for the other."""
    now = clock.now()
    return jwt.encode(
        {
            "ticket_for": actor.username,
            "iat_local": _epoch(now),
            "exp_date": _epoch(now + timedelta(seconds=TICKET_SECONDS)),
        },
        settings.get().cookie_key,
        algorithm="HS256",
    )


def cookie_token(username: str, at: datetime | None = None) -> str:
    """The login cookie's value: last activity ``at`` (now)."""
    cfg = settings.get()
    expires = (at or clock.now()) + timedelta(minutes=accounts.cookie_minutes(cfg.idle_minutes))
    return jwt.encode({"username": username, "exp_date": _epoch(expires)}, cfg.cookie_key, algorithm="HS256")


def _same_origin(request) -> bool:
    """The browser says where the call came from: only this site may set or
    clear the cookie (a login CSRF would log the victim in as the attacker)."""
    origin = request.headers.get("origin")
    if not origin:
        return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"
    host = request.headers.get("x-forwarded-host") or request.headers.get("host")
    return urlsplit(origin).netloc == host


def _over_tls(request) -> bool:
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https" or request.url.scheme == "https"


def _cookie(response: Response, request, value: str, max_age: int, path: str) -> None:
    response.set_cookie(
        settings.get().cookie_name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=_over_tls(request),
    )


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store"})


def _exchange(request, body: dict, path: str) -> Response:
    claims = _decode(body.get("ticket") if isinstance(body, dict) else None)
    if not claims or "ticket_for" not in claims:
        return _refuse(400, "登录凭据无效。")
    try:
        expires, username = from_epoch(float(claims["exp_date"])), str(claims["ticket_for"])
        issued = from_epoch(float(claims["iat_local"]))
    except (KeyError, TypeError, ValueError):
        return _refuse(400, "登录凭据无效。")
    actor = accounts.actor_by_username(username)
    if expires <= clock.now() or actor is None or not accounts.session_valid(actor.user_id, issued):
        return _refuse(401, "登录凭据已过期或已失效，请重新登录。")
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    cfg = settings.get()
    _cookie(
        response,
        request,
        cookie_token(actor.username, issued),
        int(accounts.cookie_minutes(cfg.idle_minutes) * 60),
        path,
    )
    return response


def routes(base_url: str | None = None) -> list[Route]:
    b = (base_url or "").strip("/")
    base = f"/{b}" if b else ""
    path = base or "/"

    async def start(request) -> Response:
        if not _same_origin(request):
            return _refuse(403, "跨站请求被拒绝。")
        try:
            body = await request.json()
        except ValueError:
            return _refuse(400, "登录凭据无效。")
        return await run_in_threadpool(_exchange, request, body, path)

    async def end(request) -> Response:
        if not _same_origin(request):
            return _refuse(403, "跨站请求被拒绝。")
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        _cookie(response, request, "", 0, path)
        return response

    return [Route(f"{base}{PREFIX}", start, methods=["POST"]), Route(f"{base}{PREFIX}/end", end, methods=["POST"])]
