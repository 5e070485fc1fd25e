"""日常检查 (inspection entry) and 后续监管 (follow-up supervision).

A supervisor records inspections for their own department only; the
recording department may correct them (audited with before and after).
Each push the department has signed is a follow-up task until the
department records an inspection of that enterprise on or after the day it
signed.  Service modules that define ``on_inspection_saved(inspection_id,
enterprise_id)`` are called after each committed inspection (e.g. the
warning list).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date, datetime, time

import pandas as pd

from db.connection import get_db
from sgld import attachments, audit, clock, followup, likes, policy, tabular, uscc
from sgld import validate as v
from sgld.errors import NotFound, PermissionDenied, ValidationError
from sgld.likes import ESC
from sgld.reminders import Reminder
from sgld.security import Actor, require, require_department
from sgld.services import enterprises, listeners

log = logging.getLogger(__name__)

IMPORT_MAX_ROWS = 5000
MAX_FILES = 20


# -- result options (admin-extensible) ---------------------------------------------
def result_options(include_inactive: bool = False) -> list[str]:
    sql = "SELECT name FROM inspection_result"
    if not include_inactive:
        sql += " WHERE active"
    return [r[0] for r in get_db().all(sql + " ORDER BY sort, name")]


def list_results(actor: Actor) -> list[dict]:
    require(actor, "admin", action="维护检查结果选项")
    return get_db().dicts(
        "SELECT r.name, r.builtin, r.active, r.sort,"
        " (SELECT count(*) FROM inspection n WHERE n.result = r.name) AS used"
        " FROM inspection_result r ORDER BY r.sort, r.name"
    )


def add_result(actor: Actor, name: str) -> None:
    require(actor, "admin", action="维护检查结果选项")
    name = v.text(name, "检查结果", max_len=30)

    def tx(cur):
        if cur.execute("SELECT 1 FROM inspection_result WHERE name = ?", [name]).fetchone():
            raise ValidationError(f"检查结果“{name}”已存在。", field="name")
        sort = cur.execute("SELECT coalesce(max(sort), 0) + 10 FROM inspection_result").fetchone()[0]
        cur.execute(
            "INSERT INTO inspection_result (name, sort, builtin, active, created_at) VALUES (?, ?, FALSE, TRUE, ?)",
            [name, sort, clock.now()],
        )
        audit.record(cur, actor, "create", "inspection_result", name, after={"name": name})

    get_db().write(tx)


def set_result_active(actor: Actor, name: str, active: bool) -> None:
    """Retire or restore an option; used options stay on their records."""
    require(actor, "admin", action="维护检查结果选项")

    def tx(cur):
        row = cur.execute("SELECT active FROM inspection_result WHERE name = ?", [name]).fetchone()
        if row is None:
            raise NotFound(f"检查结果“{name}”不存在。")
        if (
            not active
            and cur.execute("SELECT count(*) FROM inspection_result WHERE active AND name <> ?", [name]).fetchone()[0]
            == 0
        ):
            raise ValidationError("至少保留一个在用的检查结果。")
        cur.execute("UPDATE inspection_result SET active = ? WHERE name = ?", [active, name])
        audit.record(
            cur, actor, "update", "inspection_result", name, before={"active": row[0]}, after={"active": active}
        )

    get_db().write(tx)


# -- validation ---------------------------------------------------------------------
_TIME = re.compile(r"^(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2}))?$")


def parse_datetime(value: object, label: str = "检查时间") -> datetime:
    """A datetime, a date, or text such as ``2026-03-05 14:30`` / ``2026年3月5日``."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time())
    s = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not s:
        raise ValidationError(f"请填写“{label}”", field="inspected_at")
    day_part, _, time_part = s.replace("T", " ").partition(" ")
    d = v.parse_date(day_part, label)
    t = time()
    if time_part.strip():
        m = _TIME.match(time_part.strip())
        if not m:
            raise ValidationError(f"“{label}”的时刻无法识别：{time_part.strip()}（应如 14:30）", field="inspected_at")
        try:
            t = time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
        except ValueError:
            raise ValidationError(f"“{label}”的时刻无效：{time_part.strip()}", field="inspected_at") from None
    return datetime.combine(d, t)


