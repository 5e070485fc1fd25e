"""The documents: the notice and the minutes (.docx), issuing the minutes,
and their file names."""

from __future__ import annotations

from db.connection import get_db
from sgld import attachments, audit, clock, settings
from sgld.documents import Letter, cn_date, render
from sgld.errors import StateError
from sgld.security import Actor
from sgld.services.special_review._base import (
    B_WRITTEN,
    DEEMED_RULE,
    MINUTES_OWNER,
    NOTIFIED,
    OUTCOME_AGREED,
    OUTCOME_ESCALATED,
    PRESENT,
    S_ISSUED,
    STATUSES,
    _check_visible,
    _dept_rows,
    _need_manager,
    _need_status,
    _next_no,
    _row,
    _sentence,
    opinion_label,
)


def _subject(r: dict) -> str:
    """The case/project the review is about, e.g. 项目“X”，项目编号 P1；办件编号 C1.
    Empty parts are left out; "" when there is nothing to say."""
    parts = []
    if r["project_no"]:
        name = (r["project_name"] or "").strip()
        name = name if name and name not in (r["title"], topic(r["title"])) else ""
        parts.append((f"项目“{name}”，" if name else "") + f"项目编号 {r['project_no']}")
    if r["case_no"]:
        parts.append(f"办件编号 {r['case_no']}")
    return "；".join(parts)


def _about(r: dict) -> str:
    """（subject） after the topic, or nothing when there is no subject."""
    s = _subject(r)
    return f"（{s}）" if s else ""


def topic(title: str) -> str:
    """The motion's 议题 without a trailing 专项审查 (the documents append
    专项审查… themselves: no 专项审查专项审查)."""
    t = (title or "").strip()
    while t.endswith("专项审查") and len(t) > len("专项审查"):
        t = t[: -len("专项审查")].rstrip()
    return t


def _approver_label(cur, r: dict) -> str:
    """Who approved the motion, from the recorded approver (approved_by), not
    from the motion's 市政府分管领导主持 tick: e.g. 市行政审批局分管领导张三."""
    row = (
        cur.execute(
            "SELECT u.display_name, d.kind, d.name FROM app_user u"
            " JOIN department d ON d.id = u.department_id WHERE u.id = ?",
            [r["approved_by"]],
        ).fetchone()
        if r["approved_by"] is not None
        else None
    )
    if row is None:
        return "分管领导"
    name, kind, dept_name = row
    unit = "市行政审批局" if kind == "bureau" else "市政府" if kind == "government" else dept_name
    return f"{unit}分管领导{name}"


def _contact_note(cur, user_id) -> str | None:
    """（联系人：name，联系电话：phone） from the contact's user record; the
    phone falls back to SGLD_CONTACT_PHONE (the bureau's office number)."""
    row = (
        cur.execute("SELECT display_name, phone FROM app_user WHERE id = ?", [user_id]).fetchone()
        if user_id is not None
        else None
    )
    name = (row[0] or "").strip() if row else ""
    phone = ((row[1] or "").strip() if row else "") or settings.get().get("CONTACT_PHONE").strip()
    if not name and not phone:
        return None
    parts = ([f"联系人：{name}"] if name else []) + ([f"联系电话：{phone}"] if phone else [])
    return "（" + "，".join(parts) + "）"


