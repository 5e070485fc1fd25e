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
from dataclasses import dataclass, field

import pandas as pd

from db.connection import get_db
from sgld import audit, clock, tabular, uscc
from sgld import validate as v
from sgld.errors import ValidationError
from sgld.export import to_xlsx
from sgld.security import Actor
from sgld.services import outbox
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
REQUIRED = ["case_no", "item", "uscc", "enterprise_name", "project_no", "stage", "reply", "decided_on"]
LABEL = {k: v_[0] for k, v_ in COLUMNS.items()} | {"item_id": "事项编码"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def template() -> bytes:
    """The import template (.xlsx) with one example row and a notes sheet."""
    example = {
        "办件编号": "SP2026000001",
        "事项编码": "SC-001",
        "统一社会信用代码": "91320602MA1XXXXXXX",
        "企业名称": "南通示例食品有限公司",
        "项目编号": "2026-320602-14-03-000001",
        "项目名称": "（可空）新项目时填写",
        "办理环节": "办结",
        "批复信息": "准予许可",
        "决定日期": "2026-03-02",
        "证照编号": "JY13206020000001",
        "证照类型": "许可证",
        "发证日期": "2026-03-02",
        "有效期至": "2031-03-01",
    }
    notes = pd.DataFrame(
        {
            "列": list(example),
            "说明": [
                "必填，全市唯一",
                "必填，事项目录中的事项编码（或事项名称）",
                "必填，18 位，可含全角字符和空格（自动规范）",
                "已登记企业可空（沿用登记名称）；新企业必填",
                "必填",
                "可空；新项目不填时按“企业名称+事项名称+项目”命名",
                "必填：需监管部门参与环节 或 办结",
                "必填",
                "必填，不能晚于今天；支持 2026-03-02、2026/3/2、2026年3月2日",
                "有证照时填写，全市唯一",
                f"有证照时必填：{'、'.join(LICENCE_KINDS)}",
                "有证照时必填，不能晚于今天",
                "可空（长期有效）；不能早于发证日期",
            ],
        }
    )
    return to_xlsx({"审批办件": pd.DataFrame([example]), "填写说明": notes})


@dataclass
class ImportResult:
    total: int
    ok: int
    errors: pd.DataFrame  # 行号, 字段, 原因 — every problem of every bad row
    rejected: pd.DataFrame  # the bad rows as uploaded, with 错误原因
    committed: bool = False
    counts: dict = field(default_factory=dict)

    def rejected_xlsx(self) -> bytes:
        return to_xlsx(self.rejected, "未导入的行")


_SPACES = "[ \t\n\r\x0b\x0c\xa0\u3000]+"  # literal characters: pyarrow's RE2 runs it
FREE_TEXT = {"enterprise_name", "project_name", "reply"}


def _clean(col: pd.Series, free_text: bool) -> pd.Series:
    """Strip, collapse inner whitespace (vectorised); NFC for free text."""
    col = col.astype("str")
    if free_text:
        col = col.str.normalize("NFC")
    return col.str.replace(_SPACES, " ", regex=True).str.strip()


def _checked_map(col: pd.Series, fn) -> tuple[pd.Series, pd.Series]:
    """Run ``fn`` once per distinct value: (values, error message or "")."""
    ok, bad = {}, {}
    for raw in col.unique():
        try:
            ok[raw] = fn(raw)
        except ValidationError as exc:
            bad[raw] = exc.message
    return col.map(ok), col.map(bad).astype(object).fillna("")


class _Errors:
    def __init__(self, n: int):
        self.parts: list[pd.DataFrame] = []
        self.bad = pd.Series(False, index=range(n))

    def add(self, mask: pd.Series, key: str, message) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        idx = mask[mask].index
        msg = message[idx] if isinstance(message, pd.Series) else pd.Series(message, index=idx)
        self.parts.append(pd.DataFrame({"_i": idx, "行号": idx + 2, "字段": LABEL[key], "原因": msg.to_numpy()}))
        self.bad |= mask

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["_i", "行号", "字段", "原因"])
        return pd.concat(self.parts, ignore_index=True)