def _fields(
    code, entity_name, inspected_at, place, result, findings, inspectors, keep_result: str | None = None
) -> dict:
    code = uscc.validate(code)
    at = parse_datetime(inspected_at)
    now = clock.now()
    if at.date() > now.date():
        raise ValidationError(
            f"检查日期不能晚于今天（{now.date().isoformat()}），填写的是 {at:%Y-%m-%d}。", field="inspected_at"
        )
    if at > now:
        raise ValidationError(f"检查时间不能晚于当前时间（{at:%Y-%m-%d %H:%M}）。", field="inspected_at")
    options = result_options()
    if keep_result and keep_result not in options:
        options.append(keep_result)  # a retired option may stay on a corrected record
    result = v.text(result, "检查结果", max_len=30)
    if result not in options:
        raise ValidationError(f"检查结果“{result}”无效，可选：{'、'.join(options)}。", field="result")
    return {
        "uscc": code,
        "entity_name": v.text(entity_name, "被检查对象名称", required=False, max_len=100),
        "inspected_at": at,
        "place": v.text(place, "检查地点", max_len=200),
        "result": result,
        "findings": v.text(findings, "检查情况", required=False, max_len=4000, multiline=True),
        "inspectors": v.text(inspectors, "检查人员", max_len=200),
    }


def _check_files(files) -> list:
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError(f"证据材料一次最多上传 {MAX_FILES} 个文件。", field="file")
    return [attachments.check_upload(name, data) for name, data in files]


def _save_new(cur, actor: Actor, f: dict, checked: list) -> int:
    eid = enterprises.ensure(cur, actor, f["uscc"], f["entity_name"])
    name = f["entity_name"] or cur.execute("SELECT name FROM enterprise WHERE id = ?", [eid]).fetchone()[0]
    now = clock.now()
    iid = cur.execute(
        "INSERT INTO inspection (department_id, enterprise_id, uscc, entity_name, inspected_at, place,"
        " result, findings, inspectors, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        [
            actor.department_id,
            eid,
            f["uscc"],
            name,
            f["inspected_at"],
            f["place"],
            f["result"],
            f["findings"],
            f["inspectors"],
            actor.user_id,
            now,
        ],
    ).fetchone()[0]
    followup.inspected(cur, actor.department_id, eid, f["inspected_at"])
    audit.record(
        cur,
        actor,
        "create",
        "inspection",
        iid,
        after={**f, "entity_name": name, "enterprise_id": eid, "department_id": actor.department_id},
    )
    for c in checked:
        attachments.attach(cur, actor, "inspection", iid, c)
    return iid


def _notify(inspection_id: int, enterprise_id: int) -> None:
    for fn in listeners.ON_INSPECTION_SAVED:
        try:
            fn(inspection_id, enterprise_id)
        except Exception:  # noqa: BLE001 - a listener never undoes the inspection
            log.exception("on_inspection_saved listener %s failed", fn.__module__)


# -- entry and correction ---------------------------------------------------------------
def record(
    actor: Actor,
    *,
    uscc_code: str,
    entity_name: str | None,
    inspected_at,
    place: str,
    result: str,
    findings: str | None,
    inspectors: str,
    files=(),
) -> int:
    """Record an inspection for the actor's department; returns its id.
    A known code keeps its registered name; an unknown one needs the name."""
    require(actor, "supervisor", action="录入日常检查")
    f = _fields(uscc_code, entity_name, inspected_at, place, result, findings, inspectors)
    checked = _check_files(files)
    iid = get_db().write(lambda cur: _save_new(cur, actor, f, checked))
    _notify(iid, get(actor, iid)["enterprise_id"])
    return iid


