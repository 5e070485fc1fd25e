"""Backup and restore of the scale-100 database (issue 10): time of
`python manage.py backup DEST` (a consistent snapshot) and of
`python manage.py restore SRC --force` into a fresh folder, and a check that
the restored copy has the same row count in every table.

    .venv/bin/python bench/bench_backup.py [--scale 100]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, use_database  # noqa: E402


def _counts(path: Path) -> dict[str, int]:
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100)
    args = ap.parse_args()
    db, _ = use_database(args.scale)
    work = Path(tempfile.mkdtemp(prefix="sgld-backup-"))
    try:
        dest = work / "backup.duckdb"
        t = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "backup", str(dest)], cwd=ROOT, check=True,
                       env=os.environ.copy(), stdout=subprocess.DEVNULL)
        backup_s = time.perf_counter() - t
        env = {**os.environ, "SGLD_DB": str(work / "restored" / "sgld.duckdb"),
               "SGLD_DATA_DIR": str(work / "restored" / "data")}
        t = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "restore", str(dest), "--force"], cwd=ROOT,
                       check=True, env=env, stdout=subprocess.DEVNULL)
        restore_s = time.perf_counter() - t
        same = _counts(db) == _counts(work / "restored" / "sgld.duckdb")
        print(f"backup of the scale-{args.scale} database ({db.stat().st_size / 1e6:.0f} MB): "
              f"{backup_s:.1f} s (target ≤ 30 s); restore into a fresh folder: {restore_s:.1f} s; "
              f"every table's row count {'equal' if same else 'DIFFERENT'}; "
              f"load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
