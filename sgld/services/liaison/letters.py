"""Reviews and request letters (商请函): sending them (the one-day rule),
withdrawing, the lists and the .docx, and the department's dispatch (派员)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from db.connection import get_db
from sgld import attachments, audit, clock, policy, settings, workflows
from sgld import validate as v
from sgld.documents import Letter, cn_date, render
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.security import Actor, require, require_department
from sgld.services.liaison._base import (
    _LETTER_SQL,
    _LIST_SQL,
    CONDITIONS,
    KINDS,
    LETTER_TITLE,
    READERS,
    _city_rule_name,
    _review_row,
    _today,
    letter_state,
)
from sgld.services.liaison.rectifications import _rects
from sgld.services.liaison.roster import _ROSTER_SQL, _dispatch_problems, list_roster


# -- reviews and letters ----------------------------------------------------
def supervision_departments(actor: Actor) -> list[dict]:
    """Departments a letter can go to (监管部门)."""
    require(actor, *READERS, action="查看部门")
    return get_db().dicts("SELECT id, name FROM department WHERE kind = 'supervision' AND active ORDER BY id")


def _check_one_day(review_date: date) -> None:
    today = _today()
    earliest = today + timedelta(days=1)
    if review_date < earliest:
        raise ValidationError(
            f"商请函须至少提前一天发出：审查日期为 {review_date.isoformat()}，今天是 "
            f"{today.isoformat()}，只能为 {earliest.isoformat()} 及以后的审查发函。"
            "请调整审查日期。",
            field="review_date",
        )


def _next_letter_no(cur, year: int) -> str:
    prefix = settings.get().get("LIAISON_LETTER_PREFIX") or "通审批联函"
    n = (
        cur.execute("SELECT count(*) FROM liaison_request WHERE extract(year FROM sent_at) = ?", [year]).fetchone()[0]
        + 1
    )
    while True:
        no = f"{prefix}〔{year}〕{n}号"
        if not cur.execute("SELECT 1 FROM liaison_request WHERE letter_no = ?", [no]).fetchone():
            return no
        n += 1


def build_letter(
    review: dict, department: str, letter_no: str, issued_on: date, contact_name: str | None, contact_phone: str | None
) -> Letter:
    """《商请监管部门派出联络员参与审核工作的函》 for one department."""
    subject = review["title"]
    who = f"{review['applicant']}" if review.get("applicant") else ""
    body = [
        f"根据{_city_rule_name()}的规定，为加强行政审批与监管的有机衔接，我局定于"
        f"{cn_date(review['review_date'])}对{who}“{subject}”开展{review['kind']}。"
        "现商请贵单位派出联络员一名参与审核工作，有关事项函告如下：",
        f"审查事项：{subject}；审查类型：{review['kind']}"
        + (f"；申请人：{review['applicant']}" if review.get("applicant") else "")
        + (f"；办件编号：{review['case_no']}" if review.get("case_no") else "")
        + "。",
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
    headings = {
        1: "一、审查事项",
        2: "二、审查时间和地点",
        3: "三、审查目的",
        4: "四、审查依据",
        5: "五、审查范围和主要内容",
        6: "六、日程安排",
        7: "七、联络员应具备的条件",
        8: "八、有关要求",
    }
    note = None
    if contact_name or contact_phone:
        note = "（联系人：" + (contact_name or "") + ("，联系电话：" + contact_phone if contact_phone else "") + "）"
    return Letter(
        issuer=settings.get().bureau_name,
        title=LETTER_TITLE,
        body=body,
        issued_on=issued_on,
        addressee=department,
        doc_no=letter_no,
        headings=headings,
        signer_note=note,
    )


def _send(cur, actor: Actor, review: dict, department_id: int) -> int:
    dept = cur.execute("SELECT name, kind, active FROM department WHERE id = ?", [department_id]).fetchone()
    if dept is None or not dept[2]:
        raise ValidationError("所选部门不存在或已停用。", field="department_ids")
    if dept[1] != "supervision":
        raise ValidationError(f"“{dept[0]}”不是监管部门，商请函只发给监管部门。", field="department_ids")
    dup = cur.execute(
        "SELECT letter_no FROM liaison_request WHERE review_id = ? AND department_id = ? AND status <> '已撤回'",
        [review["id"], department_id],
    ).fetchone()
    if dup:
        raise ValidationError(f"本次审查已向“{dept[0]}”发出商请函（{dup[0]}），不能重复发函。", field="department_ids")
    now = clock.now()
    letter_no = _next_letter_no(cur, now.year)
    data = render(
        build_letter(review, dept[0], letter_no, now.date(), review.get("contact_name"), review.get("contact_phone"))
    )
    rid = cur.execute(
        "INSERT INTO liaison_request (review_id, department_id, letter_no, sent_by, sent_at)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        [review["id"], department_id, letter_no, actor.user_id, now],
    ).fetchone()[0]
    f = attachments.generated(f"{letter_no}{LETTER_TITLE}.docx", data)
    aid = attachments.attach(cur, actor, "liaison_request", rid, f)
    cur.execute("UPDATE liaison_request SET attachment_id = ? WHERE id = ?", [aid, rid])
    audit.record(
        cur,
        actor,
        "send_letter",
        "liaison_request",
        rid,
        after={
            "review_id": review["id"],
            "department_id": department_id,
            "department": dept[0],
            "letter_no": letter_no,
            "review_date": review["review_date"],
        },
    )
    return rid


def _link_case(cur, case_no: str | None) -> tuple[int | None, int | None]:
    """(case_id, enterprise_id) of a case number; (None, None) without one
    or for an unknown number."""
    if not case_no:
        return None, None
    row = cur.execute("SELECT id, enterprise_id FROM approval_case WHERE case_no = ?", [case_no]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def create_review(
    actor: Actor,
    *,
    kind: str,
    title: str,
    review_date,
    place: str,
    purpose: str,
    basis: str,
    scope: str,
    content: str,
    schedule: str,
    case_no: str | None = None,
    applicant_uscc: str | None = None,
    applicant_name: str | None = None,
    special_review_id: int | None = None,
    contact_phone: str | None = None,
    department_ids=(),
) -> int:
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
    dept_ids = v.id_list(department_ids, "部门")
    if not dept_ids:
        raise ValidationError("请至少选择一个商请派员的监管部门。", field="department_ids")
    if rdate < _today():
        raise ValidationError(f"审查日期 {rdate.isoformat()} 已过。", field="review_date")
    _check_one_day(rdate)
    uscc_code = str(applicant_uscc or "").strip() or None

    def tx(cur):
        # the letter's 联系人 line carries a phone: the form's, else the
        # sender's own (user record), else the bureau's (SGLD_CONTACT_PHONE)
        phone = (
            contact_phone
            or (cur.execute("SELECT phone FROM app_user WHERE id = ?", [actor.user_id]).fetchone() or [None])[0]
            or settings.get().get("CONTACT_PHONE").strip()
            or None
        )
        from sgld.services import enterprises

        case_id, enterprise_id = _link_case(cur, case_no)
        applicant = applicant_name
        if uscc_code:
            enterprise_id = enterprises.ensure(cur, actor, uscc_code, applicant_name)
        if enterprise_id is not None:
            applicant = cur.execute("SELECT name FROM enterprise WHERE id = ?", [enterprise_id]).fetchone()[0]
        now = clock.now()
        rid = cur.execute(
            "INSERT INTO liaison_review (kind, special_review_id, case_id, case_no, enterprise_id,"
            " applicant, title, purpose, basis, scope, content, schedule, review_date, place,"
            " contact_name, contact_phone, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            [
                kind,
                special_review_id,
                case_id,
                case_no,
                enterprise_id,
                applicant,
                title,
                purpose,
                basis,
                scope,
                content,
                schedule,
                rdate,
                place,
                actor.display_name,
                phone,
                actor.user_id,
                now,
            ],
        ).fetchone()[0]
        review = _review_row(cur, rid)
        audit.record(
            cur,
            actor,
            "create",
            "liaison_review",
            rid,
            after={
                k: review[k]
                for k in ("kind", "title", "review_date", "place", "case_no", "applicant", "special_review_id")
            },
        )
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
        raise StateError(
            f"专项审查“{r['title']}”的状态为“{r['status']}”，只能为已审察同意、已通知参审部门且尚未召开的专项审查发函。"
        )
    scopes = "、".join(r.get("scopes") or [])
    forms = "、".join(r.get("forms") or [])
    at = r["meeting_at"]
    subject = r.get("project_name") or r.get("case_no") or r.get("project_no") or ""
    return {
        "kind": "专项审查",
        "special_review_id": r["id"],
        "title": r["title"],
        "review_date": r["meeting_date"],
        "place": r.get("place") or "",
        "purpose": (f"对{subject}开展专项审查，" if subject else "开展专项审查，")
        + "充分听取行业主管部门和监管部门联络员意见，共同研究确定审批意见。",
        "basis": f"《{settings.get().city}相对集中许可权事项专项审查制度（试行）》；专项审查范围：{scopes}。",
        "scope": scopes or "专项审查议题所涉事项",
        "content": r.get("matters") or r["title"],
        "schedule": f"{at:%H:%M} 召开专项审查（{forms}）：经办人说明项目审批情况，参审部门充分协商沟通并发表意见。",
        "case_no": r.get("case_no"),
        "department_ids": [
            d["department_id"]
            for d in r.get("departments", [])
            if d.get("department_id") in {x["id"] for x in supervision_departments(actor)}
        ],
        "review_no": r.get("review_no"),
    }


def withdraw_letter(actor: Actor, request_id: int, reason: str) -> None:
    """The bureau withdraws a letter not yet answered (e.g. the review is cancelled)."""
    require(actor, "approver", action="撤回商请函")
    reason = v.text(reason, "撤回原因", max_len=200)

    def tx(cur):
        row = cur.execute("SELECT status, letter_no FROM liaison_request WHERE id = ?", [request_id]).fetchone()
        if row is None:
            raise NotFound("商请函不存在。")
        workflows.check(
            workflows.LIAISON_LETTER,
            "withdraw",
            row[0],
            actor,
            refused=dict.fromkeys(
                workflows.LIAISON_LETTER.states, f"商请函 {row[1]} 的状态为“{row[0]}”，只能撤回尚未派员的商请函。"
            ),
        )
        cur.execute(
            "UPDATE liaison_request SET status = '已撤回', withdrawn_reason = ?, withdrawn_at = ? WHERE id = ?",
            [reason, clock.now(), request_id],
        )
        audit.record(
            cur,
            actor,
            "withdraw_letter",
            "liaison_request",
            request_id,
            before={"status": row[0]},
            after={"status": "已撤回", "reason": reason},
        )

    get_db().write(tx)


def _scope_sql(actor: Actor) -> tuple[str, list]:
    """Letters the actor may see: approver/leader/admin all; supervisor their
    department's; liaison only their own assignments (a rule of this feature,
    kept here: ``sgld.policy`` gives a liaison their department)."""
    if policy.sees_all_departments(actor):
        return "", []
    if actor.has("supervisor"):
        if actor.has("liaison"):
            return (" AND (q.department_id = ? OR l.user_id = ?)", [actor.department_id, actor.user_id])
        return " AND q.department_id = ?", [actor.department_id]
    if actor.has("liaison"):
        return " AND l.user_id = ? AND q.status = '已派员'", [actor.user_id]
    raise PermissionDenied("您没有权限查看商请函。")


def list_letters(
    actor: Actor, *, state: str | None = None, department_id: int | None = None, review_id: int | None = None
) -> list[dict]:
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
        r["on_time"] = r["dispatched_at"] is not None and r["dispatched_at"].date() < r["review_date"]
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
    " ELSE '已派员' END"
)


def letters_overview(actor: Actor) -> pd.DataFrame:
    """Every letter the actor sees as one frame, newest review first: the
    columns ``ui.liaison_tables.letters_table`` shows and ``status`` (dates
    as ``date`` values, as in the rows of :func:`list_letters`)."""
    require(actor, *READERS, action="查看商请函")
    where, params = _scope_sql(actor)
    sql = (
        "SELECT q.id, q.letter_no, r.title, r.kind, r.applicant, r.review_date, r.place,"
        " d.name AS department, q.sent_at, q.status, " + _STATE_SQL + " AS state,"
        " l.name AS liaison_name, q.dispatched_at,"
        " (q.dispatched_at IS NOT NULL AND CAST(q.dispatched_at AS DATE) < r.review_date) AS on_time,"
        " q.recommendation"
        + _LIST_SQL[_LIST_SQL.index(" FROM ") :]
        + " WHERE 1=1"
        + where
        + " ORDER BY r.review_date DESC, q.id DESC"
    )
    return get_db().frame(sql, [_today(), *params])


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
    row["on_time"] = row["dispatched_at"] is not None and row["dispatched_at"].date() < row["review_date"]
    row["rectifications"] = _rects(" AND x.request_id = ?", [request_id])
    row["enterprise"] = None
    if row["enterprise_id"] is not None:
        ent = get_db().dicts(
            "SELECT id, uscc, name, legal_rep, address FROM enterprise WHERE id = ?", [row["enterprise_id"]]
        )
        row["enterprise"] = ent[0] if ent else None
    row["replaced_dispatches"] = get_db().dicts(
        "SELECT l.name AS liaison_name, du.display_name AS dispatched_by_name, x.dispatched_at,"
        " x.dispatch_note, ru.display_name AS replaced_by_name, x.replaced_at"
        " FROM liaison_dispatch_replaced x JOIN liaison l ON l.id = x.liaison_id"
        " LEFT JOIN app_user du ON du.id = x.dispatched_by"
        " LEFT JOIN app_user ru ON ru.id = x.replaced_by"
        " WHERE x.request_id = ? ORDER BY x.replaced_at, x.id",
        [request_id],
    )
    row["report_signatures"] = get_db().dicts(
        "SELECT d.name AS department, l.name AS liaison, q.signed_at FROM liaison_request q"
        " JOIN department d ON d.id = q.department_id JOIN liaison l ON l.id = q.liaison_id"
        " WHERE q.review_id = ? AND q.signed_at IS NOT NULL ORDER BY q.signed_at",
        [row["review_id"]],
    )
    return row


def letter_docx(actor: Actor, request_id: int) -> tuple[str, bytes]:
    """The stored .docx of a letter (file name, bytes), scope-checked."""
    row = get_letter(actor, request_id)
    if row["attachment_id"] is None:
        # letters recorded without their file (imported history, demo data):
        # rebuilt from the stored facts, as sent
        data = render(
            build_letter(
                row,
                row["department"],
                row["letter_no"],
                row["sent_at"].date(),
                row["contact_name"],
                row["contact_phone"],
            )
        )
        return f"{row['letter_no']}{LETTER_TITLE}.docx", data
    meta, data = attachments.read(row["attachment_id"])
    return meta["file_name"], data


def list_reviews(actor: Actor) -> pd.DataFrame:
    """Reviews with their letters' progress (bureau and leaders): id, title,
    kind, applicant, review_date, place, letters (not withdrawn), dispatched,
    signed, has_report.  The Chinese headers: ``ui.liaison_tables.reviews_table``."""
    require(actor, "approver", "leader", "admin", action="查看审查安排")
    return get_db().df(
        "SELECT r.id, r.title, r.kind, r.applicant, r.review_date, r.place,"
        " count(q.id) FILTER (WHERE q.status <> '已撤回') AS letters,"
        " count(q.id) FILTER (WHERE q.status = '已派员') AS dispatched,"
        " count(q.signed_at) AS signed, (r.report_text IS NOT NULL) AS has_report"
        " FROM liaison_review r LEFT JOIN liaison_request q ON q.review_id = r.id"
        " GROUP BY r.id, r.title, r.kind, r.applicant, r.review_date, r.place, r.report_text"
        " ORDER BY r.review_date DESC, r.id DESC"
    )


# -- dispatch ---------------------------------------------------------------
def dispatch_candidates(actor: Actor, request_id: int) -> list[dict]:
    """The department's roster with qualification on the review date."""
    require(actor, "supervisor", action="派出联络员")
    row = get_db().one(
        "SELECT q.department_id, r.review_date FROM liaison_request q"
        " JOIN liaison_review r ON r.id = q.review_id WHERE q.id = ?",
        [request_id],
    )
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
            " WHERE q.id = ?",
            [request_id],
        ).fetchone()
        if q is None:
            raise NotFound("商请函不存在。")
        dept_id, status, letter_no, old_liaison, recorded_at, review_date = q
        require_department(actor, dept_id, "为其他部门的商请函派员")
        workflows.check(
            workflows.LIAISON_LETTER,
            "dispatch",
            status,
            actor,
            refused={"已撤回": f"商请函 {letter_no} 已被审批局撤回，无需派员。"},
        )
        if recorded_at is not None:
            raise StateError(f"联络员已填写审查记录，商请函 {letter_no} 不能再更换联络员。")
        if review_date < _today():
            raise StateError(f"审查已于 {review_date.isoformat()} 举行，商请函 {letter_no} 不能再派员。")
        rows = get_db().dicts(_ROSTER_SQL + " WHERE l.id = ?", [liaison_id])
        if not rows:
            raise ValidationError("所选联络员不在名册中。", field="liaison_id")
        person = rows[0]
        if person["department_id"] != dept_id:
            raise ValidationError(
                f"“{person['name']}”是{person['department']}的联络员，只能派出本部门名册中的联络员。",
                field="liaison_id",
            )
        problems = _dispatch_problems(person, review_date)
        if problems:
            raise ValidationError(f"“{person['name']}”不能派出：" + "；".join(problems) + "。", field="liaison_id")
        if old_liaison == liaison_id:
            raise ValidationError(f"已派出“{person['name']}”，无需重复派员。", field="liaison_id")
        now = clock.now()
        if old_liaison is not None:  # 更换: keep the replaced dispatch for the record
            cur.execute(
                "INSERT INTO liaison_dispatch_replaced (request_id, liaison_id, dispatched_by,"
                " dispatched_at, dispatch_note, replaced_by, replaced_at)"
                " SELECT id, liaison_id, dispatched_by, dispatched_at, dispatch_note, ?, ?"
                " FROM liaison_request WHERE id = ?",
                [actor.user_id, now, request_id],
            )
        cur.execute(
            "UPDATE liaison_request SET status = '已派员', liaison_id = ?,"
            " dispatched_by = ?, dispatched_at = ?, dispatch_note = ? WHERE id = ?",
            [liaison_id, actor.user_id, now, note, request_id],
        )
        audit.record(
            cur,
            actor,
            "dispatch" if old_liaison is None else "redispatch",
            "liaison_request",
            request_id,
            before={"status": status, "liaison_id": old_liaison},
            after={
                "status": "已派员",
                "liaison_id": liaison_id,
                "liaison": person["name"],
                "on_time": now.date() < review_date,
                "note": note,
            },
        )

    get_db().write(tx)
