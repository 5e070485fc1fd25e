"""Inspection entry, correction, scope, result options, bulk import and
follow-up supervision tasks."""

import io
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from sgld import clock, uscc
from sgld.demo.supervision import evidence_pdf
from sgld.errors import NotFound, PermissionDenied, ValidationError
from sgld.services import inspection

NEW_CODE = uscc.make("91320602MA1X7Y8W9")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def known(db):
    return db.one("SELECT id, uscc, name FROM enterprise ORDER BY id LIMIT 1")


def rec(actor, code, **kw):
    args = dict(
        uscc_code=code,
        entity_name=None,
        inspected_at=clock.now() - timedelta(hours=2),
        place="南通市崇川区人民中路 1 号",
        result="合格",
        findings="证照齐全",
        inspectors="张三、李四",
    )
    args.update(kw)
    return inspection.record(actor, **args)


def test_record_with_evidence_and_known_code(db, as_user):
    sup = as_user("supervisor")
    eid, code, name = known(db)
    iid = rec(sup, code.lower(), files=[("现场照片.png", PNG), ("记录.pdf", evidence_pdf("x"))])
    d = inspection.get(sup, iid)
    assert d["enterprise_id"] == eid and d["entity_name"] == name and d["uscc"] == code
    assert d["department_id"] == sup.department_id and d["editable"]
    assert [f["file_name"] for f in d["files"]] == ["现场照片.png", "记录.pdf"]
    meta, data = inspection.evidence(sup, iid, d["files"][1]["id"])
    assert data.startswith(b"%PDF") and meta["mime"] == "application/pdf"
    audit = db.one(
        "SELECT actor, after_json FROM audit_log WHERE action = 'create' AND object_type = 'inspection'"
        " AND object_id = ?",
        [str(iid)],
    )
    assert audit[0] == "supervisor" and json.loads(audit[1])["result"] == "合格"
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'attach' AND object_id = ?", [str(iid)]) == 2


def test_unknown_code_needs_a_name_and_registers_the_enterprise(db, as_user):
    sup = as_user("supervisor")
    with pytest.raises(ValidationError) as e:
        rec(sup, NEW_CODE)
    assert "企业名称" in str(e.value)
    iid = rec(sup, NEW_CODE, entity_name="南通新检查对象有限公司")
    ent = db.one("SELECT id, name FROM enterprise WHERE uscc = ?", [NEW_CODE])
    assert ent[1] == "南通新检查对象有限公司"
    assert inspection.get(sup, iid)["enterprise_id"] == ent[0]


@pytest.mark.parametrize(
    "change,expect",
    [
        ({"uscc_code": "91320602ABC"}, "18 位"),
        ({"uscc_code": ""}, "不能为空"),
        ({"inspected_at": "2099-01-01 10:00"}, "检查日期不能晚于今天"),
        ({"result": "很好"}, "检查结果“很好”无效"),
        ({"place": " "}, "检查地点"),
        ({"inspectors": ""}, "检查人员"),
        ({"inspected_at": "2025-02-30"}, "不是有效日期"),
        ({"inspected_at": "2025-03-01 25:00"}, "时刻无效"),
        ({"files": [("a.exe", b"MZ\x90\x00")]}, "类型不允许"),
        ({"files": [("fake.pdf", PNG)]}, "内容与扩展名不符"),
    ],
)
def test_bad_input_changes_nothing(db, as_user, change, expect):
    sup = as_user("supervisor")
    code = known(db)[1]
    before = (db.scalar("SELECT count(*) FROM inspection"), db.scalar("SELECT count(*) FROM audit_log"))
    with pytest.raises(ValidationError) as e:
        rec(sup, change.pop("uscc_code", code), **change)
    assert expect in str(e.value)
    assert (db.scalar("SELECT count(*) FROM inspection"), db.scalar("SELECT count(*) FROM audit_log")) == before


def test_later_today_is_refused_with_the_time(db, as_user):
    """Issue 16.4: a later day says 检查日期不能晚于今天; a later time today names the time."""
    clock.freeze(datetime(2026, 12, 3, 10, 0))
    sup = as_user("supervisor")
    with pytest.raises(ValidationError, match="检查时间不能晚于当前时间"):
        rec(sup, known(db)[1], inspected_at=datetime(2026, 12, 3, 15, 0))
    with pytest.raises(ValidationError, match="检查日期不能晚于今天（2026-12-03）"):
        rec(sup, known(db)[1], inspected_at=datetime(2026, 12, 20, 9, 0))


