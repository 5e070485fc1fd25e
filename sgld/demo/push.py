"""Demo step 20: approval cases over the past 18 months across all items
(≈10,000 × scale), their projects and licences, pushes signed on time,
signed late and still unsigned, claims, and a few generated scans.

Everything is generated with numpy and inserted in bulk; ids come from the
sequences and are read back by the unique numbers (case_no, licence_no).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from sgld import attachments, workdays
from sgld.demo import DEMO_PASSWORD, DemoContext
from sgld.demo.base import DISTRICTS, GIVEN, SURNAMES
from sgld.services.accounts import hash_password

ORDER = 20
CASES_PER_SCALE = 10_000
DAYS = 540  # ≈ 18 months

# one signer account for each department that has no supervisor in the base accounts
SIGNERS = {
    "住建局": "zjj",
    "交通运输局": "jtj",
    "卫健委": "wjw",
    "文广旅局": "wglj",
    "自然资源和规划局": "zrzy",
    "消防救援支队": "xfzd",
    "公安局": "gaj",
}
ITEM_WEIGHT = {
    "市场准入": 3.0,
    "投资建设": 1.5,
    "生态环境": 1.0,
    "安全生产": 1.0,
    "交通运输": 1.2,
    "卫生健康": 1.0,
    "文化旅游": 0.8,
    "其他部门许可": 0.6,
}
TWO_STAGE = {"投资建设", "生态环境", "安全生产"}
PERMIT_AS_BATCH = {"TZ-002", "TZ-003", "HB-001", "TZ-006"}  # results are 批文
PROJECT_SUFFIX = [
    "新建厂房项目",
    "技术改造项目",
    "扩建项目",
    "经营场所建设项目",
    "生产线建设项目",
    "综合楼项目",
    "仓储物流项目",
    "门店开设项目",
    "设备更新项目",
    "配套工程项目",
]
REPLY_DONE = [
    "经审查，申请材料齐全，符合法定形式和条件，准予许可。",
    "经审查并现场核查，符合相关规定，准予行政许可。",
    "经审查，符合法定条件，同意批复，请按批准内容组织实施。",
]
REPLY_INVOLVE = ["已受理，进入现场核查环节，请监管部门派员参与核查。", "已进入技术审查环节，请监管部门提出监管意见。"]


def _signers(ctx: DemoContext) -> dict[int, list[int]]:
    """department id -> user ids who sign/claim for it (creating one signer
    per department that has none)."""
    cur, now = ctx.cur, ctx.now
    depts = ctx.ids["department"]
    pw = hash_password(DEMO_PASSWORD)
    rng = ctx.rng
    for name, abbr in SIGNERS.items():
        if name not in depts:
            continue
        display = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2))
        uid = cur.execute(
            "INSERT INTO app_user (username, display_name, department_id, password_hash,"
            " session_valid_from, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            [f"{abbr}_signer", display, depts[name], pw, now, now, now],
        ).fetchone()[0]
        cur.execute("INSERT INTO user_role VALUES (?, 'supervisor')", [uid])
        ctx.ids["user"][f"{abbr}_signer"] = uid
    out: dict[int, list[int]] = {}
    for uid, dept in cur.execute(
        "SELECT u.id, u.department_id FROM app_user u JOIN user_role r ON r.user_id = u.id"
        " WHERE r.role = 'supervisor' ORDER BY u.id"
    ).fetchall():
        out.setdefault(dept, []).append(uid)
    return out


def _weekday(days: np.ndarray) -> np.ndarray:
    """Move Saturdays/Sundays (datetime64[D]) back to Friday."""
    wd = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday → Monday = 0
    return days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0)).astype("timedelta64[D]")


def _clock_times(rng, n: int) -> np.ndarray:
    """Office-hour offsets (9:00–17:30) as timedelta64[s]."""
    return (rng.integers(9 * 3600, 17 * 3600 + 1800, n)).astype("timedelta64[s]")


def _due(days: np.ndarray, limits: np.ndarray) -> np.ndarray:
    keys = pd.DataFrame({"d": days, "n": limits})
    uniq = keys.drop_duplicates()
    table = {
        (d, n): np.datetime64(workdays.add_workdays(pd.Timestamp(d).date(), int(n)), "D")
        for d, n in zip(uniq["d"], uniq["n"])
    }
    return np.array([table[(d, n)] for d, n in zip(keys["d"], keys["n"])], dtype="datetime64[D]")


def _scans() -> list[attachments.Checked]:
    """A few small generated 'scans': pages with lines and a red seal."""
    from PIL import Image, ImageDraw

    out = []
    for k in range(5):
        img = Image.new("RGB", (420, 594), "white")
        d = ImageDraw.Draw(img)
        d.rectangle([20, 20, 400, 574], outline=(60, 60, 60), width=2)
        d.rectangle([140, 40, 280, 60], fill=(40, 40, 40))
        for y in range(100, 460, 22):
            d.line([50, y, 370 - (y * 7 + k * 31) % 90, y], fill=(120, 120, 120), width=3)
        d.ellipse([270, 440, 370, 540], outline=(200, 30, 30), width=5)
        d.polygon(
            [
                (320, 465),
                (328, 488),
                (352, 488),
                (332, 502),
                (340, 525),
                (320, 511),
                (300, 525),
                (308, 502),
                (288, 488),
                (312, 488),
            ],
            fill=(200, 30, 30),
        )
        buf = io.BytesIO()
        if k < 3:
            img.save(buf, "PDF", resolution=72)
            name = ["审批决定书（扫描件）.pdf", "许可证正本（扫描件）.pdf", "现场核查记录.pdf"][k]
        else:
            img.save(buf, "PNG", optimize=True)
            name = ["营业执照副本.png", "申请材料首页.png"][k - 3]
        out.append(attachments.check_upload(name, buf.getvalue()))
    return out


def load(ctx: DemoContext) -> None:
    cur = ctx.cur
    rng = np.random.default_rng(ctx.rng.randrange(2**32))
    now = np.datetime64(ctx.now.replace(microsecond=0), "s")
    today = now.astype("datetime64[D]")
    signers = _signers(ctx)
    approvers = [
        (uid, dept)
        for uid, dept in cur.execute(
            "SELECT u.id, u.department_id FROM app_user u JOIN user_role r ON r.user_id = u.id"
            " WHERE r.role = 'approver' ORDER BY u.id"
        ).fetchall()
    ]

    items = pd.DataFrame(
        cur.execute(
            "SELECT i.id, i.code, i.name, i.category, i.centralised, i.sign_limit_days FROM item i ORDER BY i.id"
        ).fetchall(),
        columns=["item_id", "code", "item_name", "category", "centralised", "limit"],
    )
    item_depts = pd.DataFrame(
        cur.execute("SELECT item_id, department_id FROM item_department").fetchall(),
        columns=["item_id", "department_id"],
    )
    ents = pd.DataFrame(
        cur.execute("SELECT id, name FROM enterprise ORDER BY id").fetchall(), columns=["enterprise_id", "ename"]
    )

    # -- projects --------------------------------------------------------
    n = CASES_PER_SCALE * ctx.scale
    n_proj = int(n * 0.7)
    p_ent = rng.integers(0, len(ents), n_proj)
    p_year = rng.integers(2024, 2027, n_proj)
    p_dist = rng.choice(DISTRICTS, n_proj)
    p_ind = rng.integers(10, 90, n_proj)
    projects = pd.DataFrame(
        {
            "project_no": [f"{y}-{d}-{k:02d}-03-{i + 1:06d}" for i, (y, d, k) in enumerate(zip(p_year, p_dist, p_ind))],
            "enterprise_id": ents["enterprise_id"].to_numpy()[p_ent],
        }
    )
    short = ents["ename"].str.replace(r"(股份)?有限(责任)?公司$", "", regex=True).to_numpy()[p_ent]
    suffix = rng.choice(PROJECT_SUFFIX, n_proj)
    projects["name"] = [a + b for a, b in zip(short, suffix)]

    # -- cases -----------------------------------------------------------
    w = items["category"].map(ITEM_WEIGHT).fillna(1.0).to_numpy()
    c_item = rng.choice(len(items), n, p=w / w.sum())
    c_proj = rng.integers(0, n_proj, n)
    age = (rng.random(n) ** 1.15 * DAYS).astype("int64")  # slightly more recent cases
    decided = _weekday(today - age.astype("timedelta64[D]"))
    decided = np.minimum(decided, today)
    created = decided.astype("datetime64[s]") + _clock_times(rng, n)
    created = np.minimum(created, now - np.timedelta64(60, "s"))
    recent = (today - decided).astype("int64") <= 20
    involve = np.where(recent, rng.random(n) < 0.25, rng.random(n) < 0.04)
    stage = np.where(involve, "需监管部门参与环节", "办结")
    who = rng.integers(0, max(1, len(approvers)), n)
    cases = pd.DataFrame(
        {
            "case_no": [f"SP{pd.Timestamp(d):%Y%m%d}{i + 1:07d}" for i, d in enumerate(decided)],
            "item_id": items["item_id"].to_numpy()[c_item],
            "enterprise_id": projects["enterprise_id"].to_numpy()[c_proj],
            "project_no": projects["project_no"].to_numpy()[c_proj],
            "stage": stage,
            "reply": np.where(involve, rng.choice(REPLY_INVOLVE, n), rng.choice(REPLY_DONE, n)),
            "handler_id": [approvers[k][0] for k in who] if approvers else None,
            "division_id": [approvers[k][1] for k in who] if approvers else None,
            "decided_on": decided.astype("datetime64[ms]"),
            "source": "demo",
            "created_at": created.astype("datetime64[us]"),
            "updated_at": created.astype("datetime64[us]"),
        }
    )
    # projects: only those used, created with their first case
    first = cases.groupby("project_no")["created_at"].agg(["min", "max"]).reset_index()
    projects = projects.merge(first, on="project_no")
    projects = projects.rename(columns={"min": "created_at", "max": "updated_at"})
    ctx.insert_df("project", projects[["project_no", "name", "enterprise_id", "created_at", "updated_at"]])
    ctx.insert_df("approval_case", cases)
    ids = pd.DataFrame(cur.execute("SELECT id, case_no FROM approval_case").fetchall(), columns=["case_id", "case_no"])
    cases = cases.merge(ids, on="case_no")
    cases = cases.merge(items, on="item_id")

    # two-stage cases: an earlier 需监管部门参与环节 push for some concluded ones
    two = cases[(cases["stage"] == "办结") & cases["category"].isin(TWO_STAGE) & cases["centralised"]].sample(
        frac=0.35, random_state=int(rng.integers(1 << 30))
    )
    early = two.copy()
    early["stage"] = "需监管部门参与环节"
    back = rng.integers(5, 30, len(early)).astype("timedelta64[D]")
    early["created_at"] = (early["created_at"].to_numpy() - back).astype("datetime64[us]")

    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "case_id": early["case_id"],
                    "kind": "登记",
                    "detail": "登记审批结果（需监管部门参与环节）",
                    "created_at": early["created_at"],
                }
            ),
            pd.DataFrame(
                {
                    "case_id": cases["case_id"],
                    "kind": np.where(cases["case_id"].isin(early["case_id"]), "办结", "登记"),
                    "detail": np.where(
                        cases["case_id"].isin(early["case_id"]), "审批办结", "登记审批结果（" + cases["stage"] + "）"
                    ),
                    "created_at": cases["created_at"],
                }
            ),
        ]
    )
    events["actor_id"] = events["case_id"].map(cases.set_index("case_id")["handler_id"])
    ctx.insert_df("case_event", events[["case_id", "kind", "detail", "actor_id", "created_at"]])

    # -- pushes and claims ----------------------------------------------
    stages = pd.concat([cases, early])[
        ["case_id", "item_id", "stage", "created_at", "centralised", "limit", "handler_id"]
    ]
    fan = stages.merge(item_depts, on="item_id")
    m = len(fan)
    pushed = fan["created_at"].to_numpy().astype("datetime64[s]") + rng.integers(30, 600, m).astype("timedelta64[s]")
    pushed = np.minimum(pushed, now)
    pday = pushed.astype("datetime64[D]")
    due = _due(pday, fan["limit"].to_numpy())
    fresh = (today - pday).astype("int64") <= 7
    r = rng.random(m)
    page = (today - pday).astype("int64")
    unsigned = np.where(fresh, r < 0.6, np.where(page <= 30, r < 0.03, r < 0.004))
    late = ~unsigned & ~fresh & (r > 0.94)
    on_time_span = np.maximum((due - pday).astype("int64"), 0)
    sign_day = np.where(
        late,
        due + rng.integers(1, 12, m).astype("timedelta64[D]"),
        pday + (rng.random(m) * (on_time_span + 1)).astype("int64").astype("timedelta64[D]"),
    )
    signed_at = sign_day.astype("datetime64[s]") + _clock_times(rng, m)
    signed_at = np.maximum(signed_at, pushed + np.timedelta64(300, "s"))
    unsigned |= signed_at > now
    signer = np.array(
        [
            (lambda lst: lst[int(k * len(lst))] if lst else None)(signers.get(d, []))
            for d, k in zip(fan["department_id"], rng.random(m))
        ],
        dtype=object,
    )
    unsigned |= pd.isna(signer)
    central = fan["centralised"].to_numpy()
    p = fan[central]
    sel = central
    push = pd.DataFrame(
        {
            "case_id": p["case_id"].to_numpy(),
            "department_id": p["department_id"].to_numpy(),
            "stage": p["stage"].to_numpy(),
            "pushed_at": pushed[sel].astype("datetime64[us]"),
            "pushed_by": p["handler_id"].to_numpy(),
            "due_on": due[sel].astype("datetime64[ms]"),
            "status": np.where(unsigned[sel], "待签收", "已签收"),
            "signed_by": pd.array(np.where(unsigned[sel], None, signer[sel]), dtype="Int64"),
            "signed_at": pd.Series(
                np.where(unsigned[sel], np.datetime64("NaT"), signed_at[sel]).astype("datetime64[us]")
            ),
        }
    )
    ctx.insert_df("push", push)
    k = fan[~central]
    ks = ~central
    claim_open = unsigned[ks] | (fresh[ks] & (r[ks] < 0.7))
    claims = pd.DataFrame(
        {
            "case_id": k["case_id"].to_numpy(),
            "department_id": k["department_id"].to_numpy(),
            "stage": k["stage"].to_numpy(),
            "status": np.where(claim_open, "待领取", "已领取"),
            "claimed_by": pd.array(np.where(claim_open, None, signer[ks]), dtype="Int64"),
            "claimed_at": pd.Series(np.where(claim_open, np.datetime64("NaT"), signed_at[ks]).astype("datetime64[us]")),
            "available_at": pushed[ks].astype("datetime64[us]"),
        }
    )
    ctx.insert_df("claim", claims)

    # -- licences --------------------------------------------------------
    done = cases[(cases["stage"] == "办结")]
    done = done[rng.random(len(done)) < 0.97]
    kind = np.where(
        done["code"] == "SC-006", "营业执照", np.where(done["code"].isin(PERMIT_AS_BATCH), "批文", "许可证")
    )
    issued = done["decided_on"].to_numpy().astype("datetime64[D]")
    years = np.where(kind == "批文", 2, np.where(kind == "许可证", 5, 0))
    until = np.where(years > 0, issued + (years * 365 - 1).astype("timedelta64[D]"), np.datetime64("NaT"))
    lic = pd.DataFrame(
        {
            "licence_no": [
                f"{c.replace('-', '')}{pd.Timestamp(d):%Y}{i:07d}"
                for c, d, i in zip(done["code"], issued, done["case_id"])
            ],
            "kind": kind,
            "case_id": done["case_id"].to_numpy(),
            "enterprise_id": done["enterprise_id"].to_numpy(),
            "item_id": done["item_id"].to_numpy(),
            "issued_on": issued.astype("datetime64[ms]"),
            "valid_until": pd.Series(until.astype("datetime64[ms]")),
            "status": "有效",
            "status_changed_at": done["created_at"].to_numpy(),
            "created_at": done["created_at"].to_numpy(),
        }
    )
    cancel = (rng.random(len(lic)) < 0.01) & ((today - issued).astype("int64") > 60)
    cancel_at = (issued + rng.integers(20, 60, len(lic)).astype("timedelta64[D]")).astype(
        "datetime64[s]"
    ) + _clock_times(rng, len(lic))
    lic.loc[cancel, "status"] = "已注销"
    lic.loc[cancel, "status_changed_at"] = cancel_at[cancel].astype("datetime64[us]")
    ctx.insert_df("licence", lic)
    lid = pd.DataFrame(
        cur.execute("SELECT id, licence_no FROM licence").fetchall(), columns=["licence_id", "licence_no"]
    )
    lic = lic.merge(lid, on="licence_no")
    ev = pd.DataFrame(
        {
            "licence_id": lic["licence_id"],
            "from_status": None,
            "to_status": "有效",
            "reason": "审批办结，证照入库",
            "ref": None,
            "actor_id": lic["case_id"].map(cases.set_index("case_id")["handler_id"]),
            "created_at": lic["created_at"],
        }
    )
    cz = lic[lic["status"] == "已注销"]
    ev2 = pd.DataFrame(
        {
            "licence_id": cz["licence_id"],
            "from_status": "有效",
            "to_status": "已注销",
            "reason": "企业申请注销",
            "ref": None,
            "actor_id": cz["case_id"].map(cases.set_index("case_id")["handler_id"]),
            "created_at": cz["status_changed_at"],
        }
    )
    ctx.insert_df("licence_event", pd.concat([ev, ev2]))

    # -- a few scans -----------------------------------------------------
    scans = _scans()
    recent_cases = cases[cases["centralised"]].sort_values("created_at").tail(60)
    for j, cid in enumerate(recent_cases["case_id"].tolist()[::2]):
        attachments.attach(cur, None, "case", int(cid), scans[j % len(scans)])
        if j % 3 == 0:
            attachments.attach(cur, None, "case", int(cid), scans[(j + 3) % len(scans)])
