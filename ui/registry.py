"""The tabs that features add to 系统管理 (``pages/9_系统管理.py``), in the
order shown: modules with ``TAB_TITLE`` and ``render(actor)``.  A new
``ui/admin_<feature>.py`` tab is listed here (``tests/test_registry.py``
fails otherwise)."""

from __future__ import annotations

from ui import admin_api, admin_calendar, admin_outbox, admin_revocation, admin_sso, admin_supervision

ADMIN_TABS = (
    admin_calendar,
    admin_revocation,
    admin_supervision,
    admin_sso,
    admin_outbox,
    admin_api,
)
