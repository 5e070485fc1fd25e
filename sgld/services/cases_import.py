"""Bulk import of approval results from an .xlsx or .csv (the page offers
the template).

``import_cases(actor, name, data, commit=False)`` validates every row and
returns the preview: good-row count and every bad row (row number, field,
reason) — nothing is written.  With ``commit=True`` the rows are validated
again against the current database and the good ones are written in ONE
transaction: new enterprises, new projects, cases, licences (with their
first history row), timeline lines and the pushes / claims of each case.
The rejected rows come back as a table to download.

Audit: an import is audited as **one audit row per batch** (action
``import``, object ``case``) listing the file, its SHA-256, the number of
cases, the id range, the first and last case numbers and the number of
licences, pushes, claims, enterprises and projects created — one row per
imported case would make a 100,000-row import spend most of its time on the
hash chain.  Each form entry (:func:`sgld.services.push.record_case`) is
audited individually.

Validation is row-wise in Python with memoised checks of repeated values
(codes, dates, items); the writes are bulk ``INSERT … SELECT`` from
DataFrames.  ``bench/bench_push.py`` measures rows/s.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from db.connection import get_db
from sgld import audit, clock, tabular, uscc
from sgld import validate as v
from sgld.errors import ValidationError
from sgld.export import to_xlsx
from sgld.security import Actor
from sgld.services.push import LICENCE_KINDS, STAGES, due_table, require_writer

MAX_ROWS = 200_000

# internal name -> accepted headers (the first is the template's)
COLUMNS: dict[str, list[str]] = {
    "case_no": ["办件编号", "办件号", "案件编号"],
    "item": ["事项编码", "事项", "事项名称"],
    "uscc": ["统一社会信用代码", "信用代码", "社会信用代码"],
    "enterprise_name": ["企业名称", "行政相对人", "单位名称"],
    "project_no": ["项目编号", "项目代码"],
    "project_name": ["项目名称"],
    "stage": ["办理环节", "环节"],
    "reply": ["批复信息", "批复内容", "审批意见"],
    "decided_on": ["决定日期", "办结日期", "办理日期"],
    "licence_no": ["证照编号", "许可证编号", "证照号"],
    "licence_kind": ["证照类型"],
    "issued_on": ["发证日期"],
    "valid_until": ["有效期至", "有效期截止日期"],
}
REQUIRED = ["case_no", "item", "uscc", "enterprise_name", "project_no", "stage", "reply",
            "decided_on"]
LABEL = {k: v_[0] for k, v_ in COLUMNS.items()} | {"item_id": "事项编码"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def template() -> bytes:
    """The import template (.xlsx) with one example row and a notes sheet."""
    example = {
        "办件编号": "SP2026000001", "事项编码": "SC-001", "统一社会信用代码": "91320602MA1XXXXXXX",
        "企业名称": "南通示例食品有限公司", "项目编号": "2026-320602-14-03-000001",
        "项目名称": "（可空）新项目时填写", "办理环节": "办结", "批复信息": "准予许可",
        "决定日期": "2026-03-02", "证照编号": "JY13206020000001", "证照类型": "许可证",
        "发证日期": "2026-03-02", "有效期至": "2031-03-01"}
    notes = pd.DataFrame({"列": list(example), "说明": [
        "必填，全市唯一", "必填，事项目录中的事项编码（或事项名称）", "必填，18 位，可含全角字符和空格（自动规范）",
        "已登记企业可空（沿用登记名称）；新企业必填", "必填", "可空；新项目不填时按“企业名称+事项名称+项目”命名",
        "必填：需监管部门参与环节 或 办结", "必填", "必填，不能晚于今天；支持 2026-03-02、2026/3/2、2026年3月2日",
        "有证照时填写，全市唯一", f"有证照时必填：{'、'.join(LICENCE_KINDS)}", "有证照时必填，不能晚于今天",
        "可空（长期有效）；不能早于发证日期"]})
    return to_xlsx({"审批办件": pd.DataFrame([example]), "填写说明": notes})


@dataclass
class ImportResult:
    total: int
    ok: int
    errors: pd.DataFrame              # 行号, 字段, 原因 — every problem of every bad row
    rejected: pd.DataFrame            # the bad rows as uploaded, with 错误原因
    committed: bool = False
    counts: dict = field(default_factory=dict)

    def rejected_xlsx(self) -> bytes:
        return to_xlsx(self.rejected, "未导入的行")


def _text(s: str, label: str, max_len: int, required: bool = True) -> str | None:
    s = s.strip()
    if not s.isascii():
        s = unicodedata.normalize("NFC", s)
    if " " in s or "\t" in s or "\n" in s:
        s = " ".join(s.split())
    if not s:
        if required:
            raise ValidationError(f"请填写“{label}”")
        return None
    if _CONTROL.search(s):
        raise ValidationError(f"“{label}”含有不可见的控制字符")
    if len(s) > max_len:
        raise ValidationError(f"“{label}”不能超过 {max_len} 个字符（当前 {len(s)} 个）")
    return s


class _Memo:
    """Cache of checks of values that repeat across rows."""

    def __init__(self):
        self.store: dict = {}

    def get(self, key, fn):
        try:
            hit = self.store[key]
        except KeyError:
            try:
                hit = (True, fn())
            except ValidationError as exc:
                hit = (False, exc.message)
            self.store[key] = hit
        if hit[0]:
            return hit[1]
        raise ValidationError(hit[1])


def _validate(frame: pd.DataFrame) -> tuple[list[dict], list[dict], dict[int, list[str]]]:
    """Row-wise checks.  Returns (good rows, errors, row index -> reasons)."""
    db = get_db()
    items = {}
    for iid, code, name, active in db.all("SELECT id, code, name, active FROM item"):
        items[code.upper()] = (iid, active, name)
        items.setdefault(name, (iid, active, name))
    memo = _Memo()
    good, errors = [], []
    reasons: dict[int, list[str]] = {}
    cols = {k: (frame[k].tolist() if k in frame.columns else [""] * len(frame)) for k in COLUMNS}

    def fail(i, key, msg):
        errors.append({"行号": i + 2, "字段": LABEL[key], "原因": msg})
        reasons.setdefault(i, []).append(f"{LABEL[key]}：{msg}")

    def date_check(raw, label, not_future):
        return v.parse_date(raw, label, required=False, not_future=not_future)

    for i in range(len(frame)):
        row = {}
        bad = False

        def field(key, fn):
            nonlocal bad
            try:
                row[key] = fn()
            except ValidationError as exc:
                bad = True
                fail(i, key, exc.message)

        field("case_no", lambda: _text(cols["case_no"][i], "办件编号", 40))
        raw_item = cols["item"][i].strip()
        field("item_id", lambda: memo.get(("item", raw_item), lambda: _item_id(items, raw_item)))
        raw_code = cols["uscc"][i]
        field("uscc", lambda: memo.get(("uscc", raw_code), lambda: uscc.validate(raw_code)))
        field("enterprise_name", lambda: _text(cols["enterprise_name"][i], "企业名称", 100, False))
        field("project_no", lambda: _text(cols["project_no"][i], "项目编号", 60))
        field("project_name", lambda: _text(cols["project_name"][i], "项目名称", 120, False))
        raw_stage = cols["stage"][i].strip()
        field("stage", lambda: memo.get(("stage", raw_stage),
                                        lambda: v.choice(raw_stage, STAGES, "办理环节")))
        field("reply", lambda: _text(cols["reply"][i], "批复信息", 2000))
        raw_dec = cols["decided_on"][i].strip()
        field("decided_on", lambda: memo.get(("date!", raw_dec), lambda: v.parse_date(
            raw_dec, "决定日期", not_future=True)))
        lic_raw = [cols[k][i].strip() for k in ("licence_no", "licence_kind", "issued_on",
                                                  "valid_until")]
        row["licence_no"] = None
        if any(lic_raw):
            field("licence_no", lambda: _text(lic_raw[0], "证照编号", 60))
            field("licence_kind", lambda: memo.get(("kind", lic_raw[1]), lambda: v.choice(
                lic_raw[1], LICENCE_KINDS, "证照类型")))
            field("issued_on", lambda: memo.get(("date!", lic_raw[2]), lambda: v.parse_date(
                lic_raw[2], "发证日期", not_future=True)))
            field("valid_until", lambda: memo.get(("date", lic_raw[3]), lambda: date_check(
                lic_raw[3], "有效期至", False)))
            if row.get("issued_on") and row.get("valid_until") and \
                    row["valid_until"] < row["issued_on"]:
                bad = True
                fail(i, "valid_until", f"“有效期至”（{row['valid_until']}）不能早于“发证日期”"
                                       f"（{row['issued_on']}）")
        if not bad:
            row["_row"] = i
            good.append(row)
    return good, errors, reasons


def _item_id(items: dict, raw: str) -> int:
    if not raw:
        raise ValidationError("请填写“事项编码”")
    hit = items.get(raw.upper()) or items.get(raw)
    if hit is None:
        raise ValidationError(f"事项“{raw}”不在事项目录中")
    if not hit[1]:
        raise ValidationError(f"事项“{hit[2]}”已停用")
    return hit[0]


def _cross_checks(cur, good: list[dict], errors: list, reasons: dict) -> list[dict]:
    """Duplicates within the file and against the database; unknown
    enterprises without a name."""
    def fail(i, key, msg):
        errors.append({"行号": i + 2, "字段": LABEL[key], "原因": msg})
        reasons.setdefault(i, []).append(f"{LABEL[key]}：{msg}")

    if not good:
        return good
    frame = pd.DataFrame({"case_no": [r["case_no"] for r in good],
                          "licence_no": [r["licence_no"] for r in good],
                          "uscc": [r["uscc"] for r in good]})
    cur.register("_imp_keys", frame)
    try:
        dup_case = {r[0] for r in cur.execute(
            "SELECT case_no FROM approval_case WHERE case_no IN (SELECT case_no FROM _imp_keys)")
            .fetchall()}
        dup_lic = {r[0] for r in cur.execute(
            "SELECT licence_no FROM licence WHERE licence_no IN"
            " (SELECT licence_no FROM _imp_keys WHERE licence_no IS NOT NULL)").fetchall()}
        known = {r[0] for r in cur.execute(
            "SELECT uscc FROM enterprise WHERE uscc IN (SELECT uscc FROM _imp_keys)").fetchall()}
    finally:
        cur.unregister("_imp_keys")
    seen_case: dict[str, int] = {}
    seen_lic: dict[str, int] = {}
    new_names: dict[str, str] = {}
    out = []
    for r in good:
        i, ok = r["_row"], True
        if r["case_no"] in dup_case:
            fail(i, "case_no", f"办件编号“{r['case_no']}”已存在")
            ok = False
        elif r["case_no"] in seen_case:
            fail(i, "case_no", f"办件编号“{r['case_no']}”与第 {seen_case[r['case_no']] + 2} 行重复")
            ok = False
        ln = r["licence_no"]
        if ln and ln in dup_lic:
            fail(i, "licence_no", f"证照编号“{ln}”已在证照批文库中")
            ok = False
        elif ln and ln in seen_lic:
            fail(i, "licence_no", f"证照编号“{ln}”与第 {seen_lic[ln] + 2} 行重复")
            ok = False
        if r["uscc"] not in known and r["uscc"] not in new_names:
            if not r["enterprise_name"]:
                fail(i, "enterprise_name", "该统一社会信用代码尚未登记，新企业须填写企业名称")
                ok = False
            elif ok:
                new_names[r["uscc"]] = r["enterprise_name"]
        if ok:
            seen_case[r["case_no"]] = i
            if ln:
                seen_lic[ln] = i
            out.append(r)
    return out


def _result(frame, good, errors, reasons) -> ImportResult:
    err = pd.DataFrame(errors, columns=["行号", "字段", "原因"]).sort_values(
        ["行号"], kind="stable").reset_index(drop=True)
    bad_idx = sorted(reasons)
    rejected = frame.iloc[bad_idx].copy()
    rejected.insert(0, "行号", [i + 2 for i in bad_idx])
    rejected["错误原因"] = ["；".join(reasons[i]) for i in bad_idx]
    rejected = rejected.rename(columns={k: LABEL[k] for k in COLUMNS})
    return ImportResult(total=len(frame), ok=len(good), errors=err, rejected=rejected)


def import_cases(actor: Actor, name: str, data: bytes, *, commit: bool) -> ImportResult:
    """Preview (``commit=False``: nothing written) or import the good rows."""
    require_writer(actor, "approver", action="批量导入审批结果")
    frame = tabular.read_table(name, data, max_rows=MAX_ROWS)
    if frame.empty:
        raise ValidationError("文件中没有数据行。")
    frame = tabular.match_columns(frame, COLUMNS, REQUIRED)
    frame = frame[[c for c in COLUMNS if c in frame.columns]]
    good, errors, reasons = _validate(frame)
    db = get_db()
    if not commit:
        with db.cursor() as cur:
            good = _cross_checks(cur, good, errors, reasons)
        return _result(frame, good, errors, reasons)

    sha = hashlib.sha256(data).hexdigest()

    def tx(cur):
        rows = _cross_checks(cur, list(good), errors, reasons)
        if not rows:
            raise ValidationError("文件中没有可以导入的行，请先修正错误。")
        counts = _write(cur, actor, rows, name, sha)
        return rows, counts
    rows, counts = db.write(tx)
    res = _result(frame, rows, errors, reasons)
    res.committed = True
    res.counts = counts
    return res


def _write(cur, actor, rows: list[dict], file_name: str, sha: str) -> dict:
    now = clock.now()
    uid = actor.user_id
    f = pd.DataFrame(rows)
    for col in ("licence_kind", "issued_on", "valid_until", "project_name", "enterprise_name"):
        if col not in f.columns:
            f[col] = None
    counts: dict = {}
    cur.register("_imp", f)
    try:
        # enterprises (first name given for each new code)
        counts["enterprises"] = cur.execute(
            "INSERT INTO enterprise (uscc, name, created_at)"
            " SELECT uscc, first(enterprise_name ORDER BY _row), ? FROM _imp"
            " WHERE uscc NOT IN (SELECT uscc FROM enterprise) GROUP BY uscc",
            [now]).fetchone()[0]
        # projects
        counts["projects"] = cur.execute(
            "INSERT INTO project (project_no, name, enterprise_id, created_at, updated_at)"
            " SELECT f.project_no, coalesce(first(f.project_name ORDER BY f._row),"
            "  first(e.name || i.name || '项目' ORDER BY f._row)),"
            "  first(e.id ORDER BY f._row), ?, ? FROM _imp f"
            " JOIN enterprise e ON e.uscc = f.uscc JOIN item i ON i.id = f.item_id"
            " WHERE f.project_no NOT IN (SELECT project_no FROM project) GROUP BY f.project_no",
            [now, now]).fetchone()[0]
        cur.execute("UPDATE project SET updated_at = ? WHERE project_no IN"
                    " (SELECT project_no FROM _imp)", [now])
        # cases
        cur.execute(
            "INSERT INTO approval_case (case_no, item_id, enterprise_id, project_no, stage, reply,"
            " handler_id, division_id, decided_on, source, created_at, updated_at)"
            " SELECT f.case_no, f.item_id, e.id, f.project_no, f.stage, f.reply, ?, ?,"
            " f.decided_on, 'import', ?, ? FROM _imp f JOIN enterprise e ON e.uscc = f.uscc"
            " ORDER BY f._row", [uid, actor.department_id, now, now])
        cur.execute("CREATE TEMP TABLE _imp_case AS SELECT c.id, c.case_no, c.item_id,"
                    " c.enterprise_id, c.stage FROM approval_case c"
                    " WHERE c.case_no IN (SELECT case_no FROM _imp)")
        n_cases, id_min, id_max = cur.execute(
            "SELECT count(*), min(id), max(id) FROM _imp_case").fetchone()
        counts["cases"] = n_cases
        cur.execute("INSERT INTO case_event (case_id, kind, detail, actor_id, created_at)"
                    " SELECT id, '登记', '批量导入审批结果（' || stage || '）', ?, ? FROM _imp_case",
                    [uid, now])
        # licences and their first history row
        counts["licences"] = cur.execute(
            "INSERT INTO licence (licence_no, kind, case_id, enterprise_id, item_id, issued_on,"
            " valid_until, status, status_changed_at, created_at)"
            " SELECT f.licence_no, f.licence_kind, c.id, c.enterprise_id, c.item_id, f.issued_on,"
            " f.valid_until, '有效', ?, ? FROM _imp f JOIN _imp_case c ON c.case_no = f.case_no"
            " WHERE f.licence_no IS NOT NULL", [now, now]).fetchone()[0]
        cur.execute("INSERT INTO licence_event (licence_id, from_status, to_status, reason,"
                    " actor_id, created_at) SELECT l.id, NULL, '有效', '批量导入，证照入库', ?, ?"
                    " FROM licence l WHERE l.case_id IN (SELECT id FROM _imp_case)", [uid, now])
        # pushes (centralised items) and claims (other licensing departments)
        limits = dict(cur.execute("SELECT id, sign_limit_days FROM item").fetchall())
        dues = due_table([now.date()] * len(limits), list(limits.values()))
        due = pd.DataFrame({"item_id": list(limits),
                            "due_on": [dues[(now.date(), n)] for n in limits.values()]})
        cur.register("_imp_due", due)
        counts["pushes"] = cur.execute(
            "INSERT INTO push (case_id, department_id, stage, pushed_at, pushed_by, due_on, status)"
            " SELECT c.id, x.department_id, c.stage, ?, ?, dd.due_on, '待签收' FROM _imp_case c"
            " JOIN item i ON i.id = c.item_id AND i.centralised"
            " JOIN item_department x ON x.item_id = c.item_id"
            " JOIN department d ON d.id = x.department_id AND d.active"
            " JOIN _imp_due dd ON dd.item_id = c.item_id ORDER BY c.id, x.department_id",
            [now, uid]).fetchone()[0]
        cur.unregister("_imp_due")
        counts["claims"] = cur.execute(
            "INSERT INTO claim (case_id, department_id, stage, status, available_at)"
            " SELECT c.id, x.department_id, c.stage, '待领取', ? FROM _imp_case c"
            " JOIN item i ON i.id = c.item_id AND NOT i.centralised"
            " JOIN item_department x ON x.item_id = c.item_id"
            " JOIN department d ON d.id = x.department_id AND d.active ORDER BY c.id", [now]
        ).fetchone()[0]
        cur.execute("DROP TABLE _imp_case")
    finally:
        cur.unregister("_imp")
    audit.record(cur, actor, "import", "case", f"{id_min}-{id_max}",
                 after={"file": file_name, "sha256": sha, "case_count": n_cases,
                        "case_id_min": id_min, "case_id_max": id_max,
                        "first_case_no": rows[0]["case_no"], "last_case_no": rows[-1]["case_no"],
                        **{k: counts[k] for k in ("licences", "pushes", "claims", "enterprises",
                                                  "projects")}})
    return counts
