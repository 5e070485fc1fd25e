"""Dashboard figures (issue 9) on a `demo --scale N` database:

* all leader figures together (city-wide, this year; also with a department
  and with a category filter), a supervisor's and an approver's work view,
  quick queries of each kind — p50/p95 over 20 runs, uncached;
* side by side, the same leader-figure queries on the same data in SQLite
  (stdlib ``sqlite3``): the tables the figures read are copied into a SQLite
  file once (bench/out/scale<N>/dashboard.sqlite), with the DuckDB schema's
  indexes plus an index on every column a figure filters a period on (to
  give SQLite its best chance), and the SQL of
  :func:`sgld.services.dashboard.build_queries` runs in a ``sqlite``
  dialect added here (strftime/date argument order, json_each for the list of scopes);
  the shaping (:func:`assemble`) is the same code.

    .venv/bin/python bench/bench_dashboard.py [--scale 100] [--db PATH] [--sqlite-runs 5]

``--db`` measures an existing database file instead of bench/out/scale<N>.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import use_database  # noqa: E402


def timed(fn, runs: int = 20) -> dict:
    """p50/p95 wall time and the process's CPU time per call (ms), after one warm-up."""
    import statistics

    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    wall.sort()
    cpu.sort()
    return {
        "p50": statistics.median(wall),
        "p95": wall[int(0.95 * (len(wall) - 1))],
        "cpu": statistics.median(cpu),
        "runs": runs,
    }


def report(name: str, stats: dict, target: str = "") -> None:
    print(
        f"{name}: p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms"
        f" (CPU p50 {stats.get('cpu', 0):.1f} ms) over {stats['runs']} runs"
        + (f"  (target {target})" if target else ""),
        flush=True,
    )


# table -> columns filtered on a period (SQLite gets an index on each)
TABLES = {
    "department": [],
    "item": [],
    "item_department": [],
    "enterprise": [],
    "approval_case": ["created_at", "decided_on"],
    "push": ["pushed_at"],
    "claim": ["available_at"],
    "licence": [],
    "inspection": ["inspected_at"],
    "penalty": ["decision_date"],
    "special_review": ["meeting_at"],
    "special_review_department": [],
    "liaison_review": ["review_date"],
    "liaison_request": [],
    "revocation_request": ["filed_at"],
    "warning_entry": ["listed_at", "lifted_at"],
    "warning_hit": [],
    "inspection_result": [],
}


