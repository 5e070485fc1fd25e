"""Benchmarks of issue 4 (监管录入), printed:

* import of N (default 1,000,000) penalty rows from a GBK .csv and from a
  SQLite table: rows/s and the importing process's peak memory (each import
  runs in a fresh child process, so its peak RSS is the import's own);
* an incremental run with nothing new at that size (ms);
* the enterprise profile at ``demo --scale S`` (default 100): p50/p95 ms.

Targets: ≥ 100,000 rows/s from the GBK file, peak memory ≤ 1 GB, the empty
incremental run ≤ 1 s, the profile ≤ 200 ms p50.

    .venv/bin/python bench/bench_supervision.py [--rows N] [--scale S] [--skip-profile]
    .venv/bin/python bench/bench_supervision.py --profile-db PATH   # reuse a built database
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HEADERS = [
    "行政相对人名称",
    "行政相对人代码_1(统一社会信用代码)",
    "法定代表人",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "数据来源单位",
]


def make_codes(n: int, rng) -> np.ndarray:
    """n distinct valid 统一社会信用代码."""
    from sgld import uscc

    nums = rng.choice(10**12, size=n, replace=False)
    return np.array(
        [uscc.make(f"91320602{x:09d}"[:17]) if x < 10**9 else uscc.make(f"9132{x:013d}"[:17]) for x in nums]
    )


def make_frame(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_ent = max(1, n // 6)
    codes = make_codes(n_ent, rng)
    names = np.array([f"南通{i}号商贸有限公司" for i in range(n_ent)])
    pick = rng.integers(0, n_ent, n)
    days = rng.integers(0, 3000, n)
    dates = (np.datetime64("2017-01-01") + days).astype(str)
    fine = rng.choice([0.2, 0.5, 1, 2, 5, 10, 30], n)
    return pd.DataFrame(
        {
            HEADERS[0]: names[pick],
            HEADERS[1]: codes[pick],
            HEADERS[2]: "张三",
            HEADERS[3]: [f"通市监处罚〔{d[:4]}〕{i}号" for i, d in enumerate(dates)],
            HEADERS[4]: "销售不符合食品安全标准的食品",
            HEADERS[5]: "经查，当事人销售超过保质期的食品，违法事实清楚，证据确凿。",
            HEADERS[6]: "《中华人民共和国食品安全法》第一百二十四条第一款",
            HEADERS[7]: "罚款；没收违法所得",
            HEADERS[8]: "没收违法所得，并处罚款",
            HEADERS[9]: fine,
            HEADERS[10]: "",
            HEADERS[11]: dates,
            HEADERS[12]: "",
            HEADERS[13]: "",
            HEADERS[14]: "南通市市场监督管理局",
            HEADERS[15]: "南通市市场监督管理局",
        }
    )


def _peak_mb() -> float:
    """This process's peak resident memory.  VmHWM belongs to the address
    space, so unlike ru_maxrss it is not inherited from the forking parent."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args) -> None:
    """Run one import in this fresh process; print JSON with the figures."""
    os.environ["SGLD_DB"] = args.db
    os.environ["SGLD_DATA_DIR"] = str(Path(args.db).parent / "data")
    os.environ["SGLD_MODE"] = "production"
    os.environ.setdefault("SGLD_COOKIE_KEY", "x" * 40)
    from db.connection import get_db
    from sgld.services import penalty
    from sgld.services.penalty import runs

    get_db()
    # time the post-commit listeners (the warning list's recomputation) apart
    listeners = {"s": 0.0}
    real_notify = runs._notify

    def timed_notify(run_id):
        t1 = time.perf_counter()
        real_notify(run_id)
        listeners["s"] += time.perf_counter() - t1

    runs._notify = timed_notify  # where the runs look it up
    t = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    if args.child == "csv":
        r = penalty.import_files(None, [(Path(args.path).name, args.path)], trigger="命令行")
    elif args.child == "sql-empty":
        penalty.sync_source(None, "bench", trigger="定时")  # warm: the server process has run before
        times = []
        for _ in range(5):
            t1 = time.perf_counter()
            r = penalty.sync_source(None, "bench", trigger="定时")
            times.append((time.perf_counter() - t1) * 1000)
        print(json.dumps({"median_ms": statistics.median(times), "rows_read": r["rows_read"]}))
        return
    else:
        r = penalty.sync_source(None, "bench", trigger="命令行")
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    peak = _peak_mb()
    print(
        json.dumps(
            {
                "seconds": dt,
                "cpu": cpu,
                "peak_mb": peak,
                "listeners": listeners["s"],
                **{k: r[k] for k in ("rows_read", "imported", "duplicates", "quarantined")},
            }
        )
    )


