"""AppTest: filing a 协同处理申请 (enterprise profile, 监管录入 tab), the
approver's decision on 审批推送 → 协同处理待办, read-only leaders, the
warning-list tab."""

from __future__ import annotations

from tests.apptest_util import as_logged_in, login, page_source

PUSH = "pages/1_审批推送.py"
SUPERVISE = "pages/2_监管录入.py"
PROFILE = "pages/5_企业画像.py"
WALK = "南通濠河示范环保科技有限公司"


def _walk(db):
    eid = db.scalar("SELECT id FROM enterprise WHERE name = ?", [WALK])
    lic = db.scalar("SELECT id FROM licence WHERE enterprise_id = ? AND licence_no LIKE 'HB002XT%'", [eid])
    return eid, lic


def _fill(at, k: str, lic: int, facts="超标排放，拒不改正。", basis="《行政许可法》第六十九条"):
    at.selectbox(key=f"{k}_lic").select(lic).run()
    at.selectbox(key=f"{k}_act").select("吊销许可证")
    at.text_area(key=f"{k}_facts").input(facts)
    at.text_area(key=f"{k}_basis").input(basis)
    at.button(key=f"{k}_go").click().run()
    assert not at.exception, at.exception


def test_supervisor_files_from_the_enterprise_profile(db):
    eid, lic = _walk(db)
    at = login("supervisor")  # through app.py: the profile's links need the navigation
    at.query_params["enterprise"] = str(eid)
    at.switch_page(PROFILE).run()
    assert not at.exception, at.exception
    assert any("提请协同处理" in e.label for e in at.expander)
    _fill(at, f"xtp{eid}0", lic)
    assert not at.error, [e.value for e in at.error]
    row = db.one(
        "SELECT request_no, status, source_kind, department_id FROM revocation_request WHERE licence_id = ?", [lic]
    )
    assert row[1] == "已提交" and row[2] == "企业画像"
    assert row[0] in page_source(at)  # the success message names the request


def test_bad_filing_shows_message_and_saves_nothing(db):
    eid, lic = _walk(db)
    n = db.scalar("SELECT count(*) FROM revocation_request")
    at = as_logged_in(SUPERVISE, "supervisor")
    at.query_params["xt_enterprise"] = str(eid)
    at.run()
    assert not at.exception, at.exception
    _fill(at, f"xtf{eid}0", lic, facts="")
    assert any("事实与理由" in e.value for e in at.error)
    assert db.scalar("SELECT count(*) FROM revocation_request") == n


def test_supervise_tab_lists_and_signs_explanation(db):
    at = as_logged_in(SUPERVISE, "supervisor")
    at.session_state["sup_tab"] = "协同处理申请"  # only the open tab runs
    at.run()
    assert not at.exception, at.exception
    assert "协同处理申请" in [t.label for t in at.tabs]
    assert any(m.label == "待签收书面说明" and m.value == "1" for m in at.metric)
    rid = db.scalar("SELECT id FROM revocation_request WHERE status = '不予撤销' AND explanation_signed_at IS NULL")
    at.query_params["xt"] = str(rid)
    at.run()
    at.button(key="xt_dd_sign").click().run()
    assert not at.exception, at.exception
    assert db.scalar("SELECT explanation_signed_by FROM revocation_request WHERE id = ?", [rid]) is not None


