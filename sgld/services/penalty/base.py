"""What the parts of the penalty extraction share: constants, the error of
a run refused because another is going on, and the lookup tables of the
统一社会信用代码 check."""

from __future__ import annotations

import numpy as np

from sgld import uscc
from sgld.errors import StateError

SOURCE_FILE = "文件导入"
DEMO_SOURCE = "行权系统"
TEXT_FIELDS = [
    "entity_name",
    "legal_rep",
    "decision_no",
    "violation_type",
    "facts",
    "basis",
    "category",
    "content",
    "authority",
    "data_source_unit",
]
STALE_HOURS = 6
QUARANTINE_STATUSES = ("待处理", "已放行", "已忽略")
MAX_WAN = 1e12  # amounts are stored as DECIMAL(18, 6) 万元


class SyncBusy(StateError):
    """Another run is going on (never two runs at once)."""


# -- vectorised validation ----------------------------------------------------
_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(uscc.CHARSET):
    _LUT[ord(_c)] = _i
_WEIGHTS = np.array(uscc.WEIGHTS, dtype=np.int64)
_ALLOWED = np.zeros((32, 32), dtype=bool)  # [first char index][second char index]
for _first, _kinds in uscc.AUTHORITIES.items():
    for _k in _kinds:
        _ALLOWED[uscc.CHARSET.index(_first), uscc.CHARSET.index(_k)] = True


_INSERT_COLS = (
    "source, decision_no, uscc, enterprise_id, entity_name, legal_rep, violation_type,"
    " facts, basis, category, content, fine_wan, confiscation_wan, decision_date,"
    " valid_until, publish_until, authority, data_source_unit, imported_at, run_id"
)

_DATE_FIELDS = (("decision_date", True, True), ("valid_until", False, False), ("publish_until", False, False))