def _row(cur, inspection_id: int) -> dict:
    cur.execute("SELECT * FROM inspection WHERE id = ?", [inspection_id])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise NotFound("检查记录不存在。")
    return dict(zip(cols, row))


EDITABLE = ("uscc", "entity_name", "enterprise_id", "inspected_at", "place", "result", "findings", "inspectors")


def correct(
    actor: Actor,
    inspection_id: int,
    *,
    uscc_code: str,
    entity_name: str | None,
    inspected_at,
    place: str,
    result: str,
    findings: str | None,
    inspectors: str,
    files=(),
    reason: str | None = None,
) -> None:
    """Correct an inspection of the actor's own department (audited with
    before/after); more evidence files may be added."""
    require(actor, "supervisor", action="更正日常检查")
    reason = v.text(reason, "更正原因", max_len=200)
    checked = _check_files(files)

    def tx(cur):
        before = _row(cur, inspection_id)
        require_department(actor, before["department_id"], "更正其他部门的检查记录")
        f = _fields(
            uscc_code, entity_name, inspected_at, place, result, findings, inspectors, keep_result=before["result"]
        )
        eid = enterprises.ensure(cur, actor, f["uscc"], f["entity_name"])
        name = f["entity_name"] or cur.execute("SELECT name FROM enterprise WHERE id = ?", [eid]).fetchone()[0]
        after = {**{k: before[k] for k in EDITABLE}, **f, "entity_name": name, "enterprise_id": eid}
        changed = {k for k in EDITABLE if before[k] != after[k]}
        if not changed and not checked:
            raise ValidationError("没有需要保存的更正。")
        cur.execute(
            "UPDATE inspection SET uscc = ?, entity_name = ?, enterprise_id = ?, inspected_at = ?,"
            " place = ?, result = ?, findings = ?, inspectors = ?, updated_by = ?, updated_at = ?"
            " WHERE id = ?",
            [
                after["uscc"],
                name,
                eid,
                after["inspected_at"],
                after["place"],
                after["result"],
                after["findings"],
                after["inspectors"],
                actor.user_id,
                clock.now(),
                inspection_id,
            ],
        )
        followup.refresh(cur, before["department_id"], [before["enterprise_id"], eid])
        audit.record(
            cur,
            actor,
            "update",
            "inspection",
            inspection_id,
            before={k: before[k] for k in EDITABLE},
            after={**{k: after[k] for k in EDITABLE}, "reason": reason},
        )
        for c in checked:
            attachments.attach(cur, actor, "inspection", inspection_id, c)
        return eid

    eid = get_db().write(tx)
    _notify(inspection_id, eid)


# -- reading ------------------------------------------------------------------------
def can_see(actor: Actor, department_id: int) -> bool:
    """May ``actor`` open an inspection recorded by ``department_id``?"""
    return policy.can_see_department(actor, department_id)


_can_see = can_see


def get(actor: Actor, inspection_id: int) -> dict:
    require(actor, "admin", "leader", "approver", "supervisor", action="查看日常检查")
    rows = get_db().dicts(
        "SELECT n.*, d.name AS department, u.display_name AS recorder, w.display_name AS updater"
        " FROM inspection n JOIN department d ON d.id = n.department_id"
        " LEFT JOIN app_user u ON u.id = n.recorded_by LEFT JOIN app_user w ON w.id = n.updated_by"
        " WHERE n.id = ?",
        [inspection_id],
    )
    if not rows:
        raise NotFound("检查记录不存在。")
    row = rows[0]
    if not _can_see(actor, row["department_id"]):
        raise PermissionDenied("您没有权限查看其他部门的检查记录。")
    row["files"] = attachments.list_for("inspection", inspection_id)
    row["editable"] = actor.has("supervisor") and actor.department_id == row["department_id"]
    return row