def run_child(kind: str, db: str, path: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--db", db, "--path", path],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def setup_sqlite_source(db: str, sqlite_path: Path) -> None:
    os.environ["SGLD_DB"] = db
    os.environ["SGLD_DATA_DIR"] = str(Path(db).parent / "data")
    os.environ["SGLD_MODE"] = "production"
    os.environ.setdefault("SGLD_COOKIE_KEY", "x" * 40)
    from db import connection
    from sgld import settings
    from sgld.demo.supervision import XQ_MAPPING

    settings.reset()
    connection.reset()
    db_ = connection.get_db()
    now = pd.Timestamp.now().to_pydatetime()
    db_.write(
        lambda cur: cur.execute(
            "INSERT INTO penalty_source (name, kind, location, table_name, watermark_column, column_mapping,"
            " enabled, created_at, updated_at) VALUES ('bench', 'sql', ?, 'XZCF_XX', 'ID', ?, TRUE, ?, ?)",
            [f"sqlite:///{sqlite_path}", json.dumps(XQ_MAPPING), now, now],
        )
    )
    connection.reset()


def bench_imports(n: int, work: Path) -> None:
    frame = make_frame(n)
    csv_path = work / "penalties-gbk.csv"
    t = time.perf_counter()
    frame.to_csv(csv_path, index=False, encoding="gbk")
    print(f"生成 GBK CSV：{n:,} 行，{csv_path.stat().st_size / 1e6:.0f} MB，用时 {time.perf_counter() - t:.1f} 秒")

    r = run_child("csv", str(work / "csv.duckdb"), str(csv_path))
    imp = r["seconds"] - r["listeners"]
    print(
        f"GBK CSV 导入 {r['rows_read']:,} 行：{r['seconds']:.2f} 秒（CPU {r['cpu']:.1f} 秒；其中提交后的"
        f"警示名单重算 {r['listeners']:.2f} 秒），导入至提交 {r['rows_read'] / imp:,.0f} 行/秒，"
        f"含重算 {r['rows_read'] / r['seconds']:,.0f} 行/秒，"
        f"峰值内存 {r['peak_mb']:.0f} MB（导入 {r['imported']:,}，重复 {r['duplicates']:,}，隔离 {r['quarantined']:,}）"
        f"  目标 ≥ 100,000 行/秒、≤ 1024 MB  {load_note()}"
    )
    r2 = run_child("csv", str(work / "csv.duckdb"), str(csv_path))
    print(
        f"同一文件再次导入：{r2['seconds']:.2f} 秒（CPU {r2['cpu']:.1f} 秒，峰值内存 {r2['peak_mb']:.0f} MB；"
        f"导入 {r2['imported']:,}，重复 {r2['duplicates']:,}）  {load_note()}"
    )

    from sgld.demo.supervision import XQ_MAPPING, write_xingquan

    sq = work / "xq.sqlite"
    cols = {v: k for k, v in XQ_MAPPING.items()}
    from sgld.penalty_sources import FIELDS, match_headers

    hmap = match_headers(list(frame.columns))
    out = pd.DataFrame({src: frame[hmap[field]] if field in hmap else "" for src, field in cols.items()})
    out["GXSJ"] = pd.Timestamp("2026-01-01")
    t = time.perf_counter()
    write_xingquan(sq, out)
    print(f"生成 SQLite 表：{n:,} 行，用时 {time.perf_counter() - t:.1f} 秒")
    assert FIELDS
    db = str(work / "sql.duckdb")
    setup_sqlite_source(db, sq)
    r = run_child("sql", db)
    imp = r["seconds"] - r["listeners"]
    print(
        f"SQLite 表抽取 {r['rows_read']:,} 行：{r['seconds']:.2f} 秒（CPU {r['cpu']:.1f} 秒；其中警示名单重算"
        f" {r['listeners']:.2f} 秒），导入至提交 {r['rows_read'] / imp:,.0f} 行/秒，"
        f"含重算 {r['rows_read'] / r['seconds']:,.0f} 行/秒，"
        f"峰值内存 {r['peak_mb']:.0f} MB（导入 {r['imported']:,}，隔离 {r['quarantined']:,}）  {load_note()}"
    )
    r = run_child("sql-empty", db)
    print(
        f"无新数据的增量抽取（{n:,} 行已入库，同一进程内 5 次中位数）：{r['median_ms']:.0f} ms"
        f"（读取 {r['rows_read']}）  目标 ≤ 1000 ms"
    )


def bench_profile(scale: int, db_path: str | None, work: Path) -> None:
    if db_path is None:
        db_path = str(work / f"scale{scale}.duckdb")
        env = {**os.environ, "SGLD_DB": db_path, "SGLD_DATA_DIR": str(work / f"data{scale}"), "SGLD_MODE": "demo"}
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "manage.py", "demo", "--scale", str(scale)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
        print(f"demo --scale {scale}：用时 {time.perf_counter() - t:.0f} 秒")
        os.environ["SGLD_DATA_DIR"] = str(work / f"data{scale}")
    os.environ["SGLD_DB"] = db_path
    os.environ["SGLD_MODE"] = "demo"
    from db import connection
    from sgld import settings
    from sgld.services import profile
    from sgld.services.accounts import actor_by_username

    settings.reset()
    connection.reset()
    db = connection.get_db()
    counts = {t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("enterprise", "inspection", "penalty")}
    print("数据量：" + "，".join(f"{k} {v:,}" for k, v in counts.items()))
    ids = [r[0] for r in db.all("SELECT enterprise_id FROM penalty USING SAMPLE 60 ROWS")] or [1]
    for who in ("leader", "supervisor"):
        actor = actor_by_username(who)
        sample = ids
        if who == "supervisor":
            sample = [
                r[0]
                for r in db.all(
                    "SELECT enterprise_id FROM inspection WHERE department_id = ? USING SAMPLE 60 ROWS",
                    [actor.department_id],
                )
            ]
        profile.profile(actor, sample[0])  # warm
        times = []
        for eid in sample[:40]:
            t = time.perf_counter()
            data = profile.profile(actor, eid)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"企业画像（{who}，{len(times)} 家企业，时间线平均 {len(data['timeline'])} 条）："
            f"p50 {statistics.median(times):.0f} ms，p95 {p95:.0f} ms  目标 p50 ≤ 200 ms"
        )
    # the enterprise with the most records (the longest timeline)
    busiest = db.one(
        "SELECT enterprise_id, count(*) FROM (SELECT enterprise_id FROM inspection"
        " UNION ALL SELECT enterprise_id FROM approval_case UNION ALL SELECT enterprise_id FROM penalty)"
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    actor = actor_by_username("leader")
    times = []
    for _ in range(15):
        t = time.perf_counter()
        data = profile.profile(actor, busiest[0])
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(
        f"企业画像（leader，记录最多的企业 {busiest[0]}，时间线 {len(data['timeline'])} 条，15 次）："
        f"p50 {statistics.median(times):.0f} ms，p95 {times[int(len(times) * 0.95) - 1]:.0f} ms  {load_note()}"
    )
    for who in ("supervisor",):
        actor = actor_by_username(who)
        from sgld.services import inspection

        times = []
        for _ in range(10):
            t = time.perf_counter()
            tasks = inspection.followup_tasks(actor)
            times.append((time.perf_counter() - t) * 1000)
        print(f"后续监管任务列表（{who}，{len(tasks):,} 条）：p50 {statistics.median(times):.0f} ms")


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"（机器负载 {one:.1f}/{five:.1f}，{os.cpu_count()} 核；负载高时墙钟时间偏大，CPU 时间更可比）"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--scale", type=int, default=100)
    p.add_argument("--skip-imports", action="store_true")
    p.add_argument("--skip-profile", action="store_true")
    p.add_argument("--profile-db")
    p.add_argument("--child")
    p.add_argument("--db")
    p.add_argument("--path", default="")
    args = p.parse_args()
    if args.child:
        child(args)
        return
    print("bench_supervision " + load_note())
    with tempfile.TemporaryDirectory(prefix="bench-sup-") as tmp:
        work = Path(tmp)
        if not args.skip_imports:
            bench_imports(args.rows, work)
        if not args.skip_profile:
            bench_profile(args.scale, args.profile_db, work)


if __name__ == "__main__":
    main()
