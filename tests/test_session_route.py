"""The login cookie's HTTP side (web/session.py): the server sets it from a
short-lived ticket, HttpOnly; tickets and cookies cannot stand in for each
other; a cross-site call, a stale ticket and a ticket from before logout
set nothing."""

from datetime import timedelta

from starlette.applications import Starlette
from starlette.testclient import TestClient

from sgld import clock, settings
from sgld.services import accounts
from tests.conftest import actor
from web import session

ORIGIN = {"Origin": "http://testserver"}


def client() -> TestClient:
    return TestClient(Starlette(routes=session.routes("")))


def test_a_ticket_becomes_an_httponly_strict_cookie(db):
    user = actor("approver")
    r = client().post(session.PREFIX, json={"ticket": session.ticket(user)}, headers=ORIGIN)
    assert r.status_code == 204, r.text
    set_cookie = r.headers["set-cookie"]
    name = settings.get().cookie_name
    assert set_cookie.startswith(f"{name}=")
    flags = {p.strip().split("=")[0].lower(): p for p in set_cookie.split(";")}
    assert "httponly" in flags and flags["samesite"].split("=")[1].lower() == "strict"
    assert "secure" not in flags  # plain HTTP
    value = r.cookies[name]
    assert session.actor_for({name: value}, [], None).username == "approver"
    # behind TLS the same call gives a Secure cookie
    r = client().post(
        session.PREFIX, json={"ticket": session.ticket(user)}, headers={**ORIGIN, "X-Forwarded-Proto": "https"}
    )
    assert "secure" in r.headers["set-cookie"].lower()


def test_a_ticket_is_no_cookie_and_a_cookie_is_no_ticket(db):
    user = actor("approver")
    name = settings.get().cookie_name
    assert session.actor_for({name: session.ticket(user)}, [], None) is None
    r = client().post(session.PREFIX, json={"ticket": session.cookie_token("approver")}, headers=ORIGIN)
    assert r.status_code == 400 and "set-cookie" not in r.headers


def test_refused_calls_set_nothing(db):
    user = actor("approver")
    c = client()
    cases = [
        ({"ticket": "garbage"}, ORIGIN, 400),
        ({"nothing": 1}, ORIGIN, 400),
        ({"ticket": session.ticket(user)}, {"Origin": "http://evil.example"}, 403),
        ({"ticket": session.ticket(user)}, {"Sec-Fetch-Site": "cross-site"}, 403),
    ]
    for body, headers, status in cases:
        r = c.post(session.PREFIX, json=body, headers=headers)
        assert r.status_code == status, (body, headers, r.text)
        assert "set-cookie" not in r.headers
        assert r.json()["error"]  # a Chinese message
    # a ticket older than its two minutes
    old = session.ticket(user)
    clock.freeze(clock.now() + timedelta(seconds=session.TICKET_SECONDS + 1))
    r = c.post(session.PREFIX, json={"ticket": old}, headers=ORIGIN)
    assert r.status_code == 401 and "过期" in r.json()["error"]
    clock.freeze(None)


def test_a_ticket_from_before_logout_sets_no_cookie(db):
    user = actor("approver")
    ticket = session.ticket(user)
    clock.freeze(clock.now() + timedelta(seconds=1))
    accounts.logout(user)
    r = client().post(session.PREFIX, json={"ticket": ticket}, headers=ORIGIN)
    assert r.status_code == 401 and "set-cookie" not in r.headers
    clock.freeze(None)


def test_end_clears_the_cookie(db):
    r = client().post(f"{session.PREFIX}/end", headers=ORIGIN)
    assert r.status_code == 204
    assert "max-age=0" in r.headers["set-cookie"].lower()
    assert client().post(f"{session.PREFIX}/end", headers={"Origin": "http://evil.example"}).status_code == 403
