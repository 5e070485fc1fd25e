"""Demo step 55: how special-review decisions were carried out (附件2 五).

Reviews whose minutes were issued more than 30 days ago were followed up by
every party that has an account to do it (the proposing division's
approvers, a participating department's supervisors); for the newer ones
the to-dos are left open — e.g. 市场监管局 and 生态环境局 (张监管, 陈环保)
and 李经办 each have a 待落实会议决定."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from sgld.demo import DemoContext
from sgld.services import special_review as sr

ORDER = 55

DONE = {
    sr.FOLLOW_APPROVAL: [
        "已按纪要意见办结审批手续，核发批准文件并推送相关监管部门。",
        "已按纪要附加条件核发许可，条件已写入批准文件。",
        "已依纪要意见作出不予许可决定并告知申请人。",
    ],
    sr.FOLLOW_SUPERVISION: [
        "已将该项目纳入本部门重点监管对象，建立监管台账，按季度开展现场检查。",
        "已落实纪要所列监管措施，首次现场检查已完成，未发现问题。",
        "已按纪要附加条件督促企业整改并复查到位，纳入日常监管。",
    ],
}


def load(ctx: DemoContext) -> None:
    cur = ctx.cur
    reviews = cur.execute(
        "SELECT id, division_id, minutes_issued_at FROM special_review WHERE status = ? AND minutes_issued_at < ?",
        [sr.S_ISSUED, ctx.now - timedelta(days=30)],
    ).fetchall()
    if not reviews:
        return
    # who could have recorded it: an approver of the division, a supervisor of the department
    people: dict[tuple[int, str], int] = {}
    for uid, dept, role in cur.execute(
        "SELECT u.id, u.department_id, r.role FROM app_user u JOIN user_role r"
        " ON r.user_id = u.id WHERE r.role IN ('approver', 'supervisor') ORDER BY u.id"
    ).fetchall():
        people.setdefault((dept, role), uid)
    parts = dict(
        cur.execute(
            "SELECT review_id, array_agg(department_id) FROM special_review_department GROUP BY review_id"
        ).fetchall()
    )
    rng = ctx.rng
    rows = []
    for rid, division, issued in reviews:
        parties = [(division, sr.FOLLOW_APPROVAL, "approver")] + [
            (d, sr.FOLLOW_SUPERVISION, "supervisor") for d in parts.get(rid, [])
        ]
        for dept, kind, role in parties:
            uid = people.get((dept, role))
            if uid is None:
                continue
            at = min(issued + timedelta(days=rng.uniform(2, 25)), ctx.now - timedelta(days=1))
            rows.append(
                {
                    "review_id": rid,
                    "department_id": dept,
                    "kind": kind,
                    "text": rng.choice(DONE[kind]),
                    "done_on": at.date(),
                    "recorded_by": uid,
                    "recorded_at": at.replace(microsecond=0),
                }
            )
    if rows:
        frame = pd.DataFrame(rows)
        frame["id"] = [
            r[0]
            for r in cur.execute(
                "SELECT nextval('seq_special_review_follow_up') FROM generate_series(1, ?)", [len(rows)]
            ).fetchall()
        ]
        ctx.insert_df("special_review_follow_up", frame)
