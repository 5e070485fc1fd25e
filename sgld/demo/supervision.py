"""Demo step 30: inspections over 18 months, and a simulated 行权系统.

* Inspections (≈ 6,000 × scale) by every supervision department, most of
  them following up the department's signed pushes (when the push step has
  run), the rest routine; a few carry small PDF evidence files.
* The 行权系统 is simulated as a SQLite database beside the DuckDB file
  (``<SGLD_DATA_DIR>/xingquan.sqlite``, table ``XZCF_XX`` with the national
  双公示 field codes CF_XDR_MC, CF_XDR_SHXYM, …), holding ≈ 600 × scale
  penalties of demo enterprises plus a few bad rows (no code, a wrong check
  character, an impossible date, a future date, no decision number, an
  unreadable amount).  It is configured as the source 行权系统 and synced
  once here, so the profile shows penalties and the quarantine has work.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from sgld import settings
from sgld.demo import DemoContext
from sgld.demo.base import GIVEN, SURNAMES

ORDER = 30

RESULTS = ["合格", "基本合格", "责令整改", "立案查处", "发现未经许可擅自从事"]
RESULT_P = [0.60, 0.20, 0.14, 0.04, 0.02]
FINDINGS = {
    "合格": [
        "现场检查证照齐全，经营（生产）行为规范。",
        "各项制度落实到位，未发现违法违规行为。",
        "台账记录完整，现场管理规范。",
    ],
    "基本合格": [
        "个别台账记录不完整，已当场指出，要求完善。",
        "现场卫生状况一般，已口头提醒改进。",
        "部分人员培训记录缺失，要求补齐。",
    ],
    "责令整改": [
        "消防通道堆放杂物，责令限期整改。",
        "未按规定建立进货查验记录，责令限期改正。",
        "危险化学品储存不规范，责令立即整改。",
        "污染防治设施未正常运行，责令限期整改。",
    ],
    "立案查处": [
        "发现涉嫌销售过期食品，已立案调查。",
        "发现超标排放，已采样并立案查处。",
        "发现安全生产违法行为，已立案。",
    ],
    "发现未经许可擅自从事": [
        "发现未取得许可证擅自从事经营活动，已依法处理。",
        "超出许可范围从事经营，已责令停止并移交查处。",
    ],
}

# authority -> (decision-number prefix, [(violation, basis, category, content template)])
AUTHORITIES = {
    "南通市市场监督管理局": (
        "通市监处罚",
        [
            (
                "销售不符合食品安全标准的食品",
                "《中华人民共和国食品安全法》第一百二十四条第一款",
                "罚款；没收违法所得",
                "没收违法所得人民币{conf}元，并处罚款人民币{fine}元",
            ),
            (
                "未按规定建立并遵守进货查验记录制度",
                "《中华人民共和国食品安全法》第一百二十六条第一款",
                "罚款",
                "罚款人民币{fine}元",
            ),
            (
                "经营未取得医疗器械注册证的第二类医疗器械",
                "《医疗器械监督管理条例》第八十六条",
                "罚款；没收违法所得",
                "没收违法所得人民币{conf}元，并处罚款人民币{fine}元",
            ),
            (
                "使用未经定期检验的特种设备",
                "《中华人民共和国特种设备安全法》第八十四条",
                "罚款；责令停产停业",
                "责令停止使用有关特种设备，处罚款人民币{fine}元",
            ),
        ],
    ),
    "南通市生态环境局": (
        "通环罚",
        [
            ("超标排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条第二项", "罚款", "罚款人民币{fine}元"),
            (
                "未依法取得排污许可证排放污染物",
                "《排污许可管理条例》第三十三条第一项",
                "罚款；责令停产停业",
                "责令停产整治，并处罚款人民币{fine}元",
            ),
            (
                "危险废物贮存不符合国家环境保护标准",
                "《中华人民共和国固体废物污染环境防治法》第一百一十二条",
                "罚款",
                "罚款人民币{fine}元",
            ),
        ],
    ),
    "南通市应急管理局": (
        "通应急罚",
        [
            (
                "未按规定对从业人员进行安全生产教育和培训",
                "《中华人民共和国安全生产法》第九十七条第三项",
                "罚款",
                "罚款人民币{fine}元",
            ),
            (
                "未经许可经营危险化学品",
                "《危险化学品安全管理条例》第七十七条第三款",
                "罚款；没收违法所得",
                "没收违法所得人民币{conf}元，并处罚款人民币{fine}元",
            ),
        ],
    ),
    "南通市住房和城乡建设局": (
        "通建罚",
        [
            (
                "未取得施工许可证擅自施工",
                "《建筑工程施工许可管理办法》第十二条",
                "罚款",
                "责令停止施工，处罚款人民币{fine}元",
            ),
        ],
    ),
    "南通市交通运输局": (
        "通交罚",
        [
            (
                "未取得道路运输经营许可擅自从事道路运输经营",
                "《中华人民共和国道路运输条例》第六十三条",
                "罚款；没收违法所得",
                "没收违法所得人民币{conf}元，并处罚款人民币{fine}元",
            ),
        ],
    ),
    "南通市卫生健康委员会": (
        "通卫罚",
        [
            (
                "公共场所卫生质量不符合国家卫生标准",
                "《公共场所卫生管理条例实施细则》第三十六条",
                "警告；罚款",
                "警告，并处罚款人民币{fine}元",
            ),
        ],
    ),
    "南通市消防救援支队": (
        "通消行罚决字",
        [
            (
                "消防设施、器材未保持完好有效",
                "《中华人民共和国消防法》第六十条第一款第一项",
                "罚款",
                "罚款人民币{fine}元",
            ),
            (
                "公众聚集场所未经消防安全检查擅自投入使用",
                "《中华人民共和国消防法》第五十八条第一款第四项",
                "罚款；责令停产停业",
                "责令停止使用，并处罚款人民币{fine}元",
            ),
        ],
    ),
}

XQ_TABLE = "XZCF_XX"
XQ_MAPPING = {
    "entity_name": "CF_XDR_MC",
    "uscc": "CF_XDR_SHXYM",
    "legal_rep": "CF_FRDB",
    "decision_no": "CF_WSH",
    "violation_type": "CF_WFXW",
    "facts": "CF_SY",
    "basis": "CF_YJ",
    "category": "CF_CFLB",
    "content": "CF_NR",
    "fine_wan": "CF_NR_FK",
    "confiscation_wan": "CF_NR_WFFF",
    "decision_date": "CF_JDRQ",
    "valid_until": "CF_YXQ",
    "publish_until": "CF_GSJZQ",
    "authority": "CF_CFJG",
    "data_source_unit": "CF_SJLY",
}


def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def evidence_pdf(title: str) -> bytes:
    """A small valid one-page PDF (ASCII text) used as demo evidence."""
    text = title.replace("(", "[").replace(")", "]")
    content = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _has_pushes(cur) -> bool:
    n = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('push', 'approval_case')"
    ).fetchone()[0]
    return n == 2


def _inspections(ctx: DemoContext, ents: pd.DataFrame) -> pd.DataFrame:
    cur, rng, now = ctx.cur, ctx.rng, ctx.now
    np_rng = np.random.default_rng(ctx.rng.randint(0, 2**31))
    depts = dict(cur.execute("SELECT name, id FROM department WHERE kind = 'supervision' ORDER BY id").fetchall())
    users = ctx.ids.get("user", {})
    recorder = {}
    for uname, dname in (("supervisor", "市场监管局"), ("supervisor2", "生态环境局"), ("supervisor3", "应急管理局")):
        if uname in users and dname in depts:
            recorder[depts[dname]] = users[uname]
    start = now - timedelta(days=548)
    frames = []
    # follow-ups of signed pushes: about two thirds are inspected after signing
    if _has_pushes(cur):
        signed = cur.execute(
            "SELECT p.department_id, c.enterprise_id, p.signed_at FROM push p"
            " JOIN approval_case c ON c.id = p.case_id JOIN department d ON d.id = p.department_id"
            " WHERE p.status = '已签收' AND p.signed_at IS NOT NULL AND d.kind = 'supervision'"
        ).df()
        if len(signed):
            take = np_rng.random(len(signed)) < 0.65
            f = signed[take].reset_index(drop=True)
            delay = np_rng.integers(1, 60, len(f))
            at = pd.to_datetime(f["signed_at"]) + pd.to_timedelta(delay, unit="D")
            at = at.dt.normalize() + pd.to_timedelta(np_rng.integers(9 * 60, 17 * 60, len(f)), unit="min")
            keep = at < pd.Timestamp(now)
            frames.append(
                pd.DataFrame(
                    {
                        "department_id": f["department_id"][keep],
                        "enterprise_id": f["enterprise_id"][keep],
                        "inspected_at": at[keep],
                    }
                )
            )
    n = 6000 * ctx.scale
    routine = pd.DataFrame(
        {
            "department_id": np_rng.choice(list(depts.values()), n),
            "enterprise_id": np_rng.choice(ents["id"].to_numpy(), n),
            "inspected_at": pd.Timestamp(start).normalize()
            + pd.to_timedelta(np_rng.integers(0, 547, n), unit="D")
            + pd.to_timedelta(np_rng.integers(9 * 60, 17 * 60, n), unit="min"),
        }
    )
    frames.append(routine)
    df = pd.concat(frames, ignore_index=True)
    df = df[df["inspected_at"] < pd.Timestamp(now)].reset_index(drop=True)
    m = len(df)
    e = ents.set_index("id")
    df["uscc"] = e.loc[df["enterprise_id"], "uscc"].to_numpy()
    df["entity_name"] = e.loc[df["enterprise_id"], "name"].to_numpy()
    df["place"] = e.loc[df["enterprise_id"], "address"].fillna("南通市").to_numpy()
    df["result"] = np_rng.choice(RESULTS, m, p=RESULT_P)
    pick = np_rng.integers(0, 4, m)
    df["findings"] = [FINDINGS[r][i % len(FINDINGS[r])] for r, i in zip(df["result"], pick)]
    people = [_person(rng) for _ in range(200)]
    a, b = np_rng.integers(0, 200, m), np_rng.integers(0, 200, m)
    df["inspectors"] = [f"{people[i]}、{people[j]}" if i != j else people[i] for i, j in zip(a, b)]
    df["recorded_by"] = df["department_id"].map(recorder).astype("Int64")
    df["recorded_at"] = df["inspected_at"] + pd.to_timedelta(np_rng.integers(10, 600, m), unit="min")
    df.loc[df["recorded_at"] > pd.Timestamp(now), "recorded_at"] = pd.Timestamp(now)
    df = df.sort_values("inspected_at").reset_index(drop=True)
    ctx.insert_df("inspection", df)
    return df


def _penalty_rows(ctx: DemoContext, ents: pd.DataFrame) -> pd.DataFrame:
    rng = ctx.rng
    np_rng = np.random.default_rng(ctx.rng.randint(0, 2**31))
    now = ctx.now
    n = 600 * ctx.scale
    # the enterprises with penalties: mostly distinct, some repeat offenders
    chosen = np_rng.choice(ents.index.to_numpy(), n, replace=True)
    first = min(40, n, len(ents))
    chosen[:first] = ents.index.to_numpy()[:first]  # the caller puts showcase enterprises first
    auth_names = list(AUTHORITIES)
    auth_p = np.array([0.35, 0.2, 0.15, 0.1, 0.08, 0.06, 0.06])
    auths = np_rng.choice(len(auth_names), n, p=auth_p / auth_p.sum())
    days = np_rng.integers(1, 548, n)
    counters: dict[tuple[str, int], int] = {}
    rows = []
    for k in range(n):
        e = ents.loc[chosen[k]]
        auth = auth_names[auths[k]]
        prefix, kinds = AUTHORITIES[auth]
        violation, basis, category, tpl = kinds[rng.randrange(len(kinds))]
        decided = (now - timedelta(days=int(days[k]))).date()
        key = (prefix, decided.year)
        counters[key] = counters.get(key, 0) + 1
        fine_yuan = rng.choice([2000, 5000, 8000, 10000, 20000, 30000, 50000, 100000, 150000, 300000])
        conf_yuan = rng.choice([0, 0, 0, 1200, 3500, 8600, 25000]) if "没收" in category else 0
        rows.append(
            {
                "CF_XDR_MC": e["name"],
                "CF_XDR_SHXYM": e["uscc"],
                "CF_FRDB": e["legal_rep"],
                "CF_WSH": f"{prefix}〔{decided.year}〕{counters[key]}号",
                "CF_WFXW": violation,
                "CF_SY": f"经查，当事人{e['name']}存在{violation}的违法行为，事实清楚，证据确凿。",
                "CF_YJ": basis,
                "CF_CFLB": category,
                "CF_NR": tpl.format(fine=f"{fine_yuan:,}", conf=f"{conf_yuan:,}"),
                "CF_NR_FK": fine_yuan / 10000,
                "CF_NR_WFFF": conf_yuan / 10000 if conf_yuan else None,
                "CF_JDRQ": decided.isoformat() if k % 3 else f"{decided.year}/{decided.month}/{decided.day}",
                "CF_YXQ": (decided + timedelta(days=365 * 3)).isoformat(),
                "CF_GSJZQ": (decided + timedelta(days=365)).isoformat(),
                "CF_CFJG": auth,
                "CF_SJLY": auth,
                "GXSJ": datetime.combine(decided, time(18)) + timedelta(minutes=k % 600),
            }
        )
    rows.sort(key=lambda r: r["GXSJ"])
    good = ents.iloc[0]
    bad_code = good["uscc"][:17] + ("0" if good["uscc"][17] != "0" else "1")
    today = now.date()
    base = rows[0] if rows else {"CF_CFJG": "南通市市场监督管理局", "CF_SJLY": "南通市市场监督管理局"}
    extra = [
        {
            "CF_XDR_MC": "南通某某商贸有限公司",
            "CF_XDR_SHXYM": "",
            "CF_WSH": f"通市监处罚〔{today.year}〕9001号",
            "CF_JDRQ": (today - timedelta(days=20)).isoformat(),
        },
        {
            "CF_XDR_MC": good["name"],
            "CF_XDR_SHXYM": bad_code,
            "CF_WSH": f"通市监处罚〔{today.year}〕9002号",
            "CF_JDRQ": (today - timedelta(days=18)).isoformat(),
        },
        {
            "CF_XDR_MC": good["name"],
            "CF_XDR_SHXYM": good["uscc"],
            "CF_WSH": f"通环罚〔{today.year}〕9003号",
            "CF_JDRQ": f"{today.year - 1}-02-30",
        },
        {
            "CF_XDR_MC": good["name"],
            "CF_XDR_SHXYM": good["uscc"],
            "CF_WSH": f"通应急罚〔{today.year}〕9004号",
            "CF_JDRQ": (today + timedelta(days=25)).isoformat(),
        },
        {
            "CF_XDR_MC": good["name"],
            "CF_XDR_SHXYM": good["uscc"],
            "CF_WSH": "",
            "CF_JDRQ": (today - timedelta(days=12)).isoformat(),
        },
        {
            "CF_XDR_MC": good["name"],
            "CF_XDR_SHXYM": good["uscc"],
            "CF_WSH": f"通消行罚决字〔{today.year}〕9006号",
            "CF_JDRQ": (today - timedelta(days=9)).isoformat(),
            "CF_NR_FK": "五千元",
        },
        # full-width, lower case and spaces: normalised, imported
        {
            "CF_XDR_MC": good["name"],
            "CF_XDR_SHXYM": " "
            + "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in good["uscc"].lower())
            + " ",
            "CF_WSH": f"通市监处罚〔{today.year}〕9007号",
            "CF_JDRQ": f"{today.year}年1月5日"
            if date(today.year, 1, 5) <= today
            else (today - timedelta(days=5)).isoformat(),
        },
    ]
    last = rows[-1]["GXSJ"] if rows else datetime.combine(today, time())
    for i, x in enumerate(extra, 1):
        rows.append(
            {
                **({k: None for k in rows[0]} if rows else {}),
                "CF_WFXW": "未按规定公示信息",
                "CF_YJ": "《企业信息公示暂行条例》第十八条",
                "CF_CFLB": "罚款",
                "CF_NR": "罚款人民币5,000元",
                "CF_NR_FK": 0.5,
                "CF_CFJG": base["CF_CFJG"],
                "CF_SJLY": base["CF_SJLY"],
                "CF_SY": "经查，当事人未按规定公示年度报告信息。",
                "CF_FRDB": good["legal_rep"],
                **x,
                "GXSJ": last + timedelta(minutes=i),
            }
        )
    return pd.DataFrame(rows)


def write_xingquan(path, frame: pd.DataFrame) -> None:
    """(Re)create the simulated 行权系统 database."""
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    try:
        con.execute(
            f"CREATE TABLE {XQ_TABLE} (ID INTEGER PRIMARY KEY AUTOINCREMENT, CF_XDR_MC TEXT,"
            " CF_XDR_SHXYM TEXT, CF_FRDB TEXT, CF_WSH TEXT, CF_WFXW TEXT, CF_SY TEXT, CF_YJ TEXT,"
            " CF_CFLB TEXT, CF_NR TEXT, CF_NR_FK TEXT, CF_NR_WFFF REAL, CF_JDRQ TEXT, CF_YXQ TEXT,"
            " CF_GSJZQ TEXT, CF_CFJG TEXT, CF_SJLY TEXT, GXSJ TEXT)"
        )
        out = frame.copy()
        out["GXSJ"] = pd.to_datetime(out["GXSJ"]).dt.strftime("%Y-%m-%d %H:%M:%S")
        out["CF_NR_FK"] = out["CF_NR_FK"].map(lambda x: None if x is None or x != x else str(x))
        out.to_sql(XQ_TABLE, con, if_exists="append", index=False, chunksize=50_000)
        con.commit()
    finally:
        con.close()


def load(ctx: DemoContext) -> None:
    cur = ctx.cur
    ents = cur.execute("SELECT id, uscc, name, legal_rep, address FROM enterprise ORDER BY id").df()
    if ents.empty:
        return
    ins = _inspections(ctx, ents)

    # a few evidence files on the demo supervisor's recent inspections
    from sgld import attachments

    dept = ctx.ids.get("department", {}).get("市场监管局")
    if dept is not None:
        recent = cur.execute(
            "SELECT id FROM inspection WHERE department_id = ? ORDER BY inspected_at DESC LIMIT 8", [dept]
        ).fetchall()
        for (iid,) in recent:
            data = evidence_pdf(f"Inspection record {iid}")
            f = attachments.Checked(f"现场检查记录-{iid}.pdf", "pdf", data, hashlib.sha256(data).hexdigest())
            attachments.attach(cur, None, "inspection", iid, f)

    # the simulated 行权系统; the market-supervision enterprises inspected
    # recently come first, so the demo profile shows inspections beside penalties
    inspected = (
        ins.loc[ins["department_id"] == dept, "enterprise_id"].drop_duplicates().tail(40)
        if dept is not None
        else pd.Series(dtype="int64")
    )
    order = pd.concat([ents[ents["id"].isin(inspected)], ents[~ents["id"].isin(inspected)]])
    frame = _penalty_rows(ctx, order.reset_index(drop=True))
    path = settings.get().data_dir / "xingquan.sqlite"
    write_xingquan(path, frame)
    now = ctx.now
    cur.execute(
        "INSERT INTO penalty_source (name, kind, location, table_name, watermark_column,"
        " column_mapping, enabled, created_at, updated_at) VALUES (?, 'sql', ?, ?, 'ID', ?, TRUE, ?, ?)",
        ["行权系统", f"sqlite:///{path.resolve()}", XQ_TABLE, json.dumps(XQ_MAPPING, ensure_ascii=False), now, now],
    )
    from sgld.services import penalty

    result = penalty.sync_source(None, "行权系统", trigger="演示数据")
    ctx.counts["penalty"] = result["imported"]
    ctx.counts["penalty_quarantine"] = result["quarantined"]
