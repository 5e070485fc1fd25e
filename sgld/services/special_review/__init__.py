"""专项审查 (special review), attachment 2 of the notice.

Workflow and states (``special_review.status``): the table
``workflows.SPECIAL_REVIEW`` (drawn in docs/workflows.md) — a motion 待审察 is
approved (已通知) or sent back (已退回, resubmitted or withdrawn), the
meeting is held (已召开), the conclusion reaches consensus (已达成一致) or goes
to the city government (待市政府决定 → 市政府已决定), and the minutes are
issued (纪要已印发).

Roles (see DESIGN.md and the contracts of issue 6):

* ``approver`` of a business division proposes; approvers of the proposing
  division (or of the bureau itself) record the meeting, conclude, record the
  city government's decision and issue the minutes.  Every approver reads
  every review.
* the bureau's leader in charge (a ``leader`` of a department of kind
  ``bureau``) approves or sends back motions.
* the city government's leader in charge (a ``leader`` of the department of
  kind ``government``) may record the city government's decision.
* a participating department's ``supervisor`` (and ``liaison``, read only)
  sees the review once the notice is out, names who attends, and gives the
  department's opinion (in writing before the meeting, or — when absent with
  a reason — after it).
* other leaders and ``admin`` read everything and change nothing.

The deemed-agreement rule (工作要求): a department absent without reason, or
present without stating a different opinion, is recorded at conclusion as
同意 with ``basis = 视为同意``, ``deemed = TRUE`` and the reason; a department
absent with a reason must have given a written opinion first, otherwise the
conclusion is refused.

Following up (附件2 五): once the minutes are issued, the proposing division
(办理审批手续) and each participating department (做好监管工作) record what
they did (:func:`record_follow_up`); until then it is on their 处理提醒
(待落实会议决定), and the review's detail shows who has and has not.

The package is split by sub-feature; this module re-exports their public
names (``from sgld.services import special_review as sr; sr.propose(...)``):

* :mod:`._base` — vocabularies, status names, loading a review and its
  departments, who sees and who manages it;
* :mod:`.motion` — propose, resubmit, withdraw, approve, send back;
* :mod:`.meeting` — attendees, opinions, the meeting, the deemed-agreement
  rule, the conclusion, the city government's decision, the follow-up;
* :mod:`.documents` — the notice and the minutes (.docx), issuing the minutes;
* :mod:`.queries` — one review, the list, statistics, minutes links,
  reminders and the pickers of the motion form.
"""

from sgld.services.special_review._base import (
    ABSENT_NO_REASON,
    ABSENT_REASON,
    AGREE,
    ATTENDANCE,
    B_DEEMED,
    B_MEETING,
    B_WRITTEN,
    CONCLUDED,
    CONDITIONAL,
    DEEMED_ABSENT,
    DEEMED_RULE,
    DEEMED_SILENT,
    DEFAULT_FORM,
    DISAGREE,
    FOLLOW_APPROVAL,
    FOLLOW_SUPERVISION,
    FORMS,
    GOV_DECISIONS,
    MINUTES_OWNER,
    NOTIFIED,
    OPINIONS,
    OUTCOME_AGREED,
    OUTCOME_ESCALATED,
    PARTICIPANT_KINDS,
    PRESENT,
    S_AGREED,
    S_DECIDED,
    S_ESCALATED,
    S_HELD,
    S_ISSUED,
    S_NOTIFIED,
    S_PENDING,
    S_RETURNED,
    S_WITHDRAWN,
    SCOPES,
    STATUSES,
    WORKFLOW,
    department_scoped,
    is_bureau_leader,
    is_city_leader,
    opinion_label,
)
from sgld.services.special_review.documents import issue_minutes, minutes_docx, notice_docx, topic
from sgld.services.special_review.meeting import (
    BARE_CHAIR_TITLES,
    conclude,
    evaluate,
    name_attendees,
    record_follow_up,
    record_government_decision,
    record_meeting,
    submit_opinion,
)
from sgld.services.special_review.motion import approve, propose, resubmit, send_back, withdraw
from sgld.services.special_review.queries import (
    allowed_actions,
    get_review,
    list_frame,
    list_reviews,
    minutes_for_case,
    minutes_for_project,
    participant_options,
    project_cases,
    reminder_ids,
    reminder_lists,
    reminders,
    search_projects,
    statistics,
)

__all__ = [
    "SCOPES",
    "FORMS",
    "DEFAULT_FORM",
    "S_PENDING",
    "S_RETURNED",
    "S_WITHDRAWN",
    "S_NOTIFIED",
    "S_HELD",
    "S_AGREED",
    "S_ESCALATED",
    "S_DECIDED",
    "S_ISSUED",
    "STATUSES",
    "NOTIFIED",
    "CONCLUDED",
    "PRESENT",
    "ABSENT_REASON",
    "ABSENT_NO_REASON",
    "ATTENDANCE",
    "AGREE",
    "DISAGREE",
    "CONDITIONAL",
    "OPINIONS",
    "GOV_DECISIONS",
    "B_MEETING",
    "B_WRITTEN",
    "B_DEEMED",
    "DEEMED_ABSENT",
    "DEEMED_SILENT",
    "OUTCOME_AGREED",
    "OUTCOME_ESCALATED",
    "FOLLOW_APPROVAL",
    "FOLLOW_SUPERVISION",
    "DEEMED_RULE",
    "PARTICIPANT_KINDS",
    "MINUTES_OWNER",
    "WORKFLOW",
    "is_bureau_leader",
    "is_city_leader",
    "department_scoped",
    "opinion_label",
    "propose",
    "resubmit",
    "withdraw",
    "approve",
    "send_back",
    "name_attendees",
    "submit_opinion",
    "record_meeting",
    "evaluate",
    "conclude",
    "record_government_decision",
    "BARE_CHAIR_TITLES",
    "record_follow_up",
    "topic",
    "issue_minutes",
    "notice_docx",
    "minutes_docx",
    "allowed_actions",
    "get_review",
    "list_reviews",
    "list_frame",
    "statistics",
    "participant_options",
    "minutes_for_case",
    "minutes_for_project",
    "reminder_lists",
    "reminder_ids",
    "reminders",
    "search_projects",
    "project_cases",
]
