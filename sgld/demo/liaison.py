"""Demo step 60: liaison rosters (qualified and not, for each reason), reviews
with request letters in every state, the liaisons' records, signatures and
feedback, rectifications open / due soon / overdue / re-checked / closed.

The demo accounts get hand-made, date-relative work so each screen has
something to show: ``liaison`` (刘联络, 市场监管局) has a review today, one
upcoming, one to sign, and rectifications due soon and overdue; ``liaison2``
(孙联络, 生态环境局) has a first assignment and has not yet acknowledged the
work discipline; ``supervisor`` (市场监管局) has two letters to answer, one
for tomorrow.  History is bulk-inserted and scales with ``ctx.scale``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from sgld import settings, workdays
from sgld.demo import DemoContext
from sgld.demo.base import GIVEN, ITEMS, SUPERVISION, SURNAMES
from sgld.services.liaison import DISCIPLINE_VERSION, report_hash, years_complete_on

ORDER = 60

POSITIONS = ["科长", "副科长", "主任科员", "一级科员", "四级主任科员", "执法队员", "稽查员", "科员"]
BASIS = {
    "市场准入": "《中华人民共和国行政许可法》《中华人民共和国食品安全法》及相关许可审查细则",
    "投资建设": "《中华人民共和国建筑法》《中华人民共和国城乡规划法》及相关审批规定",
    "生态环境": "《中华人民共和国环境影响评价法》《排污许可管理条例》及相关技术规范",
    "安全生产": "《中华人民共和国安全生产法》《危险化学品安全管理条例》及相关许可实施办法",
    "交通运输": "《中华人民共和国道路运输条例》《港口经营管理规定》及相关许可规定",
    "卫生健康": "《医疗机构管理条例》《公共场所卫生管理条例》及相关审查标准",
    "文化旅游": "《娱乐场所管理条例》《旅行社条例》《营业性演出管理条例》及相关规定",
}
PROBLEMS = [
    ("原料仓库与成品仓库未有效分隔", True),
    ("消防通道堆放杂物，应急照明不足", True),
    ("废水预处理设施未按设计建成", True),
    ("从业人员健康证明不全", False),
    ("岗位安全操作规程未上墙、未培训", False),
    ("设备台账与现场不一致", False),
    ("危险化学品储存柜未设置防泄漏托盘", True),
    ("管理制度缺少进货查验记录要求", False),
    ("监控设备覆盖不全", True),
    ("应急预案未组织演练并留存记录", False),
]
RECOMMEND_WEIGHTS = [("建议通过", 55), ("建议整改后通过", 38), ("建议不予通过", 7)]


def _at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute))


def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _texts(item_name: str, category: str, applicant: str, kind: str) -> dict:
    return {
        "purpose": f"核实{applicant}申请{item_name}的场所、设施设备、人员和管理制度是否符合法定条件，"
        "听取监管部门联络员意见，加强审批与监管的衔接。",
        "basis": BASIS.get(category, "《中华人民共和国行政许可法》及相关法律法规"),
        "scope": f"{applicant}申请{item_name}所涉及的经营（生产）场所及配套设施。",
        "content": "1. 核对申请材料与现场情况的一致性；2. 检查场所布局、设施设备和安全条件；"
        "3. 核查人员资质和管理制度；4. 对发现的问题提出整改要求。",
        "schedule": "09:00 到达现场，审批局经办人说明审查安排；09:15—11:00 分组现场核查；"
        "11:00—11:30 审查组汇总意见，形成现场审查情况报告并签字。",
        "title": f"{item_name}{kind}",
    }


def _record(rng, applicant: str, rec: str) -> dict:
    issues = rng.sample(PROBLEMS, 2)
    return {
        "record_text": f"按时到达现场，参加了{applicant}的{'现场核查' if rng.random() < 0.7 else '联合审查'}。"
        f"核查了场所布局、设施设备和管理制度，发现：{issues[0][0]}；{issues[1][0]}。",
        "suggestions": "建议申请人对发现的问题限期整改，整改完成后由联络员复查；建议将该企业纳入日常监管重点检查对象。"
        if rec != "建议通过"
        else "现场情况与申请材料一致，符合许可条件，建议按程序办理。",
        "applicant_info": f"{applicant}：法定代表人到场配合，从业人员约 {rng.randint(8, 260)} 人，"
        f"主要负责人联系方式已记录，厂区（经营场所）面积约 {rng.randint(80, 9000)} 平方米。",
    }


def _report(applicant: str, kind: str, review_date: date) -> str:
    return (
        f"{review_date.year}年{review_date.month}月{review_date.day}日，审查组对{applicant}开展{kind}。"
        "审查组听取了申请人情况介绍，核查了场所、设施设备、人员和管理制度。"
        "经审查，申请人基本具备许可条件，对发现的问题已提出整改要求，整改完成后由监管部门联络员复查。"
    )


def _same_order(cur, table: str, column: str, first: int, expected: list) -> None:
    """The sequence gave ids in frame order (the links above rely on it)."""
    got = [r[0] for r in cur.execute(f"SELECT {column} FROM {table} WHERE id >= ? ORDER BY id", [first]).fetchall()]
    if got != expected:
        raise RuntimeError(f"demo: ids of {table} do not follow the inserted order")


def load(ctx: DemoContext) -> None:
    cur, rng = ctx.cur, ctx.rng
    now = ctx.now
    today = now.date()
    dept_ids: dict[str, int] = ctx.ids["department"]
    users: dict[str, int] = ctx.ids["user"]
    bureau_approvers = [users["approver"], users["approver2"]]
    supervisors = {
        dept_ids["市场监管局"]: users["supervisor"],
        dept_ids["生态环境局"]: users["supervisor2"],
        dept_ids["应急管理局"]: users["supervisor3"],
    }
    sup_ids = [dept_ids[n] for n in SUPERVISION]

    # -- roster and liaison accounts ---------------------------------------
    per_dept = 6 * ctx.scale
    roster, new_users = [], []
    rid = 0

    def add(dept_id, name, user, position, et, joined, fam, active=True):
        nonlocal rid
        rid += 1
        roster.append(
            {
                "id": rid,
                "department_id": dept_id,
                "name": name,
                "user": user,
                "position": position,
                "employment_type": et,
                "joined_on": joined,
                "familiar_confirmed": fam,
                "active": active,
            }
        )
        return rid

    special = {
        "liaison": add(
            dept_ids["市场监管局"], "刘联络", "liaison", "食品生产监管科副科长", "在职公务员", date(2016, 3, 1), True
        ),
        "liaison2": add(
            dept_ids["生态环境局"],
            "孙联络",
            "liaison2",
            "环评与排污许可科主任科员",
            "参照公务员法管理人员",
            date(2019, 7, 15),
            True,
        ),
    }
    for di, d in enumerate(sup_ids):
        for n in range(per_dept):
            name = _person(rng)
            slot = n % 6
            if slot in (0, 1, 2):  # qualified, with a system account
                uname = f"lly{di:02d}{n:05d}"
                new_users.append((uname, name, d))
                add(
                    d,
                    name,
                    uname,
                    rng.choice(POSITIONS),
                    rng.choice(["在职公务员", "在职公务员", "参照公务员法管理人员", "事业单位人员"]),
                    date(rng.randint(2006, 2021), rng.randint(1, 12), rng.randint(1, 28)),
                    True,
                )
            elif slot == 3:  # not a civil servant / public-institution staff
                add(
                    d,
                    name,
                    None,
                    "协管员",
                    "其他",
                    date(rng.randint(2012, 2020), rng.randint(1, 12), rng.randint(1, 28)),
                    True,
                )
            elif slot == 4:  # under two years in the department; the first one's
                # two years are complete tomorrow (the boundary is visible in the roster)
                joined = (
                    today.replace(year=today.year - 2) + timedelta(days=1)
                    if n == 4 and not (today.month == 2 and today.day == 29)
                    else today - timedelta(days=rng.randint(60, 600))
                )
                add(d, name, None, rng.choice(POSITIONS), "事业单位人员", joined, True)
            else:  # familiarity not confirmed yet, or no longer active
                stopped = (di + n // 6) % 2 == 1
                add(
                    d,
                    name,
                    None,
                    rng.choice(POSITIONS),
                    "在职公务员",
                    date(rng.randint(2010, 2020), rng.randint(1, 12), rng.randint(1, 28)),
                    stopped,
                    active=not stopped,
                )
    if new_users:
        frame = pd.DataFrame(new_users, columns=["username", "display_name", "department_id"])
        frame["password_hash"] = None
        frame["password_hash"] = frame["password_hash"].astype("string")
        frame["session_valid_from"] = now
        frame["created_at"] = now
        frame["updated_at"] = now
        ctx.insert_df("app_user", frame)
        made = dict(cur.execute("SELECT username, id FROM app_user WHERE username LIKE 'lly%'").fetchall())
        users = {**users, **made}
        ctx.insert_df("user_role", pd.DataFrame({"user_id": [made[u[0]] for u in new_users], "role": "liaison"}))
    lr = pd.DataFrame(roster)
    lr["user_id"] = lr["user"].map(lambda u: users.get(u) if isinstance(u, str) else None).astype("Int64")
    lr["confirmed_by"] = lr.apply(
        lambda r: supervisors.get(r["department_id"]) if r["familiar_confirmed"] else None, axis=1
    ).astype("Int64")
    lr["confirmed_at"] = lr.apply(
        lambda r: (
            _at(max(r["joined_on"], date(2016, 1, 4)) + timedelta(days=30), 10) if r["familiar_confirmed"] else None
        ),
        axis=1,
    )
    lr["position"] = lr["position"]
    lr["contact"] = [f"0513-8{rng.randint(1000000, 9999999)}" for _ in range(len(lr))]
    lr["created_by"] = lr["department_id"].map(supervisors).astype("Int64")
    lr["created_at"] = now - timedelta(days=560)
    lr["updated_at"] = now - timedelta(days=30)
    ctx.insert_df("liaison", lr.drop(columns=["id", "user"]))
    # sequence ids follow frame order on a fresh database
    first = cur.execute("SELECT min(id) FROM liaison").fetchall()[0][0]
    lr["id"] = lr["id"] + first - 1
    special = {k: v + first - 1 for k, v in special.items()}
    pool: dict[int, list[tuple[int, int, date]]] = {}
    for r in lr.itertuples():
        if (
            isinstance(r.user, str)
            and r.user not in ("liaison", "liaison2")
            and r.employment_type != "其他"
            and r.familiar_confirmed
            and r.active
        ):
            pool.setdefault(r.department_id, []).append((r.id, int(r.user_id), r.joined_on))

    # -- applicants and cases ------------------------------------------------
    ent_lo, ent_hi = cur.execute("SELECT min(id), max(id) FROM enterprise").fetchall()[0]
    cases: dict[str, list] = {}
    # the push feature's cases: a review is about a case of the same item
    for cid, cno, eid, code in cur.execute(
        "SELECT c.id, c.case_no, c.enterprise_id, i.code FROM approval_case c"
        " JOIN item i ON i.id = c.item_id ORDER BY c.id"
    ).fetchall():
        cases.setdefault(code, []).append((cid, cno, eid))

    # -- reviews, letters, work, rectifications ------------------------------
    items = [it for it in ITEMS if it[3]]
    n_hist = 150 * ctx.scale
    reviews, letters, rects, checks = [], [], [], []
    acks: dict[int, datetime] = {}
    prefix = settings.get().get("LIAISON_LETTER_PREFIX") or "通审批联函"

    def new_review(kind, item, rdate, ent_id=None):
        code, iname, cat, _, _, dnames = item
        if cases.get(code) and rng.random() < 0.8:
            cid, cno, ent_id = rng.choice(cases[code])
        else:
            cid, cno = None, f"SP{rdate:%Y%m%d}{rng.randint(1000, 9999)}"
            ent_id = ent_id or rng.randint(ent_lo, ent_hi)
        t = _texts(iname, cat, "{app}", kind)
        rv = {
            "kind": kind,
            "case_id": cid,
            "case_no": cno,
            "enterprise_id": ent_id,
            "review_date": rdate,
            "created_by": rng.choice(bureau_approvers),
            "created_at": _at(rdate - timedelta(days=rng.randint(3, 10)), 9, 30),
            "report_text": None,
            "report_updated_by": None,
            "report_updated_at": None,
            **t,
        }
        rv["_id"] = len(reviews) + 1
        reviews.append(rv)
        return rv

    def new_letter(rv, dept_id, sent: datetime):
        q = {
            "_review": rv,
            "department_id": dept_id,
            "sent_by": rv["created_by"],
            "sent_at": sent,
            "status": "待派员",
            "withdrawn_reason": None,
            "withdrawn_at": None,
            "liaison_id": None,
            "dispatched_by": None,
            "dispatched_at": None,
            "dispatch_note": None,
            "attended": None,
            "absence_reason": None,
            "record_text": None,
            "suggestions": None,
            "recommendation": None,
            "applicant_info": None,
            "recorded_at": None,
            "signed_by": None,
            "signed_at": None,
            "signed_hash": None,
            "feedback_text": None,
            "feedback_at": None,
        }
        q["_id"] = len(letters) + 1
        letters.append(q)
        return q

    def dispatch(q, liaison_id, user_id, at):
        q.update(
            status="已派员",
            liaison_id=liaison_id,
            dispatched_at=at,
            dispatched_by=supervisors.get(q["department_id"]),
            _user=user_id,
        )
        acks[user_id] = min(acks.get(user_id, at), at)

    def record(q, attended, rec, at):
        rv = q["_review"]
        q["attended"], q["recorded_at"] = attended, at
        if attended:
            q.update(recommendation=rec, **_record(rng, "{app}", rec))
            if rv["report_text"] is None:
                rv["report_text"] = _report("{app}", rv["kind"], rv["review_date"])
                rv["report_updated_by"] = rv["created_by"]
                rv["report_updated_at"] = at
        else:
            q["absence_reason"] = "临时承担上级部门督查任务，已向审批局说明。"

    def rect(q, problem, hardware, deadline, created):
        x = {
            "_letter": q,
            "department_id": q["department_id"],
            "problem": problem,
            "requirement": f"请于{deadline.month}月{deadline.day}日前完成整改并报送整改材料。",
            "hardware": hardware,
            "deadline": deadline,
            "status": "整改中",
            "created_by": q.get("_user"),
            "created_at": created,
            "closed_by": None,
            "closed_at": None,
        }
        x["_id"] = len(rects) + 1
        rects.append(x)
        return x

    def check(x, on: date, site: bool, result: str, new_deadline=None):
        checks.append(
            {
                "_rect": x,
                "checked_on": on,
                "site_visit": site,
                "result": result,
                "note": ("赴现场检查：" if site else "审查整改材料：")
                + ("问题已整改到位。" if result == "已整改" else "整改尚未完成，已督促申请人加快整改。"),
                "new_deadline": new_deadline,
                "checked_by": x["created_by"],
                "created_at": _at(on, 16),
            }
        )
        if result == "已整改":
            x.update(status="已整改", closed_by=x["created_by"], closed_at=_at(on, 16))
        elif new_deadline:
            x["deadline"] = new_deadline

    for _ in range(n_hist):
        rdate = today - timedelta(days=rng.randint(14, 540))
        kind = rng.choices(["现场审查", "联合审查", "专项审查"], [60, 30, 10])[0]
        item = rng.choice(items)
        rv = new_review(kind, item, rdate)
        depts = [dept_ids[d] for d in item[5]]
        for d in depts[: rng.choice((1, 1, 2))]:
            sent = _at(rdate - timedelta(days=rng.randint(1, 7)), rng.randint(8, 16), rng.randint(0, 59))
            q = new_letter(rv, d, sent)
            roll = rng.random()
            cands = [c for c in pool.get(d, []) if years_complete_on(c[2]) <= rdate]
            if roll < 0.03 or not cands:
                q.update(
                    status="已撤回",
                    withdrawn_reason="申请人撤回申请，审查取消。",
                    withdrawn_at=sent + timedelta(hours=5),
                )
                continue
            if roll < 0.07:
                continue  # never answered: 逾期未派员
            lid, uid, _ = rng.choice(cands)
            late = rng.random() < 0.12
            at = (
                _at(rdate, 8, rng.randint(0, 50))
                if late
                else min(sent + timedelta(hours=rng.randint(1, 30)), _at(rdate - timedelta(days=1), 17))
            )
            dispatch(q, lid, uid, at)
            attended = rng.random() < 0.95
            rec = rng.choices([r for r, _ in RECOMMEND_WEIGHTS], [w for _, w in RECOMMEND_WEIGHTS])[0]
            record(q, attended, rec, _at(rdate, 17, rng.randint(0, 59)))
            if not attended:
                continue
            if rng.random() < 0.92:
                q.update(signed_by=uid, signed_at=_at(rdate + timedelta(days=rng.randint(0, 2)), 11))
            if rng.random() < 0.88:
                q.update(
                    feedback_at=_at(rdate + timedelta(days=rng.randint(0, 3)), 15),
                    feedback_text="审查已结束，现将审查记录、意见建议和申请人基本情况报部门，请纳入后续日常监管。",
                )
            if rec == "建议整改后通过":
                for problem, hw in rng.sample(PROBLEMS, rng.choice((1, 2, 3))):
                    deadline = rdate + timedelta(days=rng.randint(10, 30))
                    x = rect(q, problem, hw, deadline, _at(rdate, 17, 30))
                    if deadline < today - timedelta(days=5) or rng.random() < 0.4:
                        done = min(deadline - timedelta(days=rng.randint(0, 5)), today - timedelta(days=1))
                        done = max(done, rdate + timedelta(days=1))
                        if rng.random() < 0.15:
                            check(x, done, hw, "未整改", done + timedelta(days=10))
                            done = min(done + timedelta(days=rng.randint(3, 9)), today - timedelta(days=1))
                        if rng.random() < 0.93:
                            check(x, max(done, x["created_at"].date()), hw, "已整改")

    # -- hand-made work for the demo accounts (relative to today) -----------
    sc = next(it for it in items if it[0] == "SC-002")  # 食品生产许可
    sc2 = next(it for it in items if it[0] == "SC-001")  # 食品经营许可
    hb = next(it for it in items if it[0] == "HB-002")  # 排污许可
    mk, st = dept_ids["市场监管局"], dept_ids["生态环境局"]
    liu, sun = (special["liaison"], users["liaison"]), (special["liaison2"], users["liaison2"])

    def mine(rdate, kind, item, lz, *, rec=None, sign=False, feedback=False, report=False):
        rv = new_review(kind, item, rdate)
        q = new_letter(rv, mk if lz is liu else st, _at(rdate - timedelta(days=3), 10))
        dispatch(q, lz[0], lz[1], _at(rdate - timedelta(days=2), 15))
        if rec:
            record(q, True, rec, _at(rdate, 17))
        if report and rv["report_text"] is None:
            rv.update(
                report_text=_report("{app}", kind, rdate),
                report_updated_by=rv["created_by"],
                report_updated_at=_at(rdate - timedelta(days=1), 16),
            )
        if sign:
            q.update(signed_by=lz[1], signed_at=_at(rdate, 18))
        if feedback:
            q.update(
                feedback_at=_at(rdate + timedelta(days=1), 9),
                feedback_text="审查已结束，审查记录、整改要求和申请人基本情况已报部门。",
            )
        return q

    a = mine(today - timedelta(days=40), "现场审查", sc, liu, rec="建议整改后通过", sign=True, feedback=True)
    x = rect(a, "原料仓库与成品仓库未有效分隔", True, today - timedelta(days=25), _at(today - timedelta(days=40), 17))
    check(x, today - timedelta(days=26), True, "已整改")
    x = rect(a, "从业人员健康证明不全", False, today - timedelta(days=30), _at(today - timedelta(days=40), 17))
    check(x, today - timedelta(days=31), False, "已整改")
    b = mine(today - timedelta(days=12), "联合审查", sc2, liu, rec="建议整改后通过", sign=True, feedback=True)
    created = _at(today - timedelta(days=12), 17)
    rect(b, "消防通道堆放杂物，应急照明不足", True, today - timedelta(days=2), created)  # overdue
    rect(b, "岗位安全操作规程未上墙、未培训", False, workdays.add_workdays(today, 2), created)  # due soon
    rect(b, "监控设备覆盖不全", True, workdays.add_workdays(today, 1), created)  # due soon, hardware
    rect(b, "管理制度缺少进货查验记录要求", False, today + timedelta(days=20), created)  # open
    x = rect(b, "设备台账与现场不一致", False, today - timedelta(days=4), created)
    check(x, today - timedelta(days=4), False, "未整改", today + timedelta(days=10))  # re-checked
    mine(today - timedelta(days=5), "现场审查", sc, liu, rec="建议通过", report=True)  # to sign
    mine(today, "现场审查", sc2, liu, report=True)  # today
    mine(today + timedelta(days=3), "现场审查", sc, liu)  # upcoming
    for days in (1, 6):  # to answer
        rv = new_review("现场审查", sc if days == 1 else sc2, today + timedelta(days=days))
        new_letter(rv, mk, _at(today - timedelta(days=1), 10))
    rv = new_review("联合审查", hb, today + timedelta(days=4))
    new_letter(rv, st, _at(today - timedelta(days=1), 11))
    q = mine(today + timedelta(days=2), "现场审查", hb, sun)  # first assignment
    acks.pop(sun[1], None)
    acks[liu[1]] = _at(today - timedelta(days=400), 9)

    # -- write ----------------------------------------------------------------
    ent_ids = sorted({rv["enterprise_id"] for rv in reviews if rv["enterprise_id"] is not None})
    ent = dict(
        cur.execute("SELECT id, name FROM enterprise WHERE id IN (SELECT unnest(?::INTEGER[]))", [ent_ids]).fetchall()
    )
    rv_frame = pd.DataFrame(reviews)
    rv_frame["applicant"] = rv_frame["enterprise_id"].map(ent)
    for col in ("purpose", "scope", "title", "report_text"):
        rv_frame[col] = [
            t.replace("{app}", a if isinstance(a, str) else "申请人") if isinstance(t, str) else None
            for t, a in zip(rv_frame[col], rv_frame["applicant"])
        ]
    ent_addr = dict(
        cur.execute(
            "SELECT id, address FROM enterprise WHERE id IN (SELECT unnest(?::INTEGER[]))", [ent_ids]
        ).fetchall()
    )
    rv_frame["place"] = rv_frame["enterprise_id"].map(ent_addr).fillna("申请人经营场所")
    rv_frame["contact_name"] = rv_frame["created_by"].map({users["approver"]: "李经办", users["approver2"]: "赵窗口"})
    rv_frame["contact_phone"] = "0513-85099" + rv_frame["created_by"].astype(str).str[-3:].str.zfill(3)
    rv_frame["title"] = rv_frame["applicant"].fillna("") + rv_frame["title"]
    for col in ("case_id", "enterprise_id", "report_updated_by"):
        rv_frame[col] = rv_frame[col].astype("Int64")
    rv_frame["special_review_id"] = pd.array([None] * len(rv_frame), dtype="Int64")
    rv_first = cur.execute("SELECT coalesce(max(id), 0) FROM liaison_review").fetchall()[0][0] + 1
    ctx.insert_df("liaison_review", rv_frame.drop(columns=["_id"]))
    review_id = {r["_id"]: r["_id"] + rv_first - 1 for r in reviews}
    _same_order(cur, "liaison_review", "title", rv_first, list(rv_frame["title"]))
    applicant_of = dict(zip(rv_frame["_id"], rv_frame["applicant"]))
    report_of = dict(zip(rv_frame["_id"], rv_frame["report_text"]))

    letters.sort(key=lambda q: q["sent_at"])
    per_year: dict[int, int] = {}
    for q in letters:
        y = q["sent_at"].year
        per_year[y] = per_year.get(y, 0) + 1
        q["letter_no"] = f"{prefix}〔{y}〕{per_year[y]}号"
        app = applicant_of[q["_review"]["_id"]]
        app = app if isinstance(app, str) else "申请人"
        for col in ("record_text", "suggestions", "applicant_info"):
            if q[col]:
                q[col] = q[col].replace("{app}", app)
        if q["signed_at"] is not None:
            q["signed_hash"] = report_hash(report_of[q["_review"]["_id"]])
    lt = pd.DataFrame([{k: val for k, val in q.items() if not k.startswith("_")} for q in letters])
    lt["review_id"] = [review_id[q["_review"]["_id"]] for q in letters]
    lt["attachment_id"] = pd.array([None] * len(lt), dtype="Int64")
    for col in ("liaison_id", "dispatched_by", "signed_by", "sent_by"):
        lt[col] = lt[col].astype("Int64")
    lt["attended"] = lt["attended"].astype("boolean")
    lt_first = cur.execute("SELECT coalesce(max(id), 0) FROM liaison_request").fetchall()[0][0] + 1
    ctx.insert_df("liaison_request", lt)
    letter_id = {id(q): i + lt_first for i, q in enumerate(letters)}
    _same_order(cur, "liaison_request", "letter_no", lt_first, list(lt["letter_no"]))

    rects.sort(key=lambda x: x["_id"])
    xf = pd.DataFrame([{k: val for k, val in x.items() if not k.startswith("_")} for x in rects])
    if len(xf):
        xf["request_id"] = [letter_id[id(x["_letter"])] for x in rects]
        xf["review_id"] = [review_id[x["_letter"]["_review"]["_id"]] for x in rects]
        for col in ("created_by", "closed_by"):
            xf[col] = xf[col].astype("Int64")
        x_first = cur.execute("SELECT coalesce(max(id), 0) FROM liaison_rectification").fetchall()[0][0] + 1
        ctx.insert_df("liaison_rectification", xf)
        rect_id = {id(x): i + x_first for i, x in enumerate(rects)}
        _same_order(cur, "liaison_rectification", "request_id", x_first, list(xf["request_id"]))
        cf = pd.DataFrame([{k: val for k, val in c.items() if not k.startswith("_")} for c in checks])
        if len(cf):
            cf["rectification_id"] = [rect_id[id(c["_rect"])] for c in checks]
            cf["checked_by"] = cf["checked_by"].astype("Int64")
            ctx.insert_df("liaison_rect_check", cf)
    if acks:
        ctx.insert_df(
            "liaison_discipline_ack",
            pd.DataFrame(
                [(u, DISCIPLINE_VERSION, at) for u, at in acks.items()],
                columns=["user_id", "version", "acknowledged_at"],
            ),
        )