def _notice_letter(cur, r: dict, depts: list[dict]) -> Letter:
    cfg = settings.get()
    m = r["meeting_at"]
    body = [
        f"根据《{cfg.city.rstrip('市')}市相对集中许可权事项专项审查制度（试行）》，经{_approver_label(cur, r)}审察同意，"
        f"定于{cn_date(m.date())}{m:%H:%M}在{r['place']}召开专项审查会议"
        + ("，并报请市政府分管领导主持会议" if r["city_chair"] else "")
        + "。现将有关事项通知如下：",
        f"{_sentence(r['title'])}{_about(r)}。",
        f"审查范围：{'、'.join(r['scopes'])}；审查形式：{'、'.join(r['forms'])}。",
        r["matters"],
        "请各参审部门于会议召开前在审管联动系统中确认参会人员，并可提前提交书面意见。"
        "因故不能出席的，应在会前说明理由并提交书面意见。" + DEEMED_RULE,
    ]
    headings = {1: "一、审查议题", 2: "二、审查范围和形式", 3: "三、需要协调解决的事项", 4: "四、参会要求"}
    if r["background"]:
        body.insert(2, r["background"])
        headings = {
            1: "一、审查议题",
            2: "二、项目基本情况",
            3: "三、审查范围和形式",
            4: "四、需要协调解决的事项",
            5: "五、参会要求",
        }
    if r["invited_units"]:
        body.append(f"特邀参加：{r['invited_units']}。")
    table = [["参审部门", "参会人员（部门回复）"]] + [[d["name"], d["attendees"] or "待回复"] for d in depts]
    return Letter(
        issuer=cfg.bureau_name,
        title=f"关于召开{topic(r['title'])}专项审查会议的通知",
        body=body,
        issued_on=(r["approved_at"] or clock.now()).date(),
        addressee="、".join(d["name"] for d in depts),
        doc_no=r["review_no"],
        headings=headings,
        table=table,
        signer_note=_contact_note(cur, r["proposed_by"]),
    )


def _minutes_letter(cur, r: dict, depts: list[dict]) -> Letter:
    cfg = settings.get()
    present = [d for d in depts if d["attendance"] == PRESENT]
    absent = [d for d in depts if d["attendance"] != PRESENT]
    held = r["held_on"] or r["meeting_at"].date()
    body: list[str] = []
    headings: dict[int, str] = {}

    def section(title: str, *paras: str):
        headings[len(body)] = title
        body.extend(paras)

    body.append(
        f"{cn_date(held)}，{r['chair']}在{r['place']}主持召开专项审查会议，对{topic(r['title'])}"
        f"{_about(r)}进行专项审查。"
        + (f"{'、'.join(d['name'] for d in present)}等部门参加会议。" if present else "")
        + "现将会议议定事项纪要如下："
    )
    n = iter("一二三四五六七八九十")
    section(
        f"{next(n)}、审查事项", f"审查范围：{'、'.join(r['scopes'])}；审查形式：{'、'.join(r['forms'])}。", r["matters"]
    )
    section(f"{next(n)}、项目审批情况说明", r["presentation"] or "")
    att = [d["name"] + (f"：{d['attendees']}" if (d["attendees"] or "").strip() else "") for d in present]
    att += [
        f"{d['name']}：{d['attendance']}" + (f"（{d['absence_reason']}）" if d["absence_reason"] else "")
        for d in absent
    ]
    if r["invited_units"]:
        att.append(f"特邀参加：{r['invited_units']}")
    section(f"{next(n)}、出席情况", "\n".join(att))
    if r["expert_opinions"]:
        section(f"{next(n)}、专家评审意见", r["expert_opinions"])
    if r["site_findings"]:
        section(f"{next(n)}、现场检查情况", r["site_findings"])
    ops = [
        f"（{i}）{d['name']}{'（书面意见）' if d['basis'] == B_WRITTEN else ''}：{_sentence(opinion_label(d))}。"
        for i, d in enumerate(depts, 1)
    ]
    deemed = [d["name"] for d in depts if d["deemed"]]
    if deemed:
        ops.append(f"按照专项审查制度“{DEEMED_RULE}”的规定，{'、'.join(deemed)}视为同意。")
    section(f"{next(n)}、各参审部门意见", "\n".join(ops))
    if r["outcome"] == OUTCOME_AGREED:
        section(f"{next(n)}、审查结论", f"经充分协商，各参审部门达成一致意见：{r['conclusion']}")
    else:
        concl = [f"会议未能达成一致意见，形成如下建议报市政府决定：{r['conclusion']}"]
        if r["gov_decision"]:
            concl.append(f"{cn_date(r['gov_decided_on'])}，市政府决定：{r['gov_decision']}。{r['gov_decision_text']}")
        section(f"{next(n)}、审查结论及市政府决定", *concl)
    section(
        f"{next(n)}、工作要求",
        "本纪要作为审批与监管的依据之一。市行政审批局和各行业主管部门要认真落实会议决定，"
        "分别办理有关审批手续和做好监管工作。",
    )
    table = [["参审部门", "出席情况", "意见", "意见形式"]] + [
        [d["name"], d["attendance"] or "", opinion_label(d), d["basis"] or ""] for d in depts
    ]
    distribution = [cfg.bureau_name] + [d["name"] for d in depts]
    if r["city_chair"] or r["outcome"] == OUTCOME_ESCALATED:
        distribution.insert(0, "市人民政府")
    issued = (r["minutes_issued_at"] or clock.now()).date()
    return Letter(
        issuer=cfg.bureau_name,
        title=f"{topic(r['title'])}专项审查会议纪要",
        body=body,
        issued_on=issued,
        doc_no=r["minutes_no"],
        headings=headings,
        table=table,
        copy_to="、".join(distribution),
        copy_label="分送",
    )


