"""The work view: the actor's own processing reminders (处理提醒) and their
chart data."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from db.connection import get_db
from sgld.reminders import Reminder, collect
from sgld.security import Actor, require


def collect_parallel(actor: Actor) -> list[Reminder]:
    """:func:`sgld.reminders.collect`, with the feature modules' ``reminders``
    run at once on their own cursors (same functions, same order)."""
    from sgld.services.registry import REMINDERS

    if get_db().in_transaction:
        return collect(actor)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [pool.submit(fn, actor) for fn in REMINDERS]
        return [r for job in results for r in job.result()]


@dataclass
class WorkView:
    reminders: list[Reminder]
    chart: pd.DataFrame  # 提醒类型, 分布, 数量
    total: int
    overdue: int


def work_view(actor: Actor) -> WorkView:
    """The actor's own reminders (each feature's ``reminders``) and the chart
    data by type and age (``Reminder.ages``, else overdue / not overdue)."""
    require(actor, "admin", "leader", "approver", "supervisor", "liaison", action="查看处理提醒")
    items = collect_parallel(actor)
    rows = []
    for r in items:
        if not r.count:
            continue
        if r.ages:
            for bucket, n in r.ages.items():
                if n:
                    rows.append({"提醒类型": r.label, "分布": str(bucket), "数量": int(n)})
        else:
            if r.overdue:
                rows.append({"提醒类型": r.label, "分布": "已超时/紧急", "数量": int(r.overdue)})
            if r.count - r.overdue:
                rows.append({"提醒类型": r.label, "分布": "未超时", "数量": int(r.count - r.overdue)})
    chart = pd.DataFrame(rows, columns=["提醒类型", "分布", "数量"])
    return WorkView(items, chart, sum(r.count for r in items), sum(r.overdue for r in items))
