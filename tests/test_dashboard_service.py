"""A small hand-built dataset for the dashboard and quick-query tests, with
the figures it must give worked out by hand in the comments (the clock is
frozen on Friday 2026-03-20; the period is 2026-03-01 … 03-20, 20 days, so
the previous period is 2026-02-09 … 02-28; March 2026 has no holiday)."""

from __future__ import annotations

from datetime import date, datetime

from sgld import uscc
from sgld.security import Actor

NOW = datetime(2026, 3, 20, 10, 0)
PERIOD = (date(2026, 3, 1), date(2026, 3, 20))
BUREAU, SCJG, STHJ, SLJ = 1, 2, 3, 4  # department ids
E1, E2, E3 = 1, 2, 3  # enterprise ids
USCC = {E1: uscc.make("91320602MA1AAAAA1"), E2: uscc.make("91320602MA1BBBBB2"), E3: uscc.make("91320602MA1CCCCC3")}
NAMES = {E1: "南通甲乙食品有限公司", E2: "南通丙丁化工有限公司", E3: "南通戊己水务有限公司"}


def actor(role: str, dept: int = BUREAU, uid: int = 1) -> Actor:
    names = {
        BUREAU: ("市行政审批局", "bureau"),
        SCJG: ("市场监管局", "supervision"),
        STHJ: ("生态环境局", "supervision"),
        SLJ: ("水利局", "licensing"),
    }
    return Actor(uid, f"u{uid}", f"用户{uid}", dept, names[dept][0], names[dept][1], frozenset({role}))


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s)


