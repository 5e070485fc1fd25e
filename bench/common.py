"""Shared benchmark helpers: a scale-N demo database built once and reused."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def use_database(scale: int, *, rebuild: bool = False) -> tuple[Path, float | None]:
    """Point SGLD_* at bench/out/scale<N>/ and build it with `manage.py demo
    --scale N` unless it exists.  Returns (db path, build seconds or None)."""
    folder = OUT / f"scale{scale}"
    db = folder / "sgld.duckdb"
    os.environ["SGLD_DB"] = str(db)
    os.environ["SGLD_DATA_DIR"] = str(folder / "data")
    os.environ["SGLD_MODE"] = "demo"
    built = None
    if rebuild and folder.exists():
        import shutil

        shutil.rmtree(folder)
    if not db.exists():
        folder.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "demo", "--scale", str(scale)], cwd=ROOT, check=True, env=os.environ.copy()
        )
        built = time.perf_counter() - t
    return db, built


def timed(fn, runs: int = 20) -> dict:
    """p50/p95 in milliseconds over ``runs`` calls (after one warm-up)."""
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p95": samples[int(0.95 * (len(samples) - 1))], "runs": runs}


def report(name: str, stats: dict, target: str = "") -> None:
    print(
        f"{name}: p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms over {stats['runs']} runs"
        + (f"  (target {target})" if target else "")
    )
