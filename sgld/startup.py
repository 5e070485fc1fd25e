"""Start-up: migrate, and in demo mode fill an empty database with demo data;
:func:`start_background` starts the in-process background work (the
scheduled penalty extraction, the webhook delivery worker, the maintenance
thread) in the process that leads (:mod:`sgld.leader`)."""

from __future__ import annotations

import os

from db.connection import get_db
from sgld import settings


def refuse(exc: Exception) -> None:
    """A setting the server cannot run without is missing or invalid: one
    line on the console and a non-zero exit (raised again under pytest)."""
    import sys

    if "PYTEST_CURRENT_TEST" in os.environ:
        raise exc
    print(f"审管联动系统拒绝启动：{exc}", file=sys.stderr, flush=True)
    os._exit(2)


def ensure_ready() -> None:
    get_db()  # opens the database and applies pending migrations
    if settings.get().demo:
        from sgld import demo
        from sgld.errors import ValidationError

        if demo.is_empty():
            try:
                demo.load(scale=1)
            except ValidationError:
                if demo.is_empty():
                    raise
                # another process (same PostgreSQL database) loaded it meanwhile
    from sgld.services import outbox

    outbox.backfill_once()  # the pull feed of records older than the outbox (first start only)


def start_background(*, force: bool = False) -> bool:
    """Start this server process's background work (idempotent): the
    penalty-sync scheduler, the webhook delivery worker and the maintenance
    thread (backup requests, the daily backup) — in the one process that
    leads (:mod:`sgld.leader`: on DuckDB the process itself, on PostgreSQL
    the holder of the leader lock, taken over when it dies).  The scheduler
    is off when ``SGLD_PENALTY_SYNC_MINUTES`` is 0, the worker when
    ``SGLD_WEBHOOK`` is off, the maintenance thread when
    ``SGLD_MAINTENANCE`` is off; under pytest only the maintenance thread
    may start (no election) unless a test passes ``force=True``.  Returns
    whether the scheduler was started by this call."""
    from sgld import backup, leader

    if not force and "PYTEST_CURRENT_TEST" in os.environ:
        backup.start_maintenance()
        return False
    _started.clear()
    leader.start(_start_jobs, _stop_jobs)
    return bool(_started)


_started: list[bool] = []  # set by _start_jobs when it started the scheduler


def _start_jobs() -> None:
    """The process became the leader: start its background jobs."""
    import logging

    from sgld import backup, scheduler, webhook

    log = logging.getLogger(__name__)
    try:
        webhook.start()
    except Exception:  # noqa: BLE001 - a bad webhook setting must not stop the scheduler
        log.exception("could not start the webhook delivery worker")
    try:
        if scheduler.start():
            _started.append(True)
    except Exception:  # noqa: BLE001 - nor a bad interval the maintenance thread
        log.exception("could not start the penalty sync scheduler")
    backup.start_maintenance()


def _stop_jobs() -> None:
    """The process no longer leads: stop them (another process runs them now)."""
    from sgld import backup, scheduler, webhook

    scheduler.stop()
    webhook.stop()
    backup.stop_maintenance()


def warm_up() -> None:
    """Pay the one-off costs of a fresh server process before the first user
    does: import every service module and compute the work view once per
    role (this loads the columns the landing page reads into DuckDB's
    buffer cache).  Read-only; run in a background thread at start."""
    import importlib
    import logging
    import pkgutil

    import sgld.services as services

    try:
        for mod in pkgutil.iter_modules(services.__path__):
            importlib.import_module(f"sgld.services.{mod.name}")
        from sgld.services import accounts, dashboard

        ids = [
            r[0]
            for r in get_db().all(
                "SELECT min(u.id) FROM app_user u JOIN user_role r ON r.user_id = u.id WHERE u.active GROUP BY r.role"
            )
        ]
        for uid in ids:
            actor = accounts.load_actor(uid)
            if actor is not None and actor.has("admin", "leader", "approver", "supervisor", "liaison"):
                dashboard.work_view(actor)
    except Exception:  # noqa: BLE001 - warming up is optional
        logging.getLogger(__name__).warning("warm-up failed", exc_info=True)


def warm_up_in_background(*extra) -> bool:
    """:func:`warm_up`, then each callable of ``extra``, in a daemon thread
    (not under pytest, whose fixtures swap the database under it)."""
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    import threading

    def run():
        warm_up()
        for fn in extra:
            try:
                fn()
            except Exception:  # noqa: BLE001 - warming up is optional
                pass

    threading.Thread(target=run, daemon=True, name="sgld-warm-up").start()
    return True