def _text_checks(err: _Errors, col: pd.Series, key: str, label: str, max_len: int, required: bool = True) -> pd.Series:
    empty = col == ""
    if required:
        err.add(empty, key, f"请填写“{label}”")
    err.add(col.str.contains(_CONTROL.pattern, regex=True), key, f"“{label}”含有不可见的控制字符")
    n = col.str.len()
    err.add(n > max_len, key, "“" + label + f"”不能超过 {max_len} 个字符（当前 " + n.astype(str) + " 个）")
    return col.where(~empty, None)


def _validate(frame: pd.DataFrame) -> tuple[pd.DataFrame, _Errors]:
    """Column-wise checks (each distinct code, date, item checked once).
    Returns (checked values of every row, errors)."""
    n = len(frame)
    frame = frame.reset_index(drop=True)
    col = {k: (_clean(frame[k], k in FREE_TEXT) if k in frame.columns else pd.Series([""] * n)) for k in COLUMNS}
    err = _Errors(n)
    out = pd.DataFrame({"_row": range(n)})
    out["case_no"] = _text_checks(err, col["case_no"], "case_no", "办件编号", 40)
    items = {}
    for iid, code, name, active in get_db().all("SELECT id, code, name, active FROM item"):
        items[code.upper()] = (iid, active, name)
        items.setdefault(name, (iid, active, name))
    out["item_id"], msg = _checked_map(col["item"], lambda raw: _item_id(items, raw))
    err.add(msg != "", "item_id", msg)
    out["uscc"], msg = _checked_map(col["uscc"], uscc.validate)
    err.add(msg != "", "uscc", msg)
    out["enterprise_name"] = _text_checks(
        err, col["enterprise_name"], "enterprise_name", "企业名称", 100, required=False
    )
    out["project_no"] = _text_checks(err, col["project_no"], "project_no", "项目编号", 60)
    out["project_name"] = _text_checks(err, col["project_name"], "project_name", "项目名称", 120, required=False)
    out["stage"] = col["stage"]
    err.add(
        ~col["stage"].isin(STAGES), "stage", "“办理环节”的取值“" + col["stage"] + f"”无效，可选：{'、'.join(STAGES)}"
    )
    out["reply"] = _text_checks(err, col["reply"], "reply", "批复信息", 2000)
    out["decided_on"], msg = _checked_map(col["decided_on"], lambda raw: v.parse_date(raw, "决定日期", not_future=True))
    err.add(msg != "", "decided_on", msg)
    has_lic = (
        (col["licence_no"] != "") | (col["licence_kind"] != "") | (col["issued_on"] != "") | (col["valid_until"] != "")
    )
    lic_no = col["licence_no"].where(has_lic, "")
    out["licence_no"] = lic_no.where(lic_no != "", None)
    err.add(has_lic & (lic_no == ""), "licence_no", "请填写“证照编号”")
    err.add(has_lic & (lic_no.str.len() > 60), "licence_no", "“证照编号”不能超过 60 个字符")
    err.add(has_lic & lic_no.str.contains(_CONTROL.pattern, regex=True), "licence_no", "“证照编号”含有不可见的控制字符")
    kind = col["licence_kind"]
    out["licence_kind"] = kind.where(has_lic, None)
    err.add(
        has_lic & ~kind.isin(LICENCE_KINDS),
        "licence_kind",
        "“证照类型”的取值“" + kind + f"”无效，可选：{'、'.join(LICENCE_KINDS)}",
    )
    issued, msg = _checked_map(
        col["issued_on"].where(has_lic, "-"),
        lambda raw: None if raw == "-" else v.parse_date(raw, "发证日期", not_future=True),
    )
    err.add(has_lic & (msg != ""), "issued_on", msg)
    until, msg = _checked_map(
        col["valid_until"].where(has_lic, ""), lambda raw: v.parse_date(raw, "有效期至", required=False)
    )
    err.add(has_lic & (msg != ""), "valid_until", msg)
    out["issued_on"], out["valid_until"] = issued, until
    both = issued.notna() & until.notna()
    early = pd.Series(False, index=out.index)
    early[both] = until[both] < issued[both]
    err.add(
        early, "valid_until", "“有效期至”（" + until.astype(str) + "）不能早于“发证日期”（" + issued.astype(str) + "）"
    )
    return out, err


