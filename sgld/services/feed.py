"""Pull feed for department systems (issue 18, outbound side).

A department system pulls, since a cursor, the events addressed to its
department: its pushes (``push.created``) and opened claims
(``claim.opened``), the status changes of licences whose case it sees
(``licence.status_changed``), and the decisions on its revocation requests
(``request.decided``; a refusal carries the written explanation 书面说明).
The events are the outbox rows (:mod:`sgld.services.outbox`), so a pulled
event has the same id and JSON as the webhook delivery of it: a system may
use both and dedupe by id.

Data scope is that of a person of the department: a supervisor (or any
actor of a supervision / licensing department) reads only its own
department's stream; the bureau's roles (admin, leader, approver) may read
any department's by passing ``department_id``.  The events were addressed
by the same rules the pages apply (a push to the department, a case pushed
or opened to it, its own requests).

The cursor is opaque (base64 of the department and the last id read);
a cursor of another department is refused.  ``None`` starts at the
beginning; :func:`latest_cursor` starts at "now".  Plain functions taking
``actor``: the HTTP layer and the tests call them.
"""

from __future__ import annotations

import base64
import json

from db.connection import get_db
from sgld import validate as v
from sgld.errors import PermissionDenied, ValidationError
from sgld.security import Actor, require
from sgld.services import outbox

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_DEPT_ROLES = ("supervisor",)
_BUREAU_ROLES = ("admin", "leader", "approver")


def _department(actor: Actor, department_id) -> int:
    require(actor, *_DEPT_ROLES, *_BUREAU_ROLES, action="拉取推送事件")
    bureau = actor.has(*_BUREAU_ROLES)
    if department_id is None:
        if bureau and not actor.has(*_DEPT_ROLES):
            raise ValidationError("请指定要拉取哪个部门的推送事件。", field="department_id")
        return actor.department_id
    did = v.integer(department_id, "部门", minimum=1, maximum=v.MAX_ID)
    if did != actor.department_id and not bureau:
        raise PermissionDenied(f"您没有权限拉取其他部门的推送事件：只能拉取本部门（{actor.department_name}）的事件。")
    return did


def encode_cursor(department_id: int, after: int) -> str:
    raw = json.dumps({"v": 1, "d": int(department_id), "a": int(after)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, department_id: int) -> int:
    """The last event id read, from a cursor of ``department_id``."""
    if cursor is None or cursor == "":
        return 0
    bad = ValidationError(
        "游标（cursor）无效：请使用上一次拉取返回的 next_cursor，或不带游标从头拉取。", field="cursor"
    )
    try:
        s = str(cursor)
        if len(s) > 200:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
        after, dept = data["a"], data["d"]
        if (
            data.get("v") != 1
            or not isinstance(after, int)
            or not isinstance(dept, int)
            or isinstance(after, bool)
            or not 0 <= after <= v.MAX_ID
        ):
            raise ValueError
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
        raise bad from None
    if dept != department_id:
        raise ValidationError("该游标属于其他部门，不能用于本部门的拉取。", field="cursor")
    return after


def pull(
    actor: Actor, cursor: str | None = None, *, limit: int = DEFAULT_LIMIT, kinds=None, department_id: int | None = None
) -> dict:
    """Events after ``cursor`` in id order, at most ``limit`` (1–500).
    Returns ``{"events": [...], "next_cursor": str, "has_more": bool}``;
    ``next_cursor`` is returned also when nothing is new (poll with it)."""
    did = _department(actor, department_id)
    after = decode_cursor(cursor, did)
    limit = v.integer(limit, "每页条数", minimum=1, maximum=MAX_LIMIT)
    where, params = ["department_id = ?", "id > ?"], [did, after]
    if kinds:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        for k in kinds:
            v.choice(k, tuple(outbox.KINDS), "事件类型")
        where.append(f"kind IN ({','.join('?' * len(kinds))})")
        params += kinds
    rows = get_db().dicts(
        "SELECT id, department_id, kind, payload, created_at FROM outbox_event"
        f" WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
        params + [limit + 1],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1]["id"] if rows else after
    return {"events": [outbox.envelope(r) for r in rows], "next_cursor": encode_cursor(did, last), "has_more": more}


def latest_cursor(actor: Actor, department_id: int | None = None) -> str:
    """A cursor after the department's newest event (to start from now)."""
    did = _department(actor, department_id)
    last = get_db().scalar("SELECT coalesce(max(id), 0) FROM outbox_event WHERE department_id = ?", [did])
    return encode_cursor(did, int(last))
