"""Webhook delivery worker (issue 18): sends the outbox's pending events.

One background thread per server process (:func:`start` is idempotent,
started by :func:`sgld.startup.start_background` like the penalty
scheduler).  Each round, for each active subscription, it POSTs the
department's due events **in id order**, one at a time, and stops at the
first failure: a later event is never sent before the earlier ones of the
same department were delivered.  The outcome of each round is recorded in
one write (:func:`sgld.services.outbox.record_attempts`), never inside a
user's transaction, so a slow or dead receiver never delays a user's write.

At least once: the state lives in the database and is changed only after
the receiver answered; an event in flight when the process dies is sent
again after the restart (receivers dedupe by ``X-SGLD-Event-Id``).

Request: ``POST <url>`` with the event JSON (:func:`outbox.envelope`) and
the headers ``X-SGLD-Event-Id``, ``X-SGLD-Event-Kind``, ``X-SGLD-Timestamp``
(Unix seconds), ``X-SGLD-Signature`` (``sha256=`` HMAC-SHA256 of
``timestamp + "." + body`` with the subscription's secret) and
``X-SGLD-Attempt``.  Any 2xx answer is success; anything else, a timeout or
a refused connection is a failed attempt (back-off ``SGLD_WEBHOOK_BACKOFF_*``).
Redirects are not followed and environment proxies are not used.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.error
import urllib.request

from sgld import clock, settings
from sgld.errors import SgldError

log = logging.getLogger(__name__)

_start_lock = threading.Lock()
_round_lock = threading.Lock()
_thread: threading.Thread | None = None
_listener: threading.Thread | None = None  # PostgreSQL: LISTEN for the other processes' events
_stop = threading.Event()
_warned: set[int] = set()  # departments whose webhook could not be signed (logged once)


def enabled() -> bool:
    return str(settings.get().get("WEBHOOK", "on")).strip().lower() not in ("off", "0", "false", "no")


def _seconds(name: str, default: str) -> float:
    from sgld.services.outbox import _num

    return _num(name, default, minimum=0.05)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None  # a 3xx is an answer like any other non-2xx: a failed attempt


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def send(url: str, secret: str, row: dict, timeout: float) -> str | None:
    """POST one event; ``None`` on a 2xx answer, else the error text."""
    from sgld.services import outbox

    body = outbox.body_of(row)
    ts = str(int(time.time()))
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "sgld-webhook/1",
            "X-SGLD-Event-Id": str(row["id"]),
            "X-SGLD-Event-Kind": row["kind"],
            "X-SGLD-Timestamp": ts,
            "X-SGLD-Signature": outbox.sign(secret, ts, body),
            "X-SGLD-Attempt": str(int(row["attempts"]) + 1),
        },
    )
    try:
        with _opener.open(req, timeout=timeout) as resp:
            code = resp.status
            resp.read(1024)
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"连接失败：{reason}"[:500]
    if 200 <= code < 300:
        return None
    return f"HTTP {code}"


def deliver_round(stop: threading.Event | None = None) -> int:
    """Send every due event once (per department in order, stopping at a
    failure, or when ``stop`` is set); returns how many were delivered.
    Never two rounds at once."""
    from sgld.services import outbox

    if not _round_lock.acquire(blocking=False):
        return 0
    try:
        timeout = _seconds("WEBHOOK_TIMEOUT_SECONDS", "5")
        delivered = 0
        for sub, rows in outbox.due(clock.now()):
            try:
                secret = outbox.secret_of(sub)
            except SgldError as exc:  # e.g. SGLD_WEBHOOK_KEY missing: nothing is sent unsigned
                if sub["department_id"] not in _warned:
                    _warned.add(sub["department_id"])
                    log.warning("webhook of department %s not sent: %s", sub["department_id"], exc)
                continue
            results: list[tuple[int, str | None]] = []
            for row in rows:
                if stop is not None and stop.is_set():
                    break
                error = send(sub["url"], secret, row, timeout)
                results.append((row["id"], error))
                if error is not None:
                    log.info("webhook event %s to department %s failed: %s", row["id"], sub["department_id"], error)
                    break
                delivered += 1
            outbox.record_attempts(results)
        return delivered
    finally:
        _round_lock.release()


def _loop() -> None:
    from db.connection import get_db
    from sgld.services import outbox

    while not _stop.is_set():
        try:
            poll = _seconds("WEBHOOK_POLL_SECONDS", "10")
            # clear first: an emit after this sets it again (no lost wake-up); one
            # before it belongs to a committed transaction or to the one running
            # now, which wait_for_writes waits for (an emit wakes us before its commit)
            outbox.wake.clear()
            get_db().wait_for_writes()
            n = deliver_round(_stop)
            if n:
                continue  # more may be due at once (batches of 20 per department)
            wait = outbox.next_wake(clock.now())
            outbox.wake.wait(poll if wait is None else min(poll, max(wait, 0.05)))
        except Exception:  # noqa: BLE001 - the thread must survive any failure
            log.exception("webhook delivery round crashed")
            _stop.wait(5)


def _listen(url: str) -> None:
    """PostgreSQL: the events of the other app processes wake this worker
    too — each emit NOTIFYs :data:`outbox.CHANNEL` when its transaction
    commits (the other processes' own wake event is theirs only)."""
    import psycopg

    from sgld.services import outbox

    while not _stop.is_set():
        try:
            with psycopg.connect(
                url, autocommit=True, connect_timeout=5, application_name="sgld-webhook-listen"
            ) as conn:
                conn.execute(f"LISTEN {outbox.CHANNEL}")
                outbox.wake.set()  # what was committed before LISTEN: one round
                while not _stop.is_set():
                    for _ in conn.notifies(timeout=1.0):
                        outbox.wake.set()
        except Exception:  # noqa: BLE001 - the database is away: poll until it is back
            log.info("webhook listener: connection lost, retrying", exc_info=True)
            _stop.wait(5)


def start() -> bool:
    """Start the delivery thread of this process (once, unless
    ``SGLD_WEBHOOK=off``), and on PostgreSQL its listener; returns whether
    this call started it."""
    global _thread, _listener
    if not enabled():
        return False
    with _start_lock:
        if _thread is not None and _thread.is_alive():
            return False
        _stop.clear()
        _thread = threading.Thread(target=_loop, name="sgld-webhook", daemon=True)
        _thread.start()
        url = settings.get().db_url
        if url:
            _listener = threading.Thread(target=_listen, args=(url,), name="sgld-webhook-listen", daemon=True)
            _listener.start()
        log.info("webhook delivery worker started (pid %s)", os.getpid())
        return True


def running() -> bool:
    return _thread is not None and _thread.is_alive()


def stop(timeout: float = 10.0) -> None:
    global _thread, _listener
    from sgld.services import outbox

    _stop.set()
    outbox.wake.set()
    if _thread is not None:
        _thread.join(timeout)
    _thread = None
    if _listener is not None:
        _listener.join(2.0)
    _listener = None
