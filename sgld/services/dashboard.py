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
warning list — plus headline numbers compared with
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
the enterprises it supervises or has inspected (``policy.enterprise_sql``).

The **category** filter (事项分类) applies to what hangs off an item: cases,
pushes, claims, revocation requests (via the licence's item).  Inspections,
penalties, special reviews, liaison letters and the warning list are not
classified by item; their figures say so.
"""
from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from db.connection import get_db
from sgld import audit, clock, policy, workdays
from sgld.errors import ValidationError
from sgld.reminders import Reminder, collect
from sgld.security import Actor, require
from sgld.workdays import _cal_cache, calendar_frame, shift_months  # noqa: F401 - re-exported

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
    basis: str = "上期"            # see BASIS

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def previous(self) -> tuple[date, date]:
        """The comparison period: the same days of the month / quarter / year
        before (``basis``), or the period of the same length just before."""
        months = _BASIS_MONTHS.get(self.basis)
        if months:
            return (workdays.shift_months(self.date_from, -months),
                    workdays.shift_months(self.date_to, -months))
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
        return workdays.shift_months(today, -12) + timedelta(days=1), today
    raise ValidationError(f"统计期间“{preset}”无效。")


def make_filters(date_from, date_to, department_id=None, category=None,
                 preset: str | None = None) -> Filters:
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
    return Filters(date_from, date_to, int(department_id) if department_id else None,
                   category or None, PRESET_BASIS.get(preset, "上期"))


def scope_department(actor: Actor, department_id: int | None) -> int | None:
    """The department the figures are restricted to (None: the whole city)."""
    require(actor, *VIEWERS, action="查看统计")
    return policy.scope_department(actor, department_id)


def filter_options(actor: Actor) -> dict:
    """Departments and categories for the filters (a supervisor: their own only)."""
    require(actor, *VIEWERS, action="查看统计")
    db = get_db()
    depts = db.dicts("SELECT id, name FROM department WHERE active AND kind IN"
                     " ('supervision', 'licensing') ORDER BY kind DESC, id")
    locked = not policy.sees_all_departments(actor)
    if locked:
        depts = [{"id": actor.department_id, "name": actor.department_name}]
    cats = [r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")]
    return {"departments": depts, "categories": cats, "periods": list(PERIODS),
            "locked_department": locked}


# -- query building -----------------------------------------------------------
DIALECTS = ("duckdb", "sqlite")


def _month(col: str, dialect: str) -> str:
    # a month number (year * 12 + month) is several times cheaper than
    # formatting a string per row, and about half the cost of date_trunc;
    # the shaping turns months into "YYYY-MM"
    if dialect == "duckdb":
        return f"(year({col}) * 12 + month({col}))"
    return f"strftime('%Y-%m', {col})"


def _day(col: str, dialect: str) -> str:
    return f"CAST({col} AS DATE)" if dialect == "duckdb" else f"date({col})"


def _ts(d: date) -> datetime:
    return datetime.combine(d, time.min)


_meta_lock = threading.Lock()
_meta: dict = {}


def _cached(name: str, load):
    """``load(db)``: a small lookup of the open database (its tables,
    department names, item categories…), kept until the next committed write
    (:func:`sgld.audit.data_version`) or another database is opened.  Inside a
    write transaction it is read afresh (the transaction may have changed it).
    Callers must not change the value."""
    db = get_db()
    if db.in_transaction:
        return load(db)
    key = (id(db), audit.data_version())  # read before loading: a write meanwhile reloads
    with _meta_lock:
        hit = _meta.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = load(db)
    with _meta_lock:
        _meta[name] = (key, value)
    return value


def _categories() -> list[str]:
    return _cached("categories", lambda db: [
        r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")])


def _scope(dept: int, scope_table: str | None) -> tuple[str, list]:
    """The enterprises of a department's scope: a table of them computed
    once per call (see :func:`run_parallel`), or ``policy.enterprise_sql``."""
    if scope_table:
        return f"SELECT enterprise_id FROM {scope_table}", []
    return policy.enterprise_sql(dept)


def _window(f: Filters, col: str, is_date: bool = False) -> tuple[str, list]:
    """SQL condition: ``col`` in the period or in its comparison period (one
    range when they touch; two when the comparison is the same days a month,
    quarter or year before, so the days between count in neither)."""
    p0, p1 = f.previous
    if is_date:
        bounds = [(p0, p1), (f.date_from, f.date_to)]
        cond = "{c} >= ? AND {c} <= ?"
    else:
        bounds = [(_ts(p0), _ts(p1 + timedelta(days=1))),
                  (_ts(f.date_from), _ts(f.date_to + timedelta(days=1)))]
        cond = "{c} >= ? AND {c} < ?"
    if f.contiguous:
        return cond.format(c=col), [bounds[0][0], bounds[1][1]]
    return ("((" + cond.format(c=col) + ") OR (" + cond.format(c=col) + "))",
            [bounds[0][0], bounds[0][1], bounds[1][0], bounds[1][1]])


def build_queries(f: Filters, dept: int | None, today: date,
                  dialect: str = "duckdb",
                  scope_table: str | None = None) -> dict[str, tuple[str, list]]:
    """name -> (sql, params) of every leader figure.  Each query covers the
    period and the previous one (column ``cur`` = 1 for the period)."""
    if dialect not in DIALECTS:
        raise ValueError(dialect)
    a, da = _ts(f.date_from), f.date_from  # the period starts (timestamp, date)
    cat = f.category
    q: dict[str, tuple[str, list]] = {}

    def cur_flag(col: str, is_date: bool = False) -> tuple[str, list]:
        return (f"CASE WHEN {col} >= ? THEN 1 ELSE 0 END", [da if is_date else a])

    def in_range(col: str, is_date: bool = False) -> tuple[str, list]:
        return _window(f, col, is_date)

    def dept_cat_filter(alias: str) -> tuple[str, list]:
        """`` AND …`` for a push or claim row (``alias``): the department
        filter and the category of its case's item."""
        where, params = [], []
        if dept:
            where.append(f"{alias}.department_id = ?")
            params.append(dept)
        if cat:
            where.append(f"{alias}.case_id IN (SELECT id FROM approval_case WHERE item_id IN"
                         " (SELECT id FROM item WHERE category = ?))")
            params.append(cat)
        return "".join(" AND " + w for w in where), params

    # cases: recorded (created_at) and concluded (stage 办结, decided_on)
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
    m1, m2 = _month("c.created_at", dialect), _month("c.decided_on", dialect)
    # one scan: each case counts as recorded and/or concluded in the window
    sql = (
        "SELECT i.category AS category, x.m_rec, x.cur_rec, x.m_done, x.cur_done, x.n FROM ("
        f" SELECT c.item_id, CASE WHEN {r1} THEN {m1} END AS m_rec,"
        " CASE WHEN c.created_at >= ? THEN 1 ELSE 0 END AS cur_rec,"
        f" CASE WHEN c.stage = '办结' AND {r2} THEN {m2} END AS m_done,"
        " CASE WHEN c.decided_on >= ? THEN 1 ELSE 0 END AS cur_done, count(*) AS n"
        f" FROM approval_case c WHERE (({r1}) OR (c.stage = '办结' AND {r2})){extra}"
        " GROUP BY 1, 2, 3, 4, 5) x JOIN item i ON i.id = x.item_id")
    q["cases"] = (sql, p1 + [a] + p2 + [da] + p1 + p2 + params)

    # pushes by department (pushed in the period)
    extra, params = dept_cat_filter("p")
    r, rp = in_range("p.pushed_at")
    c, cp = cur_flag("p.pushed_at")
    signed_day = _day("p.signed_at", dialect)
    # counts by state, a few dozen rows the shaping adds up (one plain
    # count per group is cheaper than six filtered aggregates, and small
    # integer keys group by a perfect hash):
    # signed 1 on time, 2 late, 0 no date; waiting 4 overdue, 5 not yet
    # due, 3 no due date; 6 any other status
    state = (
        f"CASE WHEN p.status = '已签收' THEN (CASE WHEN {signed_day} <= p.due_on THEN 1"
        f" WHEN {signed_day} > p.due_on THEN 2 ELSE 0 END)"
        " WHEN p.status = '待签收' THEN (CASE WHEN p.due_on < ? THEN 4"
        " WHEN p.due_on >= ? THEN 5 ELSE 3 END) ELSE 6 END")
    sql = (
        f"SELECT p.department_id AS department_id, {c} AS cur, {state} AS state,"
        " count(*) AS n, sum(k2.wd_no - k1.wd_no) AS sign_wd FROM push p"
        f" LEFT JOIN sgld_cal k1 ON k1.day = {_day('p.pushed_at', dialect)}"
        f" LEFT JOIN sgld_cal k2 ON k2.day = {signed_day}"
        f" WHERE {r}{extra} GROUP BY 1, 2, 3")
    q["pushes"] = (sql, cp + [today, today] + rp + params)

    # claims by department (opened for claim in the period)
    extra, params = dept_cat_filter("k")
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
    extra, params = "", []
    if dept:
        scope, sp = _scope(dept, scope_table)
        extra, params = f" AND p.enterprise_id IN ({scope})", sp
    lic = ("p.enterprise_id IN (SELECT l.enterprise_id FROM licence l JOIN item i"
           " ON i.id = l.item_id WHERE i.centralised)")
    r, rp = in_range("p.decision_date", True)
    c, cp = cur_flag("p.decision_date", True)
    licensed = f"count(*) FILTER (WHERE {lic})"
    sql = (f"SELECT coalesce(p.category, '（未分类）') AS category, {c} AS cur,"
           " count(*) AS n, sum(coalesce(p.fine_wan, 0)) AS fine,"
           " sum(coalesce(p.confiscation_wan, 0)) AS confiscation,"
           f" {licensed} AS licensed FROM penalty p WHERE {r}{extra}"
           " GROUP BY 1, 2")
    q["penalties"] = (sql, cp + rp + params)

    # special reviews by scope and outcome (meeting date in the period)
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

    q.update(_revocation_queries(f, dept, today, dialect, scope_table))
    return q


def _revocation_queries(f: Filters, dept: int | None, today: date,
                        dialect: str, scope_table: str | None = None
                        ) -> dict[str, tuple[str, list]]:
    """Revocation requests and the warning list (issue 5)."""
    q: dict[str, tuple[str, list]] = {}
    p0, _ = f.previous
    a, b, pa = _ts(f.date_from), _ts(f.date_to + timedelta(days=1)), _ts(p0)
    where, params = [], []
    if dept:
        where.append("r.department_id = ?")
        params.append(dept)
    if f.category:
        where.append("r.category = ?")
        params.append(f.category)
    extra = "".join(" AND " + w for w in where)
    decided_day = _day("r.decided_at", dialect)
    filed, filed_params = _window(f, "r.filed_at")
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
        f" WHERE {filed}{extra} GROUP BY 1, 2, 3")
    q["revocations"] = (sql, [a, today] + filed_params + params)
    extra, params = "", []
    if dept:
        scope, sp = _scope(dept, scope_table)
        extra, params = f" AND w.enterprise_id IN ({scope})", sp
    # an entry counts from the date of the record that caused it (the
    # penalty decision, the inspection, the licence's revocation: the
    # earliest of the hits found with it), not from the day the system
    # computed the list; an entry made by hand from the day it was made
    listed_day = _day("e.listed_at", dialect)
    cause = (f"coalesce((SELECT min(h.hit_on) FROM warning_hit h WHERE h.entry_id = e.id"
             f" AND h.added_at = e.listed_at), {listed_day})")
    src = (f"(SELECT e.id, e.enterprise_id, {cause} AS listed_on, e.lifted_at"
           " FROM warning_entry e)")
    sql = (
        "SELECT x.month AS month, sum(x.listed) AS listed, sum(x.lifted) AS lifted FROM ("
        f" SELECT {_month('w.listed_on', dialect)} AS month, 1 AS listed, 0 AS lifted"
        f" FROM {src} w WHERE w.listed_on >= ? AND w.listed_on <= ?{extra}"
        " UNION ALL"
        f" SELECT {_month('w.lifted_at', dialect)} AS month, 0 AS listed, 1 AS lifted"
        f" FROM warning_entry w WHERE w.lifted_at >= ? AND w.lifted_at < ?{extra}"
        ") x GROUP BY 1")
    q["warning"] = (sql, [p0, f.date_to] + params + [pa, b] + params)
    sql = (f"SELECT count(*) AS n FROM {src} w WHERE w.listed_on < ?"
           f" AND (w.lifted_at IS NULL OR w.lifted_at >= ?){extra}")
    q["warning_base"] = (sql, [p0, pa] + params)
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


