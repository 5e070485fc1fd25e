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
"""
from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta

import pandas as pd

from db.connection import get_db
from sgld import attachments, audit, clock, policy, settings, workdays, workflows
from sgld import validate as v
from sgld.documents import Letter, cn_date, render
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.reminders import Reminder
from sgld.security import Actor, require, require_department

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


# -- qualification ----------------------------------------------------------
def years_complete_on(joined: date, years: int = MIN_YEARS) -> date:
    """The first day on which ``years`` full years in the department are
    complete: the corresponding day ``years`` later, or the last day of that
    month when it has no such day (2024-02-29 → 2026-02-28)."""
    y = joined.year + years
    last = calendar.monthrange(y, joined.month)[1]
    return date(y, joined.month, min(joined.day, last))


def qualification_problems(*, employment_type: str, joined_on: date, familiar_confirmed: bool,
                           active: bool = True, on: date) -> list[str]:
    """Why a roster entry is not qualified on ``on`` (empty list = qualified)."""
    out = []
    if not active:
        out.append("已从本部门联络员名册中停用")
    if employment_type not in ALLOWED_EMPLOYMENT:
        out.append(f"人员类别为“{employment_type}”，不属于本部门在职公务员、"
                   "在职参照公务员法管理人员或事业单位人员")
    since = years_complete_on(joined_on)
    if on < since:
        out.append(f"截至 {on.isoformat()} 从事本部门工作未满 {MIN_YEARS} 年"
                   f"（{joined_on.isoformat()} 到本部门，{since.isoformat()} 起满 {MIN_YEARS} 年）")
    if not familiar_confirmed:
        out.append("本部门尚未确认其熟悉监管工作要求、具有组织协调能力")
    return out


def _dispatch_problems(row: dict, on: date) -> list[str]:
    """Qualification problems plus what keeps a qualified person from being
    sent through the system (no active liaison account)."""
    out = qualification_problems(employment_type=row["employment_type"],
                                 joined_on=row["joined_on"],
                                 familiar_confirmed=row["familiar_confirmed"],
                                 active=row["active"], on=on)
    if row.get("user_id") is None:
        out.append("未关联联络员系统账号，无法在系统中接收任务")
    elif not row.get("account_ok"):
        out.append("关联的系统账号已停用或不再具有联络员角色")
    return out


# -- helpers ----------------------------------------------------------------
def _today() -> date:
    return clock.today()


def _bool(value, label: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ValidationError(f"“{label}”应为“是”或“否”。", field=label)


_ROSTER_SQL = (
    "SELECT l.id, l.department_id, d.name AS department, l.name, l.user_id,"
    " u.username, (u.active AND EXISTS (SELECT 1 FROM user_role r WHERE r.user_id = u.id"
    "  AND r.role = 'liaison')) AS account_ok,"
    " l.position, l.employment_type, l.joined_on, l.familiar_confirmed, l.confirmed_at,"
    " l.contact, l.active"
    " FROM liaison l JOIN department d ON d.id = l.department_id"
    " LEFT JOIN app_user u ON u.id = l.user_id")


# -- roster -----------------------------------------------------------------
def list_roster(actor: Actor, *, department_id: int | None = None, on: date | None = None,
                include_inactive: bool = True) -> list[dict]:
    """Roster entries with their qualification on ``on`` (default today).
    Supervisors see their own department; approvers, leaders and admins any."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看联络员名册")
    if actor.has("supervisor") and not policy.sees_all_departments(actor):
        if department_id is not None and department_id != actor.department_id:
            require_department(actor, department_id, "查看其他部门的联络员名册")
        department_id = actor.department_id
    on = on or _today()
    sql, params = _ROSTER_SQL + " WHERE 1=1", []
    if department_id is not None:
        sql += " AND l.department_id = ?"
        params.append(department_id)
    if not include_inactive:
        sql += " AND l.active"
    rows = get_db().dicts(sql + " ORDER BY d.id, l.active DESC, l.name, l.id", params)
    for r in rows:
        q = qualification_problems(employment_type=r["employment_type"], joined_on=r["joined_on"],
                                   familiar_confirmed=r["familiar_confirmed"], active=r["active"],
                                   on=on)
        r["qualified"] = not q
        r["problems"] = q
        r["years_from"] = years_complete_on(r["joined_on"])
        d = _dispatch_problems(r, on)
        r["dispatchable"] = not d
        r["dispatch_problems"] = d
    return rows


def roster_frame(actor: Actor, *, department_id: int | None = None,
                 on: date | None = None) -> pd.DataFrame:
    """The roster as a table for the page (Chinese headers, id kept as 编号)."""
    return roster_table(list_roster(actor, department_id=department_id, on=on))


def roster_table(rows: list[dict]) -> pd.DataFrame:
    cols = ["编号", "姓名", "资格", "不符合原因", "可派员", "人员类别", "到本部门日期", "满2年日期",
            "部门确认熟悉监管工作", "职务", "系统账号", "联系方式", "状态", "部门"]
    return pd.DataFrame([{
        "编号": r["id"], "姓名": r["name"], "资格": "符合" if r["qualified"] else "不符合",
        "不符合原因": "；".join(r["problems"]), "可派员": "是" if r["dispatchable"] else "否",
        "人员类别": r["employment_type"], "到本部门日期": r["joined_on"], "满2年日期": r["years_from"],
        "部门确认熟悉监管工作": "已确认" if r["familiar_confirmed"] else "未确认",
        "职务": r["position"] or "", "系统账号": r["username"] or "", "联系方式": r["contact"] or "",
        "状态": "在用" if r["active"] else "停用", "部门": r["department"],
    } for r in rows], columns=cols)


def liaison_accounts(actor: Actor) -> list[dict]:
    """Accounts of the supervisor's department holding the liaison role, for
    linking to a roster entry (with the entry they are linked to, if any)."""
    require(actor, "supervisor", action="维护联络员名册")
    return get_db().dicts(
        "SELECT u.id, u.username, u.display_name, l.id AS liaison_id FROM app_user u"
        " JOIN user_role r ON r.user_id = u.id AND r.role = 'liaison'"
        " LEFT JOIN liaison l ON l.user_id = u.id"
        " WHERE u.department_id = ? AND u.active ORDER BY u.username", [actor.department_id])


def get_liaison(actor: Actor, liaison_id: int) -> dict:
    rows = get_db().dicts(_ROSTER_SQL + " WHERE l.id = ?", [liaison_id])
    if not rows:
        raise NotFound("联络员名册记录不存在。")
    row = rows[0]
    require(actor, "admin", "leader", "approver", "supervisor", action="查看联络员名册")
    if actor.has("supervisor") and not policy.sees_all_departments(actor):
        require_department(actor, row["department_id"], "查看其他部门的联络员")
    return row


