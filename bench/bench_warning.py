"""Benchmark of issue 5 (警示名单 / 协同处理), printed:

* warning-list recomputation at ``demo --scale S`` (default 100), ms:
  - full (every enterprise, every rule — after a rule change, on a new day),
    p50/p95;
  - after a sync that brought nothing (incremental), p50/p95;
  - after one new qualifying penalty (incremental; one entry listed), p50/p95;
  - a full rebuild from empty warning tables (rolled back), once;
* ``warning.status_for`` for 500 enterprises (the archive's flag column), p50;
* the approver's to-do count (sidebar reminder), p50.

Target: recomputation ≤ 500 ms, so it can run after every sync.

    .venv/bin/python bench/bench_warning.py [--scale S]
    .venv/bin/python bench/bench_warning.py --db PATH   # reuse a built database
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report, timed, use_database  # noqa: E402

TARGET = "≤ 500 ms"


class _Rollback(Exception):
    pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--db", help="an existing database (built with manage.py demo --scale N)")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    if args.db:
        os.environ["SGLD_DB"] = args.db
        os.environ["SGLD_DATA_DIR"] = str(Path(args.db).parent / "data")
        built = None
    else:
        _, built = use_database(args.scale)
    from db.connection import get_db
    from sgld import clock
    from sgld.services import revocation, warning
    from sgld.services.accounts import actor_by_username

    db = get_db()
    sizes = {
        t: db.scalar(f"SELECT count(*) FROM {t}")
        for t in (
            "enterprise",
            "licence",
            "inspection",
            "penalty",
            "warning_entry",
            "warning_hit",
            "revocation_request",
        )
    }
    print(f"database: {db.path}" + (f" (built in {built:.0f} s)" if built else ""))
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(f"rules: {'；'.join(warning.current_rules().describe())}")

    warning.recompute(full=True)
    report(
        "full recompute (all enterprises, all rules; as after a rule change or on a new day)",
        timed(lambda: warning.recompute(full=True), args.runs),
        TARGET,
    )
    report("recompute after a sync that brought nothing", timed(warning.recompute, args.runs), TARGET)

    # one new qualifying penalty each run (the enterprise is listed), undone afterwards
    ents = [
        r[0]
        for r in db.all(
            "SELECT e.id FROM enterprise e WHERE e.id NOT IN (SELECT enterprise_id FROM warning_entry)"
            " ORDER BY e.id LIMIT ?",
            [args.runs + 1],
        )
    ]
    made: list[int] = []

    def one_new():
        eid = ents[len(made) % len(ents)]
        with db.transaction() as cur:
            pid = cur.execute(
                "INSERT INTO penalty (source, decision_no, uscc, enterprise_id, entity_name, category,"
                " fine_wan, decision_date, imported_at) SELECT '基准测试', 'BENCH-' || ?, uscc, id, name,"
                " '罚款', 50, ?, ? FROM enterprise WHERE id = ? RETURNING id",
                [len(made), clock.today(), clock.now(), eid],
            ).fetchone()[0]
        made.append(pid)
        t = time.perf_counter()
        res = warning.recompute()
        elapsed = (time.perf_counter() - t) * 1000
        assert res["listed"] == 1, res
        return elapsed

    samples = sorted(one_new() for _ in range(min(args.runs, len(ents))))
    print(
        f"recompute after one new qualifying penalty: p50 {samples[len(samples) // 2]:.1f} ms,"
        f" p95 {samples[int(0.95 * (len(samples) - 1))]:.1f} ms over {len(samples)} runs  (target {TARGET})"
    )
    with db.transaction() as cur:
        ids = ",".join(str(p) for p in made)
        cur.execute(f"DELETE FROM warning_hit WHERE record_type = 'penalty' AND record_id IN ({ids})")
        cur.execute(
            f"DELETE FROM warning_entry WHERE id NOT IN (SELECT entry_id FROM warning_hit)"
            f" AND NOT manual AND enterprise_id IN ({','.join(map(str, ents))})"
        )
        cur.execute(f"DELETE FROM penalty WHERE id IN ({ids})")

    t = time.perf_counter()
    try:
        with db.transaction() as cur:
            cur.execute("DELETE FROM warning_hit")
            cur.execute("DELETE FROM warning_entry")
            res = warning.recompute(cur, full=True)
            raise _Rollback
    except _Rollback:
        pass
    print(
        f"full rebuild from empty tables: {(time.perf_counter() - t) * 1000:.0f} ms"
        f" ({res['listed']:,} entries, {res['hits_added']:,} records; rolled back)"
    )

    some = [r[0] for r in db.all("SELECT id FROM enterprise ORDER BY random() LIMIT 500")]
    report("status_for(500 enterprises)", timed(lambda: warning.status_for(some), args.runs))
    approver = actor_by_username("approver")
    report("approver to-do count", timed(lambda: revocation.todo_counts(approver), args.runs))


if __name__ == "__main__":
    main()
