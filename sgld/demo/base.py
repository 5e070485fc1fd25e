"""Demo step 10: the bureau and departments, accounts, item catalogue, enterprises."""

from __future__ import annotations

import pandas as pd

from sgld import settings, uscc
from sgld.demo import DEMO_PASSWORD, DemoContext
from sgld.services.accounts import hash_password

ORDER = 10

DIVISIONS = ["综合协调处", "投资建设审批处", "市场准入审批处", "社会事务审批处", "环境与安全审批处"]
SUPERVISION = [
    "市场监管局",
    "生态环境局",
    "应急管理局",
    "住建局",
    "交通运输局",
    "卫健委",
    "文广旅局",
    "自然资源和规划局",
    "消防救援支队",
]
LICENSING = ["公安局", "水利局"]
GOVERNMENT = "市人民政府"

# (code, name, category, centralised, limit, departments)
ITEMS = [
    ("SC-001", "食品经营许可", "市场准入", True, 3, ["市场监管局"]),
    ("SC-002", "食品生产许可", "市场准入", True, 3, ["市场监管局"]),
    ("SC-003", "药品零售企业许可", "市场准入", True, 3, ["市场监管局"]),
    ("SC-004", "医疗器械经营许可", "市场准入", True, 3, ["市场监管局"]),
    ("SC-005", "特种设备使用登记", "市场准入", True, 3, ["市场监管局", "应急管理局"]),
    ("SC-006", "企业设立登记（营业执照）", "市场准入", True, 2, ["市场监管局"]),
    ("TZ-001", "建筑工程施工许可", "投资建设", True, 3, ["住建局"]),
    ("TZ-002", "建设工程规划许可", "投资建设", True, 3, ["自然资源和规划局", "住建局"]),
    ("TZ-003", "建设用地规划许可", "投资建设", True, 5, ["自然资源和规划局"]),
    ("TZ-004", "商品房预售许可", "投资建设", True, 3, ["住建局"]),
    ("TZ-005", "建筑业企业资质核准", "投资建设", True, 3, ["住建局"]),
    ("TZ-006", "建设工程消防设计审查", "投资建设", True, 3, ["消防救援支队", "住建局"]),
    ("HB-001", "建设项目环境影响评价审批", "生态环境", True, 5, ["生态环境局"]),
    ("HB-002", "排污许可", "生态环境", True, 3, ["生态环境局"]),
    ("HB-003", "危险废物经营许可", "生态环境", True, 3, ["生态环境局", "应急管理局"]),
    ("HB-004", "辐射安全许可", "生态环境", True, 3, ["生态环境局"]),
    ("AQ-001", "危险化学品经营许可", "安全生产", True, 3, ["应急管理局"]),
    ("AQ-002", "烟花爆竹经营（零售）许可", "安全生产", True, 2, ["应急管理局", "消防救援支队"]),
    ("AQ-003", "安全生产许可（非煤矿山）", "安全生产", True, 5, ["应急管理局", "自然资源和规划局"]),
    ("AQ-004", "公众聚集场所投入使用营业前消防安全检查", "安全生产", True, 2, ["消防救援支队"]),
    ("JT-001", "道路货物运输经营许可", "交通运输", True, 3, ["交通运输局"]),
    ("JT-002", "道路旅客运输经营许可", "交通运输", True, 3, ["交通运输局"]),
    ("JT-003", "机动车驾驶员培训许可", "交通运输", True, 3, ["交通运输局"]),
    ("JT-004", "港口经营许可", "交通运输", True, 5, ["交通运输局", "应急管理局"]),
    ("WS-001", "医疗机构执业许可", "卫生健康", True, 3, ["卫健委"]),
    ("WS-002", "公共场所卫生许可", "卫生健康", True, 3, ["卫健委"]),
    ("WS-003", "放射诊疗许可", "卫生健康", True, 3, ["卫健委", "生态环境局"]),
    ("WH-001", "娱乐场所经营许可", "文化旅游", True, 3, ["文广旅局", "消防救援支队"]),
    ("WH-002", "旅行社设立许可", "文化旅游", True, 3, ["文广旅局"]),
    ("WH-003", "营业性演出许可", "文化旅游", True, 2, ["文广旅局"]),
    ("QT-001", "取水许可", "其他部门许可", False, 3, ["水利局"]),
    ("QT-002", "河道管理范围内建设项目审批", "其他部门许可", False, 3, ["水利局"]),
    ("QT-003", "剧毒化学品购买许可", "其他部门许可", False, 3, ["公安局"]),
    ("QT-004", "保安服务许可", "其他部门许可", False, 3, ["公安局"]),
]

# demo accounts: username -> (display name, department, roles)
ACCOUNTS = {
    "admin": ("系统管理员", "bureau", ["admin"]),
    "leader": ("王分管", "bureau", ["leader"]),
    "approver": ("李经办", "投资建设审批处", ["approver"]),
    "approver2": ("赵窗口", "市场准入审批处", ["approver"]),
    "supervisor": ("张监管", "市场监管局", ["supervisor"]),
    "supervisor2": ("陈环保", "生态环境局", ["supervisor"]),
    "supervisor3": ("周安监", "应急管理局", ["supervisor"]),
    "liaison": ("刘联络", "市场监管局", ["liaison"]),
    "liaison2": ("孙联络", "生态环境局", ["liaison"]),
    "claimer": ("吴水利", "水利局", ["supervisor"]),
    "cityleader": ("钱市长", GOVERNMENT, ["leader"]),
}

