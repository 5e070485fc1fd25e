"""Data scope: which departments' records an actor reads and writes.

The roles (``sgld.security.ROLES``) and their scope:

==========  ===============================================================
role        reads
==========  ===============================================================
admin       every department (and administers the system)
leader      every department (read only in most features)
approver    every department: the 审批局 serves all of them
supervisor  their own department's records only
liaison     their own department's records only; in the liaison feature
            only their own assignments (``services.liaison`` keeps that
            rule locally)
==========  ===============================================================

An actor holding several roles has the widest scope among them.  Records of
a department are found through a department column (push, claim,
inspection, revocation request, liaison letter …); enterprises through
:func:`enterprise_sql` (the enterprises a department supervises or has
inspected: penalties, the warning list, the enterprise profile).

Writes are checked with ``sgld.security.require_department`` (one's own
department) or the feature's own rule; this module answers reads.
"""

from __future__ import annotations

from sgld.security import Actor

# the roles whose reads are not restricted to a department
CITY_WIDE_ROLES = ("admin", "leader", "approver")


def sees_all_departments(actor: Actor) -> bool:
    """Admins, leaders and approvers read every department's records."""
    return actor.has(*CITY_WIDE_ROLES)


def can_see_department(actor: Actor, department_id: int | None) -> bool:
    """May ``actor`` read a record of ``department_id``?"""
    return sees_all_departments(actor) or actor.department_id == department_id


def scope_department(actor: Actor, requested: int | None = None) -> int | None:
    """The one department the actor's reads are restricted to: their own,
    whatever is ``requested``, unless they see every department; then the
    ``requested`` one (None: no restriction)."""
    if sees_all_departments(actor):
        return requested
    return actor.department_id


def department_sql(
    actor: Actor, column: str, requested: int | None = None, *, prefix: str = " AND "
) -> tuple[str, list]:
    """``(prefix + "column = ?", [department])`` restricting ``column`` to
    :func:`scope_department`, or ``("", [])`` when nothing restricts it."""
    dept = scope_department(actor, requested)
    if not dept:
        return "", []
    return f"{prefix}{column} = ?", [int(dept)]


# The enterprises a department supervises: those it has inspected, and those
# with a case or licence of an item it supervises (``item_department``) —
# (table, join, condition on the department) per source, for both forms below.
_ENTERPRISE_SOURCES = (
    ("inspection", "", "s.department_id = ?"),
    ("approval_case", " JOIN item_department x ON x.item_id = s.item_id", "x.department_id = ?"),
    ("licence", " JOIN item_department x ON x.item_id = s.item_id", "x.department_id = ?"),
)


def enterprise_sql(department_id: int) -> tuple[str, list]:
    """A subquery of the ids of the enterprises ``department_id`` supervises
    (the ``item_department`` of the enterprise's cases or licences) or has
    inspected: for filtering many rows at once."""
    parts = [f"SELECT s.enterprise_id FROM {table} s{join} WHERE {cond}" for table, join, cond in _ENTERPRISE_SOURCES]
    return " UNION ".join(parts), [department_id] * len(parts)


def enterprise_exists(column: str, department_id: int) -> tuple[str, list]:
    """The rule of :func:`enterprise_sql` as a condition on ``column``
    (EXISTS per source): checked from a few given enterprises outward rather
    than building the department's whole scope."""
    parts = [
        f"EXISTS (SELECT 1 FROM {table} s{join} WHERE s.enterprise_id = {column} AND {cond})"
        for table, join, cond in _ENTERPRISE_SOURCES
    ]
    return "(" + " OR ".join(parts) + ")", [department_id] * len(parts)


def enterprise_filter(actor: Actor, column: str, *, prefix: str = " AND ") -> tuple[str, list]:
    """``(prefix + "column IN (…)", params)`` restricting an enterprise id
    column to the actor's scope, or ``("", [])`` when they see every department."""
    if sees_all_departments(actor):
        return "", []
    scope, params = enterprise_sql(actor.department_id)
    return f"{prefix}{column} IN ({scope})", params
