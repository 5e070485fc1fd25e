"""Multi-process figures (issue 21) on a throw-away PostgreSQL cluster
(tests/pg_cluster.py, Debian's postgresql package):

* the per-run read of the shared data version (``audit.refresh_data_version``);
* what moving it adds to an audited write (one UPDATE per transaction);
* leader takeover: time from SIGKILL of the leading process to the other's lead.

    .venv/bin/python bench/bench_multiprocess.py [--n 2000]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--retry", type=float, default=1.0, help="SGLD_LEADER_RETRY_SECONDS")
    args = ap.parse_args()
    from tests.pg_cluster import Cluster

    cluster = Cluster()
    tmp = Path(tempfile.mkdtemp(prefix="sgld-bench-mp-"))
    os.environ.update(
        {
            "SGLD_DB": cluster.create("bench_mp"),
            "SGLD_DATA_DIR": str(tmp / "data"),
            "SGLD_MODE": "demo",
            "SGLD_MAINTENANCE": "off",
        }
    )
    from db.connection import get_db
    from sgld import audit

    db = get_db()

    # 1. the read every page run makes
    for _ in range(100):
        audit.refresh_data_version()
    t_read = []
    for _ in range(args.n):
        t = time.perf_counter()
        audit.refresh_data_version()
        t_read.append((time.perf_counter() - t) * 1e3)
    print(
        f"refresh_data_version: p50 {statistics.median(t_read):.3f} ms, "
        f"p95 {pct(t_read, 0.95):.3f} ms ({args.n} calls, Unix socket)"
    )

    # 2. an audited write with and without moving the shared version
    def write_once(i: int) -> None:
        def fn(cur):
            audit.record(cur, None, "bench", "bench", str(i), after={"i": i})

        db.write(fn)

    def timed(n: int) -> list[float]:
        out = []
        for i in range(n):
            t = time.perf_counter()
            write_once(i)
            out.append((time.perf_counter() - t) * 1e3)
        return out

    timed(50)
    rounds: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(5):  # interleaved, so drift hits both alike
        for label in ("with", "without"):
            audit._shared = label == "with"
            rounds[label] += timed(args.n // 10)
    audit._shared = True
    w, wo = statistics.median(rounds["with"]), statistics.median(rounds["without"])
    print(f"audited write (one thread): p50 {w:.3f} ms with the shared version, {wo:.3f} ms without (+{w - wo:.3f} ms)")

    # 3. leader takeover
    env = dict(os.environ, SGLD_LEADER_RETRY_SECONDS=str(args.retry))
    marks = tmp / "leaders"
    marks.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.leader_proc", str(marks)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    try:
        end = time.monotonic() + 60
        while len(list(marks.glob("*.leader"))) != 1 and time.monotonic() < end:
            time.sleep(0.05)
        first = int(next(marks.glob("*.leader")).stem)
        other = next(p for p in procs if p.pid != first)
        time.sleep(2 * args.retry)
        os.kill(first, signal.SIGKILL)
        t = time.monotonic()
        while not (marks / f"{other.pid}.leader").exists() and time.monotonic() - t < 30:
            time.sleep(0.005)
        print(
            f"leader takeover after SIGKILL: {(time.monotonic() - t) * 1e3:.0f} ms "
            f"(retry interval {args.retry * 1e3:.0f} ms)"
        )
    finally:
        for p in procs:
            p.kill()
            p.wait()
        db.close()
        cluster.stop()


if __name__ == "__main__":
    main()
