"""Demo step 40: revocation requests (协同处理) in every state and the
warning list (警示名单).

* Window staff duties (``user_category``): 李经办 (approver) handles
  投资建设, 生态环境 and 安全生产; 赵窗口 (approver2) 市场准入, 交通运输,
  卫生健康 and 文化旅游; 其他部门许可 falls back to every approver.
* Showcase requests around today, made through the services (so licences,
  re-pushes, written explanations and audit records are real): 已提交 and an
  overdue 核实中 to-do for the approvers, a 不予撤销 with a written
  explanation 张监管 has still to sign, an 已撤销 whose re-push waits for
  sign-off, an 已撤回; and 南通濠河示范环保科技有限公司 with a valid 排污许可
  and 食品经营许可 and no request yet (the walkthrough: 张监管 files, 李经办
  revokes, 陈环保 signs the re-push).
* ``20 × scale`` decided requests over the past 18 months, in bulk
  (licence status, history and signed re-pushes included).
* The warning list computed by the rules, one entry lifted by hand and one
  enterprise listed by hand.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from sgld import uscc, workdays
from sgld.demo import DemoContext
from sgld.demo.base import org_code

ORDER = 40
PER_SCALE = 20

DUTIES = {
    "approver": ["投资建设", "生态环境", "安全生产"],
    "approver2": ["市场准入", "交通运输", "卫生健康", "文化旅游"],
}

FACTS = [
    "经日常检查和立案调查，该企业在许可有效期内多次违反许可条件从事经营活动，经责令整改后仍未改正，"
    "已不再具备许可条件。",
    "经查，该企业取得许可时提交的场所证明材料系伪造，以欺骗手段取得行政许可。",
    "该企业因严重违法行为被依法责令停产停业，整改期满后经复查仍不符合许可条件。",
]
BASIS = [
    "《中华人民共和国行政许可法》第六十九条第二款",
    "《中华人民共和国行政许可法》第六十九条第一款第（四）项",
    "《中华人民共和国行政处罚法》第九条第（四）项",
]
REFUSE = [
    "经现场核查，该企业已按要求完成整改，目前仍具备许可条件；所述违法行为已由监管部门依法处罚，"
    "尚不构成撤销许可的法定情形。",
    "申请所附证据不足以证明该企业以欺骗手段取得许可，建议补充调查后再行提请。",
]
NOTES = ["经调阅审批档案并会同监管部门现场核查，", "经核对申请材料、证据及审批档案，"]


def _case(ctx: DemoContext, approver, code: str, name: str, item_code: str, kind: str, n: int) -> int:
    """Record one concluded case with a licence through the push service;
    returns the licence id."""
    from sgld.services import push

    cur = ctx.cur
    item_id = ctx.ids["item"][item_code]
    today = ctx.now.date()
    no = f"XTSL{today:%Y%m%d}{n:03d}"
    push.record_case(
        approver,
        case_no=no,
        item_id=item_id,
        uscc=code,
        enterprise_name=name,
        project_no=f"XTXM{today:%Y}{n:04d}",
        project_name=f"{name}{item_code}项目",
        stage="办结",
        reply="经审查，申请材料齐全，符合法定形式和条件，准予许可。",
        decided_on=today - timedelta(days=200 + n),
        licence={
            "licence_no": f"{item_code.replace('-', '')}XT{today:%Y}{n:04d}",
            "kind": kind,
            "issued_on": today - timedelta(days=200 + n),
            "valid_until": today + timedelta(days=3 * 365),
        },
    )
    return cur.execute(
        "SELECT l.id FROM licence l JOIN approval_case c ON c.id = l.case_id WHERE c.case_no = ?", [no]
    ).fetchone()[0]


def _showcase(ctx: DemoContext) -> None:
    from sgld.services import revocation as rv
    from sgld.services.accounts import actor_by_username

    rng = ctx.rng
    approver, approver2 = actor_by_username("approver"), actor_by_username("approver2")
    sup, sup2 = actor_by_username("supervisor"), actor_by_username("supervisor2")
    if None in (approver, approver2, sup, sup2):
        return

    def code() -> str:
        return uscc.make("91" + rng.choice(["320602", "320611", "320612"]) + org_code(rng))

    # the walkthrough enterprise: no request yet
    walk = code()
    _case(ctx, approver2, walk, "南通濠河示范环保科技有限公司", "SC-001", "许可证", 1)
    _case(ctx, approver, walk, "南通濠河示范环保科技有限公司", "HB-002", "许可证", 2)

    def filed(actor, lic, action, k, **kw) -> int:
        return rv.file_request(
            actor, licence_id=lic, requested_action=action, facts=FACTS[k % 3], legal_basis=BASIS[k % 3], **kw
        )

    # 已提交: to-do of 赵窗口 (市场准入)
    lic = _case(ctx, approver2, code(), "南通狼山示范食品有限公司", "SC-001", "许可证", 3)
    filed(sup, lic, "吊销许可证", 0)
    # 核实中, overdue: filed 30 working days ago
    lic = _case(ctx, approver2, code(), "南通唐闸示范食品加工有限公司", "SC-002", "许可证", 4)
    rid = filed(sup, lic, "撤销许可决定", 1)
    rv.start_verification(approver2, rid, "已调阅审批档案，正在会同市场监管局核实场所证明材料。")
    back = ctx.now - timedelta(days=45)
    ctx.cur.execute(
        "UPDATE revocation_request SET filed_at = ?, deadline = ?, verify_started_at = ? WHERE id = ?",
        [back, workdays.add_workdays(back, rv.decision_days()), back + timedelta(days=2), rid],
    )
    # 不予撤销, explanation not yet signed by 张监管
    lic = _case(ctx, approver2, code(), "南通秦灶示范大药房有限公司", "SC-003", "许可证", 5)
    rid = filed(sup, lic, "吊销许可证", 2)
    rv.decide(
        approver2,
        rid,
        revoke=False,
        reason=REFUSE[0],
        notes=NOTES[0] + "该企业已完成整改，经营场所和质量管理制度符合要求。",
    )
    # 已撤销: re-push waits for 市场监管局's sign-off
    lic = _case(ctx, approver2, code(), "南通平潮示范医疗器械有限公司", "SC-004", "许可证", 6)
    rid = filed(sup, lic, "撤销许可决定", 1)
    rv.decide(
        approver2,
        rid,
        revoke=True,
        reason="以欺骗手段取得许可，依法撤销。",
        notes=NOTES[1] + "确认其提交的场所证明材料系伪造。",
    )
    # 已撤回
    lic = _case(ctx, approver2, code(), "南通兴仁示范商贸有限公司", "SC-006", "营业执照", 7)
    rid = filed(sup, lic, "吊销营业执照", 2)
    rv.withdraw(sup, rid, "企业已主动申请注销，撤回本申请。")
    # 已提交 by 生态环境局: to-do of 李经办 (生态环境)
    lic = _case(ctx, approver, code(), "南通石港示范化工有限公司", "HB-001", "批文", 8)
    filed(sup2, lic, "撤销许可决定", 0)


def _history(ctx: DemoContext) -> None:
    """Decided requests over the past 18 months, in bulk."""
    cur, now = ctx.cur, ctx.now
    n = PER_SCALE * ctx.scale
    lic = cur.execute(
        "SELECT l.id, l.enterprise_id, l.item_id, l.kind, l.case_id, l.licence_no, l.issued_on,"
        " i.category, (SELECT min(department_id) FROM item_department x JOIN department d"
        "  ON d.id = x.department_id WHERE x.item_id = l.item_id AND d.kind = 'supervision') AS dept"
        " FROM licence l JOIN item i ON i.id = l.item_id WHERE l.status = '有效' AND i.centralised"
        " AND l.issued_on < ? ORDER BY l.id",
        [(now - timedelta(days=400)).date()],
    ).df()
    lic = lic[lic["dept"].notna()]
    if len(lic) == 0:
        return
    np_rng = np.random.default_rng(ctx.rng.randint(0, 2**31))
    pick = lic.iloc[np_rng.choice(len(lic), min(n, len(lic)), replace=False)].reset_index(drop=True)
    m = len(pick)
    filed = (
        pd.Timestamp(now.date())
        - pd.to_timedelta(np_rng.integers(30, 540, m), unit="D")
        + pd.to_timedelta(np_rng.integers(9 * 60, 17 * 60, m), unit="min")
    )
    status = np_rng.choice(["已撤销", "不予撤销", "已撤回"], m, p=[0.35, 0.5, 0.15])
    action = np.where(
        pick["kind"] == "营业执照",
        "吊销营业执照",
        np.where((pick["kind"] == "许可证") & (np_rng.random(m) < 0.5), "吊销许可证", "撤销许可决定"),
    )
    days = 20
    deadline = [workdays.add_workdays(t.date(), days) for t in filed]
    decided = filed + pd.to_timedelta(np_rng.integers(3, 26, m), unit="D")
    users = ctx.ids["user"]
    approvers = {c: users[u] for u, cats in DUTIES.items() for c in cats}
    decider = [approvers.get(c, users["approver"]) for c in pick["category"]]
    signers = dict(
        cur.execute(
            "SELECT u.department_id, min(u.id) FROM app_user u JOIN user_role r"
            " ON r.user_id = u.id WHERE r.role = 'supervisor' GROUP BY 1"
        ).fetchall()
    )
    k = np_rng.integers(0, 3, m)
    order = pd.DataFrame({"y": filed.year, "t": filed}).sort_values("t")
    order["n"] = order.groupby("y").cumcount() + 1
    numbers = [f"XT{y}-{n:04d}" for y, n in zip(order.sort_index()["y"], order.sort_index()["n"])]
    is_dec = status != "已撤回"
    frame = pd.DataFrame(
        {
            "request_no": numbers,
            "licence_id": pick["id"],
            "enterprise_id": pick["enterprise_id"],
            "item_id": pick["item_id"],
            "category": pick["category"],
            "department_id": pick["dept"].astype("int64"),
            "requested_action": action,
            "facts": [FACTS[i] for i in k],
            "legal_basis": [BASIS[i] for i in k],
            "source_kind": np_rng.choice(["企业画像", "日常检查", "行政处罚"], m),
            "status": status,
            "filed_by": [signers.get(int(d)) for d in pick["dept"]],
            "filed_at": filed,
            "deadline": deadline,
            "verifier_id": np.where(is_dec, decider, None),
            "verify_started_at": np.where(is_dec, filed + pd.Timedelta(days=1), pd.NaT),
            "verification_notes": np.where(is_dec, NOTES[0] + "核实了申请所述事实。", None),
            "decision_reason": np.where(
                status == "已撤销",
                "经核实，符合撤销情形，依法作出处理。",
                np.where(status == "不予撤销", REFUSE[1], None),
            ),
            "new_licence_status": np.where(
                status == "已撤销", np.where(action == "撤销许可决定", "已撤销", "已吊销"), None
            ),
            "decided_by": np.where(is_dec, decider, None),
            "decided_at": np.where(is_dec, decided, pd.NaT),
            "explanation_signed_by": np.where(status == "不予撤销", [signers.get(int(d)) for d in pick["dept"]], None),
            "explanation_signed_at": np.where(status == "不予撤销", decided + pd.Timedelta(days=2), pd.NaT),
            "withdrawn_by": np.where(status == "已撤回", [signers.get(int(d)) for d in pick["dept"]], None),
            "withdrawn_at": np.where(status == "已撤回", filed + pd.Timedelta(hours=3), pd.NaT),
            "withdraw_reason": np.where(status == "已撤回", "经进一步调查，撤回申请。", None),
            "updated_at": np.where(is_dec, decided, filed + pd.Timedelta(hours=3)),
        }
    )
    for col in ("verify_started_at", "decided_at", "explanation_signed_at", "withdrawn_at", "updated_at"):
        frame[col] = pd.to_datetime(frame[col])
    for col in ("verifier_id", "decided_by", "explanation_signed_by", "withdrawn_by", "filed_by"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    ctx.insert_df("revocation_request", frame)
    # the revoked licences: status, history, re-pushes (signed) to the item's departments
    # and the requesting department
    cur.execute(
        "UPDATE licence SET status = q.new_licence_status, status_changed_at = q.decided_at"
        " FROM revocation_request q WHERE q.licence_id = licence.id AND q.status = '已撤销'"
    )
    cur.execute(
        "INSERT INTO licence_event (licence_id, from_status, to_status, reason, ref, actor_id, created_at)"
        " SELECT licence_id, '有效', new_licence_status, requested_action || '：' || decision_reason,"
        " request_no, decided_by, decided_at FROM revocation_request WHERE status = '已撤销'"
    )
    cur.execute(
        "INSERT INTO push (case_id, department_id, stage, pushed_at, pushed_by, due_on, status,"
        " signed_by, signed_at, reason)"
        " SELECT l.case_id, t.department_id, '办结', q.decided_at, q.decided_by,"
        " CAST(q.decided_at AS DATE) + 5, '已签收', s.uid, q.decided_at + INTERVAL '1 day',"
        " '证照 ' || l.licence_no || ' ' || q.new_licence_status || '（协同处理申请 ' || q.request_no || '）'"
        " FROM revocation_request q JOIN licence l ON l.id = q.licence_id"
        " JOIN (SELECT q2.id AS rid, x.department_id FROM revocation_request q2"
        "       JOIN item_department x ON x.item_id = q2.item_id"
        "       UNION SELECT id, department_id FROM revocation_request) t ON t.rid = q.id"
        " LEFT JOIN (SELECT u.department_id, min(u.id) AS uid FROM app_user u JOIN user_role r"
        "  ON r.user_id = u.id WHERE r.role = 'supervisor' GROUP BY 1) s"
        "  ON s.department_id = t.department_id"
        " WHERE q.status = '已撤销'"
    )


def _warnings(ctx: DemoContext) -> None:
    from sgld.services import warning
    from sgld.services.accounts import actor_by_username

    cur = ctx.cur
    warning.recompute(cur, full=True)  # history carries back-dated status changes
    approver = actor_by_username("approver")
    first = cur.execute(
        "SELECT w.id FROM warning_entry w JOIN warning_hit h ON h.entry_id = w.id"
        " WHERE w.status = '在列' AND h.rule = 'big_penalty' ORDER BY w.id LIMIT 1"
    ).fetchone()
    if first and approver:
        warning.lift(approver, first[0], "企业已缴清罚款并完成整改，经监管部门复查合格，予以解除。")
    other = cur.execute("SELECT e.id FROM enterprise e WHERE e.name LIKE '南通狼山示范%'").fetchone()
    if other and approver:
        warning.add_manual(
            approver, other[0], "群众多次投诉反映其存在食品安全隐患，监管部门已提请撤销许可，列入重点关注。"
        )
    ctx.counts["warning_entry"] = cur.execute("SELECT count(*) FROM warning_entry").fetchone()[0]


def load(ctx: DemoContext) -> None:
    cur = ctx.cur
    users = ctx.ids.get("user", {})
    if "item" not in ctx.ids or not users:
        return
    rows = [[users[u], c] for u, cats in DUTIES.items() if u in users for c in cats]
    cur.executemany("INSERT INTO user_category VALUES (?, ?)", rows)
    _history(ctx)  # first: the showcase requests continue its numbering
    _showcase(ctx)
    _warnings(ctx)
    ctx.counts["revocation_request"] = cur.execute("SELECT count(*) FROM revocation_request").fetchone()[0]
