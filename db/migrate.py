"""Numbered SQL migrations in ``db/migrations/NNN_name.sql``.

Applied in order at start and by ``python manage.py init``; each file runs in
its own transaction and is recorded in ``schema_migrations``; re-running is a
no-op.  Numbering blocks: 001–009 foundation, 010–019 push, 020–029
supervision, 030–039 revocation/warning list, 040–049 special review,
050–059 liaison, 060–069 single sign-on, 070–079 dashboard, 080– reliability.
"""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{3})_[\w-]+\.sql$")


def available() -> list[tuple[int, Path]]:
    out = []
    for p in sorted(MIGRATIONS.glob("*.sql")):
        m = _NAME.match(p.name)
        if m:
            out.append((int(m.group(1)), p))
    versions = [v for v, _ in out]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"duplicate migration numbers in {MIGRATIONS}")
    return out


def migrate(db) -> list[str]:
    """Apply pending migrations; return the names applied."""
    with db.transaction() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
        )
    done = {r[0] for r in db.all("SELECT version FROM schema_migrations")}
    applied = []
    for version, path in available():
        if version in done:
            continue
        sql = path.read_text(encoding="utf-8")
        with db.transaction() as cur:
            # several processes starting at once on one PostgreSQL database:
            # their write transactions are serialised (advisory lock), so the
            # one that comes second finds the migration applied and skips it
            if cur.execute("SELECT count(*) FROM schema_migrations WHERE version = ?", [version]).fetchone()[0]:
                continue
            cur.execute(sql)
            cur.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [version, path.name],
            )
        applied.append(path.name)
    return applied