def build(db) -> None:
    tables = {r[0] for r in db.all("SELECT table_name FROM information_schema.tables")}

    def tx(cur):
        now = NOW
        x = cur.execute
        for i, (name, kind) in enumerate(
            [
                ("市行政审批局", "bureau"),
                ("市场监管局", "supervision"),
                ("生态环境局", "supervision"),
                ("水利局", "licensing"),
            ],
            1,
        ):
            x("INSERT INTO department (id, name, kind, created_at) VALUES (?, ?, ?, ?)", [i, name, kind, now])
        for i, (code, name, cat, central, dept) in enumerate(
            [
                ("SC-001", "食品经营许可", "市场准入", True, SCJG),
                ("HB-001", "环评审批", "生态环境", True, STHJ),
                ("QT-001", "取水许可", "其他部门许可", False, SLJ),
            ],
            1,
        ):
            x(
                "INSERT INTO item (id, code, name, category, centralised, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [i, code, name, cat, central, now, now],
            )
            x("INSERT INTO item_department VALUES (?, ?)", [i, dept])
        for e in (E1, E2, E3):
            x("INSERT INTO enterprise (id, uscc, name, created_at) VALUES (?, ?, ?, ?)", [e, USCC[e], NAMES[e], now])
        # cases: (id, no, item, enterprise, stage, decided_on, created_at)
        cases = [
            (1, "SPT0001", 1, E1, "办结", "2026-03-02", "2026-03-02 09:00"),
            (2, "SPT0002", 1, E2, "需监管部门参与环节", "2026-03-05", "2026-03-05 09:00"),
            (3, "SPT0003", 2, E2, "办结", "2026-03-12", "2026-03-10 09:00"),
            (4, "SPT0004", 2, E3, "办结", "2026-03-03", "2026-02-15 09:00"),  # recorded in prev
            (5, "SPT0005", 3, E3, "办结", "2026-03-06", "2026-03-06 09:00"),
            (6, "SPT0006", 1, E1, "办结", "2026-01-10", "2026-01-10 09:00"),  # outside both
        ]
        for cid, no, item, ent, stage, decided, created in cases:
            pno = f"2026-320602-00-03-{cid:06d}"
            x(
                "INSERT INTO project (project_no, name, enterprise_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [pno, f"项目{cid}", ent, now, now],
            )
            x(
                "INSERT INTO approval_case (id, case_no, item_id, enterprise_id, project_no, stage,"
                " reply, decided_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '准予', ?, ?, ?)",
                [cid, no, item, ent, pno, stage, date.fromisoformat(decided), ts(created), ts(created)],
            )
        # licences: L1 of a centralised item for E1; L2 of a non-centralised item for E3
        x(
            "INSERT INTO licence (id, licence_no, kind, case_id, enterprise_id, item_id, issued_on,"
            " created_at) VALUES (1, 'LIC-T-001', '许可证', 1, ?, 1, '2026-03-02', ?)",
            [E1, now],
        )
        x(
            "INSERT INTO licence (id, licence_no, kind, case_id, enterprise_id, item_id, issued_on,"
            " created_at) VALUES (2, 'LIC-T-002', '许可证', 5, ?, 3, '2026-03-06', ?)",
            [E3, now],
        )
        # pushes: (id, case, dept, pushed_at, due_on, status, signed_at)
        for row in [
            (1, 1, SCJG, "2026-03-02 10:00", "2026-03-05", "已签收", "2026-03-04 15:00"),  # on time, 2 wd
            (2, 2, SCJG, "2026-03-05 10:00", "2026-03-10", "已签收", "2026-03-11 09:00"),  # late, 4 wd
            (3, 3, STHJ, "2026-03-12 10:00", "2026-03-17", "待签收", None),  # overdue
            (4, 3, STHJ, "2026-03-19 10:00", "2026-03-24", "待签收", None),  # open
            (5, 4, STHJ, "2026-02-25 10:00", "2026-03-02", "已签收", "2026-02-26 10:00"),  # prev, 1 wd
        ]:
            pid, cid, d, at, due, status, signed = row
            x(
                "INSERT INTO push (id, case_id, department_id, stage, pushed_at, due_on, status,"
                " signed_at) VALUES (?, ?, ?, '办结', ?, ?, ?, ?)",
                [pid, cid, d, ts(at), date.fromisoformat(due), status, ts(signed) if signed else None],
            )
        # claims of case 5 by 水利局: one claimed after 2 working days, one waiting
        x(
            "INSERT INTO claim (id, case_id, department_id, stage, status, claimed_at, available_at)"
            " VALUES (1, 5, ?, '办结', '已领取', ?, ?)",
            [SLJ, ts("2026-03-10 11:00"), ts("2026-03-06 10:00")],
        )
        x(
            "INSERT INTO claim (id, case_id, department_id, stage, status, available_at)"
            " VALUES (2, 5, ?, '需监管部门参与环节', '待领取', ?)",
            [SLJ, ts("2026-03-18 10:00")],
        )
        # inspections
        for iid, d, e, at, result in [
            (1, SCJG, E1, "2026-03-03 10:00", "合格"),
            (2, SCJG, E2, "2026-03-04 10:00", "责令整改"),
            (3, STHJ, E2, "2026-03-15 10:00", "合格"),
            (4, STHJ, E3, "2026-02-20 10:00", "合格"),
        ]:
            x(
                "INSERT INTO inspection (id, department_id, enterprise_id, uscc, entity_name,"
                " inspected_at, place, result, inspectors, recorded_at) VALUES"
                " (?, ?, ?, ?, ?, ?, '现场', ?, '张三', ?)",
                [iid, d, e, USCC[e], NAMES[e], ts(at), result, now],
            )
        # penalties
        for pid, e, no, cat, fine, conf, on in [
            (1, E1, "通市监罚〔2026〕1号", "罚款", 1.5, None, "2026-03-05"),
            (2, E3, "通水罚〔2026〕2号", "罚款；没收违法所得", 2.0, 0.5, "2026-03-08"),
            (3, E2, "通环罚〔2026〕3号", "罚款", 3.0, None, "2026-02-15"),
        ]:
            x(
                "INSERT INTO penalty (id, source, decision_no, uscc, enterprise_id, entity_name, category,"
                " fine_wan, confiscation_wan, decision_date, imported_at) VALUES"
                " (?, '行权系统', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [pid, no, USCC[e], e, NAMES[e], cat, fine, conf, date.fromisoformat(on), now],
            )
        # special reviews
        for rid, no, scopes, meeting, status, outcome, depts in [
            (1, "专审〔2026〕1号", ["安全生产", "生态环境保护"], "2026-03-10 09:00", "纪要已印发", "达成一致", [STHJ]),
            (2, "专审〔2026〕2号", ["安全生产"], "2026-03-18 09:00", "已通知", None, [SCJG]),
            (3, "专审〔2026〕3号", ["国家安全"], "2026-02-20 09:00", "已撤回", None, [STHJ]),
        ]:
            x(
                "INSERT INTO special_review (id, review_no, title, scopes, forms, matters, meeting_at,"
                " place, status, outcome, division_id, proposed_by, proposed_at, submitted_at, updated_at)"
                " VALUES (?, ?, ?, ?, ARRAY['专题会议'], '协调事项', ?, '会议室', ?, ?, ?, 1, ?, ?, ?)",
                [rid, no, f"审查议题{rid}", scopes, ts(meeting), status, outcome, BUREAU, now, now, now],
            )
            for d in depts:
                x("INSERT INTO special_review_department (review_id, department_id) VALUES (?, ?)", [rid, d])
        # liaison letters
        for vid, on in [(1, "2026-03-10"), (2, "2026-03-19"), (3, "2026-03-25")]:
            x(
                "INSERT INTO liaison_review (id, kind, title, purpose, basis, scope, content, schedule,"
                " review_date, place, created_at) VALUES (?, '现场审查', ?, '目的', '依据', '范围', '内容',"
                " '日程', ?, '现场', ?)",
                [vid, f"现场审查{vid}", date.fromisoformat(on), now],
            )
        for qid, vid, d, status, dispatched, attended, recorded in [
            (1, 1, SCJG, "已派员", "2026-03-08 10:00", True, "2026-03-10 17:00"),  # on time, attended
            (2, 1, STHJ, "待派员", None, None, None),  # unanswered
            (3, 2, SCJG, "已派员", "2026-03-19 08:00", False, "2026-03-19 17:00"),  # late, absent
            (4, 2, STHJ, "已撤回", None, None, None),
        ]:  # withdrawn
            x(
                "INSERT INTO liaison_request (id, review_id, department_id, letter_no, sent_at, status,"
                " dispatched_at, attended, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    qid,
                    vid,
                    d,
                    f"商请函〔2026〕{qid}号",
                    ts("2026-03-01 09:00"),
                    status,
                    ts(dispatched) if dispatched else None,
                    attended,
                    ts(recorded) if recorded else None,
                ],
            )
        if "revocation_request" in tables:
            for rid, d, action, filed, status, decided, deadline in [
                (1, SCJG, "撤销许可决定", "2026-03-09 10:00", "已撤销", "2026-03-12 10:00", "2026-03-20"),
                (2, SCJG, "吊销许可证", "2026-03-16 10:00", "已提交", None, "2026-03-19"),
                (3, STHJ, "撤销许可决定", "2026-02-25 10:00", "不予撤销", "2026-02-27 10:00", "2026-03-10"),
            ]:
                x(
                    "INSERT INTO revocation_request (id, request_no, licence_id, enterprise_id, item_id,"
                    " category, department_id, requested_action, facts, legal_basis, status, filed_by,"
                    " filed_at, deadline, decided_at, updated_at) VALUES (?, ?, 1, ?, 1, '市场准入', ?, ?,"
                    " '事实', '依据', ?, 1, ?, ?, ?, ?)",
                    [
                        rid,
                        f"XT2026-{rid:04d}",
                        E1,
                        d,
                        action,
                        status,
                        ts(filed),
                        date.fromisoformat(deadline),
                        ts(decided) if decided else None,
                        now,
                    ],
                )
        if "warning_entry" in tables:
            for wid, e, status, listed, lifted in [
                (1, E3, "已解除", "2026-01-05 10:00", "2026-02-10 10:00"),  # listed at the prev start
                (2, E1, "在列", "2026-02-20 10:00", None),
                (3, E2, "已解除", "2026-03-05 10:00", "2026-03-15 10:00"),
                (4, E3, "在列", "2026-03-10 10:00", None),
            ]:
                x(
                    "INSERT INTO warning_entry (id, enterprise_id, status, listed_at, lifted_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [wid, e, status, ts(listed), ts(lifted) if lifted else None],
                )

    db.write(tx)