def save_liaison(actor: Actor, *, name: str, employment_type: str, joined_on, familiar_confirmed: bool,
                 position: str | None = None, contact: str | None = None,
                 user_id: int | None = None, active: bool = True,
                 liaison_id: int | None = None) -> int:
    """Add (``liaison_id`` None) or change an entry of the supervisor's own
    department's roster.  Confirming familiarity records who and when."""
    require(actor, "supervisor", action="维护联络员名册")
    name = v.text(name, "姓名", max_len=40)
    employment_type = v.choice(employment_type, EMPLOYMENT_TYPES, "人员类别")
    joined = v.parse_date(joined_on, "到本部门日期", not_future=True)
    familiar = _bool(familiar_confirmed, "部门确认熟悉监管工作")
    active = _bool(active, "在用")
    position = v.text(position, "职务", required=False, max_len=40)
    contact = v.text(contact, "联系方式", required=False, max_len=40)
    if user_id is not None:
        user_id = v.integer(user_id, "系统账号")

    def tx(cur):
        before = None
        if liaison_id is not None:
            row = cur.execute(
                "SELECT department_id, name, user_id, position, employment_type, joined_on,"
                " familiar_confirmed, contact, active, confirmed_by, confirmed_at"
                " FROM liaison WHERE id = ?", [liaison_id]).fetchone()
            if row is None:
                raise NotFound("联络员名册记录不存在。")
            require_department(actor, row[0], "修改其他部门的联络员")
            before = dict(zip(("department_id", "name", "user_id", "position", "employment_type",
                               "joined_on", "familiar_confirmed", "contact", "active",
                               "confirmed_by", "confirmed_at"), row))
        dup = cur.execute("SELECT id FROM liaison WHERE department_id = ? AND name = ?"
                          " AND joined_on = ? AND id <> ?",
                          [actor.department_id, name, joined, liaison_id or -1]).fetchone()
        if dup:
            raise ValidationError(f"本部门名册中已有“{name}”（{joined.isoformat()} 到本部门），"
                                  "不能重复登记；如需更改，请选择“修改联络员”。", field="name")
        if user_id is not None:
            u = cur.execute(
                "SELECT u.department_id, u.active, u.display_name, EXISTS (SELECT 1 FROM user_role r"
                " WHERE r.user_id = u.id AND r.role = 'liaison') FROM app_user u WHERE u.id = ?",
                [user_id]).fetchone()
            if u is None:
                raise ValidationError("所选系统账号不存在。", field="user_id")
            if u[0] != actor.department_id:
                raise ValidationError("只能关联本部门的系统账号。", field="user_id")
            if not u[1] or not u[3]:
                raise ValidationError(f"账号“{u[2]}”已停用或没有联络员角色，请先由系统管理员开通。",
                                      field="user_id")
            other = cur.execute("SELECT name FROM liaison WHERE user_id = ? AND id <> ?",
                                [user_id, liaison_id or -1]).fetchone()
            if other:
                raise ValidationError(f"该账号已关联名册中的“{other[0]}”，一个账号只能对应一名联络员。",
                                      field="user_id")
        now = clock.now()
        if before and before["familiar_confirmed"] and familiar:
            confirmed_by, confirmed_at = before["confirmed_by"], before["confirmed_at"]
        elif familiar:
            confirmed_by, confirmed_at = actor.user_id, now
        else:
            confirmed_by, confirmed_at = None, None
        after = {"department_id": actor.department_id, "name": name, "user_id": user_id,
                 "position": position, "employment_type": employment_type, "joined_on": joined,
                 "familiar_confirmed": familiar, "contact": contact, "active": active,
                 "confirmed_by": confirmed_by, "confirmed_at": confirmed_at}
        if before is None:
            new_id = cur.execute(
                "INSERT INTO liaison (department_id, name, user_id, position, employment_type,"
                " joined_on, familiar_confirmed, confirmed_by, confirmed_at, contact, active,"
                " created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " RETURNING id",
                [actor.department_id, name, user_id, position, employment_type, joined, familiar,
                 confirmed_by, confirmed_at, contact, active, actor.user_id, now, now]).fetchone()[0]
            audit.record(cur, actor, "create", "liaison", new_id, after=after)
            return new_id
        cur.execute(
            "UPDATE liaison SET name = ?, user_id = ?, position = ?, employment_type = ?,"
            " joined_on = ?, familiar_confirmed = ?, confirmed_by = ?, confirmed_at = ?,"
            " contact = ?, active = ?, updated_at = ? WHERE id = ?",
            [name, user_id, position, employment_type, joined, familiar, confirmed_by,
             confirmed_at, contact, active, now, liaison_id])
        audit.record(cur, actor, "update", "liaison", liaison_id, before=before, after=after)
        return liaison_id
    return get_db().write(tx)


# -- reviews and letters ----------------------------------------------------
def supervision_departments(actor: Actor) -> list[dict]:
    """Departments a letter can go to (监管部门)."""
    require(actor, *READERS, action="查看部门")
    return get_db().dicts("SELECT id, name FROM department WHERE kind = 'supervision' AND active"
                          " ORDER BY id")


def _check_one_day(review_date: date) -> None:
    today = _today()
    earliest = today + timedelta(days=1)
    if review_date < earliest:
        raise ValidationError(
            f"商请函须至少提前一天发出：审查日期为 {review_date.isoformat()}，今天是 "
            f"{today.isoformat()}，只能为 {earliest.isoformat()} 及以后的审查发函。"
            "请调整审查日期。", field="review_date")


def _next_letter_no(cur, year: int) -> str:
    prefix = settings.get().get("LIAISON_LETTER_PREFIX") or "通审批联函"
    n = cur.execute("SELECT count(*) FROM liaison_request WHERE year(sent_at) = ?",
                    [year]).fetchone()[0] + 1
    while True:
        no = f"{prefix}〔{year}〕{n}号"
        if not cur.execute("SELECT 1 FROM liaison_request WHERE letter_no = ?", [no]).fetchone():
            return no
        n += 1


def _review_row(cur, review_id: int) -> dict:
    cur.execute("SELECT * FROM liaison_review WHERE id = ?", [review_id])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise NotFound("审查不存在。")
    return dict(zip(cols, row))


def build_letter(review: dict, department: str, letter_no: str, issued_on: date,
                 contact_name: str | None, contact_phone: str | None) -> Letter:
    """《商请监管部门派出联络员参与审核工作的函》 for one department."""
    subject = review["title"]
    who = f"{review['applicant']}" if review.get("applicant") else ""
    body = [
        f"根据{_city_rule_name()}的规定，为加强行政审批与监管的有机衔接，我局定于"
        f"{cn_date(review['review_date'])}对{who}“{subject}”开展{review['kind']}。"
        "现商请贵单位派出联络员一名参与审核工作，有关事项函告如下：",
        f"审查事项：{subject}；审查类型：{review['kind']}"
        + (f"；申请人：{review['applicant']}" if review.get("applicant") else "")
        + (f"；办件编号：{review['case_no']}" if review.get("case_no") else "") + "。",
        f"审查时间：{cn_date(review['review_date'])}；审查地点：{review['place']}。",
        review["purpose"],
        review["basis"],
        f"审查范围：{review['scope']}\n主要内容：{review['content']}",
        review["schedule"],
        "\n".join(CONDITIONS),
        f"请于{cn_date(review['review_date'] - timedelta(days=1))}前确定符合条件的联络员，"
        "在审管联动系统中确认派员并告知我局。联络员应按时参加审查，了解本次审查的目的、依据、范围、"
        "主要内容和日程安排，遵守工作纪律，并在实地审查活动结束时将审查信息及时报所在监管部门。",
        "特此函告，请予支持。",
    ]
    headings = {1: "一、审查事项", 2: "二、审查时间和地点", 3: "三、审查目的", 4: "四、审查依据",
                5: "五、审查范围和主要内容", 6: "六、日程安排", 7: "七、联络员应具备的条件",
                8: "八、有关要求"}
    note = None
    if contact_name or contact_phone:
        note = "（联系人：" + (contact_name or "") + ("，联系电话：" + contact_phone
                                                   if contact_phone else "") + "）"
    return Letter(issuer=settings.get().bureau_name, title=LETTER_TITLE, body=body,
                  issued_on=issued_on, addressee=department, doc_no=letter_no, headings=headings,
                  signer_note=note)