DISTRICTS = ["320602", "320611", "320612", "320623", "320681", "320682", "320685", "320614", "320671"]
PLACES = [
    "崇川",
    "港闸",
    "通州",
    "如东",
    "启东",
    "如皋",
    "海安",
    "海门",
    "开发区",
    "狼山",
    "濠河",
    "唐闸",
    "天生港",
    "观音山",
    "秦灶",
    "平潮",
    "兴仁",
    "石港",
]
WORDS = [
    "华",
    "瑞",
    "通",
    "达",
    "鑫",
    "宏",
    "盛",
    "恒",
    "泰",
    "嘉",
    "润",
    "德",
    "安",
    "源",
    "昌",
    "隆",
    "丰",
    "远",
    "海",
    "江",
    "新",
    "明",
    "联",
    "创",
    "佳",
    "锦",
    "信",
    "诚",
]
TRADES = [
    "食品",
    "餐饮",
    "医药",
    "建设工程",
    "建材",
    "化工",
    "环保科技",
    "物流",
    "运输",
    "机械制造",
    "纺织",
    "电子科技",
    "文化传媒",
    "旅游",
    "医疗器械",
    "船舶",
    "房地产开发",
    "港务",
    "能源",
    "新材料",
    "商贸",
    "酒店管理",
    "安防",
    "印染",
]
SUFFIX = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅志文斌波辉宇浩凯健俊帆鹏飞"
ROADS = [
    "人民中路",
    "工农路",
    "青年西路",
    "崇川路",
    "世纪大道",
    "通富路",
    "星湖大道",
    "江海大道",
    "钟秀中路",
    "长江中路",
    "跃龙路",
    "濠西路",
    "海港路",
    "永兴大道",
    "金沙路",
]


def org_code(rng) -> str:
    """A GB 11714 organisation code (8 digits + check character)."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c = 11 - sum(int(ch) * w for ch, w in zip(body, weights)) % 11
    return body + ("X" if c == 10 else "0" if c == 11 else str(c))


def make_enterprises(rng, n: int, start_id: int = 1) -> pd.DataFrame:
    seen: set[str] = set()
    names: set[str] = set()
    rows = []
    while len(rows) < n:
        code = uscc.make("91" + rng.choice(DISTRICTS) + org_code(rng))
        if code in seen:
            continue
        seen.add(code)
        for _ in range(8):
            name = (
                f"南通{rng.choice(PLACES)}{rng.choice(WORDS)}{rng.choice(WORDS)}"
                f"{rng.choice(TRADES)}{rng.choice(SUFFIX)}"
            )
            if name not in names:
                break
        else:
            name = f"南通{rng.choice(WORDS)}{rng.choice(WORDS)}{len(rows)}{rng.choice(TRADES)}有限公司"
        names.add(name)
        rows.append(
            (
                start_id + len(rows),
                code,
                name,
                rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                f"南通市{rng.choice(PLACES)}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            )
        )
    return pd.DataFrame(rows, columns=["id", "uscc", "name", "legal_rep", "address"])


def load(ctx: DemoContext) -> None:
    cur, now = ctx.cur, ctx.now
    bureau = settings.get().bureau_name
    depts = [(bureau, "bureau", None)]
    depts += [(d, "bureau", bureau) for d in DIVISIONS]
    depts += [(d, "supervision", None) for d in SUPERVISION]
    depts += [(d, "licensing", None) for d in LICENSING]
    depts += [(GOVERNMENT, "government", None)]
    ids: dict[str, int] = {}
    for name, kind, parent in depts:
        ids[name] = cur.execute(
            "INSERT INTO department (name, kind, parent_id, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [name, kind, ids.get(parent) if parent else None, now],
        ).fetchone()[0]
    ids["bureau"] = ids[bureau]
    ctx.ids["department"] = ids

    pw = hash_password(DEMO_PASSWORD)
    users = {}
    for n, (username, (display, dept, roles)) in enumerate(ACCOUNTS.items(), 1):
        uid = cur.execute(
            "INSERT INTO app_user (username, display_name, department_id, password_hash, phone,"
            " session_valid_from, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            [username, display, ids[dept], pw, f"0513-8509{n:04d}", now, now, now],
        ).fetchone()[0]
        cur.executemany("INSERT INTO user_role VALUES (?, ?)", [[uid, r] for r in roles])
        users[username] = uid
    ctx.ids["user"] = users

    items = {}
    for code, name, cat, central, limit, dnames in ITEMS:
        iid = cur.execute(
            "INSERT INTO item (code, name, category, centralised, sign_limit_days, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [code, name, cat, central, limit, now, now],
        ).fetchone()[0]
        cur.executemany("INSERT INTO item_department VALUES (?, ?)", [[iid, ids[d]] for d in dnames])
        items[code] = iid
    ctx.ids["item"] = items

    ent = make_enterprises(ctx.rng, 1500 * ctx.scale)
    ent["created_at"] = now
    # ids come from the sequence (DuckDB has no setval), in frame order
    ctx.insert_df("enterprise", ent.drop(columns="id"))
    ctx.ids["enterprise_count"] = len(ent)
    ctx.counts.update({"department": len(depts), "app_user": len(users), "item": len(items)})