# -- the tests ------------------------------------------------------------------
import pytest  # noqa: E402

from sgld import clock  # noqa: E402
from sgld.errors import PermissionDenied, ValidationError  # noqa: E402
from sgld.services import dashboard  # noqa: E402


@pytest.fixture
def data(empty_db):
    build(empty_db)
    clock.freeze(NOW)
    yield empty_db
    clock.freeze(None)


def figures(who: Actor, dept=None, category=None) -> dashboard.Dashboard:
    return dashboard.leader_figures(who, dashboard.make_filters(*PERIOD, dept, category))


def head(dash) -> dict:
    return {h.label: (h.value, h.previous) for h in dash.headline}


def rows(frame, key) -> dict:
    return {r[key]: r for r in frame.to_dict("records")}


def test_previous_period_has_the_same_length():
    f = dashboard.make_filters(*PERIOD)
    assert f.days == 20 and f.previous == (date(2026, 2, 9), date(2026, 2, 28))


def test_bad_filters_are_refused():
    with pytest.raises(ValidationError, match="起始日期不能晚于结束日期"):
        dashboard.make_filters(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValidationError):
        dashboard.make_filters(None, date(2026, 3, 1))
    with pytest.raises(ValidationError):
        dashboard.period_range("上个世纪")


def test_period_presets():
    today = date(2026, 3, 20)
    assert dashboard.period_range("本月", today) == (date(2026, 3, 1), today)
    assert dashboard.period_range("本季度", today) == (date(2026, 1, 1), today)
    assert dashboard.period_range("本年", today) == (date(2026, 1, 1), today)
    assert dashboard.period_range("近30天", today) == (date(2026, 2, 19), today)
    # the twelve months ending today (issue 16 item 20: not the calendar months, equal to 本年 in December)
    assert dashboard.period_range("近12个月", today) == (date(2025, 3, 21), today)
    assert dashboard.period_range("近12个月", date(2026, 12, 5)) == (date(2025, 12, 6), date(2026, 12, 5))


