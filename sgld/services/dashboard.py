"""首页驾驶舱: classification statistics (分类统计) for leaders and the work view
of processing reminders (处理提醒).

**Leader figures** (:func:`leader_figures`): for a period, an optional
department and an optional item category, every figure of issue 9 — cases
recorded and concluded by category and month; pushes by department with the
on-time sign-off rate, the average sign-off time in working days and the
overdue pushes (a ranking); claims; inspections by result and department;
penalties by category with amounts and how many concern enterprises holding
a licence of the bureau; special reviews by scope and outcome; liaison
letters answered on time and reviews attended; revocation requests and the
warning list once their tables exist — plus headline numbers compared with
the previous period of the same length.

Each figure is plain SQL over the feature tables, built by
:func:`build_queries` for a *dialect* (``duckdb`` for the app, ``sqlite``
for the side-by-side benchmark in ``bench/bench_dashboard.py``), run by
:func:`run_queries`, and shaped by :func:`assemble` (pandas, no SQL).  A
figure is a :class:`Figure`: a title, a DataFrame with Chinese headers and a
chart description (no plotting library here); the page draws it.

**Data scope.**  ``leader`` and ``admin`` see the whole city and may filter
by department; an ``approver`` sees the bureau's (city-wide) figures; a
``supervisor`` sees their own department's figures only, whatever
department is asked for; a ``liaison`` (only) has no statistics.  The
department filter follows the feature services' scope rules: cases pushed
to or opened for claim by the department, its pushes, claims, inspections,
liaison letters, the special reviews it takes part in, and the penalties of
the enterprises it supervises or has inspected (``profile.scope_sql``).

The **category** filter (事项分类) applies to what hangs off an item: cases,
pushes, claims, revocation requests (via the licence's item).  Inspections,
penalties, special reviews, liaison letters and the warning list are not
classified by item; their figures say so.
"""
from __future__ import annotations

import importlib
import pkgutil
import threading
import time as _time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar
import pandas as pd

from db.connection import get_db
from sgld import clock, workdays
from sgld.errors import PermissionDenied, ValidationError
from sgld.reminders import Reminder, collect
from sgld.security import Actor, require

VIEWERS = ("admin", "leader", "approver", "supervisor")
PERIODS = ("近30天", "本月", "本季度", "本年", "近12个月", "自定义")
NO_CATEGORY = "（不按事项分类统计）"


# -- filters ------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    department_id: int | None = None
    category: str | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def previous(self) -> tuple[date, date]:
        """The period of the same length just before this one."""
        end = self.date_from - timedelta(days=1)
        return end - timedelta(days=self.days - 1), end


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
    if preset == "近12个月":
        y, m = today.year, today.month - 11
        if m <= 0:
            y, m = y - 1, m + 12
        return date(y, m, 1), today
    raise ValidationError(f"统计期间“{preset}”无效。")


def make_filters(date_from, date_to, department_id=None, category=None) -> Filters:
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
    return Filters(date_from, date_to, int(department_id) if department_id else None,
                   category or None)


def scope_department(actor: Actor, department_id: int | None) -> int | None:
    """The department the figures are restricted to (None: the whole city)."""
    require(actor, *VIEWERS, action="查看统计")
    if actor.sees_everything or actor.has("approver"):
        return department_id
    return actor.department_id


def filter_options(actor: Actor) -> dict:
    """Departments and categories for the filters (a supervisor: their own only)."""
    require(actor, *VIEWERS, action="查看统计")
    db = get_db()
    depts = db.dicts("SELECT id, name FROM department WHERE active AND kind IN"
                     " ('supervision', 'licensing') ORDER BY kind DESC, id")
    if not (actor.sees_everything or actor.has("approver")):
        depts = [{"id": actor.department_id, "name": actor.department_name}]
    cats = [r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")]
    return {"departments": depts, "categories": cats, "periods": list(PERIODS),
            "locked_department": not (actor.sees_everything or actor.has("approver"))}


# -- the working-day calendar as a table ---------------------------------------
_cal_lock = threading.Lock()
_cal_cache: dict = {}
CAL_SECONDS = 60


def calendar_frame(first: date, last: date) -> pd.DataFrame:
    """day, wd_no: wd_no counts the working days up to and including ``day``,
    so the working days after ``a`` up to ``b`` are ``wd_no(b) - wd_no(a)``
    (= :func:`sgld.workdays.workdays_between`).  Whole years, cached 60 s."""
    y0, y1 = first.year, last.year
    with _cal_lock:
        hit = _cal_cache.get((y0, y1))
        if hit and _time.monotonic() - hit[0] < CAL_SECONDS:
            return hit[1]
    days = pd.date_range(date(y0, 1, 1), date(y1, 12, 31), freq="D")
    # the same rule as sgld.workdays.is_workday, vectorised: the admin's
    # overrides, else the official calendar, else Monday–Friday
    flags = pd.Series(days.day_of_week < 5, index=days.date)
    for known, value in ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True)):
        hits = [d for d in known if date(y0, 1, 1) <= d <= date(y1, 12, 31)]
        flags.loc[hits] = value
    for d, value in workdays._overrides().items():
        if d in flags.index:
            flags.loc[d] = bool(value)
    frame = pd.DataFrame({"day": days.date, "wd_no": flags.cumsum().to_numpy().astype("int64")})
    with _cal_lock:
        _cal_cache[(y0, y1)] = (_time.monotonic(), frame)
    return frame


# -- query building -----------------------------------------------------------
DIALECTS = ("duckdb", "sqlite")