def _item_id(items: dict, raw: str) -> int:
    if not raw:
        raise ValidationError("请填写“事项编码”")
    hit = items.get(raw.upper()) or items.get(raw)
    if hit is None:
        raise ValidationError(f"事项“{raw}”不在事项目录中")
    if not hit[1]:
        raise ValidationError(f"事项“{hit[2]}”已停用")
    return hit[0]


def _cross_checks(cur, rows: pd.DataFrame, err: _Errors) -> pd.DataFrame:
    """Duplicates within the file and against the database; new enterprises
    need a name somewhere in the file.  Returns the good rows."""
    ok = rows[~err.bad]
    if ok.empty:
        return ok
    keys = ok[["case_no", "licence_no", "uscc"]]
    cur.register("_imp_keys", keys)
    try:
        dup_case = {
            r[0]
            for r in cur.execute(
                "SELECT case_no FROM approval_case WHERE case_no IN (SELECT case_no FROM _imp_keys)"
            ).fetchall()
        }
        dup_lic = {
            r[0]
            for r in cur.execute(
                "SELECT licence_no FROM licence WHERE licence_no IN"
                " (SELECT licence_no FROM _imp_keys WHERE licence_no IS NOT NULL)"
            ).fetchall()
        }
        known = {
            r[0]
            for r in cur.execute("SELECT uscc FROM enterprise WHERE uscc IN (SELECT uscc FROM _imp_keys)").fetchall()
        }
    finally:
        cur.unregister("_imp_keys")
    in_db = ok["case_no"].isin(dup_case)
    err.add(
        in_db.reindex(rows.index, fill_value=False), "case_no", "办件编号“" + rows["case_no"].astype(str) + "”已存在"
    )
    first_row = ok.groupby("case_no")["_row"].transform("min")
    again = ~in_db & (first_row != ok["_row"])
    err.add(
        again.reindex(rows.index, fill_value=False),
        "case_no",
        ("办件编号“" + ok["case_no"] + "”与第 " + (first_row + 2).astype(str) + " 行重复").reindex(rows.index),
    )
    lic = ok["licence_no"].notna()
    lic_db = lic & ok["licence_no"].isin(dup_lic)
    err.add(
        lic_db.reindex(rows.index, fill_value=False),
        "licence_no",
        "证照编号“" + rows["licence_no"].astype(str) + "”已在证照批文库中",
    )
    first_lic = ok[lic].groupby("licence_no")["_row"].transform("min").reindex(ok.index)
    lic_again = lic & ~lic_db & (first_lic != ok["_row"])
    err.add(
        lic_again.reindex(rows.index, fill_value=False),
        "licence_no",
        (
            "证照编号“"
            + ok["licence_no"].astype(str)
            + "”与第 "
            + (first_lic.fillna(0).astype(int) + 2).astype(str)
            + " 行重复"
        ).reindex(rows.index),
    )
    ok = rows[~err.bad]
    named = set(ok.loc[ok["enterprise_name"].notna(), "uscc"])
    nameless = ~ok["uscc"].isin(known) & ~ok["uscc"].isin(named)
    err.add(
        nameless.reindex(rows.index, fill_value=False),
        "enterprise_name",
        "该统一社会信用代码尚未登记，新企业须填写企业名称",
    )
    return rows[~err.bad]


def _result(frame, good: pd.DataFrame, err: _Errors) -> ImportResult:
    errors = err.frame()
    order = {k: n for n, k in enumerate(LABEL.values())}
    errors = errors.assign(_o=errors["字段"].map(order)).sort_values(["_i", "_o"], kind="stable")
    bad_idx = sorted(set(errors["_i"]))
    # the rejected rows name each column once; the preview's 原因 does not repeat its 字段
    reasons = (
        pd.Series(
            [tabular.row_reason(f, r) for f, r in zip(errors["字段"], errors["原因"])], index=errors.index, dtype=object
        )
        .groupby(errors["_i"])
        .agg("；".join)
    )
    errors["原因"] = [tabular.field_reason(f, r) for f, r in zip(errors["字段"], errors["原因"])]
    rejected = frame.reset_index(drop=True).iloc[bad_idx].copy()
    rejected.insert(0, "行号", [i + 2 for i in bad_idx])
    rejected["错误原因"] = reasons.reindex(bad_idx).to_numpy()
    rejected = rejected.rename(columns={k: LABEL[k] for k in COLUMNS})
    return ImportResult(
        total=len(frame),
        ok=len(good),
        errors=errors[["行号", "字段", "原因"]].reset_index(drop=True),
        rejected=rejected,
    )


