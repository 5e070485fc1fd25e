"""The participating departments and the meeting: attendees, written
opinions, the meeting record, the deemed-agreement rule (:func:`evaluate`),
the conclusion, the city government's decision and the follow-up (附件2 五)."""

from __future__ import annotations

from datetime import date, datetime, time

from db.connection import get_db
from sgld import audit, clock
from sgld import validate as v
from sgld.errors import PermissionDenied, StateError, ValidationError
from sgld.security import Actor, require
from sgld.services.special_review._base import (
    ABSENT_NO_REASON,
    ABSENT_REASON,
    AGREE,
    ATTENDANCE,
    B_DEEMED,
    B_MEETING,
    B_WRITTEN,
    CONDITIONAL,
    DEEMED_ABSENT,
    DEEMED_SILENT,
    DISAGREE,
    FOLLOW_APPROVAL,
    FOLLOW_SUPERVISION,
    GOV_DECISIONS,
    OPINIONS,
    OUTCOME_AGREED,
    OUTCOME_ESCALATED,
    PRESENT,
    S_AGREED,
    S_DECIDED,
    S_ESCALATED,
    S_HELD,
    STATUSES,
    _check_visible,
    _dept_rows,
    _manages,
    _need_manager,
    _need_status,
    _row,
    is_city_leader,
)


# -- participating departments ---------------------------------------------
def _own_dept_row(cur, actor: Actor, r: dict, what: str) -> dict:
    require(actor, "supervisor", action=what)
    for d in _dept_rows(cur, r["id"]):
        if d["department_id"] == actor.department_id:
            return d
    raise PermissionDenied(f"您所在部门（{actor.department_name}）未被邀请参加专项审查“{r['review_no']}”，不能{what}。")


def name_attendees(actor: Actor, review_id: int, attendees: str) -> None:
    """A participating department answers the notice with who attends."""
    attendees = v.text(attendees, "参会人员", max_len=200)

    def tx(cur):
        r = _row(cur, review_id)
        d = _own_dept_row(cur, actor, r, "确认参会人员")
        _need_status(actor, r, "name_attendees")
        now = clock.now()
        cur.execute(
            "UPDATE special_review_department SET attendees = ?, attendees_by = ?,"
            " attendees_at = ? WHERE review_id = ? AND department_id = ?",
            [attendees, actor.user_id, now, r["id"], actor.department_id],
        )
        audit.record(
            cur,
            actor,
            "name_attendees",
            "special_review",
            r["id"],
            before={"department": actor.department_name, "attendees": d["attendees"]},
            after={"department": actor.department_name, "attendees": attendees},
        )

    get_db().write(tx)


def _check_opinion(opinion, text, who: str = "") -> tuple[str, str | None]:
    opinion = v.choice(opinion, OPINIONS, f"{who}意见")
    text = v.text(text, f"{who}意见说明", required=False, max_len=2000, multiline=True)
    if opinion == DISAGREE and not text:
        raise ValidationError(f"{who}意见为“不同意”，请写明理由。", field="opinion_text")
    if opinion == CONDITIONAL and not text:
        raise ValidationError(f"{who}意见为“有条件同意”，请写明条件。", field="opinion_text")
    return opinion, text


def submit_opinion(actor: Actor, review_id: int, opinion: str, text: str | None = None) -> None:
    """The department's written opinion (书面意见): before the meeting, or
    after it when the department was absent with a reason."""
    opinion, text = _check_opinion(opinion, text)

    def tx(cur):
        r = _row(cur, review_id)
        d = _own_dept_row(cur, actor, r, "提交本部门意见")
        _need_status(actor, r, "submit_opinion")
        if r["status"] == S_HELD and d["attendance"] != ABSENT_REASON:
            raise StateError(
                "审查会议已召开：出席会议的部门以会上发表的意见为准，无故缺席的部门视为同意；"
                "会后只有有理由缺席的部门可以提交书面意见。"
            )
        now = clock.now()
        cur.execute(
            "UPDATE special_review_department SET opinion = ?, opinion_text = ?,"
            " basis = ?, deemed = FALSE, deemed_reason = NULL, opinion_by = ?,"
            " opinion_at = ? WHERE review_id = ? AND department_id = ?",
            [opinion, text, B_WRITTEN, actor.user_id, now, r["id"], actor.department_id],
        )
        audit.record(
            cur,
            actor,
            "submit_opinion",
            "special_review",
            r["id"],
            before={"department": actor.department_name, "opinion": d["opinion"], "opinion_text": d["opinion_text"]},
            after={"department": actor.department_name, "opinion": opinion, "opinion_text": text, "basis": B_WRITTEN},
        )

    get_db().write(tx)


