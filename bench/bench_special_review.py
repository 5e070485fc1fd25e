"""Benchmark of 专项审查 (special review): list, detail, reminders, statistics,
a full workflow and the minutes document, on a demo database of a given scale.

    .venv/bin/python bench/bench_special_review.py [--scale N] [--db PATH] [--repeat R]

Builds the demo database at ``--scale`` in a temporary directory (unless
``--db`` points at an existing one) and prints median / p95 timings.  Targets
(issue 6 sets none explicitly; these are the project's interactive budget):
list ≤ 300 ms, detail ≤ 100 ms, reminders ≤ 100 ms, statistics ≤ 500 ms,
one workflow transition ≤ 100 ms, minutes .docx ≤ 500 ms.
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

TARGETS_MS = {
    "list_reviews (approver, all)": 300,
    "list_frame (supervisor)": 300,
    "get_review": 100,
    "reminders (approver)": 100,
    "reminders (supervisor)": 100,
    "statistics (approver)": 500,
    "propose": 100,
    "approve": 100,
    "record_meeting": 100,
    "conclude": 100,
    "issue_minutes (.docx)": 500,
    "minutes_docx (render from record)": 500,
}


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def report(name: str, samples: list[float]) -> None:
    med = statistics.median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    target = TARGETS_MS.get(name)
    flag = "" if target is None else ("  ok" if p95 <= target else "  OVER")
    print(f"{name:<38} median {med:8.1f} ms   p95 {p95:8.1f} ms" + (f"   target ≤ {target} ms{flag}" if target else ""))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--db", help="demo database to use; built there when empty, kept afterwards")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    tmp = None
    if args.db:
        os.environ["SGLD_DB"] = args.db
        os.environ.setdefault("SGLD_DATA_DIR", str(Path(args.db).parent / "data"))
    else:
        tmp = tempfile.mkdtemp(prefix="bench_review_")
        os.environ["SGLD_DB"] = str(Path(tmp) / "bench.duckdb")
        os.environ["SGLD_DATA_DIR"] = str(Path(tmp) / "data")
    os.environ.setdefault("SGLD_MODE", "demo")

    from db.connection import get_db
    from sgld import clock, demo
    from sgld.services import special_review as sr
    from sgld.services.accounts import actor_by_username

    db = get_db()
    if demo.is_empty():  # (an existing --db is reused as it is)
        t = time.perf_counter()
        demo.load(scale=args.scale)
        print(f"demo scale {args.scale}: built in {time.perf_counter() - t:.1f} s")
    n = db.scalar("SELECT count(*) FROM special_review")
    nd = db.scalar("SELECT count(*) FROM special_review_department")
    print(f"special_review rows: {n}, department rows: {nd}, repeat {args.repeat}")

    approver, supervisor = actor_by_username("approver"), actor_by_username("supervisor")
    leader = actor_by_username("leader")
    some = sr.list_reviews(approver, status=sr.S_ISSUED, limit=1)[0]["id"]
    r = args.repeat
    report("list_reviews (approver, all)", timed(lambda: sr.list_reviews(approver), r))
    report("list_frame (supervisor)", timed(lambda: sr.list_frame(supervisor), r))
    report("get_review", timed(lambda: sr.get_review(approver, some), r))
    report("reminders (approver)", timed(lambda: sr.reminders(approver), r))
    report("reminders (supervisor)", timed(lambda: sr.reminders(supervisor), r))
    report("statistics (approver)", timed(lambda: sr.statistics(approver), max(5, r // 2)))
    report("minutes_docx (render from record)", timed(lambda: sr.minutes_docx(approver, some), max(5, r // 2)))

    depts = [
        db.scalar("SELECT id FROM department WHERE name = ?", [x]) for x in ("市场监管局", "生态环境局", "应急管理局")
    ]
    project = db.scalar("SELECT min(project_no) FROM project")
    ids: list[int] = []

    def propose():
        ids.append(
            sr.propose(
                approver,
                title="基准测试专项审查",
                scopes=["安全生产"],
                matters="事项",
                meeting_at=clock.now().replace(microsecond=0) + timedelta(days=3),
                place="会议室",
                department_ids=depts,
                project_no=project,
            )
        )

    report("propose", timed(propose, r))
    queue = list(ids)
    report("approve", timed(lambda: sr.approve(leader, queue.pop()), r))
    queue = list(ids)
    payload = {d: {"attendance": sr.PRESENT, "attendees": "某某", "opinion": None} for d in depts}
    report(
        "record_meeting",
        timed(
            lambda: sr.record_meeting(
                approver,
                queue.pop(),
                held_on=clock.today(),
                chair="市行政审批局分管领导王某",
                presentation="说明",
                departments=payload,
            ),
            r,
        ),
    )
    queue = list(ids)
    report("conclude", timed(lambda: sr.conclude(approver, queue.pop(), "同意。"), r))
    queue = list(ids)
    report("issue_minutes (.docx)", timed(lambda: sr.issue_minutes(approver, queue.pop()), r))
    if tmp:
        import shutil

        from db import connection

        connection.reset()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