def _minutes_bytes(cur, r: dict) -> bytes:
    return render(_minutes_letter(cur, r, _dept_rows(cur, r["id"])))


def issue_minutes(actor: Actor, review_id: int) -> str:
    """Generate and issue the minutes (已达成一致 | 市政府已决定 → 纪要已印发).
    The .docx is stored and distributed to the bureau and every participating
    department.  Returns the minutes number."""

    def tx(cur):
        r = _row(cur, review_id)
        _need_manager(cur, actor, r, "印发专项审查纪要")
        not_yet = (
            f"专项审查“{r['review_no']}”尚未形成审查结论（达成一致或市政府决定），"
            f"当前状态为“{r['status']}”，不能印发纪要。"
        )
        _need_status(
            actor,
            r,
            "issue_minutes",
            refused={
                **dict.fromkeys(STATUSES, not_yet),
                S_ISSUED: f"专项审查“{r['review_no']}”的纪要已印发（{r['minutes_no']}）。",
            },
        )
        now = clock.now()
        r["minutes_no"] = _next_no(cur, "minutes_no", "专审纪要", now.year)
        r["minutes_issued_at"] = now
        data = _minutes_bytes(cur, r)
        f = attachments.generated(_minutes_name(r), data)
        aid = attachments.attach(cur, actor, MINUTES_OWNER, r["id"], f)
        cur.execute(
            "UPDATE special_review SET status = ?, minutes_no = ?,"
            " minutes_attachment_id = ?, minutes_issued_by = ?, minutes_issued_at = ?,"
            " updated_at = ? WHERE id = ?",
            [S_ISSUED, r["minutes_no"], aid, actor.user_id, now, now, r["id"]],
        )
        audit.record(
            cur,
            actor,
            "issue_minutes",
            "special_review",
            r["id"],
            before={"status": r["status"]},
            after={"status": S_ISSUED, "minutes_no": r["minutes_no"], "attachment_id": aid, "sha256": f.sha256},
        )
        return r["minutes_no"]

    return get_db().write(tx)


def _safe_file_name(s: str) -> str:
    return "".join(c for c in s if c not in '\\/:*?"<>|')[:80]


def notice_docx(actor: Actor, review_id: int) -> tuple[str, bytes]:
    """The notice to the participating departments as .docx: (file name, bytes)."""
    with get_db().cursor() as cur:
        r = _row(cur, review_id)
        depts = _dept_rows(cur, r["id"])
        _check_visible(actor, r, [d["department_id"] for d in depts])
        if r["status"] not in NOTIFIED:
            raise StateError("动议尚未经分管领导审察同意，通知尚未发出。")
        data = render(_notice_letter(cur, r, depts))
    return _notice_name(r), data


def _notice_name(r: dict) -> str:
    return _safe_file_name(f"{r['review_no']}专项审查通知") + ".docx"


def _minutes_name(r: dict) -> str:
    return _safe_file_name(f"{r['minutes_no']}{topic(r['title'])}专项审查会议纪要") + ".docx"


def minutes_docx(actor: Actor, review_id: int) -> tuple[str, bytes]:
    """The issued minutes as .docx: (file name, bytes)."""
    with get_db().cursor() as cur:
        r = _row(cur, review_id)
        depts = _dept_rows(cur, r["id"])
        _check_visible(actor, r, [d["department_id"] for d in depts])
        if r["status"] != S_ISSUED:
            raise StateError("纪要尚未印发。")
        name = _minutes_name(r)
        if r["minutes_attachment_id"] is None:  # imported / demo records: render from the record
            return name, _minutes_bytes(cur, r)
    _, data = attachments.read(r["minutes_attachment_id"])
    return name, data
