"""Processing reminders (处理提醒).

A service module may define ``reminders(actor) -> list[Reminder]`` giving
the actor's own open work, listed in ``sgld.services.registry.REMINDERS``;
:func:`collect` gathers them for the landing page and the sidebar counts.  A reminder's ``count`` must equal what the linked
page shows for the same list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sgld.security import Actor


@dataclass(frozen=True)
class Reminder:
    kind: str  # stable id, e.g. "push_to_sign"
    label: str  # Chinese, e.g. "待签收推送"
    count: int
    page: str  # key in sgld.security.PAGES
    overdue: int = 0  # how many of them are past their time limit
    ages: dict = field(default_factory=dict, compare=False)  # age bucket -> count (chart)


def collect(actor: Actor) -> list[Reminder]:
    # imported here: the registry imports the feature services, which import Reminder
    from sgld.services.registry import REMINDERS

    out: list[Reminder] = []
    for fn in REMINDERS:
        out.extend(fn(actor))
    return out


def counts_by_page(actor: Actor) -> dict[str, int]:
    totals: dict[str, int] = {}
    for r in collect(actor):
        totals[r.page] = totals.get(r.page, 0) + r.count
    return totals
