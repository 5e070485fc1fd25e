"""Backup and restore of the scale-100 install: time and size of
`python manage.py backup DEST` (one .sgldbak file: database snapshot, every
referenced attachment, manifest), time of `python manage.py restore SRC
--force` into empty folders, and checks on the restored copy: the same row
count in every table, every attachment present and equal by SHA-256, the
audit chain verified (and the time `verify-audit` takes).

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
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        ]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def _attachments(db: Path, data: Path) -> tuple[int, int]:
    """(attachments whose blob is present with the right hash, referenced)."""
    import hashlib

    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        shas = [r[0] for r in con.execute("SELECT DISTINCT sha256 FROM attachment").fetchall()]
    finally:
        con.close()
    ok = 0
    for sha in shas:
        f = data / "files" / sha[:2] / sha[2:4] / sha
        ok += f.is_file() and hashlib.sha256(f.read_bytes()).hexdigest() == sha
    return ok, len(shas)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100)
    args = ap.parse_args()
    db, _ = use_database(args.scale)
    work = Path(tempfile.mkdtemp(prefix="sgld-backup-"))
    try:
        dest = work / "backup.sgldbak"
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "backup", str(dest)],
            cwd=ROOT,
            check=True,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
        )
        backup_s = time.perf_counter() - t
        restored = work / "restored"
        env = {**os.environ, "SGLD_DB": str(restored / "sgld.duckdb"), "SGLD_DATA_DIR": str(restored / "data")}
        # the audit key (demo: <data>/.audit_key) comes with the configuration, not the backup
        key = Path(os.environ["SGLD_DATA_DIR"]) / ".audit_key"
        if key.exists():
            (restored / "data").mkdir(parents=True)
            shutil.copyfile(key, restored / "data" / ".audit_key")
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "restore", str(dest), "--force"],
            cwd=ROOT,
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        restore_s = time.perf_counter() - t
        after = _counts(restored / "sgld.duckdb")
        after["audit_log"] -= 1  # the restore records itself
        same = _counts(db) == after
        ok, total = _attachments(restored / "sgld.duckdb", restored / "data")
        t = time.perf_counter()
        verify = subprocess.run(
            [sys.executable, "manage.py", "verify-audit"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        verify_s = time.perf_counter() - t
        print(
            f"backup of the scale-{args.scale} install (database {db.stat().st_size / 1e6:.0f} MB): "
            f"{backup_s:.1f} s, {dest.stat().st_size / 1e6:.0f} MB .sgldbak (target ≤ 30 s); "
            f"restore into empty folders: {restore_s:.1f} s; every table's row count "
            f"{'equal' if same else 'DIFFERENT'} (plus the restore's own audit row); attachments restored {ok} / {total} referenced; "
            f"verify-audit on the copy: {'OK' if verify.returncode == 0 else 'FAILED'} in "
            f"{verify_s:.1f} s; load average {os.getloadavg()[0]:.1f}"
        )
        if verify.returncode:
            print(verify.stdout[-500:], verify.stderr[-500:])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
