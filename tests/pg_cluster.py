"""A throw-away PostgreSQL cluster for the test suite (``SGLD_TEST_BACKEND=postgres``).

Debian's ``postgresql`` package provides the server binaries; the cluster
lives in a temporary folder, listens only on a Unix socket there (no TCP
port), trusts local connections and runs without fsync: nothing in it
outlives the test session.  As root the server runs as the ``postgres``
user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROLE = "sgld"


def bin_dir() -> Path | None:
    """The newest installed server's binaries (or None)."""
    env = os.environ.get("SGLD_PG_BIN")
    if env:
        return Path(env)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    def __init__(self) -> None:
        bins = bin_dir()
        if bins is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bins = bins
        self.dir = Path(tempfile.mkdtemp(prefix="sgld-pg-"))
        self.data = self.dir / "data"
        self._as: list[str] = []
        self._workers: list = []
        self.started = False
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        opts = (
            f"-c listen_addresses='' -k {self.dir} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", opts, "-w", "-t", "60", "start"
        )
        self.started = True
        atexit.register(self.stop)  # also when the session ends without its finish hook
        import psycopg

        with psycopg.connect(self.url("postgres", user="postgres"), autocommit=True) as con:
            con.execute(f"CREATE ROLE {ROLE} LOGIN SUPERUSER")
        self.admin = psycopg.connect(self.url("postgres"), autocommit=True)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self.bins / tool), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def url(self, dbname: str, user: str = ROLE) -> str:
        return f"postgresql://{user}@/{dbname}?host={self.dir}"

    def create(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); its URL."""
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        tpl = f' TEMPLATE "{template}"' if template else " TEMPLATE template0"
        self.admin.execute(f'CREATE DATABASE "{name}"{tpl} OWNER {ROLE}')
        return self.url(name)

    def drop(self, name: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def copies(self, template: str, ahead: int = 2):
        """Names of fresh copies of ``template``, made ``ahead`` at a time by
        a background thread while the tests run (a copy of the demo database
        takes ~0.6 s, most of a test's set-up otherwise)."""
        import queue
        import threading

        import psycopg

        ready: queue.Queue = queue.Queue(maxsize=ahead)
        con = psycopg.connect(self.url("postgres"), autocommit=True)
        self._workers.append(con)

        def work() -> None:
            n = 0
            while self.started:
                n += 1
                name = f"{template}_{n}"
                try:
                    con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER {ROLE}')
                except psycopg.Error as exc:
                    ready.put(exc)
                    return
                ready.put(name)

        threading.Thread(target=work, daemon=True, name=f"pg-copies-{template}").start()

        def take() -> str:
            got = ready.get(timeout=120)
            if isinstance(got, BaseException):
                raise got
            return got

        return take

    def stop(self) -> None:
        try:
            if getattr(self, "admin", None) is not None:
                self.admin.close()
            for con in self._workers:
                con.close()
        finally:
            if self.started:
                subprocess.run(
                    [*self._as, str(self.bins / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                self.started = False
            shutil.rmtree(self.dir, ignore_errors=True)