def _send(cur, actor: Actor, review: dict, department_id: int) -> int:
    dept = cur.execute("SELECT name, kind, active FROM department WHERE id = ?",
                       [department_id]).fetchone()
    if dept is None or not dept[2]:
        raise ValidationError("所选部门不存在或已停用。", field="department_ids")
    if dept[1] != "supervision":
        raise ValidationError(f"“{dept[0]}”不是监管部门，商请函只发给监管部门。",
                              field="department_ids")
    dup = cur.execute("SELECT letter_no FROM liaison_request WHERE review_id = ?"
                      " AND department_id = ? AND status <> '已撤回'",
                      [review["id"], department_id]).fetchone()
    if dup:
        raise ValidationError(f"本次审查已向“{dept[0]}”发出商请函（{dup[0]}），不能重复发函。",
                              field="department_ids")
    now = clock.now()
    letter_no = _next_letter_no(cur, now.year)
    data = render(build_letter(review, dept[0], letter_no, now.date(), review.get("contact_name"),
                               review.get("contact_phone")))
    rid = cur.execute(
        "INSERT INTO liaison_request (review_id, department_id, letter_no, sent_by, sent_at)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        [review["id"], department_id, letter_no, actor.user_id, now]).fetchone()[0]
    f = attachments.generated(f"{letter_no}{LETTER_TITLE}.docx", data)
    aid = attachments.attach(cur, actor, "liaison_request", rid, f)
    cur.execute("UPDATE liaison_request SET attachment_id = ? WHERE id = ?", [aid, rid])
    audit.record(cur, actor, "send_letter", "liaison_request", rid,
                 after={"review_id": review["id"], "department_id": department_id,
                        "department": dept[0], "letter_no": letter_no,
                        "review_date": review["review_date"]})
    return rid


def _link_case(cur, case_no: str | None) -> tuple[int | None, int | None]:
    """(case_id, enterprise_id) of a case number; (None, None) without one
    or for an unknown number."""
    if not case_no:
        return None, None
    row = cur.execute("SELECT id, enterprise_id FROM approval_case WHERE case_no = ?",
                      [case_no]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def create_review(actor: Actor, *, kind: str, title: str, review_date, place: str, purpose: str,
                  basis: str, scope: str, content: str, schedule: str,
                  case_no: str | None = None, applicant_uscc: str | None = None,
                  applicant_name: str | None = None, special_review_id: int | None = None,
                  contact_phone: str | None = None, department_ids=()) -> int:
    """An approver records a review that needs liaisons and, in the same
    transaction, sends the letter to each department in ``department_ids``
    (the one-day rule applies)."""
    require(actor, "approver", action="发出商请函")
    kind = v.choice(kind, KINDS, "审查类型")
    title = v.text(title, "审查事项", max_len=100)
    rdate = v.parse_date(review_date, "审查日期")
    place = v.text(place, "审查地点", max_len=100)
    purpose = v.text(purpose, "审查目的", max_len=1000, multiline=True)
    basis = v.text(basis, "审查依据", max_len=1000, multiline=True)
    scope = v.text(scope, "审查范围", max_len=1000, multiline=True)
    content = v.text(content, "主要内容", max_len=2000, multiline=True)
    schedule = v.text(schedule, "日程安排", max_len=1000, multiline=True)
    case_no = v.text(case_no, "办件编号", required=False, max_len=40)
    contact_phone = v.text(contact_phone, "联系电话", required=False, max_len=30)
    applicant_name = v.text(applicant_name, "申请人", required=False, max_len=100)
    if special_review_id is not None:
        special_review_id = v.integer(special_review_id, "专项审查编号", minimum=1)
    if kind == "专项审查" and special_review_id is None and not case_no:
        raise ValidationError("专项审查请选择对应的专项审查或填写办件编号。", field="special_review_id")
    if special_review_id is not None:
        if kind != "专项审查":
            raise ValidationError("只有“专项审查”类型才能关联专项审查。", field="special_review_id")
        special_review_facts(actor, special_review_id)  # exists, visible and approved
    dept_ids = sorted({int(d) for d in (department_ids or [])})
    if not dept_ids:
        raise ValidationError("请至少选择一个商请派员的监管部门。", field="department_ids")
    if rdate < _today():
        raise ValidationError(f"审查日期 {rdate.isoformat()} 已过。", field="review_date")
    _check_one_day(rdate)
    uscc_code = str(applicant_uscc or "").strip() or None

    def tx(cur):
        # the letter's 联系人 line carries a phone: the form's, else the
        # sender's own (user record), else the bureau's (SGLD_CONTACT_PHONE)
        phone = contact_phone or (cur.execute("SELECT phone FROM app_user WHERE id = ?",
                                              [actor.user_id]).fetchone() or [None])[0] \
            or settings.get().get("CONTACT_PHONE").strip() or None
        from sgld.services import enterprises
        case_id, enterprise_id = _link_case(cur, case_no)
        applicant = applicant_name
        if uscc_code:
            enterprise_id = enterprises.ensure(cur, actor, uscc_code, applicant_name)
        if enterprise_id is not None:
            applicant = cur.execute("SELECT name FROM enterprise WHERE id = ?",
                                    [enterprise_id]).fetchone()[0]
        now = clock.now()
        rid = cur.execute(
            "INSERT INTO liaison_review (kind, special_review_id, case_id, case_no, enterprise_id,"
            " applicant, title, purpose, basis, scope, content, schedule, review_date, place,"
            " contact_name, contact_phone, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            [kind, special_review_id, case_id, case_no, enterprise_id, applicant, title, purpose,
             basis, scope, content, schedule, rdate, place, actor.display_name, phone,
             actor.user_id, now]).fetchone()[0]
        review = _review_row(cur, rid)
        audit.record(cur, actor, "create", "liaison_review", rid,
                     after={k: review[k] for k in ("kind", "title", "review_date", "place",
                                                   "case_no", "applicant", "special_review_id")})
        for d in dept_ids:
            _send(cur, actor, review, d)
        return rid
    return get_db().write(tx)


def send_letter(actor: Actor, review_id: int, department_id: int) -> int:
    """One more letter for an existing review (one-day rule applies)."""
    require(actor, "approver", action="发出商请函")

    def tx(cur):
        review = _review_row(cur, review_id)
        _check_one_day(review["review_date"])
        return _send(cur, actor, review, int(department_id))
    return get_db().write(tx)


def _special_review_api():
    """Issue 6's read API, or None while that feature is not installed."""
    try:
        from sgld.services import special_review
    except ImportError:
        return None
    return special_review if hasattr(special_review, "get_review") else None


def special_reviews_for_letters(actor: Actor) -> list[dict]:
    """Approved special reviews (notice sent, meeting not yet held) whose
    meeting is at least one day away — the ones a letter can still be sent for."""
    require(actor, "approver", action="发出商请函")
    sr = _special_review_api()
    if sr is None:
        return []
    earliest = _today() + timedelta(days=1)
    rows = sr.list_reviews(actor, status="已通知", date_from=earliest)
    return [r for r in rows if r["meeting_date"] >= earliest]


def special_review_facts(actor: Actor, special_review_id: int) -> dict:
    """The facts of an approved special review (issue 6's ``get_review``)
    mapped to the arguments of :func:`create_review`, to pre-fill the form."""
    require(actor, "approver", action="发出商请函")
    sr = _special_review_api()
    if sr is None:
        raise NotFound("专项审查功能尚未上线，请手工填写审查信息。")
    r = sr.get_review(actor, int(special_review_id))
    if r["status"] != "已通知":
        raise StateError(f"专项审查“{r['title']}”的状态为“{r['status']}”，"
                         "只能为已审察同意、已通知参审部门且尚未召开的专项审查发函。")
    scopes = "、".join(r.get("scopes") or [])
    forms = "、".join(r.get("forms") or [])
    at = r["meeting_at"]
    subject = r.get("project_name") or r.get("case_no") or r.get("project_no") or ""
    return {
        "kind": "专项审查", "special_review_id": r["id"], "title": r["title"],
        "review_date": r["meeting_date"], "place": r.get("place") or "",
        "purpose": (f"对{subject}开展专项审查，" if subject else "开展专项审查，")
                   + "充分听取行业主管部门和监管部门联络员意见，共同研究确定审批意见。",
        "basis": f"《{settings.get().city}相对集中许可权事项专项审查制度（试行）》；专项审查范围：{scopes}。",
        "scope": scopes or "专项审查议题所涉事项",
        "content": r.get("matters") or r["title"],
        "schedule": f"{at:%H:%M} 召开专项审查（{forms}）：经办人说明项目审批情况，"
                    "参审部门充分协商沟通并发表意见。",
        "case_no": r.get("case_no"),
        "department_ids": [d["department_id"] for d in r.get("departments", [])
                           if d.get("department_id") in {x["id"] for x in supervision_departments(actor)}],
        "review_no": r.get("review_no"),
    }


def withdraw_letter(actor: Actor, request_id: int, reason: str) -> None:
    """The bureau withdraws a letter not yet answered (e.g. the review is cancelled)."""
    require(actor, "approver", action="撤回商请函")
    reason = v.text(reason, "撤回原因", max_len=200)

    def tx(cur):
        row = cur.execute("SELECT status, letter_no FROM liaison_request WHERE id = ?",
                          [request_id]).fetchone()
        if row is None:
            raise NotFound("商请函不存在。")
        workflows.check(workflows.LIAISON_LETTER, "withdraw", row[0], actor, refused=dict.fromkeys(
            workflows.LIAISON_LETTER.states, f"商请函 {row[1]} 的状态为“{row[0]}”，只能撤回尚未派员的商请函。"))
        cur.execute("UPDATE liaison_request SET status = '已撤回', withdrawn_reason = ?,"
                    " withdrawn_at = ? WHERE id = ?", [reason, clock.now(), request_id])
        audit.record(cur, actor, "withdraw_letter", "liaison_request", request_id,
                     before={"status": row[0]}, after={"status": "已撤回", "reason": reason})
    get_db().write(tx)


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
    " LEFT JOIN app_user sg ON sg.id = q.signed_by")


# the columns the lists need (the long texts are read by get_letter only)
_LIST_SQL = (
    "SELECT q.id, q.letter_no, q.review_id, q.department_id, d.name AS department, q.status,"
    " q.sent_at, q.liaison_id, l.name AS liaison_name, l.user_id AS liaison_user_id,"
    " q.dispatched_at, q.attended, q.recommendation, q.recorded_at, q.signed_at, q.feedback_at,"
    " r.kind, r.title, r.review_date, r.place, r.applicant, r.case_no,"
    " (r.report_text IS NOT NULL) AS has_report"
    " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
    " JOIN department d ON d.id = q.department_id"
    " LEFT JOIN liaison l ON l.id = q.liaison_id")


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


