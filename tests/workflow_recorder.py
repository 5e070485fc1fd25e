"""pytest plugin (``-p tests.workflow_recorder``): records every transition
that passes ``sgld.workflows.check`` while the tests run, and at the end
writes them — ``[workflow, action, from_state]`` rows — as JSON to the file
named by ``SGLD_WORKFLOW_RECORD``.  ``tests/test_workflows.py`` runs the
service test modules with it and compares the record with the tables."""

from __future__ import annotations

import json
import os

from sgld import workflows

_seen: set[tuple[str, str, str]] = set()


def pytest_configure(config) -> None:
    workflows.observe(lambda wf, action, state: _seen.add((wf, action, state)))


def pytest_sessionfinish(session, exitstatus) -> None:
    path = os.environ.get("SGLD_WORKFLOW_RECORD")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(sorted(_seen), f, ensure_ascii=False)
