"""The configured sources of the 行权系统 (a database table or a folder):
their settings, watermark and a connection test.  The adapters that read
them are in :mod:`sgld.penalty_sources`."""

from __future__ import annotations

import json

from db.connection import get_db
from sgld import audit, clock
from sgld import penalty_sources as ps
from sgld import validate as v
from sgld.errors import NotFound, ValidationError
from sgld.security import Actor, require


def _source_row(name: str) -> dict:
    rows = get_db().dicts("SELECT * FROM penalty_source WHERE name = ?", [name])
    if not rows:
        raise NotFound(f"数据源“{name}”不存在。")
    return rows[0]


def list_sources(actor: Actor) -> list[dict]:
    require(actor, "admin", "approver", "leader", action="查看行政处罚数据源")
    rows = get_db().dicts("SELECT * FROM penalty_source ORDER BY name")
    for r in rows:
        r["mapping"] = json.loads(r["column_mapping"] or "{}")
        r["watermark_text"] = ps.describe_watermark(ps.load_json(r["watermark"]))
    return rows


def save_source(
    actor: Actor,
    *,
    name: str,
    kind: str,
    location: str,
    table_name: str | None = None,
    watermark_column: str | None = None,
    column_mapping: dict | str | None = None,
    enabled: bool = True,
) -> None:
    """Create or update a source (the watermark is kept)."""
    require(actor, "admin", action="维护行政处罚数据源")
    name = v.text(name, "数据源名称", max_len=40)
    kind = v.choice(kind, ["file", "sql"], "数据源类型")
    location = v.text(location, "连接地址或目录", max_len=500)
    table_name = v.text(table_name, "表名", required=(kind == "sql"), max_len=120)
    watermark_column = v.text(watermark_column, "增量字段", required=False, max_len=120)
    if isinstance(column_mapping, str):
        try:
            column_mapping = json.loads(column_mapping or "{}")
        except json.JSONDecodeError:
            raise ValidationError('列映射应为 JSON 对象，例如 {"decision_no": "CF_WSH"}。') from None
    if not isinstance(column_mapping or {}, dict):
        raise ValidationError("列映射应为 JSON 对象。")
    mapping = {k: str(val).strip() for k, val in (column_mapping or {}).items() if str(val or "").strip()}
    if kind == "sql":
        if not watermark_column:
            raise ValidationError("数据库数据源须指定增量字段（单调递增的编号或更新时间），才能只读取新数据。")
        ps.SqlAdapter(location, table_name, mapping, watermark_column, None)  # validates the mapping
        if not location.split(":", 1)[0] or "://" not in location:
            raise ValidationError(
                "连接地址应为 SQLAlchemy 格式，例如 sqlite:////srv/xq.sqlite 或"
                " postgresql+psycopg://user:pass@host/db。"
            )

    def tx(cur):
        before = cur.execute(
            "SELECT kind, location, table_name, watermark_column, column_mapping,"
            " enabled FROM penalty_source WHERE name = ?",
            [name],
        ).fetchone()
        now = clock.now()
        mj = json.dumps(mapping, ensure_ascii=False) if kind == "sql" else None
        if before is None:
            cur.execute(
                "INSERT INTO penalty_source (name, kind, location, table_name, watermark_column,"
                " column_mapping, enabled, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, kind, location, table_name, watermark_column, mj, enabled, now, now],
            )
        else:
            cur.execute(
                "UPDATE penalty_source SET kind = ?, location = ?, table_name = ?,"
                " watermark_column = ?, column_mapping = ?, enabled = ?, updated_at = ?"
                " WHERE name = ?",
                [kind, location, table_name, watermark_column, mj, enabled, now, name],
            )
        keys = ("kind", "location", "table_name", "watermark_column", "column_mapping", "enabled")
        audit.record(
            cur,
            actor,
            "create" if before is None else "update",
            "penalty_source",
            name,
            before=None if before is None else dict(zip(keys, before)),
            after=dict(zip(keys, (kind, location, table_name, watermark_column, mj, enabled))),
        )

    get_db().write(tx)


def reset_watermark(actor: Actor, name: str) -> None:
    """Read the source from the beginning at the next run (already stored
    cases are still recognised and not imported twice)."""
    require(actor, "admin", action="重置增量位置")

    def tx(cur):
        row = cur.execute("SELECT watermark FROM penalty_source WHERE name = ?", [name]).fetchone()
        if row is None:
            raise NotFound(f"数据源“{name}”不存在。")
        cur.execute("UPDATE penalty_source SET watermark = NULL, updated_at = ? WHERE name = ?", [clock.now(), name])
        audit.record(
            cur,
            actor,
            "reset_watermark",
            "penalty_source",
            name,
            before={"watermark": row[0]},
            after={"watermark": None},
        )

    get_db().write(tx)


def check_source(actor: Actor, name: str) -> str:
    """Test the connection: how many rows the next run would read."""
    require(actor, "admin", action="测试数据源")
    src = _source_row(name)
    wm = ps.load_json(src["watermark"])
    if src["kind"] == "sql":
        if ps.is_sqlite_path_missing(src["location"]):
            raise ValidationError(f"数据库文件不存在：{src['location']}")
        n = ps.SqlAdapter(
            src["location"], src["table_name"], json.loads(src["column_mapping"] or "{}"), src["watermark_column"], wm
        ).check()
        return f"连接正常：下次同步将读取 {n} 条新记录。"
    files, _ = ps.folder_files(src["location"], wm)
    return f"目录可读：下次同步将读取 {len(files)} 个新文件。"