def _scope_sql(actor: Actor) -> tuple[str, list]:
    """Letters the actor may see: approver/leader/admin all; supervisor their
    department's; liaison only their own assignments (a rule of this feature,
    kept here: ``sgld.policy`` gives a liaison their department)."""
    if policy.sees_all_departments(actor):
        return "", []
    if actor.has("supervisor"):
        if actor.has("liaison"):
            return (" AND (q.department_id = ? OR l.user_id = ?)",
                    [actor.department_id, actor.user_id])
        return " AND q.department_id = ?", [actor.department_id]
    if actor.has("liaison"):
        return " AND l.user_id = ? AND q.status = '已派员'", [actor.user_id]
    raise PermissionDenied("您没有权限查看商请函。")


def list_letters(actor: Actor, *, state: str | None = None, department_id: int | None = None,
                 review_id: int | None = None) -> list[dict]:
    require(actor, *READERS, action="查看商请函")
    where, params = _scope_sql(actor)
    sql = _LIST_SQL + " WHERE 1=1" + where
    if department_id is not None:
        sql += " AND q.department_id = ?"
        params.append(department_id)
    if review_id is not None:
        sql += " AND q.review_id = ?"
        params.append(review_id)
    rows = get_db().dicts(sql + " ORDER BY r.review_date DESC, q.id DESC", params)
    today = _today()
    for r in rows:
        r["state"] = letter_state(r, today)
        r["on_time"] = (r["dispatched_at"] is not None
                        and r["dispatched_at"].date() < r["review_date"])
    if state:
        states = {state} if isinstance(state, str) else set(state)
        rows = [r for r in rows if r["state"] in states]
    return rows


# letter_state in SQL, for lists of every letter (the bureau sees 16,000 at
# scale 100: building a dict per letter cost ~0.2 s of CPU per visit)
_STATE_SQL = (
    "CASE WHEN q.status = '已撤回' THEN '已撤回'"
    " WHEN q.status = '待派员' THEN CASE WHEN r.review_date < ? THEN '逾期未派员' ELSE '待派员' END"
    " WHEN q.feedback_at IS NOT NULL THEN '已反馈'"
    " WHEN q.signed_at IS NOT NULL THEN '已签字'"
    " WHEN q.recorded_at IS NOT NULL THEN CASE WHEN q.attended THEN '已记录' ELSE '未参加' END"
    " ELSE '已派员' END")


def letters_overview(actor: Actor) -> pd.DataFrame:
    """Every letter the actor sees as one frame, newest review first: the
    columns of :func:`letters_table` and ``status`` (dates as ``date``
    values, as in the rows of :func:`list_letters`)."""
    require(actor, *READERS, action="查看商请函")
    where, params = _scope_sql(actor)
    sql = ("SELECT q.id, q.letter_no, r.title, r.kind, r.applicant, r.review_date, r.place,"
           " d.name AS department, q.sent_at, q.status, " + _STATE_SQL + " AS state,"
           " l.name AS liaison_name, q.dispatched_at,"
           " (q.dispatched_at IS NOT NULL AND CAST(q.dispatched_at AS DATE) < r.review_date) AS on_time,"
           " q.recommendation" + _LIST_SQL[_LIST_SQL.index(" FROM "):]
           + " WHERE 1=1" + where + " ORDER BY r.review_date DESC, q.id DESC")
    return get_db().frame(sql, [_today(), *params])


def letters_frame(actor: Actor, *, state: str | None = None,
                  department_id: int | None = None) -> pd.DataFrame:
    return letters_table(list_letters(actor, state=state, department_id=department_id))


def letters_table(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """The table of letters (rows of :func:`list_letters` or the frame of
    :func:`letters_overview`) with Chinese column labels."""
    src = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=_TABLE_SOURCE)
    out = pd.DataFrame({
        "编号": src["id"], "函号": src["letter_no"], "审查事项": src["title"], "审查类型": src["kind"],
        "申请人": src["applicant"].fillna(""), "审查日期": src["review_date"], "审查地点": src["place"],
        "监管部门": src["department"], "发函时间": src["sent_at"], "状态": src["state"],
        "联络员": src["liaison_name"].fillna(""), "派员时间": src["dispatched_at"],
        "按时派员": src["on_time"].map({True: "是", False: "否"}).where(src["dispatched_at"].notna(), ""),
        "建议": src["recommendation"].fillna(""),
    })
    return out.reset_index(drop=True)


_TABLE_SOURCE = ["id", "letter_no", "title", "kind", "applicant", "review_date", "place", "department",
                 "sent_at", "state", "liaison_name", "dispatched_at", "on_time", "recommendation"]


def get_letter(actor: Actor, request_id: int) -> dict:
    """One letter/assignment with its review, record, rectifications."""
    require(actor, *READERS, action="查看商请函")
    where, params = _scope_sql(actor)
    rows = get_db().dicts(_LETTER_SQL + " WHERE q.id = ?" + where, [request_id] + params)
    if not rows:
        exists = get_db().scalar("SELECT count(*) FROM liaison_request WHERE id = ?", [request_id])
        if exists:
            raise PermissionDenied("您没有权限查看该商请函：只能查看本部门的商请函或派给本人的任务。")
        raise NotFound("商请函不存在。")
    row = rows[0]
    row["state"] = letter_state(row, _today())
    row["on_time"] = (row["dispatched_at"] is not None
                      and row["dispatched_at"].date() < row["review_date"])
    row["rectifications"] = _rects(" AND x.request_id = ?", [request_id])
    row["enterprise"] = None
    if row["enterprise_id"] is not None:
        ent = get_db().dicts("SELECT id, uscc, name, legal_rep, address FROM enterprise WHERE id = ?",
                             [row["enterprise_id"]])
        row["enterprise"] = ent[0] if ent else None
    row["replaced_dispatches"] = get_db().dicts(
        "SELECT l.name AS liaison_name, du.display_name AS dispatched_by_name, x.dispatched_at,"
        " x.dispatch_note, ru.display_name AS replaced_by_name, x.replaced_at"
        " FROM liaison_dispatch_replaced x JOIN liaison l ON l.id = x.liaison_id"
        " LEFT JOIN app_user du ON du.id = x.dispatched_by"
        " LEFT JOIN app_user ru ON ru.id = x.replaced_by"
        " WHERE x.request_id = ? ORDER BY x.replaced_at, x.id", [request_id])
    row["report_signatures"] = get_db().dicts(
        "SELECT d.name AS department, l.name AS liaison, q.signed_at FROM liaison_request q"
        " JOIN department d ON d.id = q.department_id JOIN liaison l ON l.id = q.liaison_id"
        " WHERE q.review_id = ? AND q.signed_at IS NOT NULL ORDER BY q.signed_at",
        [row["review_id"]])
    return row


def letter_docx(actor: Actor, request_id: int) -> tuple[str, bytes]:
    """The stored .docx of a letter (file name, bytes), scope-checked."""
    row = get_letter(actor, request_id)
    if row["attachment_id"] is None:
        # letters recorded without their file (imported history, demo data):
        # rebuilt from the stored facts, as sent
        data = render(build_letter(row, row["department"], row["letter_no"], row["sent_at"].date(),
                                   row["contact_name"], row["contact_phone"]))
        return f"{row['letter_no']}{LETTER_TITLE}.docx", data
    meta, data = attachments.read(row["attachment_id"])
    return meta["file_name"], data


def report_title(review: dict) -> str:
    """现场审查情况报告 (or 联合审查情况报告 …, after the review's kind)."""
    return f"{review['kind']}情况报告"


def build_report(review: dict, participants: list[dict], issued_on: date) -> Letter:
    """The review report the liaisons help to compile and sign (附件3 三(二))."""
    who = review.get("applicant")
    facts = (f"审查事项：{review['title']}；审查类型：{review['kind']}"
             + (f"；申请人：{who}" if who else "")
             + (f"；办件编号：{review['case_no']}" if review.get("case_no") else "") + "。\n"
             f"审查时间：{cn_date(review['review_date'])}；审查地点：{review['place']}。")
    body = [facts, review["report_text"] or ""]
    headings = {0: "一、审查基本情况", 1: "二、审查情况"}
    table = None
    if participants:
        body.append("参加审查的监管部门联络员签字情况见下表。")
        headings[2] = "三、联络员签字"
        table = [["监管部门", "联络员", "是否参加", "签字时间"]] + [
            [p["department"], p["liaison"] or "", "参加" if p["attended"] else
             ("未参加" if p["attended"] is not None else "未填写"),
             f"{p['signed_at']:%Y-%m-%d %H:%M}" if p["signed_at"] else "未签字"]
            for p in participants]
    return Letter(issuer=settings.get().bureau_name, title=report_title(review), body=body,
                  issued_on=issued_on, headings=headings, table=table)


