"""Small lookups of the open database (department names, item categories,
inspection results) kept until the next committed write."""

from __future__ import annotations

import threading

from db.connection import get_db
from sgld import audit

_meta_lock = threading.Lock()
_meta: dict = {}


def _cached(name: str, load):
    """``load(db)``: a small lookup of the open database (its tables,
    department names, item categories…), kept until the next committed write
    (:func:`sgld.audit.data_version`) or another database is opened.  Inside a
    write transaction it is read afresh (the transaction may have changed it).
    Callers must not change the value."""
    db = get_db()
    if db.in_transaction:
        return load(db)
    key = (id(db), audit.data_version())  # read before loading: a write meanwhile reloads
    with _meta_lock:
        hit = _meta.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = load(db)
    with _meta_lock:
        _meta[name] = (key, value)
    return value


def _categories() -> list[str]:
    return _cached("categories", lambda db: [r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")])


def _dept_names() -> dict[int, str]:
    return _cached("dept_names", lambda db: dict(db.all("SELECT id, name FROM department")))


def department_ids() -> dict[str, int]:
    """Department name -> id (the pages colour each department by its id)."""
    return {name: i for i, name in _dept_names().items()}


def _inspection_results() -> list[str]:
    return _cached(
        "inspection_results", lambda db: [r[0] for r in db.all("SELECT name FROM inspection_result ORDER BY sort")]
    )
