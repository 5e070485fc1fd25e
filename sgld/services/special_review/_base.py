"""What the special review's sub-modules share: the vocabularies and status
names, loading a review and its departments, and who may see or manage it."""

from __future__ import annotations

from collections.abc import Mapping

from sgld import policy, workflows
from sgld.errors import NotFound, PermissionDenied
from sgld.security import ROLES, Actor, require

# -- vocabularies ---------------------------------------------------------
SCOPES = (
    "国家安全",
    "生态环境保护",
    "安全生产",
    "重大生产力布局",
    "战略性资源开发",
    "重大公共利益",
    "其他需要集体研究的重要事项",
)
FORMS = ("专题会议", "专家评审", "现场检查")
DEFAULT_FORM = "专题会议"

S_PENDING, S_RETURNED, S_WITHDRAWN = "待审察", "已退回", "已撤回"
S_NOTIFIED, S_HELD = "已通知", "已召开"
S_AGREED, S_ESCALATED, S_DECIDED, S_ISSUED = "已达成一致", "待市政府决定", "市政府已决定", "纪要已印发"
STATUSES = (S_PENDING, S_RETURNED, S_WITHDRAWN, S_NOTIFIED, S_HELD, S_AGREED, S_ESCALATED, S_DECIDED, S_ISSUED)
# statuses in which the notice has gone out (participating departments see the review)
NOTIFIED = (S_NOTIFIED, S_HELD, S_AGREED, S_ESCALATED, S_DECIDED, S_ISSUED)
CONCLUDED = (S_AGREED, S_DECIDED, S_ISSUED)

PRESENT, ABSENT_REASON, ABSENT_NO_REASON = "出席", "缺席（有理由）", "无故缺席"
ATTENDANCE = (PRESENT, ABSENT_REASON, ABSENT_NO_REASON)
AGREE, DISAGREE, CONDITIONAL = "同意", "不同意", "有条件同意"
OPINIONS = (AGREE, DISAGREE, CONDITIONAL)
GOV_DECISIONS = (AGREE, DISAGREE, CONDITIONAL)
B_MEETING, B_WRITTEN, B_DEEMED = "会上发表", "书面意见", "视为同意"
DEEMED_ABSENT = "无故缺席"
DEEMED_SILENT = "出席会议未发表不同意见"
OUTCOME_AGREED, OUTCOME_ESCALATED = "达成一致", "报市政府决定"
# 附件2 五: the bureau 办理有关审批手续, each department 做好监管工作
FOLLOW_APPROVAL, FOLLOW_SUPERVISION = "办理审批手续", "做好监管工作"

DEEMED_RULE = "参加专项审查的人员要能够代表本部门意见，对无故缺席或出席会议未发表不同意见的，均视为所在部门同意该项目。"

PARTICIPANT_KINDS = ("supervision", "licensing")
MINUTES_OWNER = "special_review_minutes"
WORKFLOW = workflows.SPECIAL_REVIEW  # the states and transitions (sgld/workflows.py)

_COLS = (
    "id, review_no, title, case_id, case_no, project_no, project_name, scopes, forms,"
    " background, matters, meeting_at, place, major, city_chair, invited_units, status,"
    " division_id, proposed_by, proposed_at, submitted_at, approved_by, approved_at,"
    " approval_comment, held_on, chair, presentation, expert_opinions, site_findings,"
    " meeting_by, meeting_recorded_at, outcome, conclusion, concluded_by, concluded_at,"
    " gov_decision, gov_decision_text, gov_decided_on, gov_decision_by, gov_recorded_at,"
    " minutes_no, minutes_attachment_id, minutes_issued_by, minutes_issued_at, updated_at"
)
_COL_NAMES = [c.strip() for c in _COLS.split(",")]


# -- who is who -----------------------------------------------------------
def is_bureau_leader(actor: Actor) -> bool:
    return actor.has("leader") and actor.department_kind == "bureau"


def is_city_leader(actor: Actor) -> bool:
    return actor.has("leader") and actor.department_kind == "government"