def report_docx(actor: Actor, request_id: int) -> tuple[str, bytes]:
    """The 现场审查情况报告 of the letter's review as .docx (file name, bytes),
    scope-checked like the letter itself."""
    row = get_letter(actor, request_id)
    if not row["report_text"]:
        raise StateError("审查报告尚未起草。")
    participants = get_db().dicts(
        "SELECT d.name AS department, l.name AS liaison, q.attended, q.signed_at"
        " FROM liaison_request q JOIN department d ON d.id = q.department_id"
        " LEFT JOIN liaison l ON l.id = q.liaison_id"
        " WHERE q.review_id = ? AND q.status = '已派员' ORDER BY q.id", [row["review_id"]])
    issued = (row["report_updated_at"] or clock.now()).date()
    data = render(build_report(row, participants, issued))
    return report_file_name(row), data


def report_file_name(review: dict) -> str:
    name = f"{review['title']}{report_title(review)}"
    return "".join(c for c in name if c not in '\\/:*?"<>|')[:80] + ".docx"


def list_reviews(actor: Actor) -> pd.DataFrame:
    """Reviews with their letters' progress (bureau and leaders)."""
    require(actor, "approver", "leader", "admin", action="查看审查安排")
    return get_db().df(
        "SELECT r.id AS 编号, r.title AS 审查事项, r.kind AS 审查类型, r.applicant AS 申请人,"
        " r.review_date AS 审查日期, r.place AS 审查地点,"
        " count(q.id) FILTER (WHERE q.status <> '已撤回') AS 商请函,"
        " count(q.id) FILTER (WHERE q.status = '已派员') AS 已派员,"
        " count(q.signed_at) AS 已签字,"
        " CASE WHEN r.report_text IS NULL THEN '未起草' ELSE '已起草' END AS 审查报告"
        " FROM liaison_review r LEFT JOIN liaison_request q ON q.review_id = r.id"
        " GROUP BY ALL ORDER BY r.review_date DESC, r.id DESC")


# -- dispatch ---------------------------------------------------------------
def dispatch_candidates(actor: Actor, request_id: int) -> list[dict]:
    """The department's roster with qualification on the review date."""
    require(actor, "supervisor", action="派出联络员")
    row = get_db().one("SELECT q.department_id, r.review_date FROM liaison_request q"
                       " JOIN liaison_review r ON r.id = q.review_id WHERE q.id = ?", [request_id])
    if row is None:
        raise NotFound("商请函不存在。")
    require_department(actor, row[0], "为其他部门派员")
    return list_roster(actor, department_id=row[0], on=row[1], include_inactive=False)


def dispatch(actor: Actor, request_id: int, liaison_id: int, note: str | None = None) -> None:
    """The department names one of its qualified liaisons for the letter and
    thereby tells the bureau (time recorded by the system).  A liaison may be
    replaced until they have recorded the review."""
    require(actor, "supervisor", action="派出联络员")
    note = v.text(note, "派员说明", required=False, max_len=200)
    if liaison_id is None or str(liaison_id).strip() == "":
        raise ValidationError("请选择派出的联络员。", field="liaison_id")
    liaison_id = v.integer(liaison_id, "联络员")

    def tx(cur):
        q = cur.execute(
            "SELECT q.department_id, q.status, q.letter_no, q.liaison_id, q.recorded_at,"
            " r.review_date FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
            " WHERE q.id = ?", [request_id]).fetchone()
        if q is None:
            raise NotFound("商请函不存在。")
        dept_id, status, letter_no, old_liaison, recorded_at, review_date = q
        require_department(actor, dept_id, "为其他部门的商请函派员")
        workflows.check(workflows.LIAISON_LETTER, "dispatch", status, actor,
                        refused={"已撤回": f"商请函 {letter_no} 已被审批局撤回，无需派员。"})
        if recorded_at is not None:
            raise StateError(f"联络员已填写审查记录，商请函 {letter_no} 不能再更换联络员。")
        if review_date < _today():
            raise StateError(f"审查已于 {review_date.isoformat()} 举行，商请函 {letter_no} 不能再派员。")
        rows = get_db().dicts(_ROSTER_SQL + " WHERE l.id = ?", [liaison_id])
        if not rows:
            raise ValidationError("所选联络员不在名册中。", field="liaison_id")
        person = rows[0]
        if person["department_id"] != dept_id:
            raise ValidationError(f"“{person['name']}”是{person['department']}的联络员，"
                                  "只能派出本部门名册中的联络员。", field="liaison_id")
        problems = _dispatch_problems(person, review_date)
        if problems:
            raise ValidationError(f"“{person['name']}”不能派出：" + "；".join(problems) + "。",
                                  field="liaison_id")
        if old_liaison == liaison_id:
            raise ValidationError(f"已派出“{person['name']}”，无需重复派员。", field="liaison_id")
        now = clock.now()
        if old_liaison is not None:  # 更换: keep the replaced dispatch for the record
            cur.execute(
                "INSERT INTO liaison_dispatch_replaced (request_id, liaison_id, dispatched_by,"
                " dispatched_at, dispatch_note, replaced_by, replaced_at)"
                " SELECT id, liaison_id, dispatched_by, dispatched_at, dispatch_note, ?, ?"
                " FROM liaison_request WHERE id = ?", [actor.user_id, now, request_id])
        cur.execute("UPDATE liaison_request SET status = '已派员', liaison_id = ?,"
                    " dispatched_by = ?, dispatched_at = ?, dispatch_note = ? WHERE id = ?",
                    [liaison_id, actor.user_id, now, note, request_id])
        audit.record(cur, actor, "dispatch" if old_liaison is None else "redispatch",
                     "liaison_request", request_id,
                     before={"status": status, "liaison_id": old_liaison},
                     after={"status": "已派员", "liaison_id": liaison_id, "liaison": person["name"],
                            "on_time": now.date() < review_date, "note": note})
    get_db().write(tx)


# -- the liaison's work -----------------------------------------------------
def _has_assignment(user_id: int) -> bool:
    return bool(get_db().scalar(
        "SELECT count(*) FROM liaison_request q JOIN liaison l ON l.id = q.liaison_id"
        " WHERE l.user_id = ? AND q.status = '已派员'", [user_id]))


def discipline_status(actor: Actor) -> dict:
    """Whether the liaison must still acknowledge the work discipline (shown
    from their first assignment on)."""
    require(actor, *READERS, action="查看工作纪律")
    ack = get_db().scalar("SELECT acknowledged_at FROM liaison_discipline_ack WHERE user_id = ?"
                          " AND version = ?", [actor.user_id, DISCIPLINE_VERSION])
    has = actor.has("liaison") and _has_assignment(actor.user_id)
    return {"acknowledged_at": ack, "needed": bool(has and ack is None), "has_assignment": has,
            "text": DISCIPLINE, "duties": DUTIES}


def acknowledge_discipline(actor: Actor) -> None:
    require(actor, "liaison", action="确认工作纪律")

    def tx(cur):
        if cur.execute("SELECT 1 FROM liaison_discipline_ack WHERE user_id = ? AND version = ?",
                       [actor.user_id, DISCIPLINE_VERSION]).fetchone():
            raise StateError("您已确认过联络员工作纪律。")
        cur.execute("INSERT INTO liaison_discipline_ack VALUES (?, ?, ?)",
                    [actor.user_id, DISCIPLINE_VERSION, clock.now()])
        audit.record(cur, actor, "acknowledge_discipline", "liaison_discipline", actor.user_id,
                     after={"version": DISCIPLINE_VERSION})
    get_db().write(tx)


def _assignment(cur, actor: Actor, request_id: int, action: str) -> dict:
    """The actor's own assignment (locked for this transaction's checks)."""
    cur.execute(
        "SELECT q.*, l.user_id AS liaison_user_id, r.review_date, r.title, r.report_text"
        " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
        " LEFT JOIN liaison l ON l.id = q.liaison_id WHERE q.id = ?", [request_id])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise NotFound("审查任务不存在。")
    a = dict(zip(cols, row))
    if a["status"] != "已派员" or a["liaison_user_id"] != actor.user_id:
        raise PermissionDenied(f"您没有权限{action}：该审查没有派您参加。")
    return a