def _month(col: str, dialect: str) -> str:
    # date_trunc is several times cheaper than formatting a string per row;
    # the shaping turns months into "YYYY-MM"
    return f"date_trunc('month', {col})" if dialect == "duckdb" else f"strftime('%Y-%m', {col})"


def _month_text(values: pd.Series) -> pd.Series:
    if values.dtype == object and all(isinstance(v, str) or v is None for v in values):
        return values
    return pd.to_datetime(values).dt.strftime("%Y-%m")


def _day(col: str, dialect: str) -> str:
    return f"CAST({col} AS DATE)" if dialect == "duckdb" else f"date({col})"


def _ts(d: date) -> datetime:
    return datetime.combine(d, time.min)


def existing_tables(cur) -> set[str]:
    return {r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}


def build_queries(f: Filters, dept: int | None, today: date, tables: set[str],
                  dialect: str = "duckdb") -> dict[str, tuple[str, list]]:
    """name -> (sql, params) of every leader figure.  Each query covers the
    period and the previous one (column ``cur`` = 1 for the period)."""
    if dialect not in DIALECTS:
        raise ValueError(dialect)
    p0, _ = f.previous
    a, b = _ts(f.date_from), _ts(f.date_to + timedelta(days=1))  # [a, b)
    pa = _ts(p0)
    da, db_, dp = f.date_from, f.date_to, p0
    cat = f.category
    q: dict[str, tuple[str, list]] = {}

    def cur_flag(col: str, is_date: bool = False) -> tuple[str, list]:
        return (f"CASE WHEN {col} >= ? THEN 1 ELSE 0 END", [da if is_date else a])

    def in_range(col: str, is_date: bool = False) -> tuple[str, list]:
        if is_date:
            return f"{col} >= ? AND {col} <= ?", [dp, db_]
        return f"{col} >= ? AND {col} < ?", [pa, b]

    # cases: recorded (created_at) and concluded (stage 办结, decided_on)
    if {"approval_case", "push", "claim"} <= tables:
        where, params = [], []
        if dept:
            where.append("c.id IN (SELECT case_id FROM push WHERE department_id = ?"
                         " UNION ALL SELECT case_id FROM claim WHERE department_id = ?)")
            params += [dept, dept]
        if cat:
            where.append("c.item_id IN (SELECT id FROM item WHERE category = ?)")
            params.append(cat)
        extra = "".join(" AND " + w for w in where)
        r1, p1 = in_range("c.created_at")
        r2, p2 = in_range("c.decided_on", True)
        # one scan: each case counts as recorded and/or concluded in the window
        sql = (
            "SELECT i.category AS category, x.m_rec, x.cur_rec, x.m_done, x.cur_done, x.n FROM ("
            f" SELECT c.item_id, CASE WHEN {r1} THEN {_month('c.created_at', dialect)} END AS m_rec,"
            " CASE WHEN c.created_at >= ? THEN 1 ELSE 0 END AS cur_rec,"
            f" CASE WHEN c.stage = '办结' AND {r2} THEN {_month('c.decided_on', dialect)} END AS m_done,"
            " CASE WHEN c.decided_on >= ? THEN 1 ELSE 0 END AS cur_done, count(*) AS n"
            f" FROM approval_case c WHERE (({r1}) OR (c.stage = '办结' AND {r2})){extra}"
            " GROUP BY 1, 2, 3, 4, 5) x JOIN item i ON i.id = x.item_id")
        q["cases"] = (sql, p1 + [a] + p2 + [da] + p1 + p2 + params)

    # pushes by department (pushed in the period)
    if {"push", "approval_case"} <= tables:
        where, params = [], []
        if dept:
            where.append("p.department_id = ?")
            params.append(dept)
        if cat:
            where.append("p.case_id IN (SELECT id FROM approval_case WHERE item_id IN"
                         " (SELECT id FROM item WHERE category = ?))")
            params.append(cat)
        extra = "".join(" AND " + w for w in where)
        r, rp = in_range("p.pushed_at")
        c, cp = cur_flag("p.pushed_at")
        signed_day = _day("p.signed_at", dialect)
        sql = (
            f"SELECT p.department_id AS department_id, {c} AS cur, count(*) AS pushes,"
            " count(*) FILTER (WHERE p.status = '已签收') AS signed,"
            f" count(*) FILTER (WHERE p.status = '已签收' AND {signed_day} <= p.due_on) AS on_time,"
            f" count(*) FILTER (WHERE p.status = '已签收' AND {signed_day} > p.due_on) AS late,"
            " count(*) FILTER (WHERE p.status = '待签收' AND p.due_on < ?) AS overdue,"
            " count(*) FILTER (WHERE p.status = '待签收' AND p.due_on >= ?) AS open,"
            " sum(k2.wd_no - k1.wd_no) FILTER (WHERE p.status = '已签收') AS sign_wd"
            " FROM push p"
            f" LEFT JOIN sgld_cal k1 ON k1.day = {_day('p.pushed_at', dialect)}"
            f" LEFT JOIN sgld_cal k2 ON k2.day = {signed_day}"
            f" WHERE {r}{extra} GROUP BY 1, 2")
        q["pushes"] = (sql, cp + [today, today] + rp + params)

    # claims by department (opened for claim in the period)
    if {"claim", "approval_case"} <= tables:
        where, params = [], []
        if dept:
            where.append("k.department_id = ?")
            params.append(dept)
        if cat:
            where.append("k.case_id IN (SELECT id FROM approval_case WHERE item_id IN"
                         " (SELECT id FROM item WHERE category = ?))")
            params.append(cat)
        extra = "".join(" AND " + w for w in where)
        r, rp = in_range("k.available_at")
        c, cp = cur_flag("k.available_at")
        sql = (
            f"SELECT k.department_id AS department_id, {c} AS cur, count(*) AS opened,"
            " count(*) FILTER (WHERE k.status = '已领取') AS claimed,"
            " count(*) FILTER (WHERE k.status = '待领取') AS waiting,"
            " sum(k2.wd_no - k1.wd_no) FILTER (WHERE k.status = '已领取') AS claim_wd"
            " FROM claim k"
            f" LEFT JOIN sgld_cal k1 ON k1.day = {_day('k.available_at', dialect)}"
            f" LEFT JOIN sgld_cal k2 ON k2.day = {_day('k.claimed_at', dialect)}"
            f" WHERE {r}{extra} GROUP BY 1, 2")
        q["claims"] = (sql, cp + rp + params)

    # inspections by department and result
    if "inspection" in tables:
        extra, params = "", []
        if dept:
            extra, params = " AND n.department_id = ?", [dept]
        r, rp = in_range("n.inspected_at")
        c, cp = cur_flag("n.inspected_at")
        sql = (f"SELECT n.department_id AS department_id, n.result AS result, {c} AS cur,"
               f" count(*) AS n FROM inspection n WHERE {r}{extra}"
               " GROUP BY 1, 2, 3")
        q["inspections"] = (sql, cp + rp + params)

    # penalties by category, amounts, and those of enterprises licensed by the bureau
    if "penalty" in tables:
        extra, params = "", []
        if dept:
            from sgld.services.profile import scope_sql
            scope, sp = scope_sql(dept)
            extra, params = f" AND p.enterprise_id IN ({scope})", sp
        lic = ""
        if "licence" in tables:
            lic = ("p.enterprise_id IN (SELECT l.enterprise_id FROM licence l JOIN item i"
                   " ON i.id = l.item_id WHERE i.centralised)")
        r, rp = in_range("p.decision_date", True)
        c, cp = cur_flag("p.decision_date", True)
        licensed = f"count(*) FILTER (WHERE {lic})" if lic else "0"
        sql = (f"SELECT coalesce(p.category, '（未分类）') AS category, {c} AS cur,"
               " count(*) AS n, sum(coalesce(p.fine_wan, 0)) AS fine,"
               " sum(coalesce(p.confiscation_wan, 0)) AS confiscation,"
               f" {licensed} AS licensed FROM penalty p WHERE {r}{extra}"
               " GROUP BY 1, 2")
        q["penalties"] = (sql, cp + rp + params)

    # special reviews by scope and outcome (meeting date in the period)
    if {"special_review", "special_review_department"} <= tables:
        extra, params = "", []
        if dept:
            extra = (" AND EXISTS (SELECT 1 FROM special_review_department x"
                     " WHERE x.review_id = r.id AND x.department_id = ?)")
            params = [dept]
        r, rp = in_range("r.meeting_at")
        c, cp = cur_flag("r.meeting_at")
        outcome = ("CASE WHEN r.outcome = '达成一致' THEN '达成一致'"
                   " WHEN r.outcome = '报市政府决定' THEN '报市政府决定'"
                   " WHEN r.status = '已撤回' THEN '已撤回' ELSE '进行中' END")
        if dialect == "duckdb":
            src = f"(SELECT unnest(r.scopes) AS scope, {outcome} AS outcome, {c} AS cur," \
                  f" r.id AS id FROM special_review r WHERE {r}{extra})"
        else:
            src = f"(SELECT j.value AS scope, {outcome} AS outcome, {c} AS cur, r.id AS id" \
                  f" FROM special_review r, json_each(r.scopes) j WHERE {r}{extra})"
        sql = (f"SELECT s.scope AS scope, s.outcome AS outcome, s.cur AS cur, count(*) AS n"
               f" FROM {src} s GROUP BY s.scope, s.outcome, s.cur")
        q["reviews"] = (sql, cp + rp + params)
        sql = (f"SELECT {c} AS cur, count(*) AS n FROM special_review r WHERE {r}{extra}"
               " GROUP BY 1")
        q["reviews_total"] = (sql, cp + rp + params)

    # liaison letters by department (review date in the period)
    if {"liaison_request", "liaison_review"} <= tables:
        extra, params = "", []
        if dept:
            extra, params = " AND q.department_id = ?", [dept]
        r, rp = in_range("v.review_date", True)
        c, cp = cur_flag("v.review_date", True)
        sql = (f"SELECT q.department_id AS department_id, {c} AS cur,"
               " count(*) AS letters,"
               f" count(*) FILTER (WHERE q.dispatched_at IS NOT NULL"
               f"   AND {_day('q.dispatched_at', dialect)} < v.review_date) AS on_time,"
               " count(*) FILTER (WHERE q.status = '已派员') AS dispatched,"
               " count(*) FILTER (WHERE q.status = '待派员' AND v.review_date < ?) AS unanswered,"
               " count(*) FILTER (WHERE q.status = '已派员' AND q.attended) AS attended,"
               " count(*) FILTER (WHERE q.status = '已派员' AND q.recorded_at IS NOT NULL"
               "   AND NOT q.attended) AS absent"
               " FROM liaison_request q JOIN liaison_review v ON v.id = q.review_id"
               f" WHERE q.status <> '已撤回' AND {r}{extra} GROUP BY 1, 2")
        q["liaison"] = (sql, cp + [today] + rp + params)

    q.update(_revocation_queries(f, dept, today, tables, dialect))
    return q