def test_cases_by_category_and_month(data):
    d = figures(actor("leader"))
    h = head(d)
    assert h["录入办件"] == (4, 1)  # cases 1, 2, 3, 5 / case 4
    assert h["办结办件"] == (4, 0)  # cases 1, 3, 4, 5 (case 2 is not concluded, 6 is outside)
    cat = rows(d.figure("cases_by_category").frame, "事项分类")
    assert (cat["市场准入"]["录入办件"], cat["市场准入"]["办结办件"]) == (2, 1)
    assert (cat["生态环境"]["录入办件"], cat["生态环境"]["办结办件"]) == (1, 2)
    assert (cat["其他部门许可"]["录入办件"], cat["其他部门许可"]["办结办件"]) == (1, 1)
    month = d.figure("cases_by_month").frame
    assert month.to_dict("records") == [{"月份": "2026-03", "录入办件": 4, "办结办件": 4}]


def test_push_ranking_rates_and_working_days(data):
    d = figures(actor("leader"))
    h = head(d)
    assert h["推送"] == (4, 1)
    assert h["按时签收率"] == (33.3, 100.0)  # 1 on time of (2 signed + 1 overdue); prev 1 of 1
    assert h["平均签收用时"] == (3.0, 1.0)  # (2 + 4) / 2 working days; prev 1
    assert h["逾期未签收"] == (1, 0)
    rank = d.figure("push_ranking").frame
    assert list(rank["部门"]) == ["生态环境局", "市场监管局"]  # the overdue department first
    r = rows(rank, "部门")
    assert r["生态环境局"]["排名"] == 1 and r["生态环境局"]["逾期未签收"] == 1
    assert r["生态环境局"]["待签收未超时"] == 1 and r["生态环境局"]["按时签收率(%)"] == 0.0
    assert r["市场监管局"]["推送数"] == 2 and r["市场监管局"]["按时签收"] == 1
    assert r["市场监管局"]["逾期签收"] == 1 and r["市场监管局"]["按时签收率(%)"] == 50.0
    assert r["市场监管局"]["平均签收用时(工作日)"] == 3.0


def test_claims(data):
    d = figures(actor("leader"))
    assert head(d)["领取审批结果"] == (1, 0)
    r = rows(d.figure("claims").frame, "部门")["水利局"]
    assert (r["开放领取"], r["已领取"], r["待领取"], r["领取率(%)"], r["平均领取用时(工作日)"]) == (2, 1, 1, 50.0, 2.0)