def assignment_state(a: dict) -> str:
    """The state of a dispatched letter as the liaison's assignment
    (``workflows.LIAISON_ASSIGNMENT``), from its timestamps."""
    if a["recorded_at"] is None:
        return "待记录"
    signed, told = a["signed_at"] is not None, a["feedback_at"] is not None
    return "已签字并反馈" if signed and told else "已签字" if signed else "已反馈" if told else "已记录"


def _require_ack(cur, actor: Actor) -> None:
    if not cur.execute("SELECT 1 FROM liaison_discipline_ack WHERE user_id = ? AND version = ?",
                       [actor.user_id, DISCIPLINE_VERSION]).fetchone():
        raise StateError("请先阅读并确认联络员工作纪律。")


def my_assignments(actor: Actor) -> list[dict]:
    """The liaison's own assignments (newest review first)."""
    require(actor, "liaison", action="查看审查任务")
    rows = get_db().dicts(_LIST_SQL + " WHERE l.user_id = ? AND q.status = '已派员'"
                          " ORDER BY r.review_date DESC, q.id DESC", [actor.user_id])
    today = _today()
    for r in rows:
        r["state"] = letter_state(r, today)
        r["todo"] = assignment_todo(r, today)
    return rows


def assignment_todo(r: dict, today: date) -> str:
    """What the liaison still has to do on an assignment (matches reminders)."""
    if r["recorded_at"] is None:
        return "待记录（已过审查日）" if r["review_date"] < today else (
            "今日审查" if r["review_date"] == today else "待参加")
    if r["attended"] and r["signed_at"] is None and (r.get("has_report") or r.get("report_text")):
        return "待签字"
    if r["feedback_at"] is None:
        return "待反馈"
    return ""


def assignments_frame(actor: Actor) -> pd.DataFrame:
    return assignments_table(my_assignments(actor))


def assignments_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "编号": r["id"], "审查日期": r["review_date"], "审查事项": r["title"], "审查类型": r["kind"],
        "申请人": r["applicant"] or "", "审查地点": r["place"], "函号": r["letter_no"],
        "状态": r["state"], "待办": r["todo"], "建议": r["recommendation"] or "",
    } for r in rows], columns=["编号", "审查日期", "审查事项", "审查类型", "申请人", "审查地点",
                               "函号", "状态", "待办", "建议"])


def save_record(actor: Actor, request_id: int, *, attended: bool, record_text: str | None = None,
                suggestions: str | None = None, recommendation: str | None = None,
                applicant_info: str | None = None, absence_reason: str | None = None) -> None:
    """The liaison's 审查记录: attendance, record, suggestions, a recommendation
    on whether the review should pass, and the applicant's basic situation."""
    require(actor, "liaison", action="填写审查记录")
    attended = _bool(attended, "是否参加审查")
    if attended:
        record_text = v.text(record_text, "审查记录", max_len=5000, multiline=True)
        suggestions = v.text(suggestions, "意见建议", max_len=2000, multiline=True)
        recommendation = v.choice(recommendation, RECOMMENDATIONS, "是否通过审查的建议")
        applicant_info = v.text(applicant_info, "申请人基本情况", required=False, max_len=2000,
                                multiline=True)
        absence_reason = None
    else:
        absence_reason = v.text(absence_reason, "未参加原因", max_len=500, multiline=True)
        record_text = suggestions = recommendation = applicant_info = None

    def tx(cur):
        a = _assignment(cur, actor, request_id, "填写审查记录")
        _require_ack(cur, actor)
        if a["review_date"] > _today():
            raise StateError(f"审查定于 {a['review_date'].isoformat()} 举行，审查当天起才能填写审查记录。")
        told = "审查信息已报送本部门，审查记录不能再修改。"
        workflows.check(workflows.LIAISON_ASSIGNMENT, "record", assignment_state(a), actor, refused={
            "已反馈": told, "已签字并反馈": told, "已签字": "您已在审查报告上签字，审查记录不能再修改。"})
        if not attended and cur.execute("SELECT count(*) FROM liaison_rectification"
                                        " WHERE request_id = ?", [request_id]).fetchone()[0]:
            raise StateError("本次审查已登记整改事项，不能改为未参加。")
        before = {k: a[k] for k in ("attended", "absence_reason", "record_text", "suggestions",
                                    "recommendation", "applicant_info")}
        cur.execute("UPDATE liaison_request SET attended = ?, absence_reason = ?, record_text = ?,"
                    " suggestions = ?, recommendation = ?, applicant_info = ?, recorded_at = ?"
                    " WHERE id = ?",
                    [attended, absence_reason, record_text, suggestions, recommendation,
                     applicant_info, clock.now(), request_id])
        audit.record(cur, actor, "record_review", "liaison_request", request_id,
                     before=before if a["recorded_at"] is not None else None,
                     after={"attended": attended, "absence_reason": absence_reason,
                            "record_text": record_text, "suggestions": suggestions,
                            "recommendation": recommendation, "applicant_info": applicant_info})
    get_db().write(tx)


def save_report(actor: Actor, review_id: int, text: str) -> None:
    """Draft or revise the review report (现场审查情况报告): the bureau, or a
    liaison who attended the review (协助整理).  Locked once signed."""
    require(actor, "approver", "liaison", action="整理审查报告")
    text = v.text(text, "审查报告", max_len=10000, multiline=True)

    def tx(cur):
        review = _review_row(cur, review_id)
        if not actor.has("approver"):
            ok = cur.execute(
                "SELECT count(*) FROM liaison_request q JOIN liaison l ON l.id = q.liaison_id"
                " WHERE q.review_id = ? AND l.user_id = ? AND q.status = '已派员' AND q.attended",
                [review_id, actor.user_id]).fetchone()[0]
            if not ok:
                raise PermissionDenied("只有参加了本次审查并填写了审查记录的联络员才能协助整理审查报告。")
        signed = cur.execute("SELECT count(*) FROM liaison_request WHERE review_id = ?"
                             " AND signed_at IS NOT NULL", [review_id]).fetchone()[0]
        if signed:
            raise StateError("审查报告已有联络员签字，不能再修改。")
        cur.execute("UPDATE liaison_review SET report_text = ?, report_updated_by = ?,"
                    " report_updated_at = ? WHERE id = ?",
                    [text, actor.user_id, clock.now(), review_id])
        audit.record(cur, actor, "update_report", "liaison_review", review_id,
                     before={"report_text": review["report_text"]}, after={"report_text": text})
    get_db().write(tx)


def report_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sign_report(actor: Actor, request_id: int) -> None:
    """The liaison signs the review report: their account, the time and the
    hash of the text signed are recorded."""
    require(actor, "liaison", action="在审查报告上签字")

    def tx(cur):
        a = _assignment(cur, actor, request_id, "在审查报告上签字")
        _require_ack(cur, actor)
        absent = "您没有参加本次审查（或尚未填写参加审查的记录），不能在审查报告上签字。"

        def signed() -> str:
            return f"您已于 {a['signed_at']:%Y-%m-%d %H:%M} 在审查报告上签字。"
        if a["recorded_at"] is not None and not a["attended"]:  # recorded as absent
            raise StateError(absent)
        workflows.check(workflows.LIAISON_ASSIGNMENT, "sign_report", assignment_state(a), actor,
                        refused={"待记录": absent, "已签字": signed, "已签字并反馈": signed})
        if not a["report_text"]:
            raise StateError("审查报告尚未起草，暂不能签字。")
        now, h = clock.now(), report_hash(a["report_text"])
        cur.execute("UPDATE liaison_request SET signed_by = ?, signed_at = ?, signed_hash = ?"
                    " WHERE id = ?", [actor.user_id, now, h, request_id])
        audit.record(cur, actor, "sign_report", "liaison_request", request_id,
                     after={"review_id": a["review_id"], "report_sha256": h})
    get_db().write(tx)


