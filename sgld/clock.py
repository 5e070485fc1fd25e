"""The one source of "now" (China Standard Time, naive), so tests can move it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.now(TZ).replace(tzinfo=None)


def today() -> date:
    return now().date()


def freeze(at: datetime | None) -> None:
    """Tests only: fix the clock at ``at`` (``None`` releases it)."""
    global _frozen
    _frozen = at
