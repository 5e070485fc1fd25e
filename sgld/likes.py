"""LIKE patterns built from user-typed text: ``%`` and ``_`` (and the escape
character itself) match literally. Every pattern built here must be used
with the ``ESCAPE`` clause: ``f"col LIKE ?{ESC}"``."""

from __future__ import annotations

ESC = " ESCAPE '\\'"


def escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str) -> str:
    """Pattern for 'column contains text'."""
    return "%" + escape(text) + "%"


def prefix(text: str) -> str:
    """Pattern for 'column starts with text'."""
    return escape(text) + "%"