def submit_feedback(actor: Actor, request_id: int, summary: str) -> None:
    """反馈信息: at the end of the review the liaison reports what they
    collected to their own department (visible to its supervisors)."""
    require(actor, "liaison", action="向本部门反馈审查信息")
    summary = v.text(summary, "反馈内容", max_len=5000, multiline=True)

    def tx(cur):
        a = _assignment(cur, actor, request_id, "反馈审查信息")
        _require_ack(cur, actor)
        def told() -> str:
            return f"已于 {a['feedback_at']:%Y-%m-%d %H:%M} 向本部门反馈，不能重复反馈。"
        workflows.check(workflows.LIAISON_ASSIGNMENT, "feedback", assignment_state(a), actor, refused={
            "待记录": "请先填写审查记录，再向本部门反馈。", "已反馈": told, "已签字并反馈": told})
        cur.execute("UPDATE liaison_request SET feedback_text = ?, feedback_at = ? WHERE id = ?",
                    [summary, clock.now(), request_id])
        audit.record(cur, actor, "feedback", "liaison_request", request_id,
                     after={"department_id": a["department_id"], "feedback_text": summary})
    get_db().write(tx)


def department_feedback(actor: Actor) -> pd.DataFrame:
    """Feedback received from the department's liaisons (leaders: all)."""
    require(actor, "supervisor", "leader", "admin", action="查看联络员反馈")
    sql = _LETTER_SQL + " WHERE q.feedback_at IS NOT NULL"
    params: list = []
    # not policy.department_sql: an approver who is also a supervisor sees only
    # their department's feedback here (approvers alone may not call this)
    if not actor.sees_everything:
        sql += " AND q.department_id = ?"
        params.append(actor.department_id)
    rows = get_db().dicts(sql + " ORDER BY q.feedback_at DESC", params)
    return pd.DataFrame([{
        "编号": r["id"], "反馈时间": r["feedback_at"], "部门": r["department"],
        "联络员": r["liaison_name"], "审查日期": r["review_date"], "审查事项": r["title"],
        "申请人": r["applicant"] or "", "建议": r["recommendation"] or "",
        "报告签字": "已签字" if r["signed_at"] else "未签字", "反馈内容": r["feedback_text"],
    } for r in rows], columns=["编号", "反馈时间", "部门", "联络员", "审查日期", "审查事项", "申请人",
                               "建议", "报告签字", "反馈内容"])


# -- rectifications -------------------------------------------------------
def rect_state(status: str, deadline: date, today: date, soon: date) -> str:
    if status == "已整改":
        return "已整改"
    if deadline < today:
        return "已逾期"
    if deadline <= soon:
        return "即将到期"
    return "整改中"


def _rects(where: str, params: list) -> list[dict]:
    rows = get_db().dicts(
        "SELECT x.id, x.request_id, x.review_id, x.department_id, d.name AS department,"
        " x.problem, x.requirement, x.hardware, x.deadline, x.status, x.created_at, x.closed_at,"
        " r.title, r.applicant, r.review_date, l.name AS liaison_name, l.user_id AS liaison_user_id,"
        " (SELECT count(*) FROM liaison_rect_check c WHERE c.rectification_id = x.id) AS checks,"
        " (SELECT max(c.checked_on) FROM liaison_rect_check c WHERE c.rectification_id = x.id)"
        "   AS last_check"
        " FROM liaison_rectification x JOIN liaison_review r ON r.id = x.review_id"
        " JOIN department d ON d.id = x.department_id"
        " JOIN liaison_request q ON q.id = x.request_id LEFT JOIN liaison l ON l.id = q.liaison_id"
        " WHERE 1=1" + where + " ORDER BY x.status DESC, x.deadline, x.id", params)
    today = _today()
    soon = workdays.add_workdays(today, DUE_SOON_WORKDAYS)
    for r in rows:
        r["state"] = rect_state(r["status"], r["deadline"], today, soon)
    return rows


def list_rectifications(actor: Actor, *, state: str | tuple | None = None) -> list[dict]:
    """Liaison: items of their own assignments; supervisor: their department's;
    approver, leader, admin: all.  ``state``: one state or several."""
    require(actor, *READERS, action="查看整改事项")
    # a liaison sees their own assignments' items (the feature's rule, see _scope_sql)
    if policy.sees_all_departments(actor):
        rows = _rects("", [])
    elif actor.has("supervisor"):
        rows = _rects(" AND x.department_id = ?", [actor.department_id])
    else:
        rows = _rects(" AND l.user_id = ?", [actor.user_id])
    if state:
        states = {state} if isinstance(state, str) else set(state)
        rows = [r for r in rows if r["state"] in states]
    return rows


def rectifications_frame(actor: Actor, *, state: str | None = None) -> pd.DataFrame:
    return rects_table(list_rectifications(actor, state=state))


def rects_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "编号": r["id"], "状态": r["state"], "整改期限": r["deadline"], "问题": r["problem"],
        "整改要求": r["requirement"] or "", "涉及硬件设施": "是" if r["hardware"] else "否",
        "申请人": r["applicant"] or "", "审查事项": r["title"], "部门": r["department"],
        "联络员": r["liaison_name"], "复查次数": r["checks"], "最近复查": r["last_check"],
        "关闭时间": r["closed_at"],
    } for r in rows], columns=["编号", "状态", "整改期限", "问题", "整改要求", "涉及硬件设施", "申请人",
                               "审查事项", "部门", "联络员", "复查次数", "最近复查", "关闭时间"])


def add_rectification(actor: Actor, request_id: int, *, problem: str, deadline,
                      hardware: bool, requirement: str | None = None) -> int:
    """A problem found in the review becomes a rectification item for the
    applicant with a deadline (the attending liaison, or the bureau)."""
    require(actor, "liaison", "approver", action="登记整改事项")
    problem = v.text(problem, "存在问题", max_len=1000, multiline=True)
    requirement = v.text(requirement, "整改要求", required=False, max_len=1000, multiline=True)
    deadline = v.parse_date(deadline, "整改期限")
    hardware = _bool(hardware, "涉及硬件设施")

    def tx(cur):
        if actor.has("liaison") and not actor.has("approver"):
            a = _assignment(cur, actor, request_id, "登记整改事项")
            _require_ack(cur, actor)
        else:
            cur.execute("SELECT q.*, r.review_date FROM liaison_request q JOIN liaison_review r"
                        " ON r.id = q.review_id WHERE q.id = ?", [request_id])
            cols = [d[0] for d in cur.description]
            row = cur.fetchone()
            if row is None:
                raise NotFound("审查任务不存在。")
            a = dict(zip(cols, row))
            if a["status"] != "已派员":
                raise StateError("该商请函尚未派员，整改事项须由参加审查的联络员跟踪。")
        if a["recorded_at"] is None or not a["attended"]:
            raise StateError("联络员尚未填写参加本次审查的记录，不能登记整改事项。")
        if deadline < a["review_date"] or deadline < _today():
            raise ValidationError(f"整改期限 {deadline.isoformat()} 不能早于审查日期和今天。",
                                  field="deadline")
        now = clock.now()
        rid = cur.execute(
            "INSERT INTO liaison_rectification (request_id, review_id, department_id, problem,"
            " requirement, hardware, deadline, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
            [request_id, a["review_id"], a["department_id"], problem, requirement, hardware,
             deadline, actor.user_id, now]).fetchone()[0]
        audit.record(cur, actor, "create", "liaison_rectification", rid,
                     after={"request_id": request_id, "problem": problem,
                            "requirement": requirement, "hardware": hardware,
                            "deadline": deadline})
        return rid
    return get_db().write(tx)


