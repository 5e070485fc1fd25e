"""审批推送 services: recording, libraries, push–sign, claim, time limits with
the holiday calendar, permissions and data scope, archive and libraries."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from sgld import audit, clock, settings, uscc, workdays
from sgld.errors import PermissionDenied, StateError, ValidationError
from sgld.services import push, push_query
from tests.conftest import actor


def png_bytes(colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, "PNG")
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NEW_USCC = uscc.make("91320602MA1T2K3L4")  # not in the demo data (enterprise codes end in org codes)


def item_id(db, code):
    return db.scalar("SELECT id FROM item WHERE code = ?", [code])


def dept_id(db, name):
    return db.scalar("SELECT id FROM department WHERE name = ?", [name])


def some_enterprise(db):
    return db.one("SELECT uscc, name FROM enterprise ORDER BY id LIMIT 1")


def record(db, *, case_no="T-0001", code="SC-001", stage="办结", licence=True, files=(), who="approver", **kw):
    args = dict(
        case_no=case_no,
        item_id=item_id(db, code),
        uscc=kw.pop("uscc", NEW_USCC),
        enterprise_name=kw.pop("enterprise_name", "南通测试食品有限公司"),
        project_no=kw.pop("project_no", "2026-320602-14-03-999001"),
        project_name=kw.pop("project_name", None),
        stage=stage,
        reply=kw.pop("reply", "准予许可"),
        decided_on=kw.pop("decided_on", clock.today()),
        licence=(
            {
                "licence_no": f"LIC-{case_no}",
                "kind": "许可证",
                "issued_on": clock.today(),
                "valid_until": date(2031, 1, 1),
            }
            if licence is True
            else licence
        ),
        files=files,
    )
    args.update(kw)
    return push.record_case(actor(who), **args)


def counts(db):
    return {
        t: db.scalar(f"SELECT count(*) FROM {t}")
        for t in ("approval_case", "licence", "push", "claim", "project", "enterprise", "attachment", "audit_log")
    }


# -- recording ------------------------------------------------------------
def test_record_case_fills_libraries_and_pushes(db):
    clock.freeze(datetime(2026, 3, 10, 10, 0))
    cid = record(db, files=[("许可证.png", png_bytes()), ("决定书.pdf", PDF)], project_name="测试项目")
    case = db.dicts("SELECT * FROM approval_case WHERE id = ?", [cid])[0]
    assert case["stage"] == "办结" and case["handler_id"] == actor("approver").user_id
    # licence library with its first history row
    lic = db.dicts("SELECT * FROM licence WHERE case_id = ?", [cid])
    assert len(lic) == 1 and lic[0]["status"] == "有效" and lic[0]["licence_no"] == "LIC-T-0001"
    assert db.scalar("SELECT to_status FROM licence_event WHERE licence_id = ?", [lic[0]["id"]]) == "有效"
    # project library
    assert db.scalar("SELECT name FROM project WHERE project_no = '2026-320602-14-03-999001'") == "测试项目"
    # enterprise created from an unknown code
    assert db.scalar("SELECT name FROM enterprise WHERE uscc = ?", [NEW_USCC]) == "南通测试食品有限公司"
    # one push per supervising department, due in 3 working days
    pushes = db.dicts("SELECT * FROM push WHERE case_id = ?", [cid])
    assert {p["department_id"] for p in pushes} == {dept_id(db, "市场监管局")}
    assert pushes[0]["status"] == "待签收" and pushes[0]["due_on"] == date(2026, 3, 13)
    assert pushes[0]["stage"] == "办结"
    # scans stored and listed
    assert len(push_query.case_detail(actor("approver"), cid)["scans"]) == 2
    # audited: case, licence, project, enterprise, 2 attachments, push
    acts = {(r[0], r[1]) for r in db.all("SELECT action, object_type FROM audit_log WHERE actor = 'approver'")}
    assert {
        ("create", "case"),
        ("create", "licence"),
        ("create", "project"),
        ("create", "enterprise"),
        ("attach", "case"),
        ("push", "case"),
    } <= acts
    assert audit.verify(db)[0]


def test_known_code_keeps_registered_name_and_is_normalised(db):
    code, name = some_enterprise(db)
    messy = " ".join(code[i : i + 6] for i in range(0, 18, 6)).lower()
    messy = messy.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    before = db.scalar("SELECT count(*) FROM enterprise")
    cid = record(db, uscc=messy, enterprise_name="另一个名字")
    assert db.scalar("SELECT count(*) FROM enterprise") == before
    assert (
        db.scalar(
            "SELECT e.name FROM approval_case c JOIN enterprise e ON e.id = c.enterprise_id WHERE c.id = ?", [cid]
        )
        == name
    )


def test_existing_project_is_reused(db):
    record(db, case_no="T-1", project_no="P-1", project_name="第一名称")
    record(db, case_no="T-2", project_no="P-1", project_name="第二名称")
    assert db.scalar("SELECT count(*) FROM project WHERE project_no = 'P-1'") == 1
    assert db.scalar("SELECT name FROM project WHERE project_no = 'P-1'") == "第一名称"
    d = push_query.project_detail(actor("approver"), "P-1")
    assert list(d["cases"]["办件编号"]) == ["T-1", "T-2"] and len(d["licences"]) == 2


BAD = [
    (dict(uscc="91320602MA1T2K3L"), "应为 18 位"),
    (dict(uscc="91320602MA1T2K3L4I"), "非法字符"),
    (dict(uscc=NEW_USCC[:-1] + ("0" if NEW_USCC[-1] != "0" else "1")), "校验位错误"),
    (dict(case_no="  "), "请填写“办件编号”"),
    (dict(reply=""), "请填写“批复信息”"),
    (dict(project_no=""), "请填写“项目编号”"),
    (dict(enterprise_name=""), "企业名称"),
    (dict(decided_on=date(2099, 1, 1)), "不能晚于今天"),
    (dict(stage="审查中"), "办理环节"),
    (
        dict(
            licence={
                "licence_no": "L-X",
                "kind": "许可证",
                "issued_on": date(2026, 3, 1),
                "valid_until": date(2026, 2, 1),
            }
        ),
        "不能早于“发证日期”",
    ),
    (
        dict(licence={"licence_no": "L-X", "kind": "执照", "issued_on": date(2026, 3, 1), "valid_until": None}),
        "证照类型",
    ),
    (dict(files=[("scan.pdf", png_bytes())]), "内容与扩展名不符"),
    (dict(files=[("scan.exe", b"MZ\x90\x00")]), "类型不允许"),
    (dict(item_id=999999), "审批事项不存在"),
]


@pytest.mark.parametrize("override,message", BAD)
def test_bad_input_is_refused_and_changes_nothing(db, override, message):
    clock.freeze(datetime(2026, 3, 10, 10, 0))
    before = counts(db)
    with pytest.raises(ValidationError) as exc:
        record(db, **override)
    assert message in str(exc.value)
    assert counts(db) == before


def test_duplicates_are_refused(db):
    record(db, case_no="DUP-1")
    before = counts(db)
    with pytest.raises(ValidationError, match="办件编号“DUP-1”已存在"):
        record(db, case_no="DUP-1")
    with pytest.raises(ValidationError, match="已在证照批文库中"):
        record(
            db,
            case_no="DUP-2",
            licence={"licence_no": "LIC-DUP-1", "kind": "批文", "issued_on": clock.today(), "valid_until": None},
        )
    assert counts(db) == before


def test_oversize_file_is_refused(db, monkeypatch):
    monkeypatch.setenv("SGLD_UPLOAD_MAX_MB", "1")
    settings.reset()
    try:
        big = PDF + b"0" * (1024 * 1024 + 1)
        before = counts(db)
        with pytest.raises(ValidationError, match="超过上限 1 MB"):
            record(db, files=[("big.pdf", big)])
        assert counts(db) == before
    finally:
        monkeypatch.delenv("SGLD_UPLOAD_MAX_MB")
        settings.reset()


@pytest.mark.parametrize("who", ["leader", "supervisor", "admin"])
def test_only_approvers_record(db, who):
    before = counts(db)
    with pytest.raises(PermissionDenied) as exc:
        record(db, who=who)
    if who == "leader":
        assert "只读" in str(exc.value)
    assert counts(db) == before


def test_same_file_stored_once(db):
    data = png_bytes((1, 2, 3))
    record(db, case_no="F-1", files=[("a.png", data)])
    record(db, case_no="F-2", files=[("b.png", data)])
    sha = db.scalar("SELECT DISTINCT sha256 FROM attachment WHERE file_name IN ('a.png', 'b.png')")
    path = settings.get().data_dir / "files" / sha[:2] / sha[2:4] / sha
    assert path.is_file() and path.read_bytes() == data
    assert db.scalar("SELECT count(*) FROM attachment WHERE sha256 = ?", [sha]) == 2


# -- push and sign --------------------------------------------------------
def test_sign_records_signer_and_time_once(db):
    clock.freeze(datetime(2026, 3, 10, 10, 0))
    cid = record(db)
    pid = db.scalar("SELECT id FROM push WHERE case_id = ?", [cid])
    sup = actor("supervisor")
    clock.freeze(datetime(2026, 3, 11, 9, 30))
    res = push.sign_push(sup, pid)
    assert res["signed"] == 1
    row = db.one("SELECT status, signed_by, signed_at FROM push WHERE id = ?", [pid])
    assert row == ("已签收", sup.user_id, datetime(2026, 3, 11, 9, 30))
    # signing again: refused with who/when, nothing changes (idempotent)
    clock.freeze(datetime(2026, 3, 12, 9, 0))
    n_audit = db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(StateError, match="2026-03-11 09:30 由 张监管 签收"):
        push.sign_push(sup, pid)
    assert db.one("SELECT status, signed_by, signed_at FROM push WHERE id = ?", [pid]) == row
    assert db.scalar("SELECT count(*) FROM audit_log") == n_audit
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'sign' AND object_id = ?", [str(pid)]) == 1


def test_other_department_cannot_sign(db):
    cid = record(db)
    pid = db.scalar("SELECT id FROM push WHERE case_id = ?", [cid])
    with pytest.raises(PermissionDenied, match="其他部门"):
        push.sign_push(actor("supervisor2"), pid)
    with pytest.raises(PermissionDenied, match="只读"):
        push.sign_push(actor("leader"), pid)
    with pytest.raises(PermissionDenied):
        push.sign_push(actor("approver"), pid)
    assert db.scalar("SELECT status FROM push WHERE id = ?", [pid]) == "待签收"


def test_batch_sign_all_or_nothing_across_departments(db):
    c1 = record(db, case_no="B-1")
    c2 = record(db, case_no="B-2")
    c3 = record(db, case_no="B-3", code="HB-002")  # 生态环境局
    mine = [db.scalar("SELECT id FROM push WHERE case_id = ?", [c]) for c in (c1, c2)]
    other = db.scalar("SELECT id FROM push WHERE case_id = ?", [c3])
    with pytest.raises(PermissionDenied):
        push.sign_pushes(actor("supervisor"), mine + [other])
    assert db.scalar("SELECT count(*) FROM push WHERE status = '已签收' AND id IN (?, ?, ?)", mine + [other]) == 0
    push.sign_push(actor("supervisor"), mine[0])
    res = push.sign_pushes(actor("supervisor"), mine)
    assert res == {"signed": 1, "already": 1, "signed_at": res["signed_at"]}
    with pytest.raises(ValidationError):
        push.sign_pushes(actor("supervisor"), [])


def test_item_with_two_departments_pushes_to_both(db):
    cid = record(db, code="SC-005")  # 市场监管局 + 应急管理局
    depts = {r[0] for r in db.all("SELECT department_id FROM push WHERE case_id = ?", [cid])}
    assert depts == {dept_id(db, "市场监管局"), dept_id(db, "应急管理局")}
    # each department signs its own
    push.sign_pushes(
        actor("supervisor3"),
        [db.scalar("SELECT id FROM push WHERE case_id = ? AND department_id = ?", [cid, dept_id(db, "应急管理局")])],
    )
    assert db.scalar("SELECT count(*) FROM push WHERE case_id = ? AND status = '待签收'", [cid]) == 1


def test_conclude_pushes_the_new_stage(db):
    cid = record(db, code="HB-001", stage="需监管部门参与环节", licence=None)
    assert db.all("SELECT stage FROM push WHERE case_id = ?", [cid]) == [("需监管部门参与环节",)]
    push.conclude_case(
        actor("approver"),
        cid,
        reply="同意建设",
        decided_on=clock.today(),
        licence={"licence_no": "HP-1", "kind": "批文", "issued_on": clock.today(), "valid_until": None},
    )
    assert sorted(r[0] for r in db.all("SELECT stage FROM push WHERE case_id = ?", [cid])) == [
        "办结",
        "需监管部门参与环节",
    ]
    assert db.scalar("SELECT stage FROM approval_case WHERE id = ?", [cid]) == "办结"
    with pytest.raises(StateError, match="已办结"):
        push.conclude_case(actor("approver"), cid, reply="x", decided_on=clock.today())
    events = [t["事件"] for t in push_query.case_detail(actor("approver"), cid)["timeline"]]
    assert events[0] == "登记" and "办结" in events and events.count("推送") == 2


# -- claim ----------------------------------------------------------------
def test_claim_for_items_not_centralised(db):
    cid = record(db, code="QT-001", licence=None)  # 取水许可, 水利局 claims it
    assert db.scalar("SELECT count(*) FROM push WHERE case_id = ?", [cid]) == 0
    kid = db.scalar("SELECT id FROM claim WHERE case_id = ?", [cid])
    with pytest.raises(PermissionDenied, match="其他部门"):
        push.claim_results(actor("supervisor"), [kid])
    clock.freeze(datetime(2026, 4, 1, 15, 0))
    claimer = actor("claimer")
    push.claim_results(claimer, [kid])
    assert db.one("SELECT status, claimed_by, claimed_at FROM claim WHERE id = ?", [kid]) == (
        "已领取",
        claimer.user_id,
        datetime(2026, 4, 1, 15, 0),
    )
    with pytest.raises(StateError, match="不能重复领取"):
        push.claim_results(claimer, [kid])
    pool = push_query.claim_list(claimer, status="已领取")
    assert cid in set(pool["case_id"])


# -- time limits and the holiday calendar --------------------------------
def test_push_before_spring_festival_is_due_after_the_holiday(db):
    # 2026: 14 Feb (Sat) is an adjusted working day, 15–23 Feb holiday
    clock.freeze(datetime(2026, 2, 12, 16, 0))
    cid = record(db)
    assert db.scalar("SELECT due_on FROM push WHERE case_id = ?", [cid]) == date(2026, 2, 24)
    # on 23 Feb it is not overdue, on 25 Feb it is
    clock.freeze(datetime(2026, 2, 24, 17, 0))
    frame = push_query.push_list(actor("supervisor"))
    assert frame.loc[frame["办件编号"] == "T-0001", "时限"].item() == "未超时"
    clock.freeze(datetime(2026, 2, 25, 9, 0))
    frame = push_query.push_list(actor("supervisor"))
    assert frame.loc[frame["办件编号"] == "T-0001", "时限"].item() == "已超时"


def test_admin_calendar_overrides_and_fallback(db):
    admin = actor("admin")
    # 2027 is beyond the package: Monday–Friday, no error, and reported as a fallback year
    assert workdays.fallback_years([2026, 2027]) == [2027]
    clock.freeze(datetime(2027, 2, 4, 10, 0))  # Thursday
    c1 = record(db, case_no="C-1", decided_on=date(2027, 2, 4))
    assert db.scalar("SELECT due_on FROM push WHERE case_id = ?", [c1]) == date(2027, 2, 9)
    # the admin enters the 2027 Spring Festival: Sat 6 Feb worked, 8–12 Feb off
    workdays.set_day(admin, date(2027, 2, 6), True, "调休上班")
    for d in range(8, 13):
        workdays.set_day(admin, date(2027, 2, d), False, "春节")
    c2 = record(db, case_no="C-2", decided_on=date(2027, 2, 4))
    assert db.scalar("SELECT due_on FROM push WHERE case_id = ?", [c2]) == date(2027, 2, 15)
    assert workdays.fallback_years([2027]) == []
    workdays.remove_day(admin, date(2027, 2, 6))
    with pytest.raises(PermissionDenied):
        workdays.set_day(actor("approver"), date(2027, 3, 1), False)
    assert push.due_on(date(2035, 12, 28), 3) == date(2036, 1, 2)  # far future: no error


def test_overdue_reminders_on_both_sides(db):
    clock.freeze(datetime(2026, 3, 2, 10, 0))
    cid = record(db)
    sup = actor("supervisor")
    base = {r.kind: r for r in push.reminders(sup)}["push_to_sign"]
    clock.freeze(datetime(2026, 3, 20, 10, 0))
    now = {r.kind: r for r in push.reminders(sup)}["push_to_sign"]
    assert now.count == base.count  # same open pushes …
    assert now.overdue >= 1 and now.page == "push"
    assert now.count == len(push_query.push_list(sup))  # the count equals the page's list
    assert push_query.pending_count(sup) == (now.count, now.overdue)
    appr = {r.kind: r for r in push.reminders(actor("approver"))}["push_overdue"]
    assert appr.ages.get("市场监管局", 0) >= 1
    # the approver's to-do: their division's and own cases (issue 16 item 21);
    # the bureau-wide overview holds at least as many
    own = push_query.push_list(actor("approver"), status="待签收", overdue_only=True, own_cases=True)
    assert (own["推送部门"] == "市场监管局").sum() == appr.ages["市场监管局"]
    overview = push_query.sign_overview(actor("approver"))
    row = overview[overview["部门"] == "市场监管局"].iloc[0]
    assert row["逾期未签收"] >= appr.ages["市场监管局"]
    push.sign_push(sup, db.scalar("SELECT id FROM push WHERE case_id = ?", [cid]))
    after = {r.kind: r for r in push.reminders(sup)}["push_to_sign"]
    assert after.count == now.count - 1
    late = push_query.push_list(sup, status="已签收", overdue_only=True)
    assert "逾期签收" in set(late.loc[late["case_id"] == cid, "时限"])


def test_claim_department_reminder(db):
    record(db, code="QT-001", licence=None)
    r = {x.kind: x for x in push.reminders(actor("claimer"))}
    assert r["claim_to_take"].count == len(push_query.claim_list(actor("claimer")))
    assert r["claim_to_take"].count >= 1


# -- data scope -----------------------------------------------------------
def test_supervisor_sees_only_own_department(db):
    cid = record(db, files=[("s.png", png_bytes())])
    scan = push_query.case_detail(actor("approver"), cid)["scans"][0]["id"]
    with pytest.raises(PermissionDenied):
        push_query.case_detail(actor("supervisor2"), cid)
    with pytest.raises(PermissionDenied):
        push.read_scan(actor("supervisor2"), scan)
    meta, data = push.read_scan(actor("supervisor"), scan)
    assert meta["file_name"] == "s.png" and data == png_bytes()
    frame, total = push_query.search_cases(actor("supervisor2"), case_no="T-0001")
    assert total == 0 and frame.empty
    frame, total = push_query.search_cases(actor("supervisor"), case_no="T-0001")
    assert total == 1
    # a supervisor's archive holds only cases pushed/opened to the department
    frame, total = push_query.search_cases(actor("supervisor2"), limit=50)
    ids = [int(x) for x in frame["case_id"]]
    eco = dept_id(db, "生态环境局")
    assert (
        db.scalar(
            f"SELECT count(*) FROM approval_case c WHERE c.id IN ({','.join(map(str, ids))}) AND NOT"
            " EXISTS (SELECT 1 FROM push p WHERE p.case_id = c.id AND p.department_id = ?)"
            " AND NOT EXISTS (SELECT 1 FROM claim k WHERE k.case_id = c.id AND k.department_id = ?)",
            [eco, eco],
        )
        == 0
    )
    assert push_query.find_case_id(actor("supervisor2"), "T-0001") is None
    with pytest.raises(PermissionDenied):
        push_query.sign_overview(actor("supervisor"))
    lic, n = push_query.list_licences(actor("supervisor2"), text="LIC-T-0001")
    assert n == 0


def test_leader_reads_everything(db):
    cid = record(db)
    leader = actor("leader")
    assert push_query.case_detail(leader, cid)["case"]["case_no"] == "T-0001"
    assert push_query.search_cases(leader, case_no="T-0001")[1] == 1
    assert not push_query.sign_overview(leader).empty
    with pytest.raises(PermissionDenied, match="只读"):
        push.conclude_case(leader, cid, reply="x", decided_on=clock.today())
    with pytest.raises(PermissionDenied, match="只读"):
        push.add_scans(leader, cid, [("a.png", png_bytes())])


# -- archive and libraries ------------------------------------------------
def test_archive_filters(db):
    clock.freeze(datetime(2026, 3, 10, 10, 0))
    cid = record(db, case_no="ARC-77", project_no="PRJ-ARC-77", enterprise_name="南通档案检索测试有限公司")
    a = actor("approver")
    for kw in (
        dict(enterprise="档案检索"),
        dict(uscc_code=NEW_USCC.lower()),
        dict(project_no="PRJ-ARC"),
        dict(case_no="ARC-77"),
        dict(licence_no="LIC-ARC"),
        dict(
            enterprise="档案检索",
            item_id=item_id(db, "SC-001"),
            stage="办结",
            department_id=dept_id(db, "市场监管局"),
            push_status="待签收",
            date_from=date(2026, 3, 10),
            date_to=date(2026, 3, 10),
        ),
    ):
        frame, total = push_query.search_cases(a, **kw)
        assert cid in set(frame["case_id"]), kw
    assert push_query.search_cases(a, enterprise="档案检索", push_status="已签收")[1] == 0
    assert push_query.search_cases(a, enterprise="档案检索", stage="需监管部门参与环节")[1] == 0
    assert push_query.search_cases(a, enterprise="档案检索", department_id=dept_id(db, "住建局"))[1] == 0
    with pytest.raises(ValidationError):
        push_query.search_cases(a, date_from=date(2026, 3, 2), date_to=date(2026, 3, 1))
    row = push_query.search_cases(a, case_no="ARC-77")[0].iloc[0]
    assert row["推送/领取情况"] == "待签收 1/1" and row["证照编号"] == "LIC-ARC-77"
    push.sign_push(actor("supervisor"), db.scalar("SELECT id FROM push WHERE case_id = ?", [cid]))
    assert push_query.search_cases(a, case_no="ARC-77", push_status="已签收")[1] == 1


def test_archive_on_demo_data_returns_newest_first_and_total(db):
    frame, total = push_query.search_cases(actor("approver"), limit=100)
    assert total == db.scalar("SELECT count(*) FROM approval_case") and len(frame) == 100
    assert list(frame["决定日期"]) == sorted(frame["决定日期"], reverse=True)


def test_licence_status_change_and_repush_in_callers_transaction(db):
    cid = record(db)
    lid = db.scalar("SELECT id FROM licence WHERE case_id = ?", [cid])
    a = actor("approver")

    def tx(cur):
        old = push.change_licence_status(
            cur, a, lid, "已撤销", "监管部门提请撤销，经核实符合撤销情形", "通审撤〔2026〕1号"
        )
        made = push.push_case_result(cur, a, cid, reason="许可已撤销，同步撤销结果")
        return old, made

    old, made = db.write(tx)
    assert old == "有效" and len(made["push"]) == 1
    assert db.scalar("SELECT status FROM licence WHERE id = ?", [lid]) == "已撤销"
    assert db.scalar("SELECT count(*) FROM push WHERE case_id = ?", [cid]) == 2
    d = push_query.licence_detail(a, lid)
    assert list(d["history"]["新状态"]) == ["有效", "已撤销"]
    assert push_query.list_licences(a, text="LIC-T-0001", status="已撤销")[1] == 1
    with pytest.raises(StateError):
        db.write(lambda cur: push.change_licence_status(cur, a, lid, "已吊销", "再次"))
    with pytest.raises(PermissionDenied):
        db.write(lambda cur: push.push_case_result(cur, actor("supervisor"), cid, reason="x"))
    tl = push_query.case_detail(a, cid)["timeline"]
    assert any(t["事件"] == "证照状态变更" for t in tl) and any(t["事件"] == "再次推送" for t in tl)


def test_expired_licence_shows_as_expired(db):
    clock.freeze(datetime(2026, 3, 10, 10, 0))
    record(
        db,
        licence={
            "licence_no": "EXP-1",
            "kind": "许可证",
            "issued_on": date(2020, 1, 1),
            "valid_until": date(2025, 12, 31),
        },
    )
    frame, n = push_query.list_licences(actor("approver"), text="EXP-1")
    assert frame.iloc[0]["状态"] == "已过期"


def test_demo_data_has_every_push_state(db):
    today = clock.today()
    assert db.scalar("SELECT count(*) FROM push WHERE status = '已签收' AND CAST(signed_at AS DATE) <= due_on") > 1000
    assert db.scalar("SELECT count(*) FROM push WHERE status = '已签收' AND CAST(signed_at AS DATE) > due_on") > 50
    assert db.scalar("SELECT count(*) FROM push WHERE status = '待签收' AND due_on < ?", [today]) > 0
    assert db.scalar("SELECT count(*) FROM push WHERE status = '待签收' AND due_on >= ?", [today]) > 0
    assert db.scalar("SELECT count(*) FROM claim WHERE status = '已领取'") > 0
    assert db.scalar("SELECT count(*) FROM attachment WHERE owner_type = 'case'") > 0
    assert db.scalar("SELECT count(*) FROM push WHERE signed_by IS NULL AND status = '已签收'") == 0
    assert db.scalar("SELECT min(decided_on) FROM approval_case") < date(today.year - 1, today.month, 1)
    assert db.scalar("SELECT count(DISTINCT item_id) FROM approval_case") == db.scalar("SELECT count(*) FROM item")
