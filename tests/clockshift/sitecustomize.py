"""Test servers only (tests/test_special_review_browser.py): on PYTHONPATH
with SGLD_TEST_CLOCK_SHIFT_FILE set, ``sgld.clock.now`` runs that many
minutes ahead of the real clock, read from the file on every call, so a
browser test can move a live server's clock (e.g. past a scheduled meeting).
Nothing in the application imports or knows this module."""

import os

_path = os.environ.get("SGLD_TEST_CLOCK_SHIFT_FILE")
if _path:
    from datetime import timedelta

    import sgld.clock as _clock

    _real_now = _clock.now

    def _shifted_now():
        try:
            with open(_path, encoding="ascii") as f:
                minutes = float(f.read().strip() or 0)
        except (OSError, ValueError):
            minutes = 0.0
        return _real_now() + timedelta(minutes=minutes)

    _clock.now = _shifted_now
