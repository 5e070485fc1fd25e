"""Benchmark of the 联络员 feature: demo build of its step and the service
calls behind each screen, on a demo database at ``--scale`` (default 10).

    .venv/bin/python bench/bench_liaison.py [--scale N] [--repeat R]

Prints milliseconds (median of R runs) per call.  Targets (set by this
feature; the issue names none): every read behind a screen ≤ 300 ms,
reminders ≤ 50 ms per role, each write ≤ 100 ms (a letter with its .docx
≤ 300 ms), the step's demo build at scale 100 in minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_liaison_"))
    os.environ.update(SGLD_DB=str(tmp / "b.duckdb"), SGLD_DATA_DIR=str(tmp / "data"), SGLD_MODE="demo")

    import sgld.demo.liaison as step
    from db.connection import get_db
    from sgld import clock, demo
    from sgld.services import liaison as svc
    from sgld.services.accounts import actor_by_username as A
    from ui.liaison_tables import letters_table

    timings: dict[str, float] = {}
    original = step.load

    def timed(ctx):
        t = time.perf_counter()
        original(ctx)
        timings["step"] = time.perf_counter() - t

    step.load = timed
    get_db()
    t = time.perf_counter()
    counts = demo.load(scale=args.scale)
    total = time.perf_counter() - t
    step.load = original
    print(f"scale {args.scale}: demo build {total:.1f} s in all, liaison step {timings['step']:.1f} s")
    for table in ("liaison", "liaison_review", "liaison_request", "liaison_rectification", "liaison_rect_check"):
        print(f"  {table}: {counts.get(table, 0)}")

    sup, appr, lz, lead = A("supervisor"), A("approver"), A("liaison"), A("leader")

    def bench(label, fn, repeat=args.repeat):
        fn()  # warm
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - t0) * 1000)
        print(f"{label:<44} {statistics.median(runs):8.1f} ms")

    letters = svc.list_letters(appr)
    one = letters[len(letters) // 2]["id"]
    print("reads")
    bench("list_letters (approver, all)", lambda: svc.list_letters(appr))
    bench("letters_table (approver, all)", lambda: letters_table(svc.list_letters(appr)))
    bench("list_letters (supervisor, own dept)", lambda: svc.list_letters(sup, department_id=sup.department_id))
    bench("get_letter (one, with rectifications)", lambda: svc.get_letter(appr, one))
    bench("list_roster (leader, all departments)", lambda: svc.list_roster(lead))
    bench("list_roster (supervisor)", lambda: svc.list_roster(sup))
    bench("dispatch_candidates", lambda: svc.dispatch_candidates(sup, svc.list_letters(sup, state="待派员")[0]["id"]))
    bench("my_assignments (liaison)", lambda: svc.my_assignments(lz))
    bench("list_rectifications (approver, all)", lambda: svc.list_rectifications(appr))
    bench("department_feedback (supervisor)", lambda: svc.department_feedback(sup))
    bench("statistics (leader)", lambda: svc.statistics(lead))
    bench("list_reviews (approver)", lambda: svc.list_reviews(appr))
    bench("letter_docx (rebuilt from facts)", lambda: svc.letter_docx(appr, one))
    print("reminders")
    for who in ("supervisor", "approver", "liaison", "leader"):
        a = A(who)
        bench(f"reminders ({who})", lambda a=a: svc.reminders(a))

    print("writes")
    mk = sup.department_id
    base = dict(
        kind="现场审查",
        title="基准测试现场审查",
        place="南通",
        purpose="p",
        basis="b",
        scope="s",
        content="c",
        schedule="09:00",
    )
    made = []

    def send():
        made.append(svc.create_review(appr, review_date=clock.today() + timedelta(days=1), department_ids=[mk], **base))

    bench("create_review + letter .docx (one dept)", send)
    qids = [get_db().scalar("SELECT id FROM liaison_request WHERE review_id = ?", [r]) for r in made]
    liu = next(r["id"] for r in svc.list_roster(sup) if r["name"] == "刘联络")
    it = iter(qids)
    bench("dispatch", lambda: svc.dispatch(sup, next(it), liu), repeat=min(args.repeat, len(qids) - 2))
    clock.freeze(clock.now() + timedelta(days=1))
    done = [q for q in qids if svc.get_letter(appr, q)["status"] == "已派员"]
    it2 = iter(done)
    bench(
        "save_record",
        lambda: svc.save_record(
            lz, next(it2), attended=True, record_text="r", suggestions="s", recommendation="建议通过"
        ),
        repeat=min(args.repeat, len(done) - 1),
    )
    clock.freeze(None)
    print(f"database: {tmp / 'b.duckdb'} (delete when done)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
