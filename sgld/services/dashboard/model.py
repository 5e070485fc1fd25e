"""The dashboard's filters and results: the period, department and category
asked for (:class:`Filters`), and what comes back (:class:`Dashboard` of
:class:`Headline` numbers and :class:`Figure` tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

from db.connection import get_db
from sgld import clock, policy
from sgld.errors import ValidationError
from sgld.security import Actor, require
from sgld.workdays import shift_months

VIEWERS = ("admin", "leader", "approver", "supervisor")
PERIODS = ("近30天", "本月", "本季度", "本年", "近12个月", "自定义")
NO_CATEGORY = "（不按事项分类统计）"


# -- filters ------------------------------------------------------------------
# what a preset is compared with: a "to date" period with the same days of the
# month / quarter / year before; any other period with the one of the same
# length just before it (上期)
BASIS = ("上期", "上月同期", "上季度同期", "去年同期")
PRESET_BASIS = {"本月": "上月同期", "本季度": "上季度同期", "本年": "去年同期"}
_BASIS_MONTHS = {"上月同期": 1, "上季度同期": 3, "去年同期": 12}


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    department_id: int | None = None
    category: str | None = None
    basis: str = "上期"  # see BASIS

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def previous(self) -> tuple[date, date]:
        """The comparison period: the same days of the month / quarter / year
        before (``basis``), or the period of the same length just before."""
        months = _BASIS_MONTHS.get(self.basis)
        if months:
            return (shift_months(self.date_from, -months), shift_months(self.date_to, -months))
        end = self.date_from - timedelta(days=1)
        return end - timedelta(days=self.days - 1), end

    @property
    def contiguous(self) -> bool:
        """Whether the comparison period ends the day before this one starts."""
        return self.previous[1] + timedelta(days=1) == self.date_from


def period_range(preset: str, today: date | None = None) -> tuple[date, date]:
    """Dates of a period preset (ending today)."""
    today = today or clock.today()
    if preset == "近30天":
        return today - timedelta(days=29), today
    if preset == "本月":
        return today.replace(day=1), today
    if preset == "本季度":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "本年":
        return date(today.year, 1, 1), today
    if preset == "近12个月":  # the twelve months ending today (not the calendar months)
        return shift_months(today, -12) + timedelta(days=1), today
    raise ValidationError(f"统计期间“{preset}”无效。")


def make_filters(date_from, date_to, department_id=None, category=None, preset: str | None = None) -> Filters:
    """Checked filters; ``preset`` (a name of PERIODS) chooses the comparison
    period (PRESET_BASIS), a custom period is compared with the one before."""
    if not isinstance(date_from, date) or not isinstance(date_to, date):
        raise ValidationError("请选择统计期间的起止日期。")
    if isinstance(date_from, datetime):
        date_from = date_from.date()
    if isinstance(date_to, datetime):
        date_to = date_to.date()
    if date_from > date_to:
        raise ValidationError("统计期间的起始日期不能晚于结束日期。")
    if (date_to - date_from).days > 366 * 5:
        raise ValidationError("统计期间不能超过 5 年。")
    return Filters(
        date_from,
        date_to,
        int(department_id) if department_id else None,
        category or None,
        PRESET_BASIS.get(preset, "上期"),
    )


def scope_department(actor: Actor, department_id: int | None) -> int | None:
    """The department the figures are restricted to (None: the whole city)."""
    require(actor, *VIEWERS, action="查看统计")
    return policy.scope_department(actor, department_id)


def filter_options(actor: Actor) -> dict:
    """Departments and categories for the filters (a supervisor: their own only)."""
    require(actor, *VIEWERS, action="查看统计")
    db = get_db()
    depts = db.dicts(
        "SELECT id, name FROM department WHERE active AND kind IN ('supervision', 'licensing') ORDER BY kind DESC, id"
    )
    locked = not policy.sees_all_departments(actor)
    if locked:
        depts = [{"id": actor.department_id, "name": actor.department_name}]
    cats = [r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")]
    return {"departments": depts, "categories": cats, "periods": list(PERIODS), "locked_department": locked}


# -- results ---------------------------------------------------------------------
@dataclass
class Figure:
    key: str
    title: str
    frame: pd.DataFrame
    chart: dict | None = None  # {"kind": "bar"|"line"|"pie", "x", "y", "color", ...}
    note: str | None = None  # shown under the title (e.g. what a rate means)
    empty: str | None = None  # "暂无数据…" when the figure cannot be shown


@dataclass
class Headline:
    label: str
    value: float | int | None
    previous: float | int | None
    unit: str = ""
    better: str = "up"  # "up": more is better; "down": less is better
    fmt: str = "int"  # int | pct | float

    @property
    def delta(self):
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class Dashboard:
    filters: Filters
    scope: str
    previous: tuple[date, date]
    headline: list[Headline] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    computed_at: datetime | None = None

    def figure(self, key: str) -> Figure:
        return next(x for x in self.figures if x.key == key)
