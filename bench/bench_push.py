"""Benchmark of 审批推送 (issue 3).  Prints:

* bulk import of 100,000 cases from a .csv (rows/s, validation included:
  read, row checks, duplicate checks, enterprises/projects/cases/licences/
  pushes/claims written in one transaction) — target ≥ 20,000 rows/s;
* the archive search (several typical queries) and the 待签收 list, p50/p95
  over 20 runs each — target ≤ 150 ms p50 at ``demo --scale 100``.

Usage::

    .venv/bin/python bench/bench_push.py                 # builds scale-1 data in a temp dir
    SGLD_DB=/path/scale100.duckdb .venv/bin/python bench/bench_push.py --existing
    .venv/bin/python bench/bench_push.py --scale 10      # builds that scale first (slow for 100)

The import is measured on a copy of the database so the data set is unchanged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def timed(fn, runs=20):
    fn()  # warm-up (first run pays for loading columns)
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out), pct(out, 95)


def import_csv(n: int) -> bytes:
    import random

    import pandas as pd

    from sgld import uscc
    from sgld.demo.base import DISTRICTS, org_code

    rng = random.Random(7)
    codes = [uscc.make("91" + rng.choice(DISTRICTS) + org_code(rng)) for _ in range(n // 20)]
    items = ["SC-001", "SC-002", "SC-005", "TZ-001", "TZ-002", "HB-002", "AQ-001", "JT-001", "WS-002", "QT-001"]
    rows = {
        "办件编号": [f"BENCH{i:08d}" for i in range(n)],
        "事项编码": [items[i % len(items)] for i in range(n)],
        "统一社会信用代码": [codes[i % len(codes)] for i in range(n)],
        "企业名称": [f"南通基准测试{i % len(codes)}有限公司" for i in range(n)],
        "项目编号": [f"BENCH-P-{i // 3:07d}" for i in range(n)],
        "项目名称": ["" for _ in range(n)],
        "办理环节": ["办结" if i % 5 else "需监管部门参与环节" for i in range(n)],
        "批复信息": ["经审查，符合法定条件，准予许可。" for _ in range(n)],
        "决定日期": [f"2026-{1 + i % 9:02d}-{1 + i % 28:02d}" for i in range(n)],
        "证照编号": [f"BL{i:09d}" if i % 5 else "" for i in range(n)],
        "证照类型": ["许可证" if i % 5 else "" for i in range(n)],
        "发证日期": [f"2026-{1 + i % 9:02d}-{1 + i % 28:02d}" if i % 5 else "" for i in range(n)],
        "有效期至": ["2031-01-01" if i % 5 else "" for i in range(n)],
    }
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8-sig")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--existing", action="store_true", help="use SGLD_DB as it is (built before)")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--skip-import", action="store_true")
    args = ap.parse_args()

    from db import connection
    from sgld import settings

    tmp = Path(tempfile.mkdtemp(prefix="bench_push_"))
    if not args.existing:
        os.environ["SGLD_DB"] = str(tmp / "sgld.duckdb")
        os.environ["SGLD_DATA_DIR"] = str(tmp / "data")
        os.environ["SGLD_MODE"] = "demo"
        settings.reset()
        from sgld import demo

        connection.get_db()
        t = time.perf_counter()
        demo.load(scale=args.scale)
        print(f"demo --scale {args.scale}: {time.perf_counter() - t:.1f} s")
        connection.reset()
    settings.reset()
    db = connection.get_db()
    from sgld.services import push_query
    from sgld.services.accounts import actor_by_username

    n_cases = db.scalar("SELECT count(*) FROM approval_case")
    n_push = db.scalar("SELECT count(*) FROM push")
    print(
        f"data: {n_cases:,} cases, {n_push:,} pushes, "
        f"{db.scalar('SELECT count(*) FROM licence'):,} licences, "
        f"{db.scalar('SELECT count(*) FROM enterprise'):,} enterprises"
    )
    approver, sup = actor_by_username("approver"), actor_by_username("supervisor")
    some = db.one(
        "SELECT e.name, e.uscc, c.case_no, c.project_no FROM approval_case c"
        " JOIN enterprise e ON e.id = c.enterprise_id ORDER BY c.id DESC LIMIT 1"
    )
    item = db.scalar("SELECT id FROM item WHERE code = 'SC-001'")
    dept = db.scalar("SELECT id FROM department WHERE name = '市场监管局'")
    lic = db.scalar("SELECT licence_no FROM licence ORDER BY id DESC LIMIT 1")
    queries = {
        "archive: newest (no filter)": lambda: push_query.search_cases(approver),
        "archive: enterprise name (partial)": lambda: push_query.search_cases(approver, enterprise=some[0][2:6]),
        "archive: 统一社会信用代码": lambda: push_query.search_cases(approver, uscc_code=some[1]),
        "archive: case number": lambda: push_query.search_cases(approver, case_no=some[2]),
        "archive: project number": lambda: push_query.search_cases(approver, project_no=some[3]),
        "archive: licence number": lambda: push_query.search_cases(approver, licence_no=lic),
        "archive: item+dept+status+dates": lambda: push_query.search_cases(
            approver,
            item_id=item,
            department_id=dept,
            push_status="已签收",
            date_from=__import__("datetime").date(2026, 1, 1),
        ),
        "archive: supervisor scope, 逾期未签收": lambda: push_query.search_cases(sup, push_status="逾期未签收"),
        "待签收 list (supervisor, page: count + 2000)": lambda: (
            push_query.pending_count(sup),
            push_query.push_list(sup, status="待签收", limit=2000),
        ),
        "待签收 list (supervisor, all rows)": lambda: push_query.push_list(sup, status="待签收"),
        "reminders (sidebar count)": lambda: __import__("sgld.services.push", fromlist=["x"]).reminders(sup),
    }
    print(f"\n{'query':46s} {'p50 ms':>8s} {'p95 ms':>8s}   (runs={args.runs}, target p50 ≤ 150 ms)")
    for name, fn in queries.items():
        p50, p95 = timed(fn, args.runs)
        print(f"{name:46s} {p50:8.1f} {p95:8.1f}")
    rows = len(push_query.push_list(sup))
    print(f"(待签收 list of 市场监管局: {rows:,} rows)")

    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.skip_import:
        return 0
    # -- import on a copy ------------------------------------------------
    src = settings.get().db
    connection.reset()
    copy = tmp / "import.duckdb"
    shutil.copyfile(src, copy)
    os.environ["SGLD_DB"] = str(copy)
    settings.reset()
    connection.get_db()
    from sgld.services import cases_import

    data = import_csv(args.rows)
    approver = actor_by_username("approver")
    t, c = time.perf_counter(), time.process_time()
    pre = cases_import.import_cases(approver, "bench.csv", data, commit=False)
    t_pre, c_pre = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    res = cases_import.import_cases(approver, "bench.csv", data, commit=True)
    t_imp, c_imp = time.perf_counter() - t, time.process_time() - c
    print(
        f"\nimport preview of {pre.total:,} rows: {t_pre:.2f} s wall = {pre.total / t_pre:,.0f} rows/s"
        f" (CPU {c_pre:.2f} s; {pre.ok:,} good)"
    )
    print(
        f"import commit of {res.total:,} rows: {t_imp:.2f} s wall = {res.total / t_imp:,.0f} rows/s"
        f" (CPU {c_imp:.2f} s; validation included; {res.counts})  target ≥ 20,000 rows/s"
    )
    print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    connection.reset()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