# -- meeting --------------------------------------------------------------
def record_meeting(
    actor: Actor,
    review_id: int,
    *,
    held_on: date,
    chair: str,
    presentation: str,
    departments: dict,
    expert_opinions: str | None = None,
    site_findings: str | None = None,
    start_time: time | None = None,
) -> None:
    """Record the meeting (已通知 → 已召开; may be corrected while 已召开).

    ``departments`` maps each participating department id to
    ``{"attendance": 出席|缺席（有理由）|无故缺席, "absence_reason": str,
    "attendees": str, "opinion": None|同意|不同意|有条件同意, "opinion_text": str}``.
    ``opinion`` None for a present department means it stated no different
    opinion (视为同意 at conclusion, unless it gave a written opinion).

    A meeting is recorded only once it has begun: its start (``held_on``
    at ``start_time``; without a time, on the scheduled day, the scheduled
    time) must not be later than ``clock.now()``."""
    held_on = v.parse_date(held_on, "会议召开日期", not_future=True)
    if start_time is not None and not isinstance(start_time, time):
        raise ValidationError("“会议开始时间”不是有效时间。", field="start_time")
    chair = v.text(chair, "主持人", max_len=60)
    if chair in BARE_CHAIR_TITLES:
        raise ValidationError("请填写实际主持会议人员的职务和姓名，如“市行政审批局分管领导张三”。", field="chair")
    presentation = v.text(presentation, "经办人情况说明", max_len=4000, multiline=True)
    expert_opinions = v.text(expert_opinions, "专家评审意见", required=False, max_len=4000, multiline=True)
    site_findings = v.text(site_findings, "现场检查情况", required=False, max_len=4000, multiline=True)
    if not isinstance(departments, dict):
        raise ValidationError("请录入各参审部门的出席情况。")

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "录入专项审查会议情况")
        _need_status(actor, r, "record_meeting")
        at = start_time or (r["meeting_at"].time() if held_on == r["meeting_at"].date() else None)
        now = clock.now()
        if at is not None and datetime.combine(held_on, at) > now:
            raise ValidationError(
                f"会议开始时间为 {held_on:%Y-%m-%d} {at:%H:%M}，现在是 {now:%Y-%m-%d %H:%M}："
                "会议召开后才能录入会议情况。",
                field="held_on",
            )
        if r["approved_at"] and held_on < r["approved_at"].date():
            raise ValidationError(
                f"会议召开日期不能早于动议审察同意的日期（{r['approved_at']:%Y-%m-%d}）。", field="held_on"
            )
        if "专家评审" in r["forms"] and not expert_opinions:
            raise ValidationError("本次审查包含专家评审，请录入专家评审意见。", field="expert_opinions")
        if "现场检查" in r["forms"] and not site_findings:
            raise ValidationError("本次审查包含现场检查，请录入现场检查情况。", field="site_findings")
        rows = {d["department_id"]: d for d in _dept_rows(cur, r["id"])}
        try:
            given = {int(k): (val or {}) for k, val in departments.items()}
        except (TypeError, ValueError):
            raise ValidationError("参审部门无效。") from None
        extra = [k for k in given if k not in rows]
        if extra:
            names = dict(
                cur.execute(
                    f"SELECT id, name FROM department WHERE id IN ({','.join('?' * len(extra))})", extra
                ).fetchall()
            )
            shown = "、".join(names.get(k, f"编号 {k}") for k in extra)
            raise ValidationError(f"{shown}未被邀请参加本次专项审查，不能录入其出席情况或意见。", field="departments")
        missing = [rows[k]["name"] for k in rows if k not in given]
        if missing:
            raise ValidationError(f"请录入{'、'.join(missing)}的出席情况。", field="departments")
        updates = []
        for dept_id, e in given.items():
            d = rows[dept_id]
            name = d["name"]
            att = v.choice(e.get("attendance"), ATTENDANCE, f"{name}出席情况")
            reason = v.text(e.get("absence_reason"), f"{name}缺席理由", required=False, max_len=500)
            attendees = v.text(e.get("attendees"), f"{name}出席人员", required=False, max_len=200) or d["attendees"]
            op = e.get("opinion") or None
            op_text = None
            if att == ABSENT_REASON and not reason:
                raise ValidationError(f"{name}缺席（有理由），请填写缺席理由。", field="absence_reason")
            if att != ABSENT_REASON:
                reason = None
            if att == PRESENT and not attendees:
                raise ValidationError(f"{name}出席会议，请填写出席人员。", field="attendees")
            if att != PRESENT:
                attendees = None
                if op:
                    raise ValidationError(
                        f"{name}未出席会议，不能录入会上意见；有理由缺席的部门应提交书面意见。", field="opinion"
                    )
            if op:
                op, op_text = _check_opinion(op, e.get("opinion_text"), name)
            if att == ABSENT_NO_REASON and d["basis"] == B_WRITTEN:
                raise ValidationError(
                    f"{name}已提交书面意见，不属于无故缺席，请选择“缺席（有理由）”并填写理由。", field="attendance"
                )
            if op:  # stated at the meeting: replaces any written opinion
                opinion = (op, op_text, B_MEETING, actor.user_id)
            elif d["basis"] == B_WRITTEN and att != ABSENT_NO_REASON:
                opinion = (d["opinion"], d["opinion_text"], B_WRITTEN, None)  # kept
            else:
                opinion = (None, None, None, None)
            updates.append((dept_id, att, reason, attendees, opinion))
        now = clock.now()
        before = {
            "status": r["status"],
            "departments": {
                rows[k]["name"]: {
                    "attendance": rows[k]["attendance"],
                    "opinion": rows[k]["opinion"],
                    "basis": rows[k]["basis"],
                }
                for k in rows
            },
        }
        after_depts = {}
        for dept_id, att, reason, attendees, (op, op_text, basis, by) in updates:
            if basis == B_WRITTEN:
                cur.execute(
                    "UPDATE special_review_department SET attendance = ?,"
                    " absence_reason = ?, attendees = ?, deemed = FALSE,"
                    " deemed_reason = NULL WHERE review_id = ? AND department_id = ?",
                    [att, reason, attendees, r["id"], dept_id],
                )
            else:
                cur.execute(
                    "UPDATE special_review_department SET attendance = ?,"
                    " absence_reason = ?, attendees = ?, opinion = ?, opinion_text = ?,"
                    " basis = ?, deemed = FALSE, deemed_reason = NULL, opinion_by = ?,"
                    " opinion_at = ? WHERE review_id = ? AND department_id = ?",
                    [att, reason, attendees, op, op_text, basis, by, now if op else None, r["id"], dept_id],
                )
            after_depts[rows[dept_id]["name"]] = {
                "attendance": att,
                "absence_reason": reason,
                "attendees": attendees,
                "opinion": op,
                "opinion_text": op_text,
                "basis": basis,
            }
        cur.execute(
            "UPDATE special_review SET status = ?, held_on = ?, chair = ?,"
            " presentation = ?, expert_opinions = ?, site_findings = ?, meeting_by = ?,"
            " meeting_recorded_at = ?, updated_at = ? WHERE id = ?",
            [S_HELD, held_on, chair, presentation, expert_opinions, site_findings, actor.user_id, now, now, r["id"]],
        )
        audit.record(
            cur,
            actor,
            "record_meeting",
            "special_review",
            r["id"],
            before=before,
            after={
                "status": S_HELD,
                "held_on": held_on,
                "start_time": at.strftime("%H:%M") if at else None,
                "chair": chair,
                "presentation": presentation,
                "expert_opinions": expert_opinions,
                "site_findings": site_findings,
                "departments": after_depts,
            },
        )

    get_db().write(tx)