def _revocation_queries(f: Filters, dept: int | None, today: date, tables: set[str],
                        dialect: str) -> dict[str, tuple[str, list]]:
    """Revocation requests and the warning list (issue 5), when their tables exist."""
    q: dict[str, tuple[str, list]] = {}
    p0, _ = f.previous
    a, b, pa = _ts(f.date_from), _ts(f.date_to + timedelta(days=1)), _ts(p0)
    if "revocation_request" in tables:
        where, params = [], []
        if dept:
            where.append("r.department_id = ?")
            params.append(dept)
        if f.category:
            where.append("r.category = ?")
            params.append(f.category)
        extra = "".join(" AND " + w for w in where)
        decided_day = _day("r.decided_at", dialect)
        sql = (
            "SELECT r.requested_action AS action, r.status AS status,"
            " CASE WHEN r.filed_at >= ? THEN 1 ELSE 0 END AS cur, count(*) AS n,"
            " count(r.decided_at) AS decided,"
            " sum(k2.wd_no - k1.wd_no) FILTER (WHERE r.decided_at IS NOT NULL) AS decide_wd,"
            f" count(*) FILTER (WHERE r.decided_at IS NOT NULL AND {decided_day} > r.deadline)"
            " AS late,"
            " count(*) FILTER (WHERE r.status IN ('已提交', '核实中') AND r.deadline < ?) AS overdue"
            " FROM revocation_request r"
            f" LEFT JOIN sgld_cal k1 ON k1.day = {_day('r.filed_at', dialect)}"
            f" LEFT JOIN sgld_cal k2 ON k2.day = {decided_day}"
            f" WHERE r.filed_at >= ? AND r.filed_at < ?{extra} GROUP BY 1, 2, 3")
        q["revocations"] = (sql, [a, today, pa, b] + params)
    if "warning_entry" in tables:
        extra, params = "", []
        if dept:
            from sgld.services.profile import scope_sql
            scope, sp = scope_sql(dept)
            extra, params = f" AND w.enterprise_id IN ({scope})", sp
        sql = (
            "SELECT x.month AS month, sum(x.listed) AS listed, sum(x.lifted) AS lifted FROM ("
            f" SELECT {_month('w.listed_at', dialect)} AS month, 1 AS listed, 0 AS lifted"
            f" FROM warning_entry w WHERE w.listed_at >= ? AND w.listed_at < ?{extra}"
            " UNION ALL"
            f" SELECT {_month('w.lifted_at', dialect)} AS month, 0 AS listed, 1 AS lifted"
            f" FROM warning_entry w WHERE w.lifted_at >= ? AND w.lifted_at < ?{extra}"
            ") x GROUP BY 1")
        q["warning"] = (sql, [pa, b] + params + [pa, b] + params)
        sql = ("SELECT count(*) AS n FROM warning_entry w WHERE w.listed_at < ?"
               f" AND (w.lifted_at IS NULL OR w.lifted_at >= ?){extra}")
        q["warning_base"] = (sql, [pa, pa] + params)
    return q


