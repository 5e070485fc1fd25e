"""The quarantine: rows a run could not import, with their reasons; a row
corrected and released, or dismissed; the admin's reminder of what waits."""

from __future__ import annotations

import json

import pandas as pd

from db.connection import get_db
from sgld import audit, clock
from sgld import penalty_sources as ps
from sgld import validate as v
from sgld.errors import NotFound, StateError, ValidationError
from sgld.reminders import Reminder
from sgld.security import Actor, require
from sgld.services.penalty import runs
from sgld.services.penalty.base import _INSERT_COLS, QUARANTINE_STATUSES
from sgld.services.penalty.rescue import clean

Q_LABELS = {
    "id": "编号",
    "run_id": "批次",
    "source": "数据源",
    "location": "位置",
    "reason": "原因",
    "status": "状态",
    "created_at": "隔离时间",
    "handled_by": "处理人",
    "handled_at": "处理时间",
    "note": "处理说明",
    "raw_json": "原始数据",
}


def list_quarantine(
    actor: Actor, *, status: str | None = "待处理", run_id: int | None = None, limit: int = 5000
) -> pd.DataFrame:
    """Quarantined rows with their reasons (downloadable per run)."""
    require(actor, "admin", "approver", "leader", action="查看隔离数据")
    sql = f"SELECT {', '.join(Q_LABELS)} FROM penalty_quarantine WHERE 1=1"
    params: list = []
    if status:
        sql += " AND status = ?"
        params.append(v.choice(status, QUARANTINE_STATUSES, "状态"))
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(int(run_id))
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(int(limit))
    return get_db().df(sql, params).rename(columns=Q_LABELS)


def quarantine_item(actor: Actor, qid: int) -> dict:
    """One quarantined row with its values mapped to our fields (for the
    correct-and-release form)."""
    require(actor, "admin", action="处理隔离数据")
    rows = get_db().dicts("SELECT * FROM penalty_quarantine WHERE id = ?", [qid])
    if not rows:
        raise NotFound("隔离记录不存在。")
    row = rows[0]
    raw = json.loads(row["raw_json"])
    values = {k: "" for k in ps.FIELDS}
    mapping = get_db().scalar(
        "SELECT column_mapping FROM penalty_source WHERE name = ? AND kind = 'sql'", [row["source"]]
    )
    try:
        headers = json.loads(mapping) if mapping else ps.match_headers(list(raw))
    except ValidationError:
        headers = {}
    for k, header in headers.items():
        if k in values and header in raw:
            values[k] = raw[header]
    row["raw"] = raw
    row["values"] = values
    return row


def release(actor: Actor, qid: int, values: dict[str, str], note: str | None = None) -> int:
    """Correct a quarantined row and import it; returns the penalty id."""
    require(actor, "admin", action="修正并放行隔离数据")
    note = v.text(note, "处理说明", required=False, max_len=200)
    frame = pd.DataFrame([{k: str(values.get(k) or "") for k in ps.FIELDS} | {"_row": 1}])
    good, problems = clean(frame)
    if problems:
        raise ValidationError("修正后仍有问题：" + "；".join(problems[0]) + "。")
    rec = good.iloc[0]

    def tx(cur):
        row = cur.execute("SELECT status, source, reason FROM penalty_quarantine WHERE id = ?", [qid]).fetchone()
        if row is None:
            raise NotFound("隔离记录不存在。")
        if row[0] != "待处理":
            raise StateError(f"该隔离记录已处理（{row[0]}），不能重复放行。")
        source = row[1]
        if cur.execute(
            "SELECT 1 FROM penalty WHERE source = ? AND decision_no = ?", [source, rec["decision_no"]]
        ).fetchone():
            raise ValidationError(
                f"决定书文号“{rec['decision_no']}”在数据源“{source}”中已存在，"
                "无需放行；如确认是重复数据，请选择“忽略”。"
            )
        from sgld.services import enterprises

        eid = enterprises.ensure(cur, actor, rec["uscc"], rec["entity_name"], rec["legal_rep"] or None)
        now = clock.now()

        def d(x):
            return None if pd.isna(x) else pd.Timestamp(x).date()

        def m(x):
            return None if pd.isna(x) else round(float(x), 6)

        pid = cur.execute(
            f"INSERT INTO penalty ({_INSERT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, (SELECT run_id FROM penalty_quarantine WHERE id = ?)) RETURNING id",
            [
                source,
                rec["decision_no"],
                rec["uscc"],
                eid,
                rec["entity_name"],
                rec["legal_rep"] or None,
                rec["violation_type"] or None,
                rec["facts"] or None,
                rec["basis"] or None,
                rec["category"] or None,
                rec["content"] or None,
                m(rec["fine_wan"]),
                m(rec["confiscation_wan"]),
                d(rec["decision_date"]),
                d(rec["valid_until"]),
                d(rec["publish_until"]),
                rec["authority"] or None,
                rec["data_source_unit"] or None,
                now,
                qid,
            ],
        ).fetchone()[0]
        cur.execute(
            "UPDATE penalty_quarantine SET status = '已放行', handled_at = ?, handled_by = ?,"
            " note = ?, penalty_id = ? WHERE id = ?",
            [now, actor.username, note, pid, qid],
        )
        audit.record(
            cur,
            actor,
            "release",
            "penalty_quarantine",
            qid,
            before={"status": "待处理", "reason": row[2]},
            after={"status": "已放行", "penalty_id": pid, "values": {k: str(values.get(k) or "") for k in ps.FIELDS}},
        )
        return pid

    pid = get_db().write(tx)
    runs._notify(-1)
    return pid


def dismiss(actor: Actor, qid: int, note: str) -> None:
    """Mark a quarantined row as not to be imported (with the reason)."""
    require(actor, "admin", action="忽略隔离数据")
    note = v.text(note, "忽略原因", max_len=200)

    def tx(cur):
        row = cur.execute("SELECT status FROM penalty_quarantine WHERE id = ?", [qid]).fetchone()
        if row is None:
            raise NotFound("隔离记录不存在。")
        if row[0] != "待处理":
            raise StateError(f"该隔离记录已处理（{row[0]}）。")
        cur.execute(
            "UPDATE penalty_quarantine SET status = '已忽略', handled_at = ?, handled_by = ?, note = ? WHERE id = ?",
            [clock.now(), actor.username, note, qid],
        )
        audit.record(
            cur,
            actor,
            "dismiss",
            "penalty_quarantine",
            qid,
            before={"status": "待处理"},
            after={"status": "已忽略", "note": note},
        )

    get_db().write(tx)


def reminders(actor: Actor) -> list[Reminder]:
    if not actor.has("admin"):
        return []
    n = get_db().scalar("SELECT count(*) FROM penalty_quarantine WHERE status = '待处理'") or 0
    return [Reminder("penalty_quarantine", "待处理隔离数据", int(n), "admin")] if n else []