def evaluate(departments: list[dict]) -> dict:
    """Apply the deemed-agreement rule to the recorded departments (pure).

    Returns ``{"missing": [names absent with reason and no written opinion],
    "unrecorded": [names without attendance], "deemed": [(name, reason)],
    "dissent": [names], "conditional": [names], "outcome": 达成一致 | 报市政府决定
    | None}`` — outcome None while something is missing."""
    missing, unrecorded, deemed, dissent, conditional = [], [], [], [], []
    for d in departments:
        name = d["name"]
        if not d.get("attendance"):
            unrecorded.append(name)
        elif d["attendance"] == ABSENT_NO_REASON:
            deemed.append((name, DEEMED_ABSENT))
        elif d["attendance"] == ABSENT_REASON and not d.get("opinion"):
            missing.append(name)
        elif d["attendance"] == PRESENT and not d.get("opinion"):
            deemed.append((name, DEEMED_SILENT))
        elif d.get("deemed"):
            deemed.append((name, d.get("deemed_reason")))
        elif d.get("opinion") == DISAGREE:
            dissent.append(name)
        elif d.get("opinion") == CONDITIONAL:
            conditional.append(name)
    outcome = None
    if not missing and not unrecorded:
        outcome = OUTCOME_ESCALATED if dissent else OUTCOME_AGREED
    return {
        "missing": missing,
        "unrecorded": unrecorded,
        "deemed": deemed,
        "dissent": dissent,
        "conditional": conditional,
        "outcome": outcome,
    }


