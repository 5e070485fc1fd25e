"""What the liaison feature's sub-modules share: the vocabularies of 附件3,
the SQL of a letter, its shown state, and the liaison's own assignment
(with the work-discipline check)."""

from __future__ import annotations

from datetime import date

from db.connection import get_db
from sgld import clock, settings
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.security import Actor

PAGE = "liaison"
LETTER_TITLE = "商请监管部门派出联络员参与审核工作的函"

EMPLOYMENT_TYPES = ("在职公务员", "参照公务员法管理人员", "事业单位人员", "其他")
ALLOWED_EMPLOYMENT = frozenset(EMPLOYMENT_TYPES[:3])
MIN_YEARS = 2
KINDS = ("现场审查", "联合审查", "专项审查")
RECOMMENDATIONS = ("建议通过", "建议整改后通过", "建议不予通过")
CHECK_RESULTS = ("已整改", "未整改")
DUE_SOON_WORKDAYS = 3

# 附件3 五、工作纪律 — shown on the first assignment and acknowledged.
DISCIPLINE_VERSION = 1
DISCIPLINE = (
    "（一）依法行政，严格执行法律、法规和规章制度。",
    "（二）恪尽职守，不推诿、扯皮、拖沓、应付，按时完成工作任务，实事求是反映实地核查情况，保守秘密。",
    "（三）廉洁自律，不以权谋私，不刁难被核查单位，不借机“吃、拿、卡、要、报”，"
    "不索取、收受行政相对人的红包、礼金、礼品和有价证券等。",
    "（四）谦虚谨慎、礼貌待人，自觉维护本部门良好形象。",
)
DUTIES = (
    "（一）参加审查并提出建议，做好审查记录。",
    "（二）协助做好现场审查情况报告的整理，并在相应文书上签字。",
    "（三）根据监管工作需要，了解和掌握申请人的基本情况，为监管提供保障。",
    "（四）督促申请人对审查中提出的问题按规定时间进行整改，并对整改情况进行检查（涉及硬件设施整改的需赴现场检查）。",
)
CONDITIONS = (
    "（一）本部门在职公务员、在职参照公务员法管理人员或事业单位人员；",
    "（二）熟悉本部门监管工作要求，具有一定的组织协调能力；",
    "（三）从事本部门工作2年以上。",
)

READERS = ("admin", "leader", "approver", "supervisor", "liaison")


def _city_rule_name() -> str:
    return f"《{settings.get().city}相对集中许可权事项联络员制度（试行）》"


# -- helpers ----------------------------------------------------------------
def _today() -> date:
    return clock.today()


def _bool(value, label: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ValidationError(f"“{label}”应为“是”或“否”。", field=label)


def _review_row(cur, review_id: int) -> dict:
    cur.execute("SELECT * FROM liaison_review WHERE id = ?", [review_id])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise NotFound("审查不存在。")
    return dict(zip(cols, row))


_LETTER_SQL = (
    "SELECT q.id, q.letter_no, q.review_id, q.department_id, d.name AS department, q.status,"
    " q.sent_at, su.display_name AS sent_by_name, q.attachment_id,"
    " q.liaison_id, l.name AS liaison_name, l.user_id AS liaison_user_id, q.dispatched_at,"
    " du.display_name AS dispatched_by_name, q.dispatch_note, q.withdrawn_reason, q.withdrawn_at,"
    " q.attended, q.absence_reason, q.record_text, q.suggestions, q.recommendation,"
    " q.applicant_info, q.recorded_at, q.signed_at, sg.display_name AS signed_by_name,"
    " q.signed_hash, q.feedback_text, q.feedback_at,"
    " r.kind, r.title, r.review_date, r.place, r.applicant, r.case_no, r.case_id,"
    " r.enterprise_id, r.special_review_id, r.purpose, r.basis, r.scope, r.content, r.schedule,"
    " r.report_text, r.report_updated_at, r.contact_name, r.contact_phone"
    " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
    " JOIN department d ON d.id = q.department_id"
    " LEFT JOIN liaison l ON l.id = q.liaison_id"
    " LEFT JOIN app_user su ON su.id = q.sent_by"
    " LEFT JOIN app_user du ON du.id = q.dispatched_by"
    " LEFT JOIN app_user sg ON sg.id = q.signed_by"
)


# the columns the lists need (the long texts are read by get_letter only)
_LIST_SQL = (
    "SELECT q.id, q.letter_no, q.review_id, q.department_id, d.name AS department, q.status,"
    " q.sent_at, q.liaison_id, l.name AS liaison_name, l.user_id AS liaison_user_id,"
    " q.dispatched_at, q.attended, q.recommendation, q.recorded_at, q.signed_at, q.feedback_at,"
    " r.kind, r.title, r.review_date, r.place, r.applicant, r.case_no,"
    " (r.report_text IS NOT NULL) AS has_report"
    " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
    " JOIN department d ON d.id = q.department_id"
    " LEFT JOIN liaison l ON l.id = q.liaison_id"
)


def letter_state(row: dict, today: date) -> str:
    """The state shown for a letter/assignment."""
    if row["status"] == "已撤回":
        return "已撤回"
    if row["status"] == "待派员":
        return "逾期未派员" if row["review_date"] < today else "待派员"
    if row["feedback_at"] is not None:
        return "已反馈"
    if row["signed_at"] is not None:
        return "已签字"
    if row["recorded_at"] is not None:
        return "已记录" if row["attended"] else "未参加"
    return "已派员"


# -- the liaison's work -----------------------------------------------------
def _has_assignment(user_id: int) -> bool:
    return bool(
        get_db().scalar(
            "SELECT count(*) FROM liaison_request q JOIN liaison l ON l.id = q.liaison_id"
            " WHERE l.user_id = ? AND q.status = '已派员'",
            [user_id],
        )
    )


def _assignment(cur, actor: Actor, request_id: int, action: str) -> dict:
    """The actor's own assignment (locked for this transaction's checks)."""
    cur.execute(
        "SELECT q.*, l.user_id AS liaison_user_id, r.review_date, r.title, r.report_text"
        " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
        " LEFT JOIN liaison l ON l.id = q.liaison_id WHERE q.id = ?",
        [request_id],
    )
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise NotFound("审查任务不存在。")
    a = dict(zip(cols, row))
    if a["status"] != "已派员" or a["liaison_user_id"] != actor.user_id:
        raise PermissionDenied(f"您没有权限{action}：该审查没有派您参加。")
    return a


def _require_ack(cur, actor: Actor) -> None:
    if not cur.execute(
        "SELECT 1 FROM liaison_discipline_ack WHERE user_id = ? AND version = ?", [actor.user_id, DISCIPLINE_VERSION]
    ).fetchone():
        raise StateError("请先阅读并确认联络员工作纪律。")
