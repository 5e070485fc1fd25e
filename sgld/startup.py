"""Start-up: migrate, and in demo mode fill an empty database with demo data."""
from __future__ import annotations

from db.connection import get_db
from sgld import settings


def ensure_ready() -> None:
    get_db()  # opens the database and applies pending migrations
    if settings.get().demo:
        from sgld import demo
        if demo.is_empty():
            demo.load(scale=1)