def check_rectification(actor: Actor, rectification_id: int, *, checked_on, site_visit: bool,
                        result: str, note: str, new_deadline=None) -> int:
    """The liaison records a check of a rectification.  ``已整改`` closes the
    item (hardware items only with a site visit); ``未整改`` keeps it open,
    optionally with a new deadline."""
    require(actor, "liaison", action="登记整改复查")
    checked_on = v.parse_date(checked_on, "复查日期", not_future=True)
    site_visit = _bool(site_visit, "赴现场检查")
    result = v.choice(result, CHECK_RESULTS, "复查结论")
    note = v.text(note, "现场检查情况" if site_visit else "复查情况", max_len=2000, multiline=True)
    new_deadline = v.parse_date(new_deadline, "新的整改期限", required=False)
    if result == "已整改" and new_deadline is not None:
        raise ValidationError("复查结论为“已整改”时无需填写新的整改期限。", field="new_deadline")

    def tx(cur):
        x = cur.execute("SELECT request_id, status, hardware, deadline, created_at, closed_at"
                        " FROM liaison_rectification WHERE id = ?", [rectification_id]).fetchone()
        if x is None:
            raise NotFound("整改事项不存在。")
        request_id, status, hardware, deadline, created_at, closed_at = x
        _assignment(cur, actor, request_id, "复查该整改事项")
        _require_ack(cur, actor)
        workflows.check(workflows.RECTIFICATION, "check", status, actor, refused={
            "已整改": lambda: f"该整改事项已于 {closed_at:%Y-%m-%d} 复查通过并关闭，不能再登记复查。"})
        if checked_on < created_at.date():
            raise ValidationError("复查日期不能早于整改事项登记日期。", field="checked_on")
        if result == "已整改" and hardware and not site_visit:
            raise ValidationError("该整改事项涉及硬件设施，须赴现场检查后才能确认整改完成。"
                                  "请选择“赴现场检查”并填写现场检查情况。", field="site_visit")
        if new_deadline is not None and new_deadline <= checked_on:
            raise ValidationError("新的整改期限应晚于复查日期。", field="new_deadline")
        now = clock.now()
        cid = cur.execute(
            "INSERT INTO liaison_rect_check (rectification_id, checked_on, site_visit, result, note,"
            " new_deadline, checked_by, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
            [rectification_id, checked_on, site_visit, result, note, new_deadline, actor.user_id,
             now]).fetchone()[0]
        after = {"check_id": cid, "checked_on": checked_on, "site_visit": site_visit,
                 "result": result, "note": note}
        if result == "已整改":
            cur.execute("UPDATE liaison_rectification SET status = '已整改', closed_by = ?,"
                        " closed_at = ? WHERE id = ?", [actor.user_id, now, rectification_id])
            after["status"] = "已整改"
        elif new_deadline is not None:
            cur.execute("UPDATE liaison_rectification SET deadline = ? WHERE id = ?",
                        [new_deadline, rectification_id])
            after["deadline"] = new_deadline
        audit.record(cur, actor, "check", "liaison_rectification", rectification_id,
                     before={"status": status, "deadline": deadline}, after=after)
        return cid
    return get_db().write(tx)


def rectification_checks(actor: Actor, rectification_id: int) -> list[dict]:
    rows = [r for r in list_rectifications(actor) if r["id"] == rectification_id]
    if not rows:
        raise NotFound("整改事项不存在或不在您的查看范围内。")
    return get_db().dicts(
        "SELECT c.id, c.checked_on, c.site_visit, c.result, c.note, c.new_deadline,"
        " u.display_name AS checked_by, c.created_at FROM liaison_rect_check c"
        " LEFT JOIN app_user u ON u.id = c.checked_by WHERE c.rectification_id = ?"
        " ORDER BY c.checked_on, c.id", [rectification_id])


# -- statistics -----------------------------------------------------------
STAT_COLUMNS = ["部门", "名册人数", "符合资格", "收到商请函", "按时派员", "按时派员率", "逾期未派员",
                "参加审查", "报告签字", "已反馈", "整改事项", "整改中", "已逾期", "已整改"]


def statistics(actor: Actor) -> pd.DataFrame:
    """Per supervision department: liaisons (qualified today), letters, answered
    on time, reviews attended, signatures, feedback, rectifications."""
    require(actor, "admin", "leader", "approver", "supervisor", action="查看联络员统计")
    only = policy.scope_department(actor)
    today = _today()
    db = get_db()
    dept_sql = "SELECT id, name FROM department WHERE kind = 'supervision'"
    params: list = []
    if only is not None:
        dept_sql += " AND id = ?"
        params.append(only)
    depts = db.all(dept_sql + " ORDER BY id", params)
    roster = db.all("SELECT department_id, employment_type, joined_on, familiar_confirmed, active"
                    " FROM liaison")
    liaisons: dict[int, list[int]] = {}
    for d, et, jo, fam, act in roster:
        s = liaisons.setdefault(d, [0, 0])
        if act:
            s[0] += 1
            if not qualification_problems(employment_type=et, joined_on=jo,
                                          familiar_confirmed=fam, active=act, on=today):
                s[1] += 1
    letters = {r[0]: r[1:] for r in db.all(
        "SELECT q.department_id, count(*) FILTER (WHERE q.status <> '已撤回'),"
        " count(*) FILTER (WHERE q.dispatched_at IS NOT NULL"
        "   AND CAST(q.dispatched_at AS DATE) < r.review_date),"
        " count(*) FILTER (WHERE q.status = '待派员' AND r.review_date < ?),"
        " count(*) FILTER (WHERE q.status = '已派员' AND q.attended),"
        " count(q.dispatched_at) FILTER (WHERE q.status = '已派员'),"
        " count(q.signed_at), count(q.feedback_at)"
        " FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id GROUP BY 1", [today])}
    rects = {r[0]: r[1:] for r in db.all(
        "SELECT department_id, count(*), count(*) FILTER (WHERE status = '整改中'),"
        " count(*) FILTER (WHERE status = '整改中' AND deadline < ?),"
        " count(*) FILTER (WHERE status = '已整改') FROM liaison_rectification GROUP BY 1",
        [today])}
    out = []
    for did, name in depts:
        ln = liaisons.get(did, [0, 0])
        lt = letters.get(did, (0, 0, 0, 0, 0, 0, 0))
        rc = rects.get(did, (0, 0, 0, 0))
        # the rate counts letters whose answer is due: answered, or unanswered past the review
        due = lt[4] + lt[2]
        out.append([name, ln[0], ln[1], lt[0], lt[1], f"{lt[1] / due:.0%}" if due else "—",
                    lt[2], lt[3], lt[5], lt[6], rc[0], rc[1], rc[2], rc[3]])
    return pd.DataFrame(out, columns=STAT_COLUMNS)


# -- reminders ------------------------------------------------------------
def _count(sql: str, params: list) -> int:
    return int(get_db().scalar(sql, params) or 0)


def reminders(actor: Actor) -> list[Reminder]:
    """处理提醒 for the liaison page (counts equal the page's lists)."""
    out: list[Reminder] = []
    today = _today()
    tomorrow = today + timedelta(days=1)
    q = ("SELECT count(*), count(*) FILTER (WHERE r.review_date <= ?) FROM liaison_request q"
         " JOIN liaison_review r ON r.id = q.review_id WHERE q.status = '待派员'"
         " AND r.review_date >= ?")
    if actor.has("supervisor"):
        n, urgent = get_db().one(q + " AND q.department_id = ?", [tomorrow, today, actor.department_id])
        if n:
            out.append(Reminder("liaison_to_dispatch", "待派员商请函", n, PAGE, overdue=urgent))
        n, late = get_db().one(
            "SELECT count(*), count(*) FILTER (WHERE deadline < ?) FROM liaison_rectification"
            " WHERE status = '整改中' AND department_id = ? AND deadline <= ?",
            [today, actor.department_id, workdays.add_workdays(today, DUE_SOON_WORKDAYS)])
        if n:
            out.append(Reminder("liaison_dept_rect_due", "本部门整改到期/逾期", n, PAGE, overdue=late))
    if actor.has("approver"):
        n, urgent = get_db().one(q, [tomorrow, today])
        if n:
            out.append(Reminder("liaison_unanswered", "未答复商请函", n, PAGE, overdue=urgent))
    if actor.has("liaison"):
        uid = actor.user_id
        base = (" FROM liaison_request q JOIN liaison_review r ON r.id = q.review_id"
                " JOIN liaison l ON l.id = q.liaison_id WHERE l.user_id = ? AND q.status = '已派员'")
        n, late = get_db().one("SELECT count(*), count(*) FILTER (WHERE r.review_date < ?)" + base
                               + " AND q.recorded_at IS NULL", [today, uid])
        if n:
            out.append(Reminder("liaison_my_reviews", "待参加/待记录的审查", n, PAGE, overdue=late))
        n = _count("SELECT count(*)" + base + " AND q.attended AND q.signed_at IS NULL"
                   " AND r.report_text IS NOT NULL", [uid])
        if n:
            out.append(Reminder("liaison_to_sign", "待签字审查报告", n, PAGE))
        n, late = get_db().one(
            "SELECT count(*), count(*) FILTER (WHERE x.deadline < ?) FROM liaison_rectification x"
            " JOIN liaison_request q ON q.id = x.request_id JOIN liaison l ON l.id = q.liaison_id"
            " WHERE l.user_id = ? AND x.status = '整改中' AND x.deadline <= ?",
            [today, uid, workdays.add_workdays(today, DUE_SOON_WORKDAYS)])
        if n:
            out.append(Reminder("liaison_rect_due", "整改到期待复查", n, PAGE, overdue=late))
        if not get_db().scalar("SELECT count(*) FROM liaison_discipline_ack WHERE user_id = ?"
                               " AND version = ?", [uid, DISCIPLINE_VERSION]) \
                and _has_assignment(uid):
            out.append(Reminder("liaison_discipline", "工作纪律待确认", 1, PAGE))
    return out
