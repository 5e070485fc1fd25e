"""行政处罚抽取: penalties read from the 行权系统, stored once, linked by
统一社会信用代码; quarantine; sources; runs.

A **run** reads one source (a configured database table or folder, or the
files given on the command line / uploaded) through an adapter of
:mod:`sgld.penalty_sources` in batches of ``BATCH_ROWS``:

1. each batch is normalised and validated vectorised (codes: full-width →
   half-width, spaces removed, upper case, GB 32100 check character computed
   with numpy; dates parsed once per distinct value), rows with a problem go
   to the quarantine with every reason (nothing is dropped);
2. the good rows are handed to DuckDB and inserted with an anti-join on
   (source, 决定书文号) — a case is stored once, so running twice imports
   nothing new; an unknown code creates its enterprise (name and legal
   representative from the record) so every penalty is linked;
3. the whole run is **one transaction**: rows, quarantine, the source's new
   watermark, the run log and **one audit row** (action ``penalty_sync``,
   object ``penalty_run``/run id, with the counts) commit together.  A failure
   midway rolls all of it back — nothing of the batch is imported and the
   watermark stays where it was — and the run is logged as 失败 (with its own
   audit row ``penalty_sync_failed``).

Never two runs at once: a process-wide lock, plus the run state recorded in
``penalty_sync_state`` (run id, owner host:pid, start), so a second caller —
the scheduler, the 立即同步 button, the command line — is refused with a
clear message; a state left by a process that died is taken over and that
run marked failed.

Modules: :mod:`.runs` (a run and its entry points: :func:`import_files`,
:func:`import_records`, :func:`sync_source`, :func:`sync_all`; the run log;
the listeners), :mod:`.pipeline` (the fast path of a batch: Arrow/numpy
validation, DuckDB inserts, quarantining), :mod:`.rescue` (the reference
pandas validation that gives every reason and rescues rows the fast path
misjudged), :mod:`.sources` (configured sources), :mod:`.quarantine`,
:mod:`.records` (the stored penalties) and :mod:`.base` (shared
constants).  The adapters reading a source are :mod:`sgld.penalty_sources`.
This package re-exports the public names.
"""

from __future__ import annotations

from sgld.services.penalty.base import (
    DEMO_SOURCE,
    MAX_WAN,
    QUARANTINE_STATUSES,
    SOURCE_FILE,
    STALE_HOURS,
    TEXT_FIELDS,
    SyncBusy,
)
from sgld.services.penalty.pipeline import (
    BAD_WINDOW,
    _arrow_uscc_ok,
    _import_batches,
    _prepare,
    _store_stage,
    max_bad_share,
)
from sgld.services.penalty.quarantine import Q_LABELS, dismiss, list_quarantine, quarantine_item, release, reminders
from sgld.services.penalty.records import P_LABELS, get_penalty, list_penalties
from sgld.services.penalty.rescue import clean, uscc_valid
from sgld.services.penalty.runs import (
    MAX_RECORDS,
    RUN_LABELS,
    _notify,
    _notify_soon,
    import_files,
    import_records,
    list_runs,
    summary_line,
    sync_all,
    sync_source,
    sync_status,
)
from sgld.services.penalty.sources import check_source, list_sources, reset_watermark, save_source

__all__ = [
    "BAD_WINDOW",
    "DEMO_SOURCE",
    "MAX_RECORDS",
    "MAX_WAN",
    "P_LABELS",
    "QUARANTINE_STATUSES",
    "Q_LABELS",
    "RUN_LABELS",
    "SOURCE_FILE",
    "STALE_HOURS",
    "TEXT_FIELDS",
    "SyncBusy",
    "_arrow_uscc_ok",
    "_import_batches",
    "_notify",
    "_notify_soon",
    "_prepare",
    "_store_stage",
    "check_source",
    "clean",
    "dismiss",
    "get_penalty",
    "import_files",
    "import_records",
    "list_penalties",
    "list_quarantine",
    "list_runs",
    "list_sources",
    "max_bad_share",
    "quarantine_item",
    "release",
    "reminders",
    "reset_watermark",
    "save_source",
    "summary_line",
    "sync_all",
    "sync_source",
    "sync_status",
    "uscc_valid",
]