def evidence(actor: Actor, inspection_id: int, attachment_id: int) -> tuple[dict, bytes]:
    """An evidence file of an inspection the actor may see."""
    get(actor, inspection_id)
    meta, data = attachments.read(attachment_id)
    if meta["owner_type"] != "inspection" or meta["owner_id"] != str(inspection_id):
        raise NotFound("文件不存在。")
    return meta, data


LIST_LABELS = {
    "id": "编号",
    "inspected_at": "检查时间",
    "entity_name": "被检查对象",
    "uscc": "统一社会信用代码",
    "place": "检查地点",
    "result": "检查结果",
    "inspectors": "检查人员",
    "department": "检查部门",
    "files": "证据材料",
}


def list_inspections(
    actor: Actor,
    *,
    text: str | None = None,
    result: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    department_id: int | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Inspections newest first; supervisors see their department's only."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看日常检查")
    if date_from and date_to and date_from > date_to:
        raise ValidationError("起始日期不能晚于结束日期。")
    # the newest rows first, on the inspection table alone; then the names of
    # the rows shown (joining 1.4M rows before the limit cost ~0.6 s at scale 100)
    sql = "SELECT n.id FROM inspection n WHERE 1=1"
    params: list = []
    where, params = policy.department_sql(actor, "n.department_id", department_id)
    sql += where
    q = (text or "").strip()
    if q:
        sql += f" AND (n.entity_name LIKE ?{ESC} OR n.uscc LIKE ?{ESC} OR n.place LIKE ?{ESC})"
        params += [likes.contains(q), likes.prefix(uscc.normalise(q)), likes.contains(q)]
    if result:
        sql += " AND n.result = ?"
        params.append(result)
    if date_from:
        sql += " AND n.inspected_at >= ?"
        params.append(datetime.combine(date_from, time.min))
    if date_to:
        sql += " AND n.inspected_at <= ?"
        params.append(datetime.combine(date_to, time.max))
    sql += " ORDER BY n.inspected_at DESC, n.id DESC LIMIT ?"
    params.append(int(limit))
    sql = (
        f"WITH hits AS ({sql})"
        " SELECT n.id, n.inspected_at, n.entity_name, n.uscc, n.place, n.result, n.inspectors,"
        " d.name AS department, coalesce(a.files, 0) AS files"
        " FROM inspection n JOIN department d ON d.id = n.department_id"
        " LEFT JOIN (SELECT owner_id, count(*) AS files FROM attachment WHERE owner_type = 'inspection'"
        "            GROUP BY owner_id) a ON a.owner_id = CAST(n.id AS VARCHAR)"
        # a semi-join: joined on id, DuckDB would build the hash table on the big side
        " WHERE n.id IN (SELECT id FROM hits) ORDER BY n.inspected_at DESC, n.id DESC"
    )
    return get_db().df(sql, params).rename(columns=LIST_LABELS)


def statistics(actor: Actor) -> pd.DataFrame:
    """分类统计: inspections per department and result (in the actor's scope)."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看检查统计")
    sql = (
        "SELECT d.name AS 部门, n.result AS 检查结果, count(*) AS 次数 FROM inspection n"
        " JOIN department d ON d.id = n.department_id"
    )
    where, params = policy.department_sql(actor, "n.department_id", prefix=" WHERE ")
    return get_db().df(sql + where + " GROUP BY d.name, n.result ORDER BY 1, 2", params)


# -- bulk import -------------------------------------------------------------------------
IMPORT_COLUMNS: dict[str, list[str]] = {
    "uscc": ["统一社会信用代码", "社会信用代码", "社会信用码"],
    "entity_name": ["被检查对象名称", "被检查对象", "企业名称"],
    "inspected_at": ["检查时间", "检查日期"],
    "place": ["检查地点"],
    "result": ["检查结果"],
    "findings": ["检查情况", "检查发现", "发现问题"],
    "inspectors": ["检查人员"],
}
IMPORT_REQUIRED = ["uscc", "inspected_at", "place", "result", "inspectors"]
IMPORT_LABELS = {k: v[0] for k, v in IMPORT_COLUMNS.items()}


def import_template() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "统一社会信用代码": "91320602MA1XXXXXXX",
                "被检查对象名称": "南通示例食品有限公司",
                "检查时间": "2026-03-05 10:00",
                "检查地点": "南通市崇川区人民中路 1 号",
                "检查结果": "合格",
                "检查情况": "现场经营规范，证照齐全",
                "检查人员": "张三、李四",
            }
        ]
    )


def import_inspections(actor: Actor, name: str, data: bytes, *, commit: bool) -> dict:
    """Bulk import from .xlsx/.csv.  Without ``commit`` nothing is written:
    the preview lists every bad row (行号, 字段, 原因).  With ``commit`` the
    good rows are imported in one transaction.  Returns {"ok", "errors",
    "rejected" (the bad rows with their reasons, for download), "ids"}."""
    require(actor, "supervisor", action="导入日常检查")
    frame = tabular.read_table(name, data, max_rows=IMPORT_MAX_ROWS)
    frame = tabular.match_columns(frame, IMPORT_COLUMNS, IMPORT_REQUIRED)
    for k in IMPORT_COLUMNS:
        if k not in frame.columns:
            frame[k] = ""
    if frame.empty:
        raise ValidationError("文件中没有数据行。")
    known = {}
    good, errors, rejected = [], [], []
    for idx, raw in enumerate(frame.to_dict("records"), start=2):
        try:
            f = _fields(
                raw["uscc"],
                raw["entity_name"],
                raw["inspected_at"],
                raw["place"],
                raw["result"],
                raw["findings"],
                raw["inspectors"],
            )
            if f["uscc"] not in known:
                known[f["uscc"]] = enterprises.find_by_uscc(f["uscc"])
            if known[f["uscc"]] is None and not f["entity_name"]:
                raise ValidationError("新企业须填写被检查对象名称", field="entity_name")
            good.append(f)
        except ValidationError as exc:
            label = IMPORT_LABELS.get(
                exc.field or "", {"uscc": "统一社会信用代码"}.get(exc.field or "", exc.field or "")
            )
            # the preview's 原因 sits next to its 字段; the downloaded row names the column once
            errors.append({"行号": idx, "字段": label, "原因": tabular.field_reason(label, exc.message)})
            rejected.append(
                {
                    **{IMPORT_LABELS[k]: raw.get(k, "") for k in IMPORT_COLUMNS},
                    "行号": idx,
                    "原因": tabular.row_reason(label, exc.message),
                }
            )
    ids: list[int] = []
    if commit and good:

        def tx(cur):
            return [_save_new(cur, actor, f, []) for f in good]

        ids = get_db().write(tx)
        for iid in ids:
            _notify(iid, get_db().scalar("SELECT enterprise_id FROM inspection WHERE id = ?", [iid]))
    return {"ok": len(good), "errors": errors, "rejected": pd.DataFrame(rejected), "ids": ids}


# -- follow-up supervision (the open tasks are kept in followup_task: sgld/followup.py) ----------
TASK_COLUMNS = [
    "推送编号",
    "签收时间",
    "已等待（天）",
    "企业名称",
    "统一社会信用代码",
    "事项",
    "办件编号",
    "环节",
    "监管部门",
    "企业编号",
]


def followup_tasks(actor: Actor, department_id: int | None = None) -> pd.DataFrame:
    """The department's signed pushes not yet followed by an inspection of
    that enterprise, oldest first, with the days waited (every one)."""
    return followup_task_page(actor, department_id)[0]


def followup_task_page(
    actor: Actor, department_id: int | None = None, *, text: str | None = None, limit: int | None = None
) -> tuple[pd.DataFrame, int]:
    """(the oldest ``limit`` open follow-up tasks, how many there are in all),
    optionally only those whose enterprise name, 统一社会信用代码 or 办件编号
    contains ``text``.  The rows shown are taken from ``followup_task`` first
    and only they are joined to their names (a department holds ~67,000 open
    tasks at scale 100: the whole list, from the rule, cost ~0.6 s per visit)."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看后续监管任务")
    if actor.has("supervisor") and not policy.sees_all_departments(actor):
        department_id = actor.department_id
    elif department_id is None and actor.has("supervisor"):
        department_id = actor.department_id
    where, params = "", []
    if department_id is not None:
        where, params = " WHERE t.department_id = ?", [int(department_id)]
    joins = ""
    if text and text.strip():
        joins = (
            " JOIN enterprise e ON e.id = t.enterprise_id JOIN push p ON p.id = t.push_id"
            " JOIN approval_case c ON c.id = p.case_id"
        )
        where += (
            " AND" if where else " WHERE"
        ) + f" (e.name LIKE ?{ESC} OR e.uscc LIKE ?{ESC} OR c.case_no LIKE ?{ESC})"
        params += [likes.contains(text.strip())] * 3
    lim = f" LIMIT {int(limit)}" if limit else ""
    sql = (
        "WITH hits AS (SELECT t.push_id AS id, t.signed_at, count(*) OVER () AS total"
        f" FROM followup_task t{joins}{where} ORDER BY t.signed_at, t.push_id{lim})"
        " SELECT p.id AS push_id, p.signed_at, c.case_no, c.enterprise_id, e.name AS enterprise,"
        " e.uscc, i.name AS item, p.stage, d.name AS department, (SELECT max(total) FROM hits) AS total"
        " FROM push p JOIN approval_case c ON c.id = p.case_id"
        " JOIN enterprise e ON e.id = c.enterprise_id LEFT JOIN item i ON i.id = c.item_id"
        " JOIN department d ON d.id = p.department_id"
        # a semi-join: joined on id, DuckDB builds its hash table on the big side
        " WHERE p.id IN (SELECT id FROM hits) ORDER BY p.signed_at, p.id"
    )
    df = get_db().df(sql, params)
    total = int(df["total"].iloc[0]) if len(df) else 0
    signed = pd.to_datetime(df["signed_at"])
    waited = (pd.Timestamp(clock.today()) - signed.dt.normalize()).dt.days
    out = pd.DataFrame(
        {
            "推送编号": df["push_id"],
            "签收时间": df["signed_at"],
            "已等待（天）": waited,
            "企业名称": df["enterprise"],
            "统一社会信用代码": df["uscc"],
            "事项": df["item"],
            "办件编号": df["case_no"],
            "环节": df["stage"],
            "监管部门": df["department"],
            "企业编号": df["enterprise_id"],
        }
    )
    return out, total


def open_task_counts(actor: Actor) -> pd.DataFrame:
    """Open follow-up tasks per department (for the dashboard)."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看后续监管统计")
    where, params = policy.department_sql(actor, "t.department_id", prefix=" WHERE ")
    return get_db().df(
        "SELECT d.name AS 部门, count(*) AS 待后续监管,"
        ' max(CAST(? AS DATE) - CAST(t.signed_at AS DATE)) AS "最长等待（天）"'
        f" FROM followup_task t JOIN department d ON d.id = t.department_id{where}"
        " GROUP BY d.name ORDER BY 2 DESC, 1",
        [clock.today()] + params,
    )


def reminders(actor: Actor) -> list[Reminder]:
    if not actor.has("supervisor"):
        return []
    row = get_db().one(
        "SELECT count(*), count(*) FILTER (WHERE signed_at < ?) FROM followup_task WHERE department_id = ?",
        [datetime.combine(clock.today(), time()) - pd.Timedelta(days=30), actor.department_id],
    )
    n, old = int(row[0] or 0), int(row[1] or 0)
    if not n:
        return []
    return [
        Reminder("followup_supervision", "后续监管任务", n, "supervise", ages={"30 天内": n - old, "超过 30 天": old})
    ]
