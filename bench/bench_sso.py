"""Benchmark of single sign-on: what an SSO login costs the server.

    .venv/bin/python bench/bench_sso.py [--scale N] [--db PATH] [-n 200]

Builds a demo database at ``--scale`` in a temporary folder (or copies
``--db``), then measures:

* ``sso.login`` for a mapped identity (lookup + session check + audited
  write), by claim and by trusted header, single-threaded and 8 threads;
* a refused identity (lookup + audited refusal);
* the per-run gate overhead of the SSO checks (settings, [auth] validation,
  loopback check) that every script run of every page pays;
* ``sso.list_bindings`` (admin tab; aggregates the audit log).

Issue 8 sets no numeric target; the reference is the foundation's login
budget (a password login < 0.5 s, see sgld/services/accounts.py) and a gate
that stays well under 1 ms per run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AUTH = {
    "redirect_uri": "https://sgld.example.gov.cn/oauth2callback",
    "cookie_secret": "c" * 48,
    "client_id": "sgld",
    "client_secret": "s",
    "server_metadata_url": "https://iam.example.gov.cn/.well-known/openid-configuration",
}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def show(label: str, secs: list[float]) -> None:
    print(
        f"{label:<52} median {statistics.median(secs) * 1000:8.3f} ms   "
        f"p95 {pct(secs, 95) * 1000:8.3f} ms   (n={len(secs)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--db", help="use a copy of this database instead of building one")
    ap.add_argument("-n", type=int, default=200)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_sso_"))
    os.environ.update(
        {
            "SGLD_DB": str(tmp / "sgld.duckdb"),
            "SGLD_DATA_DIR": str(tmp / "data"),
            "SGLD_MODE": "demo",
            "SGLD_SSO_MODE": "both",
            "SGLD_TRUSTED_HEADER": "X-Remote-User",
        }
    )
    from db import connection
    from sgld import settings
    from sgld.services import accounts, sso

    settings.reset()
    try:
        t = time.perf_counter()
        if args.db:
            shutil.copyfile(args.db, tmp / "sgld.duckdb")
            db = connection.get_db()
            print(f"database: copy of {args.db}")
        else:
            from sgld import demo

            db = connection.get_db()
            demo.load(scale=args.scale)
            print(f"database: demo scale {args.scale}, built in {time.perf_counter() - t:.1f} s")
        users = db.scalar("SELECT count(*) FROM app_user")
        audit_rows = db.scalar("SELECT count(*) FROM audit_log")
        print(f"accounts {users}, audit rows {audit_rows}\n")

        n = args.n
        show(
            "sso.login (claim -> supervisor, audited)",
            timed(lambda: sso.login({"preferred_username": "supervisor"}, via="oidc"), n),
        )
        show("sso.login (trusted header -> approver, audited)", timed(lambda: sso.login("approver", via="header"), n))
        show(
            "password login for comparison (bcrypt)",
            timed(lambda: accounts.authenticate("leader", "Sgld@2026"), max(10, n // 10)),
        )

        def refused():
            try:
                sso.login({"preferred_username": "nobody"}, via="oidc")
            except sso.SsoRefused:
                pass

        show("refused identity (lookup + audited refusal)", timed(refused, n))

        def gate():
            sso.config()
            sso.check_auth_section(AUTH)
            sso.header_mode_problem("X-Remote-User", "127.0.0.1")

        show("gate overhead per run (settings, [auth], loopback)", timed(gate, n * 10))

        admin = accounts.actor_by_username("admin")
        show("sso.list_bindings (admin tab)", timed(lambda: sso.list_bindings(admin), 20))

        users8 = ["supervisor", "supervisor2", "supervisor3", "approver", "approver2", "leader", "liaison", "liaison2"]
        total = n * 4
        t = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: sso.login({"preferred_username": users8[i % 8]}, via="oidc"), range(total)))
        dt = time.perf_counter() - t
        print(f"{'8 threads: SSO logins':<52} {total / dt:8.0f} logins/s ({total} in {dt:.2f} s)")
    finally:
        connection.reset()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