def test_approver_sees_todo_and_revokes(db):
    rid, lic = db.one("SELECT id, licence_id FROM revocation_request WHERE status = '已提交' AND category = '生态环境'")
    at = as_logged_in(PUSH, "approver")
    at.session_state["push_tab"] = "协同处理待办"
    at.run()
    assert not at.exception, at.exception
    assert "协同处理待办" in [t.label for t in at.tabs]
    assert any(m.label == "我的协同处理待办" and m.value == "1" for m in at.metric)
    # the single to-do opens directly; decide without choosing: a message, nothing changed
    form_areas = [a for a in at.text_area if a.label in ("核实情况 *", "决定理由 *")]
    form_areas[0].input("经调阅档案并现场核查，申请所述事实属实。")
    form_areas[1].input("以欺骗手段取得批准，依法撤销。")
    [b for b in at.button if b.label == "作出决定"][0].click().run()
    assert any("请选择处理决定" in e.value for e in at.error)
    assert db.scalar("SELECT status FROM revocation_request WHERE id = ?", [rid]) == "已提交"
    at.radio[0].set_value(at.radio[0].options[0])
    [b for b in at.button if b.label == "作出决定"][0].click().run()
    assert not at.exception, at.exception
    assert db.scalar("SELECT status FROM revocation_request WHERE id = ?", [rid]) == "已撤销"
    assert db.scalar("SELECT status FROM licence WHERE id = ?", [lic]) == "已撤销"
    assert "再次推送" in page_source(at)


def test_leader_reads_without_actions(db):
    at = as_logged_in(PUSH, "leader")
    at.session_state["push_tab"] = "协同处理"
    at.run()
    assert not at.exception, at.exception
    assert "协同处理" in [t.label for t in at.tabs]
    assert not [b for b in at.button if b.label in ("作出决定", "开始核实")]


def test_warning_tab_lift_needs_reason(db):
    at = as_logged_in(PUSH, "approver")
    at.session_state["push_tab"] = "警示名单"
    eid = db.scalar("SELECT enterprise_id FROM warning_entry WHERE status = '在列' AND NOT manual LIMIT 1")
    at.query_params["warning"] = str(eid)
    at.run()
    assert not at.exception, at.exception
    assert any(m.label == "在列企业" for m in at.metric)
    [b for b in at.button if b.label == "解除警示"][0].click().run()
    assert any("解除原因" in e.value for e in at.error)
    assert db.scalar("SELECT status FROM warning_entry WHERE enterprise_id = ? AND status = '在列'", [eid]) == "在列"
    [a for a in at.text_area if a.label == "解除原因 *"][0].input("整改完毕")
    [b for b in at.button if b.label == "解除警示"][0].click().run()
    assert not at.exception, at.exception
    assert db.scalar("SELECT count(*) FROM warning_entry WHERE enterprise_id = ? AND status = '在列'", [eid]) == 0


def test_case_form_flags_listed_enterprise(db):
    code = db.scalar(
        "SELECT e.uscc FROM warning_entry w JOIN enterprise e ON e.id = w.enterprise_id WHERE w.status = '在列' LIMIT 1"
    )
    at = as_logged_in(PUSH, "approver").run()
    at.text_input(key="rec0_uscc").input(code).run()
    assert not at.exception, at.exception
    assert any("警示名单" in e.value for e in at.error)


def test_filing_from_an_inspection_links_it(db):
    eid, lic = _walk(db)
    sup_dept = db.scalar("SELECT department_id FROM app_user WHERE username = 'supervisor'")
    with db.transaction() as cur:
        iid = cur.execute(
            "INSERT INTO inspection (department_id, enterprise_id, uscc, entity_name, inspected_at, place,"
            " result, inspectors, recorded_at) SELECT ?, id, uscc, name, now(), '现场', '立案查处', '张三',"
            " now() FROM enterprise WHERE id = ? RETURNING id",
            [sup_dept, eid],
        ).fetchone()[0]
    at = as_logged_in(SUPERVISE, "supervisor")
    at.query_params["xt_inspection"] = str(iid)
    at.run()
    assert not at.exception, at.exception
    assert at.multiselect(key=f"xtf{eid}0_ins").value == [iid]
    _fill(at, f"xtf{eid}0", lic)
    rid, kind = db.one("SELECT id, source_kind FROM revocation_request WHERE licence_id = ?", [lic])
    assert kind == "日常检查"
    assert db.all("SELECT record_type, record_id FROM revocation_evidence WHERE request_id = ?", [rid]) == [
        ("inspection", iid)
    ]