def run_queries(cur, queries: dict[str, tuple[str, list]]) -> dict[str, pd.DataFrame]:
    """Run every query on one cursor (DuckDB cursor or sqlite3 connection)."""
    out = {}
    for name, (sql, params) in queries.items():
        c = cur.execute(sql, params)
        cols = [d[0] for d in c.description]
        # the results are small (grouped): rows are cheaper than a columnar fetch
        out[name] = pd.DataFrame(c.fetchall(), columns=cols)
    return out


def _run_one(db, name: str, sql: str, params: list, cal: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    with db.cursor() as cur:
        cur.register("sgld_cal", cal)
        try:
            return name, run_queries(cur, {name: (sql, params)})[name]
        finally:
            cur.unregister("sgld_cal")


def run_parallel(db, queries: dict[str, tuple[str, list]], cal: pd.DataFrame,
                 workers: int = 4) -> dict[str, pd.DataFrame]:
    """The figures' queries on several cursors at once: DuckDB runs them in
    parallel (it releases the GIL), so the page waits for the slowest query
    rather than for the sum of all of them."""
    if db.in_transaction:  # inside a write: the transaction's cursor only
        with db.cursor() as cur:
            cur.register("sgld_cal", cal)
            return run_queries(cur, queries)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = [pool.submit(_run_one, db, n, sql, p, cal) for n, (sql, p) in queries.items()]
        return dict(j.result() for j in jobs)


# -- shaping the figures --------------------------------------------------------
@dataclass
class Figure:
    key: str
    title: str
    frame: pd.DataFrame
    chart: dict | None = None      # {"kind": "bar"|"line"|"pie", "x", "y", "color", ...}
    note: str | None = None        # shown under the title (e.g. what a rate means)
    empty: str | None = None       # "暂无数据…" when the figure cannot be shown


@dataclass
class Headline:
    label: str
    value: float | int | None
    previous: float | int | None
    unit: str = ""
    better: str = "up"             # "up": more is better; "down": less is better
    fmt: str = "int"               # int | pct | float

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


def _dept_names() -> dict[int, str]:
    return dict(get_db().all("SELECT id, name FROM department"))


def _rate(num, den) -> float | None:
    return round(num / den * 100, 1) if den else None


def _sum(frame: pd.DataFrame, col: str, cur: int) -> float:
    if frame is None or not len(frame):
        return 0
    v = pd.to_numeric(frame.loc[frame["cur"] == cur, col], errors="coerce").fillna(0).sum()
    return float(v)


def _na(title: str, key: str, why: str) -> Figure:
    return Figure(key, title, pd.DataFrame(), empty=f"暂无数据：{why}")


def assemble(f: Filters, raw: dict[str, pd.DataFrame], names: dict[int, str],
             scope_label: str, categories: list[str] | None = None) -> Dashboard:
    """Turn the query results into the headline numbers and the figures."""
    dash = Dashboard(filters=f, scope=scope_label, previous=f.previous, computed_at=clock.now())
    H = dash.headline
    figs = dash.figures
    no_cat = "（不按事项分类统计）" if f.category else None
    for frame in raw.values():
        if "cur" in frame.columns:
            frame["cur"] = pd.to_numeric(frame["cur"]).astype("int64")

    # cases
    cases = raw.get("cases")
    if cases is not None:
        cases = _cases_long(cases)
        for col in ("recorded", "concluded"):
            cases[col] = pd.to_numeric(cases[col]).fillna(0).astype("int64")
        H.append(Headline("录入办件", int(_sum(cases, "recorded", 1)), int(_sum(cases, "recorded", 0)), "件"))
        H.append(Headline("办结办件", int(_sum(cases, "concluded", 1)), int(_sum(cases, "concluded", 0)), "件"))
        cur = cases[cases["cur"] == 1]
        by_cat = (cur.groupby("category", as_index=False)[["recorded", "concluded"]].sum()
                  .rename(columns={"category": "事项分类", "recorded": "录入办件", "concluded": "办结办件"}))
        if categories:
            order = {c: i for i, c in enumerate(categories)}
            by_cat = by_cat.sort_values("事项分类", key=lambda s: s.map(order).fillna(999))
        by_cat = by_cat.reset_index(drop=True)
        figs.append(Figure("cases_by_category", "办件录入与办结（按事项分类）", by_cat,
                           {"kind": "bar", "x": "事项分类", "y": ["录入办件", "办结办件"],
                            "barmode": "group"},
                           note="录入办件按录入时间、办结办件按办结（决定）日期计入统计期间。"))
        by_month = (cur.groupby("month", as_index=False)[["recorded", "concluded"]].sum()
                    .sort_values("month").rename(columns={"month": "月份", "recorded": "录入办件",
                                                          "concluded": "办结办件"})
                    .reset_index(drop=True))
        figs.append(Figure("cases_by_month", "办件录入与办结（按月）", by_month,
                           {"kind": "line", "x": "月份", "y": ["录入办件", "办结办件"]}))
    else:
        figs.append(_na("办件录入与办结", "cases_by_category", "审批推送功能尚未上线"))

    # pushes
    pushes = raw.get("pushes")
    if pushes is not None:
        num = ["pushes", "signed", "on_time", "late", "overdue", "open", "sign_wd"]
        for col in num:
            pushes[col] = pd.to_numeric(pushes[col]).fillna(0)
        tot = {c: {k: _sum(pushes, k, c) for k in num} for c in (1, 0)}
        H.append(Headline("推送", int(tot[1]["pushes"]), int(tot[0]["pushes"]), "条"))
        H.append(Headline("按时签收率", _rate(tot[1]["on_time"], tot[1]["signed"] + tot[1]["overdue"]),
                          _rate(tot[0]["on_time"], tot[0]["signed"] + tot[0]["overdue"]), "%",
                          fmt="pct"))
        H.append(Headline("平均签收用时", round(tot[1]["sign_wd"] / tot[1]["signed"], 2)
                          if tot[1]["signed"] else None,
                          round(tot[0]["sign_wd"] / tot[0]["signed"], 2) if tot[0]["signed"] else None,
                          "个工作日", better="down", fmt="float"))
        H.append(Headline("逾期未签收", int(tot[1]["overdue"]), int(tot[0]["overdue"]), "条",
                          better="down"))
        cur = pushes[pushes["cur"] == 1].groupby("department_id", as_index=False)[num].sum()
        rows = []
        for r in cur.itertuples():
            due = r.signed + r.overdue
            rows.append({"部门": names.get(r.department_id, str(r.department_id)),
                         "推送数": int(r.pushes), "已签收": int(r.signed), "按时签收": int(r.on_time),
                         "逾期签收": int(r.late), "逾期未签收": int(r.overdue),
                         "待签收未超时": int(r.open),
                         "按时签收率(%)": _rate(r.on_time, due),
                         "平均签收用时(工作日)": round(r.sign_wd / r.signed, 2) if r.signed else None})
        rank = pd.DataFrame(rows, columns=["部门", "推送数", "已签收", "按时签收", "逾期签收", "逾期未签收",
                                           "待签收未超时", "按时签收率(%)", "平均签收用时(工作日)"])
        if len(rank):
            rank = rank.sort_values(["逾期未签收", "按时签收率(%)", "部门"],
                                    ascending=[False, True, True], na_position="last")
            rank.insert(0, "排名", range(1, len(rank) + 1))
        figs.append(Figure("push_ranking", "推送签收情况（按部门排名）", rank.reset_index(drop=True),
                           {"kind": "bar", "x": "部门", "y": ["按时签收", "逾期签收", "逾期未签收",
                                                            "待签收未超时"], "barmode": "stack"},
                           note="按统计期间内的推送计算；按时签收率 = 按时签收 ÷（已签收 + 逾期未签收）；"
                                "签收用时为推送日至签收日之间的工作日数。排名先看逾期未签收，再看按时签收率。"))
    else:
        figs.append(_na("推送签收情况", "push_ranking", "审批推送功能尚未上线"))

    # claims
    claims = raw.get("claims")
    if claims is not None:
        num = ["opened", "claimed", "waiting", "claim_wd"]
        for col in num:
            claims[col] = pd.to_numeric(claims[col]).fillna(0)
        H.append(Headline("领取审批结果", int(_sum(claims, "claimed", 1)), int(_sum(claims, "claimed", 0)), "件"))
        cur = claims[claims["cur"] == 1].groupby("department_id", as_index=False)[num].sum()
        frame = pd.DataFrame([{
            "部门": names.get(r.department_id, str(r.department_id)), "开放领取": int(r.opened),
            "已领取": int(r.claimed), "待领取": int(r.waiting),
            "领取率(%)": _rate(r.claimed, r.opened),
            "平均领取用时(工作日)": round(r.claim_wd / r.claimed, 2) if r.claimed else None}
            for r in cur.itertuples()],
            columns=["部门", "开放领取", "已领取", "待领取", "领取率(%)", "平均领取用时(工作日)"])
        figs.append(Figure("claims", "审批结果领取（其他许可部门）", frame,
                           {"kind": "bar", "x": "部门", "y": ["已领取", "待领取"], "barmode": "stack"}))

    # inspections
    ins = raw.get("inspections")
    if ins is not None:
        ins["n"] = pd.to_numeric(ins["n"]).fillna(0).astype("int64")
        H.append(Headline("日常检查", int(_sum(ins, "n", 1)), int(_sum(ins, "n", 0)), "次"))
        cur = ins[ins["cur"] == 1].copy()
        cur["部门"] = cur["department_id"].map(lambda d: names.get(d, str(d)))
        frame = cur.pivot_table(index="部门", columns="result", values="n", aggfunc="sum",
                                fill_value=0)
        order = _inspection_results()
        cols = [c for c in order if c in frame.columns] + [c for c in frame.columns if c not in order]
        frame = frame[cols] if len(cols) else frame
        frame.columns.name = None
        frame = frame.reset_index()
        if len(frame):
            frame["合计"] = frame[cols].sum(axis=1)
            frame = frame.sort_values("合计", ascending=False).reset_index(drop=True)
        figs.append(Figure("inspections", "日常检查（按部门和检查结果）", frame,
                           {"kind": "bar", "x": "部门", "y": cols, "barmode": "stack"},
                           note=no_cat))
    else:
        figs.append(_na("日常检查", "inspections", "监管录入功能尚未上线"))

    # penalties
    pen = raw.get("penalties")
    if pen is not None:
        for col in ("n", "fine", "confiscation", "licensed"):
            pen[col] = pd.to_numeric(pen[col]).fillna(0)
        H.append(Headline("行政处罚", int(_sum(pen, "n", 1)), int(_sum(pen, "n", 0)), "件"))
        H.append(Headline("罚没金额", round(_sum(pen, "fine", 1) + _sum(pen, "confiscation", 1), 2),
                          round(_sum(pen, "fine", 0) + _sum(pen, "confiscation", 0), 2), "万元",
                          fmt="float"))
        cur = pen[pen["cur"] == 1].sort_values("n", ascending=False)
        frame = pd.DataFrame({"处罚类别": cur["category"], "件数": cur["n"].astype("int64"),
                              "罚款金额(万元)": cur["fine"].astype(float).round(2),
                              "没收金额(万元)": cur["confiscation"].astype(float).round(2),
                              "涉及审批局发证企业": cur["licensed"].astype("int64")}).reset_index(drop=True)
        if len(frame):
            total = {"处罚类别": "合计", "件数": int(frame["件数"].sum()),
                     "罚款金额(万元)": round(float(frame["罚款金额(万元)"].sum()), 2),
                     "没收金额(万元)": round(float(frame["没收金额(万元)"].sum()), 2),
                     "涉及审批局发证企业": int(frame["涉及审批局发证企业"].sum())}
            chart_frame = frame.copy()
            frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        else:
            chart_frame = frame
        figs.append(Figure("penalties", "行政处罚（按处罚类别）", frame,
                           {"kind": "bar", "x": "处罚类别", "y": ["件数", "涉及审批局发证企业"],
                            "barmode": "group", "rows": len(chart_frame)},
                           note=("按处罚决定日期统计；“涉及审批局发证企业”为被处罚企业持有审批局"
                                 "（集中审批事项）核发证照的件数。" + (f" {no_cat}" if no_cat else ""))))
    else:
        figs.append(_na("行政处罚", "penalties", "处罚抽取功能尚未上线"))

    # revocation requests (issue 5)
    rev = raw.get("revocations")
    if rev is not None:
        figs.extend(_revocation_figures(rev, H))
    else:
        figs.append(_na("撤销申请（按处理结果和办理用时）", "revocations", "撤销申请功能尚未上线"))

    # special reviews
    rv = raw.get("reviews")
    if rv is not None:
        rv["n"] = pd.to_numeric(rv["n"]).fillna(0).astype("int64")
        H.append(Headline("专项审查", _review_count(raw, 1), _review_count(raw, 0), "件"))
        cur = rv[rv["cur"] == 1]
        outcomes = ["达成一致", "报市政府决定", "进行中", "已撤回"]
        frame = cur.pivot_table(index="scope", columns="outcome", values="n", aggfunc="sum",
                                fill_value=0)
        for o in outcomes:
            if o not in frame.columns:
                frame[o] = 0
        frame = frame[outcomes]
        frame.columns.name = None
        frame = frame.reset_index().rename(columns={"scope": "审查范围"})
        from sgld.services.special_review import SCOPES
        order = {s: i for i, s in enumerate(SCOPES)}
        frame = frame.sort_values("审查范围", key=lambda s: s.map(order).fillna(99)).reset_index(drop=True)
        if len(frame):
            frame.insert(1, "合计", frame[outcomes].sum(axis=1))
        figs.append(Figure("reviews", "专项审查（按审查范围和结论）", frame,
                           {"kind": "bar", "x": "审查范围", "y": outcomes, "barmode": "stack",
                            "orientation": "h"},
                           note="按会议时间统计；一项审查涉及多个范围时在每个范围各计一次。"
                                + (f" {no_cat}" if no_cat else "")))
    else:
        figs.append(_na("专项审查", "reviews", "专项审查功能尚未上线"))

    # liaison
    li = raw.get("liaison")
    if li is not None:
        num = ["letters", "on_time", "dispatched", "unanswered", "attended", "absent"]
        for col in num:
            li[col] = pd.to_numeric(li[col]).fillna(0)
        t = {c: {k: _sum(li, k, c) for k in num} for c in (1, 0)}
        H.append(Headline("按时派员率", _rate(t[1]["on_time"], t[1]["dispatched"] + t[1]["unanswered"]),
                          _rate(t[0]["on_time"], t[0]["dispatched"] + t[0]["unanswered"]), "%",
                          fmt="pct"))
        cur = li[li["cur"] == 1].groupby("department_id", as_index=False)[num].sum()
        frame = pd.DataFrame([{
            "部门": names.get(r.department_id, str(r.department_id)), "商请函": int(r.letters),
            "按时派员": int(r.on_time), "逾期未派员": int(r.unanswered),
            "按时派员率(%)": _rate(r.on_time, r.dispatched + r.unanswered),
            "参加审查": int(r.attended), "未参加": int(r.absent)} for r in cur.itertuples()],
            columns=["部门", "商请函", "按时派员", "逾期未派员", "按时派员率(%)", "参加审查", "未参加"])
        if len(frame):
            frame = frame.sort_values(["逾期未派员", "商请函"], ascending=[False, False]).reset_index(drop=True)
        figs.append(Figure("liaison", "联络员商请函答复与参加审查（按部门）", frame,
                           {"kind": "bar", "x": "部门", "y": ["按时派员", "逾期未派员", "参加审查"],
                            "barmode": "group"},
                           note="按审查日期统计（不含已撤回的函）；按时派员 = 审查日前一天及以前派出联络员；"
                                "按时派员率 = 按时派员 ÷（已派员 + 逾期未派员）。"
                                + (f" {no_cat}" if no_cat else "")))
    else:
        figs.append(_na("联络员", "liaison", "联络员功能尚未上线"))

    if raw.get("warning") is not None:
        figs.extend(_warning_figures(raw, f, H))
    else:
        figs.append(_na("警示名单（规模与变动）", "warning", "警示名单功能尚未上线"))
    return dash


def _cases_long(raw: pd.DataFrame) -> pd.DataFrame:
    """(category, m_rec, cur_rec, m_done, cur_done, n) -> (category, month, cur,
    recorded, concluded)."""
    cols = ["category", "month", "cur", "recorded", "concluded"]
    if not len(raw):
        return pd.DataFrame(columns=cols)
    raw = raw.copy()
    raw["n"] = pd.to_numeric(raw["n"]).fillna(0).astype("int64")
    rec = raw[raw["m_rec"].notna()]
    rec = pd.DataFrame({"category": rec["category"], "month": _month_text(rec["m_rec"]),
                        "cur": pd.to_numeric(rec["cur_rec"]).astype("int64"),
                        "recorded": rec["n"], "concluded": 0})
    done = raw[raw["m_done"].notna()]
    done = pd.DataFrame({"category": done["category"], "month": _month_text(done["m_done"]),
                         "cur": pd.to_numeric(done["cur_done"]).astype("int64"),
                         "recorded": 0, "concluded": done["n"]})
    both = pd.concat([rec, done], ignore_index=True)
    return both.groupby(["category", "month", "cur"], as_index=False)[["recorded", "concluded"]].sum()


def _review_count(raw: dict, cur: int) -> int:
    total = raw.get("reviews_total")
    if total is None or not len(total):
        return 0
    return int(pd.to_numeric(total.loc[total["cur"] == cur, "n"]).sum())


def _revocation_figures(rev: pd.DataFrame, H: list) -> list[Figure]:
    for col in ("n", "decided", "decide_wd", "late", "overdue"):
        rev[col] = pd.to_numeric(rev[col]).fillna(0)
    H.append(Headline("撤销申请", int(_sum(rev, "n", 1)), int(_sum(rev, "n", 0)), "件"))
    cur = rev[rev["cur"] == 1]
    statuses = ["已提交", "核实中", "已撤销", "不予撤销", "已撤回"]
    frame = cur.pivot_table(index="action", columns="status", values="n", aggfunc="sum",
                            fill_value=0)
    for st_ in statuses:
        if st_ not in frame.columns:
            frame[st_] = 0
    frame = frame[statuses]
    frame.columns.name = None
    agg = cur.groupby("action")[["n", "decided", "decide_wd", "late", "overdue"]].sum()
    frame = frame.join(agg).reset_index().rename(columns={"action": "申请事项", "n": "申请数"})
    frame["平均办理用时(工作日)"] = [round(w / d, 2) if d else None
                              for w, d in zip(frame["decide_wd"], frame["decided"])]
    frame = frame.rename(columns={"late": "超期办结", "overdue": "超期未办结"})
    cols = ["申请事项", "申请数"] + statuses + ["平均办理用时(工作日)", "超期办结", "超期未办结"]
    frame = frame[cols] if len(frame) else pd.DataFrame(columns=cols)
    for c in ["申请数", *statuses, "超期办结", "超期未办结"]:
        frame[c] = frame[c].astype("int64")
    return [Figure("revocations", "撤销申请（按申请事项和处理结果）", frame,
                   {"kind": "bar", "x": "申请事项", "y": statuses, "barmode": "stack"},
                   note="按提请时间统计；办理用时为提请日至作出决定日之间的工作日数；"
                        "超期指超过办理期限。")]


def _warning_figures(raw: dict, f: Filters, H: list) -> list[Figure]:
    wl = raw["warning"]
    base = int(raw["warning_base"]["n"].iloc[0]) if len(raw.get("warning_base", [])) else 0
    for col in ("listed", "lifted"):
        wl[col] = pd.to_numeric(wl[col]).fillna(0).astype("int64")
    if len(wl):
        wl["month"] = _month_text(wl["month"])
        wl = wl.groupby("month", as_index=False)[["listed", "lifted"]].sum()
    months = pd.period_range(f.previous[0], f.date_to, freq="M").strftime("%Y-%m")
    wl = wl.set_index("month").reindex(months, fill_value=0)
    wl["size"] = base + (wl["listed"] - wl["lifted"]).cumsum()
    prev_end = f.previous[1].strftime("%Y-%m")
    cur_months = [m for m in months if m >= f.date_from.strftime("%Y-%m")]
    size_now = int(wl.loc[cur_months[-1], "size"]) if cur_months else base
    size_prev = int(wl.loc[prev_end, "size"]) if prev_end in wl.index else base
    H.append(Headline("警示名单在列", size_now, size_prev, "家", better="down"))
    frame = wl.loc[cur_months].reset_index().rename(columns={
        "index": "月份", "month": "月份", "listed": "新列入", "lifted": "解除", "size": "月末在列"})
    return [Figure("warning", "警示名单（规模与变动，按月）", frame,
                   {"kind": "bar", "x": "月份", "y": ["新列入", "解除"], "barmode": "group",
                    "line": "月末在列"},
                   note="月末在列为该月最后一天仍在名单中的企业数。")]


def _inspection_results() -> list[str]:
    try:
        return [r[0] for r in get_db().all("SELECT name FROM inspection_result ORDER BY sort")]
    except Exception:  # noqa: BLE001 - the table may not exist yet
        return []


# -- the public entry points ------------------------------------------------------
def leader_figures(actor: Actor, filters: Filters) -> Dashboard:
    """Every figure of the leader view for ``filters`` within the actor's scope."""
    dept = scope_department(actor, filters.department_id)
    f = Filters(filters.date_from, filters.date_to, dept, filters.category)
    today = clock.today()
    cal = calendar_frame(min(f.previous[0], today), max(today, f.date_to))
    db = get_db()
    with db.cursor() as cur:
        tables = existing_tables(cur)
    queries = build_queries(f, dept, today, tables, "duckdb")
    raw = run_parallel(db, queries, cal)
    names = _dept_names()
    label = names.get(dept, "") if dept else "全市"
    cats = [r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")]
    return assemble(f, raw, names, label, cats)


def workbook(dash: Dashboard) -> dict[str, pd.DataFrame]:
    """The whole set as sheets (概览 first) for one .xlsx workbook."""
    f = dash.filters
    p0, p1 = dash.previous
    info = [("统计范围", dash.scope), ("统计期间", f"{f.date_from} 至 {f.date_to}"),
            ("对比期间", f"{p0} 至 {p1}"), ("事项分类", f.category or "全部"),
            ("生成时间", f"{dash.computed_at:%Y-%m-%d %H:%M:%S}" if dash.computed_at else "")]
    head = pd.DataFrame([{"指标": h.label, "本期": h.value, "上期": h.previous,
                          "变化": h.delta, "单位": h.unit} for h in dash.headline])
    sheets = {"概览": pd.concat([pd.DataFrame(info, columns=["指标", "本期"]), head],
                              ignore_index=True)}
    for fig in dash.figures:
        if fig.empty is None:
            sheets[fig.title[:31]] = fig.frame
    return sheets


# -- the work view ------------------------------------------------------------------
def collect_parallel(actor: Actor) -> list[Reminder]:
    """:func:`sgld.reminders.collect`, with the feature modules' ``reminders``
    run at once on their own cursors (same modules, same order)."""
    import sgld.services as services
    fns = []
    for mod in sorted(pkgutil.iter_modules(services.__path__), key=lambda m: m.name):
        fn = getattr(importlib.import_module(f"sgld.services.{mod.name}"), "reminders", None)
        if callable(fn):
            fns.append(fn)
    if get_db().in_transaction:
        return collect(actor)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [pool.submit(fn, actor) for fn in fns]
        return [r for job in results for r in job.result()]


@dataclass
class WorkView:
    reminders: list[Reminder]
    chart: pd.DataFrame           # 提醒类型, 分布, 数量
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
