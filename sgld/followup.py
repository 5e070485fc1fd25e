"""The open follow-up supervision tasks (后续监管任务) as a table.

The rule (notice: 监管部门签收后开展后续监管): a push signed by a department
stays a task of that department until it records an inspection of the
push's enterprise dated on or after the day of signing.  ``followup_task``
holds exactly the pushes for which that is still open; every write that can
open or close a task calls one of the functions below in its own
transaction, so the table never disagrees with the rule (:func:`drift`
computes the rule from scratch; the tests compare both after each kind of
write).  Reads — the task list, the sidebar count, the dashboard figure —
scan this small table instead of joining pushes, cases and inspections.
"""

from __future__ import annotations

from datetime import datetime

# pushes for which the rule holds; {where} narrows the pushes (alias p, case c)
_RULE = (
    "SELECT p.id, p.department_id, c.enterprise_id, p.signed_at"
    " FROM push p JOIN approval_case c ON c.id = p.case_id"
    " WHERE p.status = '已签收' AND p.signed_at IS NOT NULL{where}"
    " AND NOT EXISTS (SELECT 1 FROM inspection n WHERE n.department_id = p.department_id"
    " AND n.enterprise_id = c.enterprise_id"
    " AND n.inspected_at >= date_trunc('day', p.signed_at))"
)
_INSERT = "INSERT INTO followup_task (push_id, department_id, enterprise_id, signed_at) "


def signed(cur, push_ids: list[int]) -> None:
    """Pushes just signed become tasks (unless an inspection dated today or
    later already covers them)."""
    if push_ids:
        marks = ",".join("?" * len(push_ids))
        cur.execute(_INSERT + _RULE.format(where=f" AND p.id IN ({marks})"), list(push_ids))


def inspected(cur, department_id: int, enterprise_id: int, inspected_at: datetime) -> None:
    """A new inspection closes the department's tasks for the enterprise
    signed on or before its day."""
    cur.execute(
        "DELETE FROM followup_task WHERE department_id = ? AND enterprise_id = ? AND date_trunc('day', signed_at) <= ?",
        [department_id, enterprise_id, inspected_at],
    )


def refresh(cur, department_id: int, enterprise_ids) -> None:
    """Recompute the department's tasks for these enterprises (after a
    corrected inspection: its date or enterprise may have changed)."""
    ids = sorted({int(e) for e in enterprise_ids if e is not None})
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    cur.execute(
        f"DELETE FROM followup_task WHERE department_id = ? AND enterprise_id IN ({marks})", [department_id, *ids]
    )
    cur.execute(
        _INSERT + _RULE.format(where=f" AND p.department_id = ? AND c.enterprise_id IN ({marks})"),
        [department_id, *ids],
    )


def rebuild(cur) -> None:
    """The whole table from the rule (after a bulk load of demo data)."""
    cur.execute("DELETE FROM followup_task")
    cur.execute(_INSERT + _RULE.format(where=""))


def drift(cur) -> tuple[int, int]:
    """(tasks missing from the table, rows in it that are not tasks or are
    there twice)."""
    rule = _RULE.format(where="")
    missing = cur.execute(
        f"SELECT count(*) FROM ({rule}) r WHERE r.id NOT IN (SELECT push_id FROM followup_task)"
    ).fetchone()[0]
    extra = cur.execute(
        f"SELECT count(*) FROM followup_task t WHERE t.push_id NOT IN (SELECT id FROM ({rule}) r)"
    ).fetchone()[0]
    twice = cur.execute("SELECT count(*) - count(DISTINCT push_id) FROM followup_task").fetchone()[0]
    return missing, extra + twice