SCOPE_TABLE = "sgld_scope"


def _scope_frame(cur, scope: tuple[str, list]) -> pd.DataFrame:
    """The enterprise ids of a department's scope, once (NULLs dropped: the
    queries test membership with IN in a WHERE clause, where they never match)."""
    sql, params = scope
    ids = cur.execute(f"SELECT enterprise_id FROM ({sql}) s WHERE enterprise_id IS NOT NULL",
                      params).fetchnumpy()["enterprise_id"]
    return pd.DataFrame({"enterprise_id": ids})


def _run_one(db, name: str, sql: str, params: list, tables: dict) -> tuple[str, pd.DataFrame]:
    with db.cursor() as cur:
        for table, frame in tables.items():
            if table in sql:
                cur.register(table, frame if isinstance(frame, pd.DataFrame) else frame.result())
        try:
            return name, run_queries(cur, {name: (sql, params)})[name]
        finally:
            for table in tables:
                if table in sql:
                    cur.unregister(table)


def run_parallel(db, queries: dict[str, tuple[str, list]], cal: pd.DataFrame,
                 workers: int = 2, scope: tuple[str, list] | None = None) -> dict[str, pd.DataFrame]:
    """The figures' queries on several cursors at once: DuckDB runs them in
    parallel (it releases the GIL), so the page waits for the slowest query
    rather than for the sum of all of them.  Two workers on this 2-core
    machine: each query is itself parallel, more only interleave them.

    ``scope`` (sql, params): the enterprises of a department's scope, run
    once and registered as ``sgld_scope`` for the queries that read it
    (instead of each of them evaluating the subquery)."""
    if db.in_transaction:  # inside a write: the transaction's cursor only
        with db.cursor() as cur:
            cur.register("sgld_cal", cal)
            if scope:
                cur.register(SCOPE_TABLE, _scope_frame(cur, scope))
            try:
                return run_queries(cur, queries)
            finally:
                cur.unregister("sgld_cal")
                if scope:
                    cur.unregister(SCOPE_TABLE)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        tables: dict = {"sgld_cal": cal}
        if scope:
            def fetch_scope():
                with db.cursor() as cur:
                    return _scope_frame(cur, scope)
            tables[SCOPE_TABLE] = pool.submit(fetch_scope)  # first in the queue
        # the queries that wait for the scope last, so no worker idles on it
        order = sorted(queries, key=lambda n: SCOPE_TABLE in queries[n][0])
        jobs = [pool.submit(_run_one, db, n, *queries[n], tables) for n in order]
        out = dict(j.result() for j in jobs)
        return {n: out[n] for n in queries}


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
    return _cached("dept_names", lambda db: dict(db.all("SELECT id, name FROM department")))