def conclude(actor: Actor, review_id: int, text: str) -> str:
    """Form the review's conclusion (已召开 → 已达成一致 | 待市政府决定).

    The deemed-agreement rule is applied and written into each department's
    record.  With consensus ``text`` is the agreed review opinion; otherwise it
    is the recommendation submitted to the city government.  Returns the
    outcome (达成一致 / 报市政府决定)."""
    text = v.text(text, "审查意见或建议", max_len=4000, multiline=True)

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "形成专项审查结论")
        _need_status(actor, r, "conclude")
        depts = _dept_rows(cur, r["id"])
        ev = evaluate(depts)
        if ev["unrecorded"]:
            raise ValidationError(f"{'、'.join(ev['unrecorded'])}的出席情况尚未录入，不能形成审查结论。")
        if ev["missing"]:
            raise ValidationError(
                f"{'、'.join(ev['missing'])}有理由缺席会议，尚未提交书面意见，"
                "不能形成审查结论。请待其提交书面意见后再形成结论。"
            )
        now = clock.now()
        for d in depts:
            reason = (
                DEEMED_ABSENT
                if d["attendance"] == ABSENT_NO_REASON
                else DEEMED_SILENT
                if d["attendance"] == PRESENT and not d["opinion"]
                else None
            )
            if reason:
                cur.execute(
                    "UPDATE special_review_department SET opinion = ?, opinion_text = NULL,"
                    " basis = ?, deemed = TRUE, deemed_reason = ?, opinion_by = NULL,"
                    " opinion_at = ? WHERE review_id = ? AND department_id = ?",
                    [AGREE, B_DEEMED, reason, now, r["id"], d["department_id"]],
                )
        status = S_ESCALATED if ev["outcome"] == OUTCOME_ESCALATED else S_AGREED
        cur.execute(
            "UPDATE special_review SET status = ?, outcome = ?, conclusion = ?,"
            " concluded_by = ?, concluded_at = ?, updated_at = ? WHERE id = ?",
            [status, ev["outcome"], text, actor.user_id, now, now, r["id"]],
        )
        audit.record(
            cur,
            actor,
            "conclude",
            "special_review",
            r["id"],
            before={"status": r["status"]},
            after={
                "status": status,
                "outcome": ev["outcome"],
                "conclusion": text,
                "deemed": [f"{n}：视为同意（{why}）" for n, why in ev["deemed"]],
                "dissent": ev["dissent"],
            },
        )
        return ev["outcome"]

    return get_db().write(tx)


def record_government_decision(actor: Actor, review_id: int, decision: str, text: str, decided_on: date) -> None:
    """The city government's decision on an escalated review (待市政府决定 →
    市政府已决定), recorded by the proposing division or by the city
    government's leader in charge."""
    decision = v.choice(decision, GOV_DECISIONS, "市政府决定")
    text = v.text(text, "市政府决定内容", max_len=4000, multiline=True)
    decided_on = v.parse_date(decided_on, "决定日期", not_future=True)

    def tx(cur):
        r = _row(cur, review_id)
        if not is_city_leader(actor):
            _need_manager(cur, actor, r, "录入市政府决定")
        _need_status(actor, r, "record_decision")
        if r["concluded_at"] and decided_on < r["concluded_at"].date():
            raise ValidationError(
                f"市政府决定日期不能早于提请市政府决定的日期（{r['concluded_at']:%Y-%m-%d}）。", field="decided_on"
            )
        now = clock.now()
        cur.execute(
            "UPDATE special_review SET status = ?, gov_decision = ?,"
            " gov_decision_text = ?, gov_decided_on = ?, gov_decision_by = ?,"
            " gov_recorded_at = ?, updated_at = ? WHERE id = ?",
            [S_DECIDED, decision, text, decided_on, actor.user_id, now, now, r["id"]],
        )
        audit.record(
            cur,
            actor,
            "government_decision",
            "special_review",
            r["id"],
            before={"status": r["status"]},
            after={"status": S_DECIDED, "decision": decision, "text": text, "decided_on": decided_on},
        )

    get_db().write(tx)


# a title alone does not say who chaired (issue 16 item 5: the minutes state
# who actually did what)
BARE_CHAIR_TITLES = {
    "市政府分管领导",
    "市行政审批局分管领导",
    "分管领导",
    "市政府领导",
    "局领导",
    "领导",
    "报请市政府分管领导主持",
    "市行政审批局分管领导主持",
}