def import_cases(actor: Actor, name: str, data: bytes, *, commit: bool) -> ImportResult:
    """Preview (``commit=False``: nothing written) or import the good rows."""
    require_writer(actor, "approver", action="批量导入审批结果")
    frame = tabular.read_table(name, data, max_rows=MAX_ROWS)
    if frame.empty:
        raise ValidationError("文件中没有数据行。")
    frame = tabular.match_columns(frame, COLUMNS, REQUIRED)
    frame = frame[[c for c in COLUMNS if c in frame.columns]]
    rows, err = _validate(frame)
    db = get_db()
    if not commit:
        with db.cursor() as cur:
            good = _cross_checks(cur, rows, err)
        return _result(frame, good, err)

    sha = hashlib.sha256(data).hexdigest()

    def tx(cur):
        good, e, counts = write_rows(cur, actor, rows, err, name, sha)
        if good.empty:
            raise ValidationError("文件中没有可以导入的行，请先修正错误。")
        return good, e, counts

    good, err2, counts = db.write(tx)
    res = _result(frame, good, err2)
    res.committed = True
    res.counts = counts
    return res


def check_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, "_Errors"]:
    """Validate rows given with the internal column names (:data:`COLUMNS`
    keys, values as text) — the HTTP API's batch of cases.  Nothing read
    from the database beyond the item catalogue."""
    return _validate(frame[[c for c in COLUMNS if c in frame.columns]])


def write_rows(
    cur, actor, rows: pd.DataFrame, err: "_Errors", name: str, sha: str
) -> tuple[pd.DataFrame, "_Errors", dict]:
    """Inside the caller's transaction: the cross-checks against the
    database, then the good rows written (one audit row for them).
    Returns (good rows, every error, counts); nothing is written when no
    row is good."""
    e = _Errors(len(rows))
    e.parts, e.bad = list(err.parts), err.bad.copy()
    good = _cross_checks(cur, rows, e)
    if good.empty:
        return good, e, {}
    return good, e, _write(cur, actor, good, name, sha)