def department_ids() -> dict[str, int]:
    """Department name -> id (the pages colour each department by its id)."""
    return {name: i for i, name in _dept_names().items()}


def _rate(num, den) -> float | None:
    return round(num / den * 100, 1) if den else None


def _na(title: str, key: str, why: str) -> Figure:
    return Figure(key, title, pd.DataFrame(), empty=f"暂无数据：{why}")


# The query results are small (grouped), so the shaping below works on plain
# Python lists: a pandas operation costs ~0.1–1 ms however few its rows, and
# the former pandas shaping (boolean masks, pivot_table, groupby) took longer
# than most queries.  The frames come out as the pandas version built them:
# same values, column types, row order (sorts use numpy's default sort like
# ``sort_values``, so even ties come out in the same order) and, for empty
# results, the same column types.
def _cols(frame: pd.DataFrame, *names: str) -> list[list]:
    return [frame[n].tolist() for n in names]


def _numbers(frame: pd.DataFrame, *names: str) -> list[list]:
    """Numeric columns as ``pd.to_numeric(...).fillna(0)`` gives them."""
    out = []
    for n in names:
        col = frame[n]
        kind = col.dtype.kind
        if kind in "iub":
            out.append(col.tolist())
        elif kind == "f":
            out.append([0.0 if v != v else v for v in col.tolist()])
        else:
            out.append([_num(v) for v in col.tolist()])
    return out


