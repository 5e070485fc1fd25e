"""行政相对人 / 企业: lookup by 统一社会信用代码 and creation on first use."""

from __future__ import annotations

from db.connection import get_db
from sgld import audit, clock, likes, uscc
from sgld import validate as v
from sgld.errors import NotFound, ValidationError
from sgld.likes import ESC
from sgld.security import ROLES, Actor, require


def find_by_uscc(code: str) -> dict | None:
    """The enterprise with this (normalised) code, or None.  Used by forms to
    fill in the name when a known code is typed."""
    norm = uscc.normalise(code)
    rows = get_db().dicts("SELECT id, uscc, name, legal_rep, address FROM enterprise WHERE uscc = ?", [norm])
    return rows[0] if rows else None


def get(enterprise_id: int) -> dict:
    rows = get_db().dicts(
        "SELECT id, uscc, name, legal_rep, address, created_at FROM enterprise WHERE id = ?", [enterprise_id]
    )
    if not rows:
        raise NotFound("企业不存在。")
    return rows[0]


def search(actor: Actor, text: str, limit: int = 50) -> list[dict]:
    """Enterprises by name (partial) or code (prefix)."""
    require(actor, *ROLES, action="查询企业")
    q = (text or "").strip()
    if not q:
        return []
    norm = uscc.normalise(q)
    return get_db().dicts(
        "SELECT id, uscc, name, legal_rep, address FROM enterprise"
        f" WHERE name LIKE ?{ESC} OR uscc LIKE ?{ESC}"
        " ORDER BY (uscc = ?) DESC, length(name), name LIMIT ?",
        [likes.contains(q), likes.prefix(norm), norm, limit],
    )


def ensure(cur, actor, code: str, name: str | None, legal_rep: str | None = None, address: str | None = None) -> int:
    """Inside the caller's transaction: the id of the enterprise with this code,
    creating it (validated, audited) when unknown.  A known code keeps its
    registered name; ``name`` is required only for a new enterprise."""
    norm = uscc.validate(code)
    row = cur.execute("SELECT id FROM enterprise WHERE uscc = ?", [norm]).fetchone()
    if row:
        return row[0]
    name = v.text(name, "企业名称", max_len=100)
    if name is None:
        raise ValidationError("新企业须填写企业名称。", field="name")
    legal_rep = v.text(legal_rep, "法定代表人", required=False, max_len=40)
    address = v.text(address, "地址", required=False, max_len=200)
    eid = cur.execute(
        "INSERT INTO enterprise (uscc, name, legal_rep, address, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        [norm, name, legal_rep, address, clock.now()],
    ).fetchone()[0]
    audit.record(
        cur,
        actor,
        "create",
        "enterprise",
        eid,
        after={"uscc": norm, "name": name, "legal_rep": legal_rep, "address": address},
    )
    return eid
