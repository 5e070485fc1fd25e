"""Demo dataset.

Each module in this package defines ``ORDER`` (int) and
``load(ctx: DemoContext)`` and is listed in :func:`steps`; steps run in
``ORDER`` inside one transaction, so a feature adds its demo records by
adding a module here (``base`` is 10; features use 20, 30, … in the order
of their issues).
``scale`` multiplies the volume (1 ≈ what a city bureau handles in 18
months); steps insert in bulk from DataFrames so ``--scale 100`` stays fast.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from db.connection import get_db
from sgld import audit, clock, followup

DEMO_PASSWORD = "Sgld@2026"


@dataclass
class DemoContext:
    cur: Any  # the cursor of the loading transaction (DuckDB, or db.postgres_backend.PgCursor)
    scale: int
    rng: random.Random
    now: datetime
    ids: dict = field(default_factory=dict)  # shared lookups between steps
    counts: dict = field(default_factory=dict)

    def insert_df(self, table: str, frame) -> int:
        """Bulk insert a DataFrame whose columns match ``table``'s column names."""
        if len(frame) == 0:
            return 0
        if getattr(self.cur, "dialect", None) == "postgres":  # straight into the table
            self.cur.copy_frame(table, frame)
            self.counts[table] = self.counts.get(table, 0) + len(frame)
            return len(frame)
        name = f"_demo_{table}"
        # DuckDB 2 refuses register() while an earlier result is unfetched
        self.cur.execute("SELECT 1").fetchall()
        self.cur.register(name, frame)
        cols = ", ".join(frame.columns)
        self.cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
        self.cur.unregister(name)
        self.counts[table] = self.counts.get(table, 0) + len(frame)
        return len(frame)


def steps() -> list:
    """The steps, listed here (``tests/test_registry.py`` fails when a module
    of this package with a ``load`` is missing), in ``ORDER``."""
    from sgld.demo import base, liaison, push, review_follow_up, revocation, special_review, supervision

    found = [base, push, supervision, revocation, special_review, review_follow_up, liaison]
    return sorted(found, key=lambda m: m.ORDER)


def is_empty() -> bool:
    return get_db().scalar("SELECT count(*) FROM app_user") == 0


def load(scale: int = 1, seed: int = 20151029) -> dict:
    """Load the demo dataset into an empty database; returns row counts."""
    if not isinstance(scale, int) or scale < 1:
        from sgld.errors import ValidationError

        raise ValidationError("演示数据规模应为不小于 1 的整数。")
    db = get_db()
    if not is_empty():
        from sgld.errors import ValidationError

        raise ValidationError("数据库中已有账号，演示数据只能载入空数据库。")

    def tx(cur):
        # again inside the transaction: another process starting on the same
        # PostgreSQL database may have loaded it meanwhile (writes are serialised)
        if cur.execute("SELECT count(*) FROM app_user").fetchone()[0]:
            from sgld.errors import ValidationError

            raise ValidationError("数据库中已有账号，演示数据只能载入空数据库。")
        ctx = DemoContext(cur=cur, scale=scale, rng=random.Random(seed), now=clock.now())
        for step in steps():
            step.load(ctx)
        followup.rebuild(cur)  # the steps write pushes and inspections in bulk
        audit.record(cur, None, "demo_load", "database", None, after={"scale": scale, "counts": ctx.counts})
        return ctx.counts

    counts = db.write(tx)
    # the pull feed of the history just loaded (as the first start would do
    # it: at scale 100 a minute and gigabytes of memory, paid here once
    # instead of by the first user of every copy of the database)
    from sgld.services import outbox

    outbox.backfill_once()
    db.checkpoint()
    return counts
