"""Benchmark of the outbox and webhook delivery (issue 18).  Prints:

* the write cost of emitting outbox events: a form write (record_case,
  one push) and a bulk import, with and without the events (emit patched
  out), interleaved so the machine's load hits both alike;
* webhook delivery latency with a local receiver on loopback: from the
  moment a user's write returns (committed) to the receiver having the
  event, p50/p95, the delivery worker running as in the server;
* delivery throughput after a bulk import (events/s to one department);
* the one-off backfill of the history's events (first start);
* ``uptime`` (load average) before and after.

Usage::

    .venv/bin/python bench/bench_webhook.py [--writes 100] [--rows 50000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values, p):
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writes", type=int, default=100, help="form writes per measurement")
    ap.add_argument("--rows", type=int, default=50_000, help="rows of the bulk import")
    args = ap.parse_args()
    print("uptime before:", uptime())

    from db import connection
    from sgld import settings

    tmp = Path(tempfile.mkdtemp(prefix="bench_webhook_"))
    os.environ.update(
        {
            "SGLD_DB": str(tmp / "sgld.duckdb"),
            "SGLD_DATA_DIR": str(tmp / "data"),
            "SGLD_MODE": "demo",
            "SGLD_MAINTENANCE": "off",
        }
    )
    settings.reset()
    from sgld import demo

    connection.get_db()
    demo.load(scale=1)
    db = connection.get_db()
    from bench.bench_push import import_csv
    from sgld import webhook
    from sgld.services import cases_import, outbox, push
    from sgld.services.accounts import actor_by_username
    from tests.webhook_receiver import Receiver

    t = time.perf_counter()
    n = outbox.backfill_once()
    print(f"backfill of the demo history (first start): {n:,} events in {time.perf_counter() - t:.2f} s")
    approver, admin = actor_by_username("approver"), actor_by_username("admin")
    item = db.scalar("SELECT id FROM item WHERE code = 'SC-001'")
    uscc = db.scalar("SELECT uscc FROM enterprise ORDER BY id LIMIT 1")
    dept = db.scalar("SELECT id FROM department WHERE name = '市场监管局'")
    counter = iter(range(10**9))

    def write() -> str:
        no = f"WB-{next(counter):07d}"
        push.record_case(
            approver,
            case_no=no,
            item_id=item,
            uscc=uscc,
            project_no=f"WB-P-{no}",
            stage="办结",
            reply="准予许可",
            decided_on=date.today(),
        )
        return no

    # -- write cost with and without the outbox rows ---------------------------------
    names = ("emit_pushes", "emit_claims", "emit_for_cases")
    real_fns = {n: getattr(outbox, n) for n in names}

    def events(on: bool) -> None:
        """Emit the outbox events, or not (the cost comparison)."""
        for n in names:
            setattr(outbox, n, real_fns[n] if on else (lambda *a, **k: 0))

    samples = {"with events": [], "without events": []}
    for _ in range(3):
        write()  # warm-up
    for rnd in range(4):
        for mode in ("with events", "without events") if rnd % 2 == 0 else ("without events", "with events"):
            events(mode == "with events")
            for _ in range(args.writes // 4):
                t = time.perf_counter()
                write()
                samples[mode].append((time.perf_counter() - t) * 1000)
    events(True)
    print(f"\nform write (record_case, 1 push; {len(samples['with events'])} each, interleaved):")
    for mode, s in samples.items():
        print(f"  {mode:15s} p50 {statistics.median(s):6.2f} ms  p95 {pct(s, 95):6.2f} ms")

    def import_on_copy(with_events: bool) -> float:
        connection.reset()
        copy = tmp / f"import-{with_events}.duckdb"
        shutil.copyfile(tmp / "sgld.duckdb", copy)
        os.environ["SGLD_DB"] = str(copy)
        settings.reset()
        connection.get_db()
        events(with_events)
        data = import_csv(args.rows)
        t = time.perf_counter()
        res = cases_import.import_cases(actor_by_username("approver"), "bench.csv", data, commit=True)
        took = time.perf_counter() - t
        events(True)
        n = connection.get_db().scalar(
            "SELECT count(*) FROM outbox_event WHERE created_at >= (SELECT max(created_at) FROM approval_case)"
        )
        print(
            f"  {'with' if with_events else 'without'} events: {took:.2f} s = {res.total / took:,.0f} rows/s"
            f" ({res.counts['pushes']:,} pushes, {res.counts['claims']:,} claims, {n:,} events)"
        )
        connection.reset()
        copy.unlink(missing_ok=True)
        return took

    print(f"\nbulk import of {args.rows:,} rows (commit, on a copy each):")
    a = import_on_copy(True)
    b = import_on_copy(False)
    print(f"  events cost {100 * (a - b) / b:+.0f} % of the import time")
    os.environ["SGLD_DB"] = str(tmp / "sgld.duckdb")
    settings.reset()
    db = connection.get_db()

    # -- delivery latency ---------------------------------------------------------------
    rec = Receiver().start()
    rec.secret = outbox.register_webhook(admin, dept, rec.url)
    webhook.start()
    done: dict[str, float] = {}
    for _ in range(args.writes):
        no = write()
        done[no] = time.perf_counter()
        time.sleep(0.05)
    deadline = time.time() + 60
    while time.time() < deadline and len([g for g in rec.got if g["body"]["data"].get("case_no") in done]) < len(done):
        time.sleep(0.05)
    lat = [
        (g["at"] - done[g["body"]["data"]["case_no"]]) * 1000
        for g in rec.got
        if g["body"]["data"].get("case_no") in done
    ]
    bad = sum(1 for g in rec.got if not g["valid"])
    print(
        f"\nwebhook delivery latency (write returned → receiver has it), {len(lat)} of {len(done)}"
        f" events, loopback receiver: p50 {statistics.median(lat):.1f} ms, p95 {pct(lat, 95):.1f} ms,"
        f" max {max(lat):.1f} ms; bad signatures: {bad}"
    )

    # -- delivery throughput after an import ---------------------------------------------
    before = len(rec.got)
    data = import_csv(min(args.rows, 20_000))
    res = cases_import.import_cases(approver, "bench2.csv", data, commit=True)
    t0 = time.perf_counter()
    want = db.scalar("SELECT count(*) FROM outbox_event WHERE department_id = ? AND state = 'pending'", [dept])
    while time.perf_counter() - t0 < 600 and db.scalar(
        "SELECT count(*) FROM outbox_event WHERE department_id = ? AND state = 'pending'", [dept]
    ):
        time.sleep(0.2)
    took = time.perf_counter() - t0
    got = len(rec.got) - before
    print(
        f"delivery after an import of {res.total:,} rows: {got:,} events to 市场监管局 in {took:.1f} s"
        f" = {got / took:,.0f} events/s (pending at start: {want:,}); in order:"
        f" {[g['id'] for g in rec.got] == sorted(g['id'] for g in rec.got)}"
    )
    webhook.stop()
    rec.stop()
    print("\nuptime after:", uptime())
    connection.reset()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
