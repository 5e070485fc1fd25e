"""Working days with the official Chinese holiday calendar.

The ``chinese-calendar`` package knows the years whose arrangement the State
Council has published (1.11: up to 2026) and raises for later dates.  The
admin-maintained ``calendar_day`` table (holidays and adjusted working days,
调休) overrides the package; dates neither knows fall back to Monday–Friday
and are reported by :func:`fallback_years` so the UI can say so.  No date
ever raises.
"""

from __future__ import annotations

import calendar
import threading
from datetime import date, datetime, timedelta

import chinese_calendar
import pandas as pd

from db.connection import get_db
from sgld import audit, clock
from sgld.errors import ValidationError
from sgld.security import Actor, require

# the calendar's overrides, reloaded when another database is opened (audit
# generation) or the admin changed a day here (set_day / remove_day call
# invalidate): not after every write, which cost every push a read of the
# table (a few hundred rows); only this module writes calendar_day
_cache: dict = {"version": None, "days": {}}
_lock = threading.Lock()
_changes = 0


def _overrides() -> dict[date, bool]:
    with _lock:
        # read before loading: a change meanwhile reloads; on PostgreSQL another
        # process may have changed the calendar: also after any write there
        version = (audit.generation(), _changes, audit.shared_data_version())
        if _cache["version"] != version:
            _cache["days"] = dict(get_db().all("SELECT day, is_workday FROM calendar_day"))
            _cache["version"] = version
        return _cache["days"]


def invalidate() -> None:
    global _changes
    with _lock:
        _changes += 1
        _cache["version"] = None


def package_knows(d: date) -> bool:
    try:
        chinese_calendar.is_workday(d)
        return True
    except NotImplementedError:
        return False


def is_workday(d: date) -> bool:
    if isinstance(d, datetime):
        d = d.date()
    override = _overrides().get(d)
    if override is not None:
        return override
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def add_workdays(start: date | datetime, n: int) -> date:
    """The date ``n`` working days after ``start`` (the start day itself is
    not counted: a push on Friday with limit 1 is due the next working day)."""
    d = start.date() if isinstance(start, datetime) else start
    left = n
    while left > 0:
        d += timedelta(days=1)
        if is_workday(d):
            left -= 1
    return d


def workdays_between(start: date | datetime, end: date | datetime) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    a = start.date() if isinstance(start, datetime) else start
    b = end.date() if isinstance(end, datetime) else end
    n = 0
    d = a
    while d < b:
        d += timedelta(days=1)
        if is_workday(d):
            n += 1
    return n


def shift_months(d: date, months: int) -> date:
    """``d`` moved by whole months, the day kept (clamped to the month's end:
    2024-02-29 a year back is 2023-02-28)."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


# -- the working-day calendar as a table (the statistics join it) ----------------
_cal_lock = threading.Lock()
_cal_cache: dict = {}


def calendar_span(first: date, last: date, today: date) -> tuple[date, date]:
    """First and last day of the calendar that figures over ``first`` ..
    ``last`` join (:func:`calendar_frame` of the same dates): whole years
    covering those days and today."""
    return date(min(first, today).year, 1, 1), date(max(today, last).year, 12, 31)


def calendar_frame(first: date, last: date) -> pd.DataFrame:
    """day, wd_no: wd_no counts the working days up to and including ``day``,
    so the working days after ``a`` up to ``b`` are ``wd_no(b) - wd_no(a)``
    (= :func:`workdays_between`).  Whole years, kept while the admin's
    calendar overrides stay the same."""
    y0, y1 = first.year, last.year
    overrides = _overrides()
    with _cal_lock:
        hit = _cal_cache.get((y0, y1))
        if hit and hit[0] == overrides:
            return hit[1]
    days = pd.date_range(date(y0, 1, 1), date(y1, 12, 31), freq="D")
    # the same rule as is_workday, vectorised: the admin's overrides, else
    # the official calendar, else Monday–Friday
    flags = pd.Series(days.day_of_week < 5, index=days.date)
    for known, value in ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True)):
        hits = [d for d in known if date(y0, 1, 1) <= d <= date(y1, 12, 31)]
        flags.loc[hits] = value
    for d, value in overrides.items():
        if d in flags.index:
            flags.loc[d] = bool(value)
    frame = pd.DataFrame({"day": days.date, "wd_no": flags.cumsum().to_numpy().astype("int64")})
    with _cal_lock:
        _cal_cache[(y0, y1)] = (dict(overrides), frame)
    return frame


def fallback_years(years) -> list[int]:
    """Years for which neither the package nor the admin calendar has data."""
    known_admin = {d.year for d in _overrides()}
    return sorted(y for y in set(years) if not package_knows(date(y, 6, 1)) and y not in known_admin)


def set_day(actor: Actor, day: date, is_workday_: bool, note: str | None = None) -> None:
    require(actor, "admin", action="维护节假日")
    if not isinstance(day, date):
        raise ValidationError("日期无效。")

    def tx(cur):
        before = cur.execute("SELECT is_workday, note FROM calendar_day WHERE day = ?", [day]).fetchone()
        cur.execute(
            "INSERT INTO calendar_day (day, is_workday, note, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (day) DO UPDATE SET"
            " is_workday = excluded.is_workday, note = excluded.note,"
            " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            [day, is_workday_, note, actor.username, clock.now()],
        )
        audit.record(
            cur,
            actor,
            "set_calendar_day",
            "calendar_day",
            day.isoformat(),
            before=None if before is None else {"is_workday": before[0], "note": before[1]},
            after={"is_workday": is_workday_, "note": note},
        )

    get_db().write(tx)
    invalidate()


def remove_day(actor: Actor, day: date) -> None:
    require(actor, "admin", action="维护节假日")

    def tx(cur):
        before = cur.execute("SELECT is_workday, note FROM calendar_day WHERE day = ?", [day]).fetchone()
        if before is None:
            raise ValidationError(f"{day.isoformat()} 没有自定义设置。")
        cur.execute("DELETE FROM calendar_day WHERE day = ?", [day])
        audit.record(
            cur,
            actor,
            "remove_calendar_day",
            "calendar_day",
            day.isoformat(),
            before={"is_workday": before[0], "note": before[1]},
        )

    get_db().write(tx)
    invalidate()


def list_days(actor: Actor) -> list[dict]:
    require(actor, "admin", action="查看节假日设置")
    return get_db().dicts("SELECT day, is_workday, note, updated_by, updated_at FROM calendar_day ORDER BY day")
