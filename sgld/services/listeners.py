"""Listeners called by the supervision services after their commits, listed
in one place.  A listener never undoes the write: its error is logged.

* :data:`ON_PENALTY_SYNC`: ``fn(run_id)`` after a penalty sync run imported
  rows (``services.penalty``).
* :data:`ON_INSPECTION_SAVED`: ``fn(inspection_id, enterprise_id)`` after an
  inspection was recorded or corrected (``services.inspection``).

The listeners' modules must not import the services that call them (the
warning list reads the inspection results' table itself for that reason).
"""

from __future__ import annotations

from sgld.services import warning

ON_PENALTY_SYNC = (warning.on_penalty_sync,)

ON_INSPECTION_SAVED = (warning.on_inspection_saved,)
