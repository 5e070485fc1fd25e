"""联络员制度 (notice attachment 3): rosters and qualification, request letters
(《商请监管部门派出联络员参与审核工作的函》), dispatch, the liaison's review
record, report signature and feedback, rectifications, the work discipline,
statistics and reminders.

Rules written down here (the tests pin each of them):

* **Qualification** (附件3 二): employment type 在职公务员 / 参照公务员法管理人员 /
  事业单位人员; the department has confirmed that the person knows its
  supervision work and can coordinate; and **at least 2 full years in the
  department on the review date**.  "2年以上" includes exactly two years
  (以上 includes the number itself, 民法典 第一千二百五十九条); the period is
  counted as 民法典 第二百零一、二百零二条 count years: it ends on the
  corresponding day two years later, or on the last day of that month when
  there is no corresponding day.  So someone who joined on 2024-11-27 is
  qualified for a review on 2026-11-27 and not on 2026-11-26; someone who
  joined on 2024-02-29 is qualified from 2026-02-28.
* **One day ahead** (提前一天): a letter may be sent only when the review date
  is at least one *calendar* day after the sending day (review_date ≥
  today + 1).  The notice says 提前一天, not 一个工作日, so a letter sent on a
  Friday for a Saturday or Monday review is in time; a letter on the review
  day itself is refused.
* **Answered on time** (及时派出): the department named its liaison before the
  review day (dispatched_at's date < review_date).  Dispatch is possible up
  to and including the review day; afterwards the letter stays unanswered.
* A liaison records the review from the review day on; the record can be
  changed until the feedback has been sent to the department.  The report
  can be edited (by the bureau or an attending liaison) until the first
  signature; a signature stores the account, the time and the SHA-256 of the
  signed text.
* Rectifications: "due soon" means the deadline falls within 3 working days
  (``sgld.workdays``); an open item past its deadline is overdue.  An item
  concerning hardware/facilities can be closed only by a check with a site
  visit; no check can be recorded on a closed item.

The package is split by sub-feature; this module re-exports their public
names (``from sgld.services import liaison as svc; svc.dispatch(...)``):

* :mod:`._base` — the vocabularies, a letter's SQL and shown state, the
  liaison's own assignment and the work-discipline check;
* :mod:`.roster` — the roster and the qualification rules;
* :mod:`.letters` — reviews, request letters, their lists and .docx, dispatch;
* :mod:`.assignments` — the liaison's record, the review report and its
  signatures, the feedback, the work discipline;
* :mod:`.rectifications` — rectification items and their checks;
* :mod:`.stats` — the statistics per department and the reminders.
"""

from sgld.services.liaison._base import (
    ALLOWED_EMPLOYMENT,
    CHECK_RESULTS,
    CONDITIONS,
    DISCIPLINE,
    DISCIPLINE_VERSION,
    DUE_SOON_WORKDAYS,
    DUTIES,
    EMPLOYMENT_TYPES,
    KINDS,
    LETTER_TITLE,
    MIN_YEARS,
    PAGE,
    READERS,
    RECOMMENDATIONS,
    letter_state,
)
from sgld.services.liaison.assignments import (
    acknowledge_discipline,
    assignment_state,
    assignment_todo,
    build_report,
    department_feedback,
    discipline_status,
    my_assignments,
    report_docx,
    report_file_name,
    report_hash,
    report_title,
    save_record,
    save_report,
    sign_report,
    submit_feedback,
)
from sgld.services.liaison.letters import (
    build_letter,
    create_review,
    dispatch,
    dispatch_candidates,
    get_letter,
    letter_docx,
    letters_overview,
    list_letters,
    list_reviews,
    send_letter,
    special_review_facts,
    special_reviews_for_letters,
    supervision_departments,
    withdraw_letter,
)
from sgld.services.liaison.rectifications import (
    add_rectification,
    check_rectification,
    list_rectifications,
    rect_state,
    rectification_checks,
)
from sgld.services.liaison.roster import (
    get_liaison,
    liaison_accounts,
    list_roster,
    qualification_problems,
    save_liaison,
    years_complete_on,
)
from sgld.services.liaison.stats import STAT_COLUMNS, reminders, statistics

__all__ = [
    "PAGE",
    "LETTER_TITLE",
    "EMPLOYMENT_TYPES",
    "ALLOWED_EMPLOYMENT",
    "MIN_YEARS",
    "KINDS",
    "RECOMMENDATIONS",
    "CHECK_RESULTS",
    "DUE_SOON_WORKDAYS",
    "DISCIPLINE_VERSION",
    "DISCIPLINE",
    "DUTIES",
    "CONDITIONS",
    "READERS",
    "letter_state",
    "years_complete_on",
    "qualification_problems",
    "list_roster",
    "liaison_accounts",
    "get_liaison",
    "save_liaison",
    "supervision_departments",
    "build_letter",
    "create_review",
    "send_letter",
    "special_reviews_for_letters",
    "special_review_facts",
    "withdraw_letter",
    "list_letters",
    "letters_overview",
    "get_letter",
    "letter_docx",
    "list_reviews",
    "dispatch_candidates",
    "dispatch",
    "report_title",
    "build_report",
    "report_docx",
    "report_file_name",
    "discipline_status",
    "acknowledge_discipline",
    "assignment_state",
    "my_assignments",
    "assignment_todo",
    "save_record",
    "save_report",
    "report_hash",
    "sign_report",
    "submit_feedback",
    "department_feedback",
    "rect_state",
    "list_rectifications",
    "add_rectification",
    "check_rectification",
    "rectification_checks",
    "STAT_COLUMNS",
    "statistics",
    "reminders",
]