def _num(v):
    """A value as ``pd.to_numeric(...).fillna(0)`` sees it."""
    if v is None:
        return 0
    if isinstance(v, float):
        return 0.0 if v != v else v
    if isinstance(v, Decimal):
        return float(v)
    return v


def _null(v) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and v != v)


def _month_str(v) -> str:
    """A month of a query (year * 12 + month, "YYYY-MM" text, or its first
    day) as "YYYY-MM"."""
    if isinstance(v, (int, float)):
        y, m = divmod(int(v) - 1, 12)
        return f"{y:04d}-{m + 1:02d}"
    if isinstance(v, str):
        return pd.Timestamp(v).strftime("%Y-%m") if len(v) != 7 else v
    return v.strftime("%Y-%m")


def _month_texts(values: pd.Series) -> list:
    """A column of months (see :func:`_month`) as "YYYY-MM" (None where null)."""
    memo: dict = {}
    out = []
    for v in values.tolist():
        if _null(v):
            out.append(None)
            continue
        text = memo.get(v)
        if text is None:
            text = memo[v] = _month_str(v)
        out.append(text)
    return out


def _fsum(values: list) -> float:
    # numpy's (pairwise) float sum, as pandas' Series.sum adds
    return float(np.sum(np.asarray(values, dtype="float64"))) if values else 0.0


def _sort_order(keys, ascending: bool = True) -> list[int]:
    """Row order of pandas' single-key ``sort_values`` (numpy's default sort)."""
    a = np.asarray(keys)
    idx = np.arange(len(a))
    if not ascending:
        a, idx = a[::-1], idx[::-1]
    order = idx[a.argsort(kind="quicksort")]
    return (order[::-1] if not ascending else order).tolist()


def _sums(keys: list, values: list[list]) -> dict:
    """key -> per-column sums, keys in first-seen order."""
    out: dict = {}
    for k, *vs in zip(keys, *values):
        acc = out.get(k)
        if acc is None:
            out[k] = list(vs)
        else:
            for i, v in enumerate(vs):
                acc[i] += v
    return out


def _frame(data: dict[str, list], empty: dict | None = None) -> pd.DataFrame:
    """A frame of the columns; ``empty`` gives the column types when it has no row."""
    frame = pd.DataFrame(data)
    if empty and not len(frame):
        frame = frame.astype(empty)
    return frame


