"""Bad input for 专项审查 (motion, approval, notices, opinions, meeting
fields) and 联络员 (roster fields incl. dates, letters, records,
rectifications).  Each call succeeds or raises SgldError with a Chinese
message; a refused call changes no table."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgld import clock
from sgld.services import liaison
from sgld.services import special_review as sr
from tests.conftest import actor
from tests.fuzz_util import attempt, dates, fields, fuzz, fuzz_db, id_lists, ids, names, pick, recent_dates  # noqa: F401

pytestmark = pytest.mark.slow  # hypothesis: many examples, each against the demo database


def _future():
    base = datetime.combine(clock.today(), time(9, 0))
    return st.integers(1, 60).map(lambda d: base + timedelta(days=d))


@fuzz(40)
@given(data=st.data())
def test_propose(fuzz_db, data):
    db = fuzz_db
    depts = [
        r[0] for r in db.all("SELECT id FROM department WHERE kind = 'supervision' AND active ORDER BY id LIMIT 4")
    ]
    projects = [r[0] for r in db.all("SELECT project_no FROM project ORDER BY project_no LIMIT 4")]
    good = {
        "title": st.just("某项目专项审查"),
        "scopes": st.just([sr.SCOPES[0]]),
        "matters": st.just("协调环评与安评"),
        "meeting_at": _future(),
        "place": st.just("审批局三楼会议室"),
        "department_ids": st.lists(pick(depts), min_size=1, max_size=2),
        "project_no": pick(projects, ""),
    }
    bad = {
        "title": names(),
        "scopes": st.one_of(st.lists(names(), max_size=2), st.none()),
        "matters": names(),
        "meeting_at": st.one_of(dates(), st.datetimes()),
        "place": names(),
        "department_ids": id_lists(depts),
        "project_no": names(),
        "forms": st.one_of(st.lists(names("专家评审"), max_size=2), st.none()),
        "case_no": names(),
        "major": st.one_of(st.booleans(), st.none()),
        "invited_units": names(),
    }
    kw = data.draw(fields(good, bad))
    attempt(db, sr.propose, actor("approver"), expect_ok=not kw.bad, **kw)


@fuzz(40)
@given(
    data=st.data(),
    text=names("同意召开"),
    step=st.sampled_from(["approve", "send_back", "withdraw", "attendees", "opinion", "conclude", "government"]),
)
def test_review_steps(fuzz_db, data, text, step):
    db = fuzz_db
    reviews = [r[0] for r in db.all("SELECT id FROM special_review ORDER BY id DESC LIMIT 8")]
    rid = data.draw(st.one_of(pick(reviews), ids(reviews)), label="review_id")
    if step == "approve":
        attempt(db, sr.approve, actor("leader"), rid, text)
    elif step == "send_back":
        attempt(db, sr.send_back, actor("leader"), rid, text)
    elif step == "withdraw":
        attempt(db, sr.withdraw, actor("approver"), rid, text)
    elif step == "attendees":
        attempt(db, sr.name_attendees, actor("supervisor"), rid, text)
    elif step == "opinion":
        op = data.draw(st.one_of(st.sampled_from(sr.OPINIONS), names()), label="opinion")
        attempt(db, sr.submit_opinion, actor("supervisor"), rid, op, text)
    elif step == "conclude":
        attempt(db, sr.conclude, actor("approver"), rid, text)
    else:
        decision = data.draw(st.one_of(st.sampled_from(sr.GOV_DECISIONS), names()), label="d")
        attempt(
            db,
            sr.record_government_decision,
            actor("cityleader"),
            rid,
            decision,
            text,
            data.draw(recent_dates(), label="decided_on"),
        )


@fuzz(30)
@given(data=st.data())
def test_record_meeting(fuzz_db, data):
    db = fuzz_db
    notified = [
        r[0] for r in db.all("SELECT id FROM special_review WHERE status IN ('已通知', '已召开') ORDER BY id LIMIT 6")
    ]
    rid = data.draw(st.one_of(pick(notified), ids()), label="review_id")
    depts = [
        r[0]
        for r in db.all(
            "SELECT department_id FROM special_review_department WHERE review_id = ? ORDER BY 1",
            [rid if isinstance(rid, int) and abs(rid) < 2**62 else 0],
        )
    ]
    entry = st.fixed_dictionaries(
        {
            "attendance": st.one_of(st.sampled_from(sr.ATTENDANCE), names()),
            "absence_reason": names("出差"),
            "attendees": names("王科长"),
            "opinion": st.one_of(st.none(), st.sampled_from(sr.OPINIONS), names()),
            "opinion_text": names("同意"),
        }
    )
    good = {
        "held_on": st.just(clock.today()),
        "chair": st.just("王分管"),
        "presentation": st.just("经办人说明"),
        "departments": st.lists(entry, min_size=len(depts), max_size=len(depts)).map(lambda es: dict(zip(depts, es))),
        "expert_opinions": st.just("专家意见"),
        "site_findings": st.just("现场情况"),
    }
    bad = {
        "held_on": dates(),
        "chair": names(),
        "presentation": names(),
        "departments": st.one_of(
            st.dictionaries(
                st.one_of(ids(depts), st.text(max_size=3)), st.one_of(entry, st.none(), st.text(max_size=3)), max_size=3
            ),
            st.none(),
            st.lists(st.integers()),
        ),
        "expert_opinions": names(),
        "site_findings": names(),
    }
    attempt(db, sr.record_meeting, actor("approver"), rid, **data.draw(fields(good, bad)))


@fuzz(40)
@given(data=st.data())
def test_save_liaison(fuzz_db, data):
    db = fuzz_db
    sup = actor("supervisor")
    rows = [
        r[0] for r in db.all("SELECT id FROM liaison WHERE department_id = ? ORDER BY id LIMIT 4", [sup.department_id])
    ]
    users = [r[0] for r in db.all("SELECT id FROM app_user ORDER BY id LIMIT 12")]
    good = {
        "name": st.just("刘联络"),
        "employment_type": st.sampled_from(liaison.EMPLOYMENT_TYPES),
        "joined_on": recent_dates(),
        "familiar_confirmed": st.booleans(),
        "position": st.just(None),
        "contact": st.just("0513-1234"),
        "user_id": st.just(None),
        "active": st.booleans(),
        "liaison_id": st.one_of(st.none(), pick(rows)),
    }
    bad = {
        "name": names(),
        "employment_type": names(),
        "joined_on": dates(),
        "familiar_confirmed": st.one_of(st.none(), st.text(max_size=2), st.integers(0, 1)),
        "position": names(),
        "contact": names(),
        "user_id": st.one_of(ids(users), names()),
        "active": st.one_of(st.none(), st.text(max_size=2)),
        "liaison_id": ids(rows),
    }
    attempt(db, liaison.save_liaison, sup, **data.draw(fields(good, bad)))


@fuzz(40)
@given(data=st.data())
def test_create_review_and_letters(fuzz_db, data):
    db = fuzz_db
    depts = [
        r[0] for r in db.all("SELECT id FROM department WHERE kind = 'supervision' AND active ORDER BY id LIMIT 4")
    ]
    good = {
        "kind": st.just("现场审查"),
        "title": st.just("某食品厂现场审查"),
        "review_date": st.integers(2, 30).map(lambda d: clock.today() + timedelta(days=d)),
        "place": st.just("企业现场"),
        "purpose": st.just("核查条件"),
        "basis": st.just("办法"),
        "scope": st.just("生产条件"),
        "content": st.just("现场核查"),
        "schedule": st.just("上午"),
        "department_ids": st.lists(pick(depts), min_size=1, max_size=2),
    }
    bad = {
        "kind": names(),
        "title": names(),
        "review_date": dates(),
        "place": names(),
        "purpose": names(),
        "schedule": names(),
        "department_ids": id_lists(depts),
        "case_no": names(),
        "applicant_uscc": names(),
        "applicant_name": names(),
        "special_review_id": st.one_of(ids(), names()),
        "contact_phone": names(),
    }
    attempt(db, liaison.create_review, actor("approver"), **data.draw(fields(good, bad)))
    letters = [r[0] for r in db.all("SELECT id FROM liaison_request ORDER BY id DESC LIMIT 6")]
    lid = data.draw(st.one_of(pick(letters), ids(letters)), label="letter")
    text = data.draw(names("审查取消"), label="text")
    step = data.draw(st.sampled_from(["withdraw", "dispatch", "record", "feedback", "rect"]))
    if step == "withdraw":
        attempt(db, liaison.withdraw_letter, actor("approver"), lid, text)
    elif step == "dispatch":
        people = [r[0] for r in db.all("SELECT id FROM liaison ORDER BY id LIMIT 6")]
        attempt(
            db,
            liaison.dispatch,
            actor("supervisor"),
            lid,
            data.draw(st.one_of(ids(people), names()), label="liaison_id"),
            text,
        )
    elif step == "record":
        attempt(
            db,
            liaison.save_record,
            actor("liaison"),
            lid,
            attended=data.draw(st.one_of(st.booleans(), st.none()), label="attended"),
            record_text=text,
            suggestions=text,
            recommendation=data.draw(st.one_of(st.sampled_from(liaison.RECOMMENDATIONS), names()), label="rec"),
            absence_reason=text,
        )
    elif step == "feedback":
        attempt(db, liaison.submit_feedback, actor("liaison"), lid, text)
    else:
        attempt(
            db,
            liaison.add_rectification,
            actor("approver"),
            lid,
            problem=text,
            deadline=data.draw(recent_dates(), label="deadline"),
            hardware=data.draw(st.one_of(st.booleans(), st.none()), label="hw"),
        )


@fuzz(20)
@given(data=st.data(), text=names("整改完成"))
def test_check_rectification(fuzz_db, data, text):
    rects = [r[0] for r in fuzz_db.all("SELECT id FROM liaison_rectification ORDER BY id LIMIT 6")]
    attempt(
        fuzz_db,
        liaison.check_rectification,
        actor("liaison"),
        data.draw(st.one_of(pick(rects), ids(rects)), label="rect"),
        checked_on=data.draw(recent_dates(), label="on"),
        site_visit=data.draw(st.one_of(st.booleans(), st.none()), label="site"),
        result=data.draw(st.one_of(st.sampled_from(liaison.CHECK_RESULTS), names())),
        note=text,
        new_deadline=data.draw(st.one_of(st.none(), recent_dates()), label="nd"),
    )