def _dept_reader(actor: Actor) -> bool:
    """Supervisors and liaisons read their own department's reviews only."""
    return not policy.sees_all_departments(actor) and actor.has("supervisor", "liaison")


def department_scoped(actor: Actor) -> bool:
    """True when the actor sees only the reviews their department takes part in."""
    return _dept_reader(actor)


def _manages(cur, actor: Actor, review: dict) -> bool:
    """Approvers of the proposing division, or of the bureau above it."""
    if not actor.has("approver"):
        return False
    if actor.department_id == review["division_id"]:
        return True
    parent = cur.execute("SELECT parent_id FROM department WHERE id = ?", [review["division_id"]]).fetchone()
    return bool(parent and parent[0] == actor.department_id)


# -- loading --------------------------------------------------------------
def _row(cur, review_id) -> dict:
    try:
        rid = int(review_id)
    except (TypeError, ValueError):
        raise NotFound("专项审查不存在。") from None
    row = cur.execute(f"SELECT {_COLS} FROM special_review WHERE id = ?", [rid]).fetchone()
    if row is None:
        raise NotFound("专项审查不存在。")
    return dict(zip(_COL_NAMES, row))


def _dept_rows(cur, review_id: int) -> list[dict]:
    cur.execute(
        "SELECT x.department_id, d.name, d.kind, x.attendees, x.attendees_at, x.attendance,"
        " x.absence_reason, x.opinion, x.opinion_text, x.basis, x.deemed, x.deemed_reason,"
        " x.opinion_at, u.display_name AS opinion_by_name"
        " FROM special_review_department x JOIN department d ON d.id = x.department_id"
        " LEFT JOIN app_user u ON u.id = x.opinion_by"
        " WHERE x.review_id = ? ORDER BY d.kind DESC, d.id",
        [review_id],
    )
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _check_visible(actor: Actor, review: dict, dept_ids) -> None:
    require(actor, *ROLES, action="查看专项审查")
    if policy.sees_all_departments(actor):
        return
    if actor.has("supervisor", "liaison") and actor.department_id in dept_ids and review["status"] in NOTIFIED:
        return
    raise NotFound("专项审查不存在，或您所在部门未参加该专项审查。")


def _need_status(actor: Actor, review: dict, action: str, refused: Mapping[str, str] | None = None) -> None:
    """The state rule of ``action`` (the table ``workflows.SPECIAL_REVIEW``)."""
    workflows.check(
        WORKFLOW, action, review["status"], actor, subject=f"专项审查“{review['review_no']}”", refused=refused
    )


def _need_manager(cur, actor: Actor, review: dict, what: str) -> None:
    require(actor, "approver", action=what)
    if not _manages(cur, actor, review):
        div = cur.execute("SELECT name FROM department WHERE id = ?", [review["division_id"]]).fetchone()
        raise PermissionDenied(
            f"您没有权限{what}：该专项审查由{div[0] if div else '其他处室'}发起，只能由该处室的经办人办理。"
        )


def opinion_label(d: dict) -> str:
    """A department's opinion as the record states it."""
    if not d.get("opinion"):
        return "未发表意见"
    text = d["opinion"]
    if d.get("deemed"):
        return f"视为同意（{d.get('deemed_reason')}）"
    said = _sentence(d.get("opinion_text") or "")
    if said and d["opinion"] != AGREE:
        text += f"：{said}"
    elif said:
        text += f"（{said}）"
    return text


# -- case / project -------------------------------------------------------
def _next_no(cur, column: str, prefix: str, year: int) -> str:
    head = f"{prefix}〔{year}〕"
    n = cur.execute(f"SELECT count(*) FROM special_review WHERE {column} LIKE ?", [head + "%"]).fetchone()[0]
    while True:
        n += 1
        candidate = f"{head}{n}号"
        if not cur.execute(f"SELECT 1 FROM special_review WHERE {column} = ?", [candidate]).fetchone():
            return candidate


def _sentence(text: str) -> str:
    """Text without its own closing punctuation, so a 。 can follow it."""
    return (text or "").strip().rstrip("。；;，,.")