def assemble(f: Filters, raw: dict[str, pd.DataFrame], names: dict[int, str],
             scope_label: str, categories: list[str] | None = None) -> Dashboard:
    """Turn the query results into the headline numbers and the figures."""
    dash = Dashboard(filters=f, scope=scope_label, previous=f.previous, computed_at=clock.now())
    H = dash.headline
    figs = dash.figures
    no_cat = "（不按事项分类统计）" if f.category else None

    def dept(d) -> str:
        return names.get(d, str(d))

    # cases
    cases = raw.get("cases")
    if cases is not None:
        figs.extend(_case_figures(cases, H, categories, partial_months_note(f)))
    else:
        figs.append(_na("办件录入与办结", "cases_by_category", "审批推送功能尚未上线"))

    # pushes
    pushes = raw.get("pushes")
    if pushes is not None:
        num = ["pushes", "signed", "on_time", "late", "overdue", "open", "sign_wd"]
        by_key: dict = {}                      # (department, cur) -> the sums of ``num``
        for d, c, state, n, wd in zip(pushes["department_id"].tolist(),
                                      *_numbers(pushes, "cur", "state", "n", "sign_wd")):
            acc = by_key.get((d, c))
            if acc is None:
                acc = by_key[(d, c)] = [0] * len(num)
            acc[0] += n
            if state <= 2:                     # signed (see build_queries)
                acc[1] += n
                acc[6] += wd
                if state:
                    acc[state + 1] += n        # on time, late
            elif state in (4, 5):              # waiting: overdue, not yet due
                acc[state] += n
        tot = {c: {k: sum(v[i] for (_, x), v in by_key.items() if x == c)
                   for i, k in enumerate(num)} for c in (1, 0)}
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
        by_dept = {d: v for (d, c), v in by_key.items() if c == 1}
        rows = []
        for d in sorted(by_dept):
            p, signed, on_time, late, overdue, open_, sign_wd = by_dept[d]
            rows.append({"部门": dept(d), "推送数": int(p), "已签收": int(signed),
                         "按时签收": int(on_time), "逾期签收": int(late), "逾期未签收": int(overdue),
                         "待签收未超时": int(open_), "按时签收率(%)": _rate(on_time, signed + overdue),
                         "平均签收用时(工作日)": round(sign_wd / signed, 2) if signed else None})
        # ranking: most overdue first, then the lowest on-time rate (none last), then name
        rows.sort(key=lambda r: (-r["逾期未签收"], r["按时签收率(%)"] is None,
                                 r["按时签收率(%)"] or 0, r["部门"]))
        rank = pd.DataFrame(rows, columns=["部门", "推送数", "已签收", "按时签收", "逾期签收", "逾期未签收",
                                           "待签收未超时", "按时签收率(%)", "平均签收用时(工作日)"])
        if len(rank):
            rank.insert(0, "排名", range(1, len(rank) + 1))
        figs.append(Figure("push_ranking", "推送签收情况（按部门排名）", rank,
                           {"kind": "bar", "x": "部门", "y": ["按时签收", "逾期签收", "逾期未签收",
                                                            "待签收未超时"], "barmode": "stack"},
                           note="按统计期间内的推送计算；按时签收率 = 按时签收 ÷（已签收 + 逾期未签收）；"
                                "签收用时为推送日至签收日之间的工作日数。排名先看逾期未签收，再看按时签收率。"))
    else:
        figs.append(_na("推送签收情况", "push_ranking", "审批推送功能尚未上线"))

    # claims
    claims = raw.get("claims")
    if claims is not None:
        dept_ids = claims["department_id"].tolist()
        curs, *vals = _numbers(claims, "cur", "opened", "claimed", "waiting", "claim_wd")
        claimed = {c: sum(v for v, k in zip(vals[1], curs) if k == c) for c in (1, 0)}
        H.append(Headline("领取审批结果", int(claimed[1]), int(claimed[0]), "件"))
        by_dept = _sums([d for d, c in zip(dept_ids, curs) if c == 1],
                        [[v for v, c in zip(col, curs) if c == 1] for col in vals])
        rows = []
        for d in sorted(by_dept):
            opened, n_claimed, waiting, claim_wd = by_dept[d]
            rows.append({"部门": dept(d), "开放领取": int(opened), "已领取": int(n_claimed),
                         "待领取": int(waiting), "领取率(%)": _rate(n_claimed, opened),
                         "平均领取用时(工作日)": round(claim_wd / n_claimed, 2) if n_claimed else None})
        frame = pd.DataFrame(rows, columns=["部门", "开放领取", "已领取", "待领取", "领取率(%)",
                                            "平均领取用时(工作日)"])
        figs.append(Figure("claims", "审批结果领取（其他许可部门）", frame,
                           {"kind": "bar", "x": "部门", "y": ["已领取", "待领取"], "barmode": "stack"}))

    # inspections
    ins = raw.get("inspections")
    if ins is not None:
        dept_ids, results = _cols(ins, "department_id", "result")
        curs, ns = _numbers(ins, "cur", "n")
        H.append(Headline("日常检查", sum(n for n, c in zip(ns, curs) if c == 1),
                          sum(n for n, c in zip(ns, curs) if c == 0), "次"))
        cells: dict = {}
        present: set = set()
        for d, res, c, n in zip(dept_ids, results, curs, ns):
            if c != 1 or _null(res):
                continue
            row = cells.setdefault(dept(d), {})
            row[res] = row.get(res, 0) + n
            present.add(res)
        order = _inspection_results()
        cols = [c for c in order if c in present] + sorted(c for c in present if c not in order)
        depts = sorted(cells)
        data = {"部门": depts}
        for c in cols:
            data[c] = [cells[d].get(c, 0) for d in depts]
        frame = _frame(data, {"部门": ins["department_id"].dtype})
        if len(frame):
            totals = [sum(cells[d].values()) for d in depts]
            frame["合计"] = totals
            frame = frame.take(_sort_order(totals, ascending=False)).reset_index(drop=True)
        figs.append(Figure("inspections", "日常检查（按部门和检查结果）", frame,
                           {"kind": "bar", "x": "部门", "y": cols, "barmode": "stack"},
                           note=no_cat))
    else:
        figs.append(_na("日常检查", "inspections", "监管录入功能尚未上线"))

    # penalties
    pen = raw.get("penalties")
    if pen is not None:
        cats = pen["category"].tolist()
        curs, ns, fines, confs, lics = _numbers(pen, "cur", "n", "fine", "confiscation", "licensed")
        fines, confs = [float(v) for v in fines], [float(v) for v in confs]

        def total(values: list, c: int, money: bool = False):
            if not curs:
                return 0
            picked = [v for v, k in zip(values, curs) if k == c]
            return _fsum(picked) if money else float(sum(picked))
        H.append(Headline("行政处罚", int(total(ns, 1)), int(total(ns, 0)), "件"))
        H.append(Headline("罚没金额", round(total(fines, 1, True) + total(confs, 1, True), 2),
                          round(total(fines, 0, True) + total(confs, 0, True), 2), "万元",
                          fmt="float"))
        rows = [i for i, c in enumerate(curs) if c == 1]
        rows = [rows[i] for i in _sort_order(np.asarray([ns[i] for i in rows], dtype="int64"),
                                             ascending=False)]
        fine = np.round(np.asarray([fines[i] for i in rows], dtype="float64"), 2)
        conf = np.round(np.asarray([confs[i] for i in rows], dtype="float64"), 2)
        data = {"处罚类别": [cats[i] for i in rows], "件数": [int(ns[i]) for i in rows],
                "罚款金额(万元)": fine.tolist(), "没收金额(万元)": conf.tolist(),
                "涉及审批局发证企业": [int(lics[i]) for i in rows]}
        n_rows = len(rows)
        if n_rows:
            for key, value in (("处罚类别", "合计"), ("件数", sum(data["件数"])),
                               ("罚款金额(万元)", round(float(np.sum(fine)), 2)),
                               ("没收金额(万元)", round(float(np.sum(conf)), 2)),
                               ("涉及审批局发证企业", sum(data["涉及审批局发证企业"]))):
                data[key].append(value)
        frame = _frame(data, {"处罚类别": pen["category"].dtype, "件数": "int64",
                              "罚款金额(万元)": "float64", "没收金额(万元)": "float64",
                              "涉及审批局发证企业": "int64"})
        figs.append(Figure("penalties", "行政处罚（按处罚类别）", frame,
                           {"kind": "bar", "x": "处罚类别", "y": ["件数", "涉及审批局发证企业"],
                            "barmode": "group", "rows": n_rows},
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
        H.append(Headline("专项审查", _review_count(raw, 1), _review_count(raw, 0), "件"))
        scopes, outs = _cols(rv, "scope", "outcome")
        curs, ns = _numbers(rv, "cur", "n")
        outcomes = ["达成一致", "报市政府决定", "进行中", "已撤回"]
        cells = {}
        for s, o, c, n in zip(scopes, outs, curs, ns):
            if c != 1 or _null(s) or _null(o):
                continue
            row = cells.setdefault(s, {})
            row[o] = row.get(o, 0) + int(n)
        from sgld.services.special_review import SCOPES
        position = {s: i for i, s in enumerate(SCOPES)}
        keys = sorted(cells)
        known = all(s in position for s in keys)
        keys = [keys[i] for i in _sort_order(np.asarray(
            [position.get(s, 99) for s in keys], dtype="int64" if known else "float64"))]
        data = {"审查范围": keys}
        for o in outcomes:
            data[o] = [cells[s].get(o, 0) for s in keys]
        frame = _frame(data, {"审查范围": rv["scope"].dtype, **dict.fromkeys(outcomes, "int64")})
        if len(frame):
            frame.insert(1, "合计", [sum(cells[s].get(o, 0) for o in outcomes) for s in keys])
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
        dept_ids = li["department_id"].tolist()
        curs, *vals = _numbers(li, "cur", *num)
        t = {c: {k: sum(v for v, x in zip(col, curs) if x == c) for k, col in zip(num, vals)}
             for c in (1, 0)}
        H.append(Headline("按时派员率", _rate(t[1]["on_time"], t[1]["dispatched"] + t[1]["unanswered"]),
                          _rate(t[0]["on_time"], t[0]["dispatched"] + t[0]["unanswered"]), "%",
                          fmt="pct"))
        by_dept = _sums([d for d, c in zip(dept_ids, curs) if c == 1],
                        [[v for v, c in zip(col, curs) if c == 1] for col in vals])
        rows = []
        for d in sorted(by_dept):
            letters, on_time, dispatched, unanswered, attended, absent = by_dept[d]
            rows.append({"部门": dept(d), "商请函": int(letters), "按时派员": int(on_time),
                         "逾期未派员": int(unanswered),
                         "按时派员率(%)": _rate(on_time, dispatched + unanswered),
                         "参加审查": int(attended), "未参加": int(absent)})
        rows.sort(key=lambda r: (-r["逾期未派员"], -r["商请函"]))
        frame = pd.DataFrame(rows, columns=["部门", "商请函", "按时派员", "逾期未派员", "按时派员率(%)",
                                            "参加审查", "未参加"])
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


def partial_months_note(f: Filters) -> str | None:
    """Say which months of a monthly chart are not whole (the period starts
    after the 1st or ends before the month's last day, e.g. today), so a
    short last month is not read as a fall."""
    parts = []
    if f.date_from.day != 1:
        parts.append(f"{f.date_from.year}年{f.date_from.month}月自 {f.date_from:%m-%d} 起计")
    end_of_month = workdays.shift_months(f.date_to.replace(day=1), 1) - timedelta(days=1)
    if f.date_to != end_of_month:
        parts.append(f"{f.date_to.year}年{f.date_to.month}月只计至 {f.date_to:%m-%d}")
    return "；".join(parts) + "，不是整月。" if parts else None


def _case_figures(raw: pd.DataFrame, H: list, categories: list[str] | None,
                  month_note: str | None = None) -> list[Figure]:
    """Cases recorded and concluded, by category and by month.  A query row
    (category, m_rec, cur_rec, m_done, cur_done, n) counts n cases as recorded
    in month m_rec and/or concluded in month m_done."""
    cats = raw["category"].tolist()
    cur_rec, cur_done, ns = _numbers(raw, "cur_rec", "cur_done", "n")
    m_rec, m_done = _month_texts(raw["m_rec"]), _month_texts(raw["m_done"])
    totals = {1: [0, 0], 0: [0, 0]}          # cur -> [recorded, concluded]
    by_cat: dict = {}                         # this period: category -> [recorded, concluded]
    by_month: dict = {}                       # this period: month -> [recorded, concluded]
    for cat, mr, cr, md, cd, n in zip(cats, m_rec, cur_rec, m_done, cur_done, ns):
        if _null(cat):
            continue
        n = int(n)
        for month, c, slot in ((mr, cr, 0), (md, cd, 1)):
            if month is None:
                continue
            if c in totals:
                totals[c][slot] += n
            if c == 1:
                by_cat.setdefault(cat, [0, 0])[slot] += n
                by_month.setdefault(month, [0, 0])[slot] += n
    H.append(Headline("录入办件", totals[1][0], totals[0][0], "件"))
    H.append(Headline("办结办件", totals[1][1], totals[0][1], "件"))
    keys = sorted(by_cat)
    if categories:
        order = {c: i for i, c in enumerate(categories)}
        known = all(k in order for k in keys)
        keys = [keys[i] for i in _sort_order(np.asarray(
            [order.get(k, 999) for k in keys], dtype="int64" if known else "float64"))]
    frame = _frame({"事项分类": keys, "录入办件": [by_cat[k][0] for k in keys],
                    "办结办件": [by_cat[k][1] for k in keys]},
                   {"事项分类": raw["category"].dtype, "录入办件": "int64", "办结办件": "int64"})
    months = sorted(by_month)
    month_frame = _frame({"月份": months, "录入办件": [by_month[m][0] for m in months],
                          "办结办件": [by_month[m][1] for m in months]},
                         {"月份": "str" if len(raw) else object, "录入办件": "int64",
                          "办结办件": "int64"})
    return [Figure("cases_by_category", "办件录入与办结（按事项分类）", frame,
                   {"kind": "bar", "x": "事项分类", "y": ["录入办件", "办结办件"], "barmode": "group"},
                   note="录入办件按录入时间、办结办件按办结（决定）日期计入统计期间。"),
            Figure("cases_by_month", "办件录入与办结（按月）", month_frame,
                   {"kind": "line", "x": "月份", "y": ["录入办件", "办结办件"]}, note=month_note)]


def _review_count(raw: dict, cur: int) -> int:
    total = raw.get("reviews_total")
    if total is None or not len(total):
        return 0
    return int(sum(n for c, n in zip(*_numbers(total, "cur", "n")) if c == cur))


def _revocation_figures(rev: pd.DataFrame, H: list) -> list[Figure]:
    actions, statuses_col = _cols(rev, "action", "status")
    curs, *vals = _numbers(rev, "cur", "n", "decided", "decide_wd", "late", "overdue")
    H.append(Headline("撤销申请", sum(n for n, c in zip(vals[0], curs) if c == 1),
                      sum(n for n, c in zip(vals[0], curs) if c == 0), "件"))
    statuses = ["已提交", "核实中", "已撤销", "不予撤销", "已撤回"]
    keep = [i for i, (a, c) in enumerate(zip(actions, curs)) if c == 1 and not _null(a)]
    # action -> [n, decided, decide_wd, late, overdue]
    agg = _sums([actions[i] for i in keep], [[col[i] for i in keep] for col in vals])
    cells: dict = {}                          # action -> status -> n
    for i in keep:
        if not _null(statuses_col[i]):
            row = cells.setdefault(actions[i], {})
            row[statuses_col[i]] = row.get(statuses_col[i], 0) + vals[0][i]
    keys = sorted(a for a in agg if a in cells)
    cols = ["申请事项", "申请数"] + statuses + ["平均办理用时(工作日)", "超期办结", "超期未办结"]
    data = {"申请事项": keys, "申请数": [int(agg[a][0]) for a in keys]}
    for st_ in statuses:
        data[st_] = [int(cells[a].get(st_, 0)) for a in keys]
    data["平均办理用时(工作日)"] = [round(float(agg[a][2]) / agg[a][1], 2) if agg[a][1] else None
                              for a in keys]
    data["超期办结"] = [int(agg[a][3]) for a in keys]
    data["超期未办结"] = [int(agg[a][4]) for a in keys]
    frame = _frame({c: data[c] for c in cols},
                   {c: ("int64" if c in ("申请数", *statuses, "超期办结", "超期未办结") else object)
                    for c in cols})
    return [Figure("revocations", "撤销申请（按申请事项和处理结果）", frame,
                   {"kind": "bar", "x": "申请事项", "y": statuses, "barmode": "stack"},
                   note="按提请时间统计；办理用时为提请日至作出决定日之间的工作日数；"
                        "超期指超过办理期限。")]


def _months(first: date, last: date) -> list[str]:
    """"YYYY-MM" of every month from ``first`` to ``last``."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _warning_figures(raw: dict, f: Filters, H: list) -> list[Figure]:
    base_frame = raw.get("warning_base")
    base = int(base_frame["n"].iloc[0]) if base_frame is not None and len(base_frame) else 0
    moves: dict = {}
    wl = raw["warning"]
    for m, listed, lifted in zip(_month_texts(wl["month"]), *_numbers(wl, "listed", "lifted")):
        acc = moves.setdefault(m, [0, 0])
        acc[0] += int(listed)
        acc[1] += int(lifted)
    months = _months(f.previous[0], f.date_to)
    size, sizes = base, {}
    for m in months:
        listed, lifted = moves.get(m, (0, 0))
        size += listed - lifted
        sizes[m] = size
    prev_end = f.previous[1].strftime("%Y-%m")
    cur_months = [m for m in months if m >= f.date_from.strftime("%Y-%m")]
    size_now = sizes[cur_months[-1]] if cur_months else base
    size_prev = sizes.get(prev_end, base)
    H.append(Headline("警示名单在列", size_now, size_prev, "家", better="down"))
    frame = pd.DataFrame({"月份": cur_months,
                          "新列入": [moves.get(m, (0, 0))[0] for m in cur_months],
                          "解除": [moves.get(m, (0, 0))[1] for m in cur_months],
                          "月末在列": [sizes[m] for m in cur_months]})
    return [Figure("warning", "警示名单（规模与变动，按月）", frame,
                   {"kind": "bar", "x": "月份", "y": ["新列入", "解除"], "barmode": "group",
                    "line": "月末在列"},
                   note="月末在列为该月最后一天仍在名单中的企业数。")]


def _inspection_results() -> list[str]:
    return _cached("inspection_results", lambda db: [
        r[0] for r in db.all("SELECT name FROM inspection_result ORDER BY sort")])


# -- the public entry points ------------------------------------------------------
def leader_figures(actor: Actor, filters: Filters) -> Dashboard:
    """Every figure of the leader view for ``filters`` within the actor's scope."""
    dept = scope_department(actor, filters.department_id)
    f = dataclasses.replace(filters, department_id=dept)
    today = clock.today()
    cal = workdays.calendar_frame(*workdays.calendar_span(f.previous[0], f.date_to, today))
    db = get_db()
    scope = None
    if dept:
        scope = policy.enterprise_sql(dept)
    queries = build_queries(f, dept, today, "duckdb",
                            scope_table=SCOPE_TABLE if scope else None)
    raw = run_parallel(db, queries, cal, scope=scope)
    names = _dept_names()
    label = names.get(dept, "") if dept else "全市"
    return assemble(f, raw, names, label, _categories())


def workbook(dash: Dashboard) -> dict[str, pd.DataFrame]:
    """The whole set as sheets (概览 first) for one .xlsx workbook."""
    f = dash.filters
    p0, p1 = dash.previous
    info = [("统计范围", dash.scope), ("统计期间", f"{f.date_from} 至 {f.date_to}"),
            ("对比期间", f"{f.basis} {p0} 至 {p1}"), ("事项分类", f.category or "全部"),
            ("生成时间", f"{dash.computed_at:%Y-%m-%d %H:%M:%S}" if dash.computed_at else "")]
    head = pd.DataFrame([{"指标": h.label, "本期": h.value, f.basis: h.previous,
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