def _write(cur, actor, rows: pd.DataFrame, file_name: str, sha: str) -> dict:
    now = clock.now()
    uid = actor.user_id
    f = rows.copy()
    f["item_id"] = f["item_id"].astype("int64")
    for c in ("decided_on", "issued_on", "valid_until"):
        f[c] = pd.to_datetime(f[c]).astype("datetime64[ms]")
    counts: dict = {}
    cur.register("_imp", f)
    try:
        # enterprises (first name given for each new code)
        counts["enterprises"] = cur.execute(
            "INSERT INTO enterprise (uscc, name, created_at)"
            " SELECT DISTINCT ON (uscc) uscc, enterprise_name, ? FROM _imp"
            " WHERE uscc NOT IN (SELECT uscc FROM enterprise) ORDER BY uscc, _row",
            [now],
        ).fetchone()[0]
        # projects
        counts["projects"] = cur.execute(
            "INSERT INTO project (project_no, name, enterprise_id, created_at, updated_at)"
            " SELECT DISTINCT ON (f.project_no) f.project_no,"
            "  coalesce(f.project_name, e.name || i.name || '项目'), e.id, ?, ? FROM _imp f"
            " JOIN enterprise e ON e.uscc = f.uscc JOIN item i ON i.id = f.item_id"
            " WHERE f.project_no NOT IN (SELECT project_no FROM project)"
            " ORDER BY f.project_no, f._row",
            [now, now],
        ).fetchone()[0]
        cur.execute("UPDATE project SET updated_at = ? WHERE project_no IN (SELECT project_no FROM _imp)", [now])
        # cases
        cur.execute(
            "INSERT INTO approval_case (case_no, item_id, enterprise_id, project_no, stage, reply,"
            " handler_id, division_id, decided_on, source, created_at, updated_at)"
            " SELECT f.case_no, f.item_id, e.id, f.project_no, f.stage, f.reply, ?, ?,"
            " f.decided_on, 'import', ?, ? FROM _imp f JOIN enterprise e ON e.uscc = f.uscc"
            " ORDER BY f._row",
            [uid, actor.department_id, now, now],
        )
        cur.execute(
            "CREATE TEMP TABLE _imp_case AS SELECT c.id, c.case_no, c.item_id,"
            " c.enterprise_id, c.stage FROM approval_case c"
            " WHERE c.case_no IN (SELECT case_no FROM _imp)"
        )
        n_cases, id_min, id_max = cur.execute("SELECT count(*), min(id), max(id) FROM _imp_case").fetchone()
        counts["cases"] = n_cases
        cur.execute(
            "INSERT INTO case_event (case_id, kind, detail, actor_id, created_at)"
            " SELECT id, '登记', '批量导入审批结果（' || stage || '）', ?, ? FROM _imp_case",
            [uid, now],
        )
        # licences and their first history row
        counts["licences"] = cur.execute(
            "INSERT INTO licence (licence_no, kind, case_id, enterprise_id, item_id, issued_on,"
            " valid_until, status, status_changed_at, created_at)"
            " SELECT f.licence_no, f.licence_kind, c.id, c.enterprise_id, c.item_id, f.issued_on,"
            " f.valid_until, '有效', ?, ? FROM _imp f JOIN _imp_case c ON c.case_no = f.case_no"
            " WHERE f.licence_no IS NOT NULL",
            [now, now],
        ).fetchone()[0]
        cur.execute(
            "INSERT INTO licence_event (licence_id, from_status, to_status, reason,"
            " actor_id, created_at) SELECT l.id, NULL, '有效', '批量导入，证照入库', ?, ?"
            " FROM licence l WHERE l.case_id IN (SELECT id FROM _imp_case)",
            [uid, now],
        )
        # pushes (centralised items) and claims (other licensing departments)
        limits = dict(cur.execute("SELECT id, sign_limit_days FROM item").fetchall())
        dues = due_table([now.date()] * len(limits), list(limits.values()))
        due = pd.DataFrame({"item_id": list(limits), "due_on": [dues[(now.date(), n)] for n in limits.values()]})
        cur.register("_imp_due", due)
        counts["pushes"] = cur.execute(
            "INSERT INTO push (case_id, department_id, stage, pushed_at, pushed_by, due_on, status)"
            " SELECT c.id, x.department_id, c.stage, ?, ?, dd.due_on, '待签收' FROM _imp_case c"
            " JOIN item i ON i.id = c.item_id AND i.centralised"
            " JOIN item_department x ON x.item_id = c.item_id"
            " JOIN department d ON d.id = x.department_id AND d.active"
            " JOIN _imp_due dd ON dd.item_id = c.item_id ORDER BY c.id, x.department_id",
            [now, uid],
        ).fetchone()[0]
        cur.unregister("_imp_due")
        counts["claims"] = cur.execute(
            "INSERT INTO claim (case_id, department_id, stage, status, available_at)"
            " SELECT c.id, x.department_id, c.stage, '待领取', ? FROM _imp_case c"
            " JOIN item i ON i.id = c.item_id AND NOT i.centralised"
            " JOIN item_department x ON x.item_id = c.item_id"
            " JOIN department d ON d.id = x.department_id AND d.active ORDER BY c.id",
            [now],
        ).fetchone()[0]
        outbox.emit_for_cases(cur, "_imp_case")  # the department systems' events (issue 18)
        cur.execute("DROP TABLE _imp_case")
    finally:
        cur.unregister("_imp")
    audit.record(
        cur,
        actor,
        "import",
        "case",
        f"{id_min}-{id_max}",
        after={
            "file": file_name,
            "sha256": sha,
            "case_count": n_cases,
            "case_id_min": id_min,
            "case_id_max": id_max,
            "first_case_no": rows["case_no"].iloc[0],
            "last_case_no": rows["case_no"].iloc[-1],
            **{k: counts[k] for k in ("licences", "pushes", "claims", "enterprises", "projects")},
        },
    )
    return counts
