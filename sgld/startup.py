"""Start-up: migrate, and in demo mode fill an empty database with demo data;
:func:`start_background` starts the in-process background work (the
scheduled penalty extraction)."""
from __future__ import annotations

import os

from db.connection import get_db
from sgld import settings


def ensure_ready() -> None:
    get_db()  # opens the database and applies pending migrations
    if settings.get().demo:
        from sgld import demo
        if demo.is_empty():
            demo.load(scale=1)


def start_background(*, force: bool = False) -> bool:
    """Start the penalty-sync scheduler of this server process (idempotent).
    Off when ``SGLD_PENALTY_SYNC_MINUTES`` is 0, and under pytest unless a
    test passes ``force=True``."""
    if not force and "PYTEST_CURRENT_TEST" in os.environ:
        return False
    from sgld import scheduler
    return scheduler.start()
