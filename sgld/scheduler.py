"""In-app scheduled penalty extraction.

One background thread per server process (:func:`start` is idempotent),
waking every ``SGLD_PENALTY_SYNC_MINUTES`` minutes (0 or empty: off) to run
:func:`sgld.services.penalty.sync_all`.  Never two runs at once: the
service holds a process-wide lock and records the running run in
``penalty_sync_state``; a tick that finds a run going on (the 立即同步
button, the command line) skips instead of waiting, and is logged.
"""

from __future__ import annotations

import logging
import os
import threading

from sgld import settings
from sgld.errors import ConfigError, SgldError

log = logging.getLogger(__name__)

_start_lock = threading.Lock()
_tick_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()
last_result: dict = {}


def interval_minutes() -> float:
    raw = str(settings.get().get("PENALTY_SYNC_MINUTES", "60")).strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"配置项 SGLD_PENALTY_SYNC_MINUTES 应为分钟数，当前为 {raw!r}") from None
    if value < 0:
        raise ConfigError("配置项 SGLD_PENALTY_SYNC_MINUTES 不能为负数")
    return value


def tick() -> list[dict] | None:
    """One scheduled run of every enabled source; ``None`` when skipped
    because a run is already going on."""
    from sgld.services import penalty

    if not _tick_lock.acquire(blocking=False):
        log.info("penalty sync tick skipped: the previous tick is still running")
        return None
    try:
        results = penalty.sync_all(None, trigger="定时")
        last_result.update({"results": results, "skipped": False})
        log.info("scheduled penalty sync: %s", penalty.summary_line(results))
        return results
    except penalty.SyncBusy as exc:
        last_result.update({"skipped": True, "message": str(exc)})
        log.info("scheduled penalty sync skipped: %s", exc)
        return None
    except SgldError as exc:
        log.warning("scheduled penalty sync failed: %s", exc)
        return None
    finally:
        _tick_lock.release()


def _loop(seconds: float) -> None:
    while not _stop.wait(seconds):
        try:
            tick()
        except Exception:  # noqa: BLE001 - the thread must survive any failure
            log.exception("scheduled penalty sync crashed")


def start(minutes: float | None = None) -> bool:
    """Start the scheduler thread of this process (once); returns whether a
    thread was started by this call."""
    global _thread
    minutes = interval_minutes() if minutes is None else minutes
    if minutes <= 0:
        return False
    with _start_lock:
        if _thread is not None and _thread.is_alive():
            return False
        _stop.clear()
        _thread = threading.Thread(target=_loop, args=(minutes * 60,), name="sgld-penalty-sync", daemon=True)
        _thread.start()
        log.info("penalty sync scheduler started: every %s minutes (pid %s)", minutes, os.getpid())
        return True


def running() -> bool:
    return _thread is not None and _thread.is_alive()


def stop(timeout: float = 5.0) -> None:
    global _thread
    _stop.set()
    if _thread is not None:
        _thread.join(timeout)
    _thread = None
