"""Issue 16 item 5: every document states who actually did what — with
特别重大 and 报请市政府分管领导主持 ticked and the bureau's 分管领导 approving
and chairing, neither the notice nor the minutes says the city leader did it
(the .docx generated and read back with python-docx)."""

from __future__ import annotations

import pytest

from sgld import clock
from sgld.documents import text_of
from sgld.errors import ValidationError
from sgld.services import special_review as sr
from tests.test_special_review_service import attend, notified, status

DEPTS = {"市场监管局": (sr.PRESENT, sr.AGREE, None), "生态环境局": (sr.PRESENT, sr.AGREE, None)}


def test_notice_and_minutes_name_who_approved_and_who_chaired(db, as_user):
    rid = notified(db, as_user, depts=tuple(DEPTS), major=True, city_chair=True)
    leader = as_user("leader")
    notice = text_of(sr.notice_docx(as_user("supervisor"), rid)[1])
    assert f"经市行政审批局分管领导{leader.display_name}审察同意" in notice
    assert "市政府分管领导审察" not in notice
    assert "并报请市政府分管领导主持会议" in notice  # asked to preside, nothing more
    # the planned chair reads as a request, not as a fact
    assert sr.get_review(as_user("approver"), rid)["chair_level"] == "报请市政府分管领导主持"

    # a bare title does not say who chaired: refused, nothing recorded
    for bare in ("市政府分管领导", "市行政审批局分管领导", "报请市政府分管领导主持"):
        with pytest.raises(ValidationError, match="实际主持会议人员的职务和姓名"):
            sr.record_meeting(
                as_user("approver"),
                rid,
                held_on=clock.today(),
                chair=bare,
                presentation="经办人介绍项目情况。",
                departments=attend(db, DEPTS),
            )
    assert status(db, rid) == sr.S_NOTIFIED

    chair = f"市行政审批局分管领导{leader.display_name}"
    sr.record_meeting(
        as_user("approver"),
        rid,
        held_on=clock.today(),
        chair=chair,
        presentation="经办人介绍项目情况。",
        departments=attend(db, DEPTS),
    )
    sr.conclude(as_user("approver"), rid, "同意按现方案办理审批手续。")
    sr.issue_minutes(as_user("approver"), rid)
    minutes = text_of(sr.minutes_docx(as_user("supervisor"), rid)[1])
    assert f"{chair}在第一会议室主持召开专项审查会议" in minutes
    assert "市政府分管领导在" not in minutes and "市政府分管领导主持" not in minutes