def _sqlite_type(duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith(("INTEGER", "BIGINT", "SMALLINT", "BOOLEAN", "TINYINT")):
        return "INTEGER"
    if t.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return "REAL"
    return "TEXT"


def _select_expr(col: str, duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({col} AS VARCHAR)"
    if t.endswith("[]"):
        return f"CAST(to_json({col}) AS VARCHAR)"
    if t.startswith("DECIMAL"):
        return f"CAST({col} AS DOUBLE)"
    if t.startswith("BOOLEAN"):
        return f"CAST({col} AS INTEGER)"
    return col


def build_sqlite(duck_path: Path, target: Path) -> float:
    """Copy the tables the dashboard reads into a fresh SQLite file."""
    import duckdb

    t0 = time.perf_counter()
    tmp = target.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    src = duckdb.connect(str(duck_path), read_only=True)
    dst = sqlite3.connect(tmp)
    dst.execute("PRAGMA journal_mode = OFF")
    dst.execute("PRAGMA synchronous = OFF")
    present = {r[0] for r in src.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for table, period_cols in TABLES.items():
        if table not in present:
            continue
        cols = src.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        pk = [
            r[0]
            for r in src.execute(
                "SELECT unnest(constraint_column_names) FROM duckdb_constraints()"
                " WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
                [table],
            ).fetchall()
        ]
        ddl = ", ".join(f'"{c}" {_sqlite_type(t)}' for c, t in cols)
        if pk:
            ddl += f", PRIMARY KEY ({', '.join(pk)})"
        dst.execute(f"CREATE TABLE {table} ({ddl})")
        cur = src.execute(f"SELECT {', '.join(_select_expr(c, t) for c, t in cols)} FROM {table}")
        marks = ", ".join("?" * len(cols))
        while True:
            rows = cur.fetchmany(100_000)
            if not rows:
                break
            dst.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        # the DuckDB schema's secondary indexes, then the period columns
        for (sql,) in src.execute("SELECT sql FROM duckdb_indexes() WHERE table_name = ?", [table]).fetchall():
            if sql:
                dst.execute(sql.rstrip(";").replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
        for col in period_cols:
            dst.execute(f"CREATE INDEX IF NOT EXISTS bench_{table}_{col} ON {table} ({col})")
        dst.commit()
    dst.execute("ANALYZE")
    dst.commit()
    dst.close()
    src.close()
    tmp.rename(target)
    return time.perf_counter() - t0


def _add_sqlite_dialect() -> None:
    """The figures' SQL for SQLite (month text, date(), json_each for a list
    column stored as JSON text): a dialect of this benchmark only."""
    from sgld.services.dashboard.spec import DIALECTS, Dialect

    DIALECTS["sqlite"] = Dialect(
        month=lambda col: f"strftime('%Y-%m', {col})",
        day=lambda col: f"date({col})",
        elements=lambda col: ("j.value", f", json_each({col}) j"),
    )


def _sqlite_params(params: list) -> list:
    out = []
    for p in params:
        if isinstance(p, datetime):
            out.append(p.strftime("%Y-%m-%d %H:%M:%S"))
        elif isinstance(p, date):
            out.append(p.isoformat())
        else:
            out.append(p)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--db", help="an existing database file to measure instead")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--sqlite-runs", type=int, default=5)
    ap.add_argument("--skip-sqlite", action="store_true", help="DuckDB figures only")
    args = ap.parse_args()
    if args.db:
        db_path = Path(args.db).resolve()
        os.environ["SGLD_DB"] = str(db_path)
        os.environ["SGLD_DATA_DIR"] = str(db_path.parent / "data")
        os.environ["SGLD_MODE"] = "demo"
        built = None
    else:
        db_path, built = use_database(args.scale)
    os.environ["SGLD_MAINTENANCE"] = "off"
    print(
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} at start", flush=True
    )

    from db.connection import get_db
    from sgld import clock, workdays
    from sgld.services import dashboard, quick_query
    from sgld.services.accounts import actor_by_username

    db = get_db()
    counts = {
        t: db.scalar(f"SELECT count(*) FROM {t}")
        for t in ("approval_case", "push", "claim", "inspection", "penalty", "special_review", "liaison_request")
        if db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [t])
    }
    print(
        f"database {db_path} ({db_path.stat().st_size / 1e6:.0f} MB"
        + (f", built in {built:.0f} s" if built else "")
        + "): "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )

    leader = actor_by_username("leader")
    sup = actor_by_username("supervisor")
    approver = actor_by_username("approver")
    f = dashboard.make_filters(*dashboard.period_range("本年"))
    dept = db.scalar("SELECT id FROM department WHERE name = '生态环境局'")
    print(f"period {f.date_from} … {f.date_to} (previous {f.previous[0]} … {f.previous[1]})")

    print("\n-- DuckDB (the app), uncached service calls --")
    report(
        "leader figures, all together (city-wide)",
        timed(lambda: dashboard.leader_figures(leader, f), args.runs),
        "≤ 300 ms p50",
    )
    report(
        "leader figures, one department",
        timed(
            lambda: dashboard.leader_figures(leader, dashboard.make_filters(f.date_from, f.date_to, dept)), args.runs
        ),
    )
    report(
        "leader figures, one item category",
        timed(
            lambda: dashboard.leader_figures(leader, dashboard.make_filters(f.date_from, f.date_to, None, "市场准入")),
            args.runs,
        ),
    )
    report("supervisor's own figures", timed(lambda: dashboard.leader_figures(sup, f), args.runs))
    report("work view (supervisor)", timed(lambda: dashboard.work_view(sup), args.runs), "≤ 150 ms p50")
    report("work view (approver)", timed(lambda: dashboard.work_view(approver), args.runs), "≤ 150 ms p50")
    report("work view (leader)", timed(lambda: dashboard.work_view(leader), args.runs), "≤ 150 ms p50")
    report(
        "work view (liaison)",
        timed(lambda: dashboard.work_view(actor_by_username("liaison")), args.runs),
        "≤ 150 ms p50",
    )

    ent = db.one("SELECT name, uscc FROM enterprise ORDER BY id LIMIT 1 OFFSET 1234")
    samples = {
        "enterprise name (partial)": ent[0][2:7],
        "统一社会信用代码": ent[1],
        "case number": db.scalar("SELECT case_no FROM approval_case ORDER BY id LIMIT 1 OFFSET 4321"),
        "licence number": db.scalar("SELECT licence_no FROM licence ORDER BY id LIMIT 1 OFFSET 999"),
        "项目编号": db.scalar("SELECT project_no FROM project ORDER BY project_no LIMIT 1 OFFSET 77"),
        "处罚决定书文号": db.scalar("SELECT decision_no FROM penalty ORDER BY id LIMIT 1 OFFSET 42"),
    }
    for label, text in samples.items():
        if not text:
            continue
        for who in (leader, sup):
            report(
                f"quick query {label} ({who.username})",
                timed(lambda: quick_query.search(who, text), args.runs),  # noqa: B023 - timed() calls it now
                "≤ 150 ms p50",
            )

    print(
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}"
        f" {os.getloadavg()[2]:.2f} after the DuckDB figures",
        flush=True,
    )
    if args.skip_sqlite:
        return
    # -- the same queries in SQLite ------------------------------------------------
    print("\n-- DuckDB vs SQLite: the leader figures' SQL on the same data --")
    sq_path = db_path.parent / "dashboard.sqlite"
    if not sq_path.exists() or sq_path.stat().st_size == 0 or sq_path.stat().st_mtime < db_path.stat().st_mtime:
        print(f"copying the dashboard's tables into {sq_path} …", flush=True)
        db.checkpoint()
        from db import connection

        connection.reset()  # release the file while copying (read-only open below)
        secs = build_sqlite(db_path, sq_path)
        print(f"  copied in {secs:.0f} s ({sq_path.stat().st_size / 1e6:.0f} MB)")
        db = get_db()
    sq = sqlite3.connect(sq_path, check_same_thread=False)
    today = clock.today()
    names = dashboard._dept_names()
    cats = [r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")]
    cal = workdays.calendar_frame(min(f.previous[0], today), max(today, f.date_to))
    sq.execute("DROP TABLE IF EXISTS sgld_cal")
    sq.execute("CREATE TABLE sgld_cal (day TEXT PRIMARY KEY, wd_no INTEGER)")
    sq.executemany(
        "INSERT INTO sgld_cal VALUES (?, ?)", [(d.isoformat(), int(n)) for d, n in zip(cal["day"], cal["wd_no"])]
    )
    sq.commit()

    with db.cursor() as dcur:
        dcur.register("sgld_cal", cal)
        duck_q = dashboard.build_queries(f, None, today, "duckdb")
        _add_sqlite_dialect()
        lite_q = {k: (s, _sqlite_params(p)) for k, (s, p) in dashboard.build_queries(f, None, today, "sqlite").items()}

        def duck_all():
            return dashboard.assemble(f, dashboard.run_queries(dcur, duck_q), names, "全市", cats)

        def lite_all():
            return dashboard.assemble(f, dashboard.run_queries(sq, lite_q), names, "全市", cats)

        # the two engines must agree before their times are compared
        a, b = duck_all(), lite_all()
        assert {h.label: h.value for h in a.headline} == {h.label: h.value for h in b.headline}, (
            [(h.label, h.value) for h in a.headline],
            [(h.label, h.value) for h in b.headline],
        )
        d = timed(duck_all, args.runs)
        s = timed(lite_all, args.sqlite_runs)
        report("DuckDB  all leader figures (queries + shaping)", d)
        report("SQLite  all leader figures (queries + shaping)", s)
        print(f"DuckDB is {s['p50'] / d['p50']:.1f}× faster than SQLite on the leader figures (p50)  (target ≥ 5×)")
        print("\nper figure, p50 (DuckDB / SQLite):")
        for name in duck_q:
            if name not in lite_q:
                continue
            # timed() calls the lambdas at once, in this iteration
            dq = timed(lambda: dcur.execute(*duck_q[name]).fetchall(), 5)  # noqa: B023
            lq = timed(lambda: sq.execute(*lite_q[name]).fetchall(), 3)  # noqa: B023
            print(f"  {name:<14} {dq['p50']:8.1f} ms / {lq['p50']:9.1f} ms   ×{lq['p50'] / dq['p50']:.1f}")
        dcur.unregister("sgld_cal")
    sq.close()


if __name__ == "__main__":
    main()