# -- following up the decision (附件2 五) ----------------------------------------
def _follow_up_rows(cur, r: dict, depts: list[dict]) -> list[dict]:
    """Every party that carries out the decision — the proposing division
    (办理审批手续) and each participating department (做好监管工作) — with what
    it recorded (``done`` False while it has not)."""
    parties = [(r["division_id"], FOLLOW_APPROVAL)] + [(d["department_id"], FOLLOW_SUPERVISION) for d in depts]
    cur.execute(
        "SELECT f.department_id, f.text, f.done_on, u.display_name, f.recorded_at"
        " FROM special_review_follow_up f LEFT JOIN app_user u ON u.id = f.recorded_by"
        " WHERE f.review_id = ?",
        [r["id"]],
    )
    recorded = {row[0]: row for row in cur.fetchall()}
    ids = [p[0] for p in parties]
    names = dict(
        cur.execute(f"SELECT id, name FROM department WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
    )
    out = []
    for did, kind in parties:
        f = recorded.get(did)
        out.append(
            {
                "department_id": did,
                "name": names.get(did, ""),
                "kind": kind,
                "done": f is not None,
                "text": f[1] if f else None,
                "done_on": f[2] if f else None,
                "recorded_by_name": f[3] if f else None,
                "recorded_at": f[4] if f else None,
            }
        )
    return out


def _follow_up_party(cur, actor: Actor, r: dict, depts: list[dict]) -> tuple[int, str] | None:
    """The party the actor records for: the proposing division (its approvers,
    or the bureau's) or the actor's own participating department (its
    supervisors); None when they are neither."""
    if _manages(cur, actor, r):
        return r["division_id"], FOLLOW_APPROVAL
    if actor.has("supervisor") and actor.department_id in {d["department_id"] for d in depts}:
        return actor.department_id, FOLLOW_SUPERVISION
    return None


def record_follow_up(actor: Actor, review_id: int, text: str, done_on=None) -> None:
    """Record how the actor's side carried out the decision of an issued
    review (附件2 五): the proposing division's approvers the approval
    procedure, a participating department's supervisors the supervision
    work.  Recording again corrects the entry (before/after audited)."""
    require(actor, "approver", "supervisor", action="登记落实会议决定情况")
    text = v.text(text, "落实情况", max_len=2000, multiline=True)
    done_on = v.parse_date(clock.today() if done_on is None else done_on, "落实日期", not_future=True)

    def tx(cur):
        r = _row(cur, review_id)
        depts = _dept_rows(cur, r["id"])
        _check_visible(actor, r, [d["department_id"] for d in depts])
        party = _follow_up_party(cur, actor, r, depts)
        if party is None:
            raise PermissionDenied("只有发起处室的经办人和参审部门的监管人员才能登记落实会议决定的情况。")
        _need_status(
            actor,
            r,
            "follow_up",
            refused=dict.fromkeys(
                STATUSES,
                f"专项审查“{r['review_no']}”的纪要尚未印发（当前状态为“{r['status']}”），纪要印发后才能登记落实情况。",
            ),
        )
        if done_on < r["minutes_issued_at"].date():
            raise ValidationError(
                f"落实日期不能早于纪要印发日期（{r['minutes_issued_at']:%Y-%m-%d}）。", field="done_on"
            )
        dept_id, kind = party
        old = cur.execute(
            "SELECT id, text, done_on FROM special_review_follow_up WHERE review_id = ? AND department_id = ?",
            [r["id"], dept_id],
        ).fetchone()
        now = clock.now()
        if old is None:
            cur.execute(
                "INSERT INTO special_review_follow_up (review_id, department_id, kind, text,"
                " done_on, recorded_by, recorded_at) VALUES (?,?,?,?,?,?,?)",
                [r["id"], dept_id, kind, text, done_on, actor.user_id, now],
            )
        else:
            cur.execute(
                "UPDATE special_review_follow_up SET text = ?, done_on = ?, recorded_by = ?,"
                " recorded_at = ? WHERE id = ?",
                [text, done_on, actor.user_id, now, old[0]],
            )
        name = cur.execute("SELECT name FROM department WHERE id = ?", [dept_id]).fetchone()[0]
        audit.record(
            cur,
            actor,
            "follow_up",
            "special_review",
            r["id"],
            before={"department": name, "text": old[1], "done_on": old[2]} if old else None,
            after={"department": name, "kind": kind, "text": text, "done_on": done_on},
        )

    get_db().write(tx)