def test_oversize_evidence_refused(db, as_user, monkeypatch):
    from sgld import settings

    monkeypatch.setenv("SGLD_UPLOAD_MAX_MB", "1")
    settings.reset()
    with pytest.raises(ValidationError) as e:
        rec(as_user("supervisor"), known(db)[1], files=[("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 10))])
    assert "超过上限" in str(e.value)


def test_only_supervisors_record(db, as_user):
    for who in ("leader", "approver", "admin", "liaison"):
        with pytest.raises(PermissionDenied):
            rec(as_user(who), known(db)[1])


def test_correction_by_own_department_is_audited(db, as_user):
    sup, other = as_user("supervisor"), as_user("supervisor2")
    code = known(db)[1]
    iid = rec(sup, code)
    d = inspection.get(sup, iid)
    args = dict(
        uscc_code=code,
        entity_name=None,
        inspected_at=d["inspected_at"],
        place=d["place"],
        result="责令整改",
        findings="消防通道堵塞，责令限期整改",
        inspectors=d["inspectors"],
        reason="补录检查发现",
    )
    with pytest.raises(PermissionDenied):
        inspection.correct(other, iid, **args)
    with pytest.raises(ValidationError):
        inspection.correct(sup, iid, **{**args, "reason": ""})
    assert inspection.get(sup, iid)["result"] == "合格"
    inspection.correct(sup, iid, **args, files=[("整改通知.png", PNG)])
    d2 = inspection.get(sup, iid)
    assert d2["result"] == "责令整改" and d2["updated_by"] == sup.user_id and len(d2["files"]) == 1
    before, after = db.one(
        "SELECT before_json, after_json FROM audit_log WHERE action = 'update'"
        " AND object_type = 'inspection' AND object_id = ?",
        [str(iid)],
    )
    assert json.loads(before)["result"] == "合格"
    assert json.loads(after)["result"] == "责令整改" and json.loads(after)["reason"] == "补录检查发现"
    with pytest.raises(ValidationError):
        inspection.correct(sup, iid, **args)  # nothing to change


def test_department_scope_of_lists_and_records(db, as_user):
    sup, other = as_user("supervisor"), as_user("supervisor2")
    iid = rec(sup, known(db)[1])
    mine = inspection.list_inspections(sup)
    assert iid in set(mine["编号"]) and set(mine["检查部门"]) == {sup.department_name}
    theirs = inspection.list_inspections(other)
    assert iid not in set(theirs["编号"])
    with pytest.raises(PermissionDenied):
        inspection.get(other, iid)
    with pytest.raises(PermissionDenied):
        inspection.evidence(other, iid, 1)
    assert iid in set(inspection.list_inspections(as_user("leader"))["编号"])
    assert iid in set(inspection.list_inspections(as_user("approver"), text=known(db)[2])["编号"])
    with pytest.raises(NotFound):
        inspection.get(sup, 10**9)


def test_admin_extends_result_options(db, as_user):
    admin, sup = as_user("admin"), as_user("supervisor")
    with pytest.raises(PermissionDenied):
        inspection.add_result(sup, "限期复查")
    inspection.add_result(admin, "限期复查")
    with pytest.raises(ValidationError):
        inspection.add_result(admin, "限期复查")
    iid = rec(sup, known(db)[1], result="限期复查")
    inspection.set_result_active(admin, "限期复查", False)
    with pytest.raises(ValidationError):
        rec(sup, known(db)[1], result="限期复查")
    # a retired option stays valid on the record it is on
    d = inspection.get(sup, iid)
    inspection.correct(
        sup,
        iid,
        uscc_code=d["uscc"],
        entity_name=None,
        inspected_at=d["inspected_at"],
        place="新地点",
        result="限期复查",
        findings=None,
        inspectors=d["inspectors"],
        reason="地点更正",
    )
    assert inspection.get(sup, iid)["place"] == "新地点"


def test_bulk_import_preview_then_commit(db, as_user):
    sup = as_user("supervisor")
    code = known(db)[1]
    frame = pd.DataFrame(
        [
            {
                "统一社会信用代码": code,
                "被检查对象名称": "",
                "检查时间": "2025-03-05 10:00",
                "检查地点": "现场",
                "检查结果": "合格",
                "检查情况": "",
                "检查人员": "张三",
            },
            {
                "统一社会信用代码": NEW_CODE,
                "被检查对象名称": "南通导入新企业有限公司",
                "检查时间": "2025年3月6日",
                "检查地点": "现场",
                "检查结果": "基本合格",
                "检查情况": "台账不全",
                "检查人员": "李四",
            },
            {
                "统一社会信用代码": "BAD",
                "被检查对象名称": "x",
                "检查时间": "2025-03-05",
                "检查地点": "现场",
                "检查结果": "合格",
                "检查情况": "",
                "检查人员": "王五",
            },
            {
                "统一社会信用代码": code,
                "被检查对象名称": "",
                "检查时间": "2099-01-01",
                "检查地点": "现场",
                "检查结果": "合格",
                "检查情况": "",
                "检查人员": "王五",
            },
            {
                "统一社会信用代码": code,
                "被检查对象名称": "",
                "检查时间": "2025-03-05",
                "检查地点": "现场",
                "检查结果": "优秀",
                "检查情况": "",
                "检查人员": "王五",
            },
        ]
    )
    data = frame.to_csv(index=False).encode("gbk")
    before = db.scalar("SELECT count(*) FROM inspection")
    preview = inspection.import_inspections(sup, "检查.csv", data, commit=False)
    assert preview["ok"] == 2 and [e["行号"] for e in preview["errors"]] == [4, 5, 6]
    assert preview["errors"][0]["字段"] == "统一社会信用代码"
    assert list(preview["rejected"]["原因"].str.len() > 0) == [True] * 3
    assert db.scalar("SELECT count(*) FROM inspection") == before
    done = inspection.import_inspections(sup, "检查.csv", data, commit=True)
    assert done["ok"] == 2 and db.scalar("SELECT count(*) FROM inspection") == before + 2
    assert {inspection.get(sup, i)["result"] for i in done["ids"]} == {"合格", "基本合格"}
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    assert inspection.import_inspections(sup, "检查.xlsx", buf.getvalue(), commit=False)["ok"] == 2
    with pytest.raises(ValidationError):
        inspection.import_inspections(sup, "x.csv", "甲,乙\n1,2\n".encode(), commit=False)
    with pytest.raises(PermissionDenied):
        inspection.import_inspections(as_user("leader"), "检查.csv", data, commit=False)


def test_followup_task_closed_by_an_inspection(db, as_user):
    # The demo data was built once per session, at whatever time that was:
    # run at that moment (not at the wall clock), so the tasks' waits and the
    # inspection dates below relate to the data the same way in every order
    # and on every day.
    built = db.scalar("SELECT max(logged_at) FROM audit_log WHERE action = 'demo_load'")
    clock.freeze(built + timedelta(minutes=5))
    sup = as_user("supervisor")
    tasks = inspection.followup_tasks(sup)
    assert len(tasks) > 0
    assert list(tasks["签收时间"]) == sorted(tasks["签收时间"])  # oldest first
    assert (tasks["监管部门"] == sup.department_name).all()
    oldest = tasks.iloc[0]
    assert oldest["已等待（天）"] == (clock.today() - pd.Timestamp(oldest["签收时间"]).date()).days
    rem = {r.kind: r for r in inspection.reminders(sup)}["followup_supervision"]
    assert rem.count == len(tasks) and rem.page == "supervise"
    # an inspection dated before the signing does not close the task
    signed = pd.Timestamp(oldest["签收时间"]).to_pydatetime()
    rec(sup, oldest["统一社会信用代码"], inspected_at=signed - timedelta(days=2))
    assert len(inspection.followup_tasks(sup)) == len(tasks)
    at = min(clock.now(), signed + timedelta(days=1)).replace(microsecond=0)
    # it closes the enterprise's tasks signed up to the inspection, not later ones
    same = int(
        ((tasks["企业编号"] == oldest["企业编号"]) & (pd.to_datetime(tasks["签收时间"]) <= pd.Timestamp(at))).sum()
    )
    rec(sup, oldest["统一社会信用代码"], inspected_at=at)
    after = inspection.followup_tasks(sup)
    assert len(after) == len(tasks) - same
    assert oldest["推送编号"] not in set(after["推送编号"])
    # another department's inspection does not close it; scope
    assert inspection.reminders(as_user("leader")) == []
    counts = inspection.open_task_counts(as_user("leader"))
    assert int(counts.loc[counts["部门"] == sup.department_name, "待后续监管"].iloc[0]) == len(after)


def test_followup_task_table_follows_every_write(db, as_user):
    """followup_task equals the rule after each kind of write that opens or
    closes a task: a signing, a new inspection, an imported one, a corrected
    date or enterprise."""
    from sgld import followup
    from sgld.services import push, push_query

    def drift():
        return db.write(followup.drift)

    assert drift() == (0, 0)  # after the demo load
    sup = as_user("supervisor")
    todo = push_query.push_list(sup, status="待签收", limit=3)
    push.sign_pushes(sup, todo["push_id"].tolist())
    assert drift() == (0, 0)
    tasks = inspection.followup_tasks(sup)
    assert set(todo["push_id"]) <= set(tasks["推送编号"])
    oldest = tasks.iloc[0]
    iid = rec(sup, oldest["统一社会信用代码"], inspected_at=clock.now().replace(microsecond=0))
    assert drift() == (0, 0)
    assert oldest["推送编号"] not in set(inspection.followup_tasks(sup)["推送编号"])
    # moved back before the signing: the task opens again
    signed = pd.Timestamp(oldest["签收时间"]).to_pydatetime()
    inspection.correct(
        sup,
        iid,
        uscc_code=oldest["统一社会信用代码"],
        entity_name=None,
        inspected_at=signed - timedelta(days=3),
        place="更正后地点",
        result="合格",
        findings="更正",
        inspectors="张三",
        reason="日期填错",
    )
    assert drift() == (0, 0)
    assert oldest["推送编号"] in set(inspection.followup_tasks(sup)["推送编号"])
    other = tasks[tasks["企业编号"] != oldest["企业编号"]].iloc[0]
    csv = (
        "统一社会信用代码,被检查对象名称,检查时间,检查地点,检查结果,检查情况,检查人员\n"
        f"{other['统一社会信用代码']},{other['企业名称']},{clock.today():%Y-%m-%d},现场,合格,导入,李四\n"
    )
    done = inspection.import_inspections(sup, "检查.csv", csv.encode(), commit=True)
    assert done["ok"] == 1, done["errors"]
    assert drift() == (0, 0)
    assert other["推送编号"] not in set(inspection.followup_tasks(sup)["推送编号"])


def test_followup_task_page_lists_the_oldest_and_searches_every_task(db, as_user):
    sup = as_user("supervisor")
    every = inspection.followup_tasks(sup)
    assert len(every) > 3
    page, total = inspection.followup_task_page(sup, limit=3)
    assert total == len(every) and len(page) == 3
    assert list(page["推送编号"]) == list(every["推送编号"][:3])  # the oldest first
    # the search looks through every open task, not only the rows listed
    last = every.iloc[-1]
    for text in (last["办件编号"], last["统一社会信用代码"][2:12], last["企业名称"]):
        hits, n = inspection.followup_task_page(sup, text=text, limit=3)
        want = every[
            every["办件编号"].str.contains(text, regex=False)
            | every["统一社会信用代码"].str.contains(text, regex=False)
            | every["企业名称"].str.contains(text, regex=False)
        ]
        assert n == len(want) and last["推送编号"] in set(want["推送编号"])
        assert list(hits["推送编号"]) == list(want["推送编号"][:3])
    # typed % and _ are literal characters
    assert inspection.followup_task_page(sup, text="%")[1] == 0
    assert inspection.followup_task_page(sup, text="_")[1] == 0


def test_inspection_hook_called(db, as_user, monkeypatch):
    import sgld.services.inspection as mod

    seen = []
    monkeypatch.setattr(mod, "_notify", lambda iid, eid: seen.append((iid, eid)))
    iid = rec(as_user("supervisor"), known(db)[1])
    assert seen == [(iid, known(db)[0])]


def test_datetime_parsing():
    assert inspection.parse_datetime("2025-03-05 14:30") == datetime(2025, 3, 5, 14, 30)
    assert inspection.parse_datetime("2025年3月5日") == datetime(2025, 3, 5)
    with pytest.raises(ValidationError):
        inspection.parse_datetime("")