def test_inspections_by_department_and_result(data):
    d = figures(actor("leader"))
    assert head(d)["日常检查"] == (3, 1)
    r = rows(d.figure("inspections").frame, "部门")
    assert (r["市场监管局"]["合格"], r["市场监管局"]["责令整改"], r["市场监管局"]["合计"]) == (1, 1, 2)
    assert (r["生态环境局"]["合格"], r["生态环境局"]["合计"]) == (1, 1)


def test_penalties_by_category_amounts_and_bureau_licences(data):
    d = figures(actor("leader"))
    h = head(d)
    assert h["行政处罚"] == (2, 1)
    assert h["罚没金额"] == (4.0, 3.0)  # 1.5 + 2.0 + 0.5 / 3.0
    r = rows(d.figure("penalties").frame, "处罚类别")
    assert (r["罚款"]["件数"], r["罚款"]["罚款金额(万元)"], r["罚款"]["涉及审批局发证企业"]) == (1, 1.5, 1)
    # E3 holds only a licence of a non-centralised item: not the bureau's
    x = r["罚款；没收违法所得"]
    assert (x["件数"], x["罚款金额(万元)"], x["没收金额(万元)"], x["涉及审批局发证企业"]) == (1, 2.0, 0.5, 0)
    assert r["合计"]["件数"] == 2 and r["合计"]["涉及审批局发证企业"] == 1


def test_special_reviews_by_scope_and_outcome(data):
    d = figures(actor("leader"))
    assert head(d)["专项审查"] == (2, 1)
    r = rows(d.figure("reviews").frame, "审查范围")
    assert (r["安全生产"]["合计"], r["安全生产"]["达成一致"], r["安全生产"]["进行中"]) == (2, 1, 1)
    assert (r["生态环境保护"]["合计"], r["生态环境保护"]["达成一致"]) == (1, 1)
    assert "国家安全" not in r  # the withdrawn one was in the previous period


def test_liaison_letters_on_time_and_attendance(data):
    d = figures(actor("leader"))
    assert head(d)["按时派员率"][0] == 33.3  # 1 on time of (2 dispatched + 1 unanswered)
    r = rows(d.figure("liaison").frame, "部门")
    m = r["市场监管局"]
    assert (m["商请函"], m["按时派员"], m["逾期未派员"], m["按时派员率(%)"], m["参加审查"], m["未参加"]) == (
        2,
        1,
        0,
        50.0,
        1,
        1,
    )
    s = r["生态环境局"]  # the withdrawn letter is not counted
    assert (s["商请函"], s["按时派员"], s["逾期未派员"], s["按时派员率(%)"]) == (1, 0, 1, 0.0)


def test_revocations_by_outcome_and_decision_time(data):
    d = figures(actor("leader"))
    assert head(d)["撤销申请"] == (2, 1)
    r = rows(d.figure("revocations").frame, "申请事项")
    a = r["撤销许可决定"]
    assert (a["申请数"], a["已撤销"], a["平均办理用时(工作日)"], a["超期办结"]) == (1, 1, 3.0, 0)
    b = r["吊销许可证"]
    assert (b["申请数"], b["已提交"], b["超期未办结"]) == (1, 1, 1)


def test_warning_list_size_and_movement(data):
    d = figures(actor("leader"))
    assert head(d)["警示名单在列"] == (2, 1)
    assert d.figure("warning").frame.to_dict("records") == [{"月份": "2026-03", "新列入": 2, "解除": 1, "月末在列": 2}]


def test_category_filter_applies_to_item_figures(data):
    d = figures(actor("leader"), category="生态环境")
    h = head(d)
    assert h["录入办件"] == (1, 1) and h["办结办件"] == (2, 0)
    assert h["推送"] == (2, 1)  # pushes 3, 4 / 5 (cases of HB-001)
    assert "claims" in [f.key for f in d.figures] and not len(d.figure("claims").frame)
    assert "不按事项分类" in d.figure("inspections").note


