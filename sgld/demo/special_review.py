"""Demo step 50: special reviews (专项审查) in every state.

A fixed set of "showcase" reviews around today, so every demo account has
something to do (王分管 a motion to approve, 张监管 a notice to answer, 陈环保
a written opinion to give, 钱市长 an escalated review to decide, 李经办 a
meeting to record, a conclusion to form and minutes to issue), including one
escalated to the city government and ones with deemed agreement; plus
``40 × scale`` concluded reviews over the last 18 months for the lists and
statistics.  Links to cases and projects of the push step when it has run.
Minutes of demo reviews are rendered from the record on download (no files
are written by the demo).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from sgld.demo import DemoContext
from sgld.demo.base import ACCOUNTS
from sgld.services import special_review as sr

ORDER = 50

# (title pattern, scopes, forms, departments, matters)
TEMPLATES = [
    (
        "{ent}危险化学品仓储扩建项目",
        ["安全生产", "生态环境保护"],
        ["专题会议", "现场检查"],
        ["应急管理局", "生态环境局", "消防救援支队", "市场监管局"],
        "1. 储罐区与周边居民区的安全防护距离是否满足要求；\n2. 危险废物贮存和处置方案；\n3. 消防设施配置与应急预案。",
    ),
    (
        "{ent}港口码头改扩建工程",
        ["重大生产力布局", "安全生产"],
        ["专题会议"],
        ["交通运输局", "应急管理局", "自然资源和规划局", "生态环境局"],
        "1. 岸线利用是否符合港口总体规划；\n2. 危险货物作业区的安全评价；\n3. 施工期航道通航安全。",
    ),
    (
        "{ent}年产10万吨新材料项目",
        ["生态环境保护", "重大生产力布局"],
        ["专题会议", "专家评审"],
        ["生态环境局", "应急管理局", "自然资源和规划局", "住建局", "市场监管局"],
        "1. 环境影响评价结论与总量控制指标；\n2. 用地规划条件；\n3. 特种设备使用登记安排。",
    ),
    (
        "{ent}海上风电配套输变电项目",
        ["重大公共利益", "战略性资源开发"],
        ["专题会议"],
        ["自然资源和规划局", "生态环境局", "交通运输局", "水利局"],
        "1. 海域和岸线使用；\n2. 线路走廊与生态红线的关系；\n3. 涉河建设方案。",
    ),
    (
        "{ent}石英砂矿开采项目",
        ["战略性资源开发", "生态环境保护", "安全生产"],
        ["专题会议", "专家评审", "现场检查"],
        ["自然资源和规划局", "生态环境局", "应急管理局", "水利局"],
        "1. 资源储量核实与开采规模；\n2. 矿山地质环境保护与恢复治理；\n3. 非煤矿山安全生产条件。",
    ),
    (
        "{ent}城市综合体商品房预售",
        ["重大公共利益"],
        ["专题会议"],
        ["住建局", "自然资源和规划局", "消防救援支队", "市场监管局"],
        "1. 预售资金监管方案；\n2. 规划条件核实；\n3. 消防设计审查意见的落实。",
    ),
    (
        "{ent}三级综合医院新建项目",
        ["重大公共利益", "其他需要集体研究的重要事项"],
        ["专题会议"],
        ["卫健委", "住建局", "消防救援支队", "生态环境局"],
        "1. 区域卫生规划的符合性；\n2. 医疗废物与污水处理方案；\n3. 消防设计与人员疏散。",
    ),
    (
        "{ent}大数据中心项目",
        ["国家安全", "重大生产力布局"],
        ["专题会议", "专家评审"],
        ["公安局", "自然资源和规划局", "住建局", "市场监管局"],
        "1. 数据安全与网络安全等级保护；\n2. 能耗指标；\n3. 用地与建设规划。",
    ),
    (
        "{ent}食品产业园项目",
        ["其他需要集体研究的重要事项"],
        ["专题会议", "现场检查"],
        ["市场监管局", "生态环境局", "住建局"],
        "1. 园区食品生产许可的统筹安排；\n2. 污水集中处理设施；\n3. 冷链物流配套。",
    ),
    (
        "{ent}放射诊疗中心项目",
        ["生态环境保护", "重大公共利益"],
        ["专题会议", "专家评审"],
        ["卫健委", "生态环境局", "市场监管局"],
        "1. 辐射安全许可与放射诊疗许可的衔接；\n2. 屏蔽防护设计评价；\n3. 医疗器械采购与使用监管。",
    ),
]

PLACES = [
    "市行政审批局三楼第一会议室",
    "市行政审批局五楼专题会议室",
    "市政务服务中心二楼会商室",
    "市人民政府第三会议室",
]
OFFICIALS = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
TITLES = ["科长", "副科长", "副处长", "处长", "副局长", "四级调研员"]
REASONS = {
    sr.DISAGREE: [
        "项目选址与生态保护红线存在交叉，建议调整选址后再行审批。",
        "安全防护距离不足，不同意按现方案审批。",
        "用地手续尚不完备，不同意在此阶段作出审批决定。",
    ],
    sr.CONDITIONAL: [
        "同意，但须在投产前完成危险废物贮存设施验收。",
        "同意，项目须落实总量替代指标后方可开工。",
        "同意，施工期须制定通航安全保障方案并报备。",
    ],
}


def _person(rng) -> str:
    return rng.choice(OFFICIALS) + rng.choice("建国志华明军伟平涛斌") + rng.choice(TITLES)


class _Builder:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        cur = ctx.cur
        self.rng = ctx.rng
        self.now = ctx.now.replace(microsecond=0)
        self.depts = ctx.ids["department"]
        self.users = ctx.ids["user"]
        self.reviews: list[dict] = []
        self.dept_rows: list[dict] = []
        self.ents = [r[0] for r in cur.execute("SELECT name FROM enterprise ORDER BY id LIMIT 400").fetchall()] or [
            "南通示范有限公司"
        ]
        self.cases: list[tuple] = []
        has = (
            cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('approval_case', 'project')"
            ).fetchone()[0]
            == 2
        )
        if has:
            self.cases = cur.execute(
                "SELECT c.id, c.case_no, c.project_no, p.name, e.name FROM approval_case c"
                " JOIN project p ON p.project_no = c.project_no"
                " JOIN enterprise e ON e.id = c.enterprise_id ORDER BY c.id DESC LIMIT 2000"
            ).fetchall()
        self.seq = 0

    # one review: status plus optional overrides of its timeline and opinions
    def add(
        self,
        status: str,
        *,
        template: int | None = None,
        meeting_in_days: float,
        division: str = "投资建设审批处",
        pattern: list | None = None,
        replied: int = 0,
        major: bool = False,
        city_chair: bool = False,
        comment: str | None = None,
    ) -> dict:
        rng, now = self.rng, self.now
        t = TEMPLATES[template if template is not None else rng.randrange(len(TEMPLATES))]
        ent = rng.choice(self.ents)
        case = rng.choice(self.cases) if self.cases and rng.random() < 0.8 else None
        if case:
            ent = case[4]
        short = ent.replace("有限责任公司", "").replace("股份有限公司", "").replace("有限公司", "")
        self.seq += 1
        meeting_at = (now + timedelta(days=meeting_in_days)).replace(
            hour=rng.choice((9, 10, 14, 15)), minute=rng.choice((0, 30)), second=0
        )
        proposed_at = meeting_at - timedelta(days=rng.randint(8, 20), hours=rng.randint(1, 6))
        proposed_at = min(proposed_at, now - timedelta(hours=2))
        title = t[0].format(ent=short)
        if case:
            case_id, case_no, project_no, project_name = case[:4]
        else:
            case_id, case_no = None, None
            project_no = f"{proposed_at.year}-320600-{rng.randint(10, 99)}-01-{rng.randint(100000, 999999)}"
            project_name = title
        proposer = self.users["approver2" if division == "市场准入审批处" else "approver"]
        r = {
            "id": None,
            "review_no": None,
            "title": title,
            "case_id": case_id,
            "case_no": case_no,
            "project_no": project_no,
            "project_name": project_name,
            "scopes": list(t[1]),
            "forms": list(t[2]),
            "background": f"{ent}申请{title.replace(short, '')}，"
            "项目涉及多个行业主管部门的监管职责，根据审查需要提请专项审查。",
            "matters": t[4],
            "meeting_at": meeting_at,
            "place": rng.choice(PLACES),
            "major": major,
            "city_chair": city_chair,
            "invited_units": "市发展改革委、属地区人民政府负责人" if major else None,
            "status": status,
            "division_id": self.depts[division],
            "proposed_by": proposer,
            "proposed_at": proposed_at,
            "submitted_at": proposed_at,
            "approved_by": None,
            "approved_at": None,
            "approval_comment": comment,
            "held_on": None,
            "chair": None,
            "presentation": None,
            "expert_opinions": None,
            "site_findings": None,
            "meeting_by": None,
            "meeting_recorded_at": None,
            "outcome": None,
            "conclusion": None,
            "concluded_by": None,
            "concluded_at": None,
            "gov_decision": None,
            "gov_decision_text": None,
            "gov_decided_on": None,
            "gov_decision_by": None,
            "gov_recorded_at": None,
            "minutes_no": None,
            "minutes_attachment_id": None,
            "minutes_issued_by": None,
            "minutes_issued_at": None,
            "updated_at": proposed_at,
        }
        leader = self.users["leader"]
        if status in (sr.S_RETURNED, sr.S_WITHDRAWN) or status in sr.NOTIFIED:
            r["approved_by"] = leader
            r["approved_at"] = min(proposed_at + timedelta(days=1, hours=rng.randint(0, 5)), now - timedelta(hours=1))
            r["updated_at"] = r["approved_at"]
        if status == sr.S_RETURNED:
            r["approval_comment"] = comment or "参审部门不全，请补充消防救援支队并明确需协调事项后重新提交。"
        if status == sr.S_WITHDRAWN:
            r["approved_by"], r["approved_at"] = None, None
            r["approval_comment"] = "撤回：申请人已撤回行政许可申请。"
        names = t[3]
        pattern = pattern or []
        held = status in sr.NOTIFIED and status != sr.S_NOTIFIED
        if held:
            r["held_on"] = meeting_at.date()
            # who actually chaired, by title and name (the minutes say so)
            r["chair"] = (
                f"市政府分管领导{ACCOUNTS['cityleader'][0]}"
                if city_chair
                else f"市行政审批局分管领导{ACCOUNTS['leader'][0]}"
            )
            r["presentation"] = (
                f"经办人介绍了{title}的申请情况、审查进展和需要协调解决的问题，"
                "申请材料齐全，符合法定形式，部分事项需各部门共同研究。"
            )
            if "专家评审" in r["forms"]:
                r["expert_opinions"] = "专家组认为项目技术方案总体可行，建议进一步细化风险防控措施。"
            if "现场检查" in r["forms"]:
                r["site_findings"] = "现场检查发现场地平整已完成，周边敏感目标与报告描述一致。"
            r["meeting_by"] = proposer
            r["meeting_recorded_at"] = meeting_at + timedelta(hours=3)
            r["updated_at"] = r["meeting_recorded_at"]
        dissent = False
        for i, name in enumerate(names):
            dr = {
                "review_id": None,
                "department_id": self.depts[name],
                "attendees": None,
                "attendees_by": None,
                "attendees_at": None,
                "attendance": None,
                "absence_reason": None,
                "opinion": None,
                "opinion_text": None,
                "basis": None,
                "deemed": False,
                "deemed_reason": None,
                "opinion_by": None,
                "opinion_at": None,
            }
            if status in sr.NOTIFIED and (held or i < replied):
                dr["attendees"] = _person(rng) + ("、" + _person(rng) if rng.random() < 0.4 else "")
                dr["attendees_at"] = r["approved_at"] + timedelta(hours=rng.randint(2, 30))
                dr["attendees_at"] = min(dr["attendees_at"], now - timedelta(minutes=30))
            if held:
                kind = (
                    pattern[i]
                    if i < len(pattern)
                    else rng.choices(["agree", "silent", "absent", "written", "conditional"], [5, 3, 1, 1, 2])[0]
                )
                concluded = status != sr.S_HELD
                self._opinion(dr, kind, r, concluded)
                dissent = dissent or dr["opinion"] == sr.DISAGREE
            self.dept_rows.append(dr | {"_review": len(self.reviews)})
        if status in (sr.S_AGREED, sr.S_ESCALATED, sr.S_DECIDED, sr.S_ISSUED):
            r["outcome"] = sr.OUTCOME_ESCALATED if dissent else sr.OUTCOME_AGREED
            r["concluded_by"] = proposer
            r["concluded_at"] = min(meeting_at + timedelta(days=1), now - timedelta(minutes=20))
            r["conclusion"] = (
                "建议由市政府统筹研究项目选址与生态保护的关系后作出决定；在此之前暂缓作出审批决定。"
                if dissent
                else "同意按现方案办理审批手续。各部门按职责做好事中事后监管，有条件同意的部门所提条件"
                "作为审批决定的附加要求。"
            )
            r["updated_at"] = r["concluded_at"]
            if dissent and status in (sr.S_DECIDED, sr.S_ISSUED):
                r["gov_decision"] = rng.choice([sr.AGREE, sr.CONDITIONAL])
                r["gov_decision_text"] = (
                    "经市政府分管领导召集研究，同意项目在调整厂区布局、落实生态补偿措施后办理审批手续。"
                )
                decided = min(r["concluded_at"] + timedelta(days=rng.randint(3, 9)), now - timedelta(minutes=10))
                r["gov_decided_on"] = decided.date()
                r["gov_decision_by"] = self.users["cityleader"]
                r["gov_recorded_at"] = decided
                r["updated_at"] = decided
            if status == sr.S_ISSUED:
                r["minutes_issued_by"] = proposer
                r["minutes_issued_at"] = min(r["updated_at"] + timedelta(days=2), now - timedelta(minutes=5))
                r["updated_at"] = r["minutes_issued_at"]
        self.reviews.append(r)
        return r

    def _opinion(self, dr: dict, kind: str, r: dict, concluded: bool) -> None:
        rng = self.rng
        when = r["meeting_at"] + timedelta(hours=2)
        if kind in ("absent", "absent_pending", "written"):
            if kind == "absent":
                dr["attendance"] = sr.ABSENT_NO_REASON
                dr["attendees"] = None
                if concluded:
                    dr.update(
                        opinion=sr.AGREE,
                        basis=sr.B_DEEMED,
                        deemed=True,
                        deemed_reason=sr.DEEMED_ABSENT,
                        opinion_at=when,
                    )
                return
            dr["attendance"] = sr.ABSENT_REASON
            dr["absence_reason"] = rng.choice(["同一时间参加省厅专项督查", "主要负责同志出差在外", "部门重要会议冲突"])
            dr["attendees"] = None
            if kind == "written":
                dr.update(
                    opinion=rng.choice([sr.AGREE, sr.CONDITIONAL]),
                    basis=sr.B_WRITTEN,
                    opinion_at=r["meeting_at"] - timedelta(hours=20),
                )
                if dr["opinion"] == sr.CONDITIONAL:
                    dr["opinion_text"] = rng.choice(REASONS[sr.CONDITIONAL])
            return
        dr["attendance"] = sr.PRESENT
        if kind == "silent":
            if concluded:
                dr.update(
                    opinion=sr.AGREE, basis=sr.B_DEEMED, deemed=True, deemed_reason=sr.DEEMED_SILENT, opinion_at=when
                )
            return
        op = {"agree": sr.AGREE, "conditional": sr.CONDITIONAL, "disagree": sr.DISAGREE}[kind]
        dr.update(
            opinion=op,
            basis=sr.B_MEETING,
            opinion_by=r["meeting_by"],
            opinion_at=when,
            opinion_text=rng.choice(REASONS[op]) if op in REASONS else None,
        )

    def insert(self) -> None:
        cur = self.ctx.cur
        n = len(self.reviews)
        ids = [
            row[0]
            for row in cur.execute("SELECT nextval('seq_special_review') FROM generate_series(1, ?)", [n]).fetchall()
        ]
        ids.sort()
        # numbers in order of proposal (and of issue for the minutes), per year
        order = sorted(range(n), key=lambda i: self.reviews[i]["proposed_at"])
        per_year: dict[int, int] = {}
        for rid, i in zip(ids, order):
            r = self.reviews[i]
            r["id"] = rid
            y = r["proposed_at"].year
            per_year[y] = per_year.get(y, 0) + 1
            r["review_no"] = f"专审〔{y}〕{per_year[y]}号"
        minutes_year: dict[int, int] = {}
        for r in sorted((r for r in self.reviews if r["minutes_issued_at"]), key=lambda r: r["minutes_issued_at"]):
            y = r["minutes_issued_at"].year
            minutes_year[y] = minutes_year.get(y, 0) + 1
            r["minutes_no"] = f"专审纪要〔{y}〕{minutes_year[y]}号"
        frame = pd.DataFrame(self.reviews)
        self.ctx.insert_df("special_review", frame)
        rows = []
        for dr in self.dept_rows:
            rows.append(
                {k: v for k, v in dr.items() if k != "_review"} | {"review_id": self.reviews[dr["_review"]]["id"]}
            )
        depts = pd.DataFrame(rows)
        depts["deemed"] = depts["deemed"].astype(bool)
        self.ctx.insert_df("special_review_department", depts)


def load(ctx: DemoContext) -> None:
    b = _Builder(ctx)
    # -- showcase around today (the demo accounts' work) --
    b.add(sr.S_PENDING, template=2, meeting_in_days=6)
    b.add(sr.S_PENDING, template=8, meeting_in_days=10, division="市场准入审批处")
    b.add(sr.S_RETURNED, template=5, meeting_in_days=12)
    b.add(sr.S_WITHDRAWN, template=6, meeting_in_days=15)
    b.add(sr.S_NOTIFIED, template=9, meeting_in_days=2, replied=1)  # 市场监管局 to answer
    b.add(sr.S_NOTIFIED, template=0, meeting_in_days=8, replied=2)
    b.add(sr.S_NOTIFIED, template=1, meeting_in_days=-1, replied=4)  # meeting to record
    # held: 生态环境局 absent with a reason and no written opinion yet -> blocks the conclusion
    b.add(
        sr.S_HELD, template=2, meeting_in_days=-3, pattern=["absent_pending", "agree", "silent", "conditional", "agree"]
    )
    b.add(sr.S_HELD, template=8, meeting_in_days=-2, pattern=["agree", "silent", "absent"])
    # consensus by deemed agreement (absent without reason + present and silent)
    b.add(sr.S_AGREED, template=0, meeting_in_days=-6, pattern=["agree", "silent", "absent", "conditional"])
    # escalated: 生态环境局 disagrees; chaired by the city government's leader
    b.add(
        sr.S_ESCALATED,
        template=4,
        meeting_in_days=-9,
        major=True,
        city_chair=True,
        pattern=["agree", "disagree", "conditional", "silent"],
    )
    b.add(sr.S_DECIDED, template=3, meeting_in_days=-20, major=True, pattern=["agree", "disagree", "agree", "written"])
    b.add(sr.S_ISSUED, template=9, meeting_in_days=-25, pattern=["agree", "silent", "absent"])
    b.add(
        sr.S_ISSUED,
        template=7,
        meeting_in_days=-40,
        major=True,
        city_chair=True,
        pattern=["disagree", "agree", "agree", "silent"],
    )
    b.add(sr.S_ISSUED, template=5, meeting_in_days=-55, pattern=["agree"] * 4)
    # -- history: concluded reviews of the last 18 months --
    rng = ctx.rng
    for _ in range(40 * ctx.scale):
        days = -rng.uniform(30, 540)
        status = rng.choices([sr.S_ISSUED, sr.S_WITHDRAWN], [19, 1])[0]
        pattern = None
        if rng.random() < 0.15:
            pattern = ["disagree"]
        b.add(
            status,
            meeting_in_days=days,
            pattern=pattern,
            division=rng.choice(["投资建设审批处", "投资建设审批处", "市场准入审批处"]),
            major=rng.random() < 0.1,
        )
    b.insert()