def test_department_filter(data):
    d = figures(actor("leader"), dept=STHJ)
    h = head(d)
    assert d.scope == "生态环境局"
    assert h["推送"] == (2, 1) and h["日常检查"] == (1, 1)
    assert list(d.figure("push_ranking").frame["部门"]) == ["生态环境局"]
    assert h["录入办件"] == (1, 1)  # case 3 (pushed to it) / case 4
    assert h["专项审查"] == (1, 1)
    # penalties of the enterprises it supervises or inspected: E2 (prev) and E3
    assert h["行政处罚"] == (1, 1)


def test_supervisor_sees_only_their_department(data):
    sup = actor("supervisor", SCJG, uid=7)
    for asked in (None, STHJ, SLJ):
        d = figures(sup, dept=asked)
        assert d.scope == "市场监管局"
        for fig in d.figures:
            if "部门" in fig.frame.columns:
                assert set(fig.frame["部门"]) <= {"市场监管局"}, fig.key
    h = head(figures(sup))
    assert h["推送"] == (2, 0) and h["日常检查"] == (2, 0)
    opts = dashboard.filter_options(sup)
    assert [x["id"] for x in opts["departments"]] == [SCJG] and opts["locked_department"]


def test_who_may_see_the_statistics(data):
    with pytest.raises(PermissionDenied):
        figures(actor("liaison", SCJG))
    with pytest.raises(PermissionDenied):
        figures(None)
    assert figures(actor("approver")).scope == "全市"
    assert figures(actor("admin"), dept=SCJG).scope == "市场监管局"


def test_workbook_has_every_figure_and_the_overview(data):
    d = figures(actor("leader"))
    book = dashboard.workbook(d)
    assert list(book)[0] == "概览"
    shown = [f for f in d.figures if f.empty is None]
    assert len(book) == 1 + len(shown)
    over = book["概览"]
    assert over.loc[over["指标"] == "推送", "本期"].iloc[0] == 4
    import io

    import openpyxl

    from sgld.export import to_xlsx

    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(book)))
    assert wb.sheetnames[0] == "概览" and len(wb.sheetnames) == len(book)


def test_writes_bump_the_data_version(data):
    from sgld import audit

    before = audit.data_version()
    data.write(lambda cur: audit.record(cur, None, "test", "thing", 1))
    assert audit.data_version() > before


def test_calendar_frame_matches_workdays(data):
    from sgld import workdays

    cal = dashboard.calendar_frame(date(2026, 1, 1), date(2026, 12, 31))
    wd = dict(zip(cal["day"], cal["wd_no"]))
    for a, b in [
        (date(2026, 2, 13), date(2026, 2, 27)),
        (date(2026, 9, 30), date(2026, 10, 12)),
        (date(2026, 3, 5), date(2026, 3, 11)),
    ]:
        assert wd[b] - wd[a] == workdays.workdays_between(a, b)
    workdays.set_day(actor("admin"), date(2026, 3, 9), False, "测试停工")
    dashboard._cal_cache.clear()
    cal = dashboard.calendar_frame(date(2026, 1, 1), date(2026, 12, 31))
    wd = dict(zip(cal["day"], cal["wd_no"]))
    assert wd[date(2026, 3, 11)] - wd[date(2026, 3, 5)] == 3


def test_empty_sections_say_so(empty_db):
    clock.freeze(NOW)
    try:
        d = figures(actor("leader"))
    finally:
        clock.freeze(None)
    assert all(not len(f.frame) or f.key in ("warning",) for f in d.figures)
    assert head(d)["推送"] == (0, 0) and head(d)["按时签收率"] == (None, None)


@pytest.mark.parametrize(
    "d0,d1,expected",
    [
        (date(2026, 1, 1), date(2026, 12, 31), None),
        (date(2026, 1, 1), date(2026, 12, 5), "2026年12月只计至 12-05，不是整月。"),
        (date(2026, 3, 15), date(2026, 4, 30), "2026年3月自 03-15 起计，不是整月。"),
        (date(2026, 2, 10), date(2026, 2, 27), "2026年2月自 02-10 起计；2026年2月只计至 02-27，不是整月。"),
    ],
)
def test_monthly_chart_says_which_months_are_partial(d0, d1, expected):
    """A period ending today makes the last month short: the chart says so,
    and says nothing for whole months."""
    assert dashboard.partial_months_note(dashboard.make_filters(d0, d1)) == expected
