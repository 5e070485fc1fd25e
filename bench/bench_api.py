"""HTTP API throughput against the real server (``streamlit run server.py``
on a loopback port, on a fresh copy of a demo database):

* inbound cases per second from 8 concurrent clients (each call signed,
  authenticated, checked, recorded in 证照批文库 / 项目库, pushed, audited,
  with its idempotency record), target ≥ 300/s;
* penalties per second in calls of 1,000 rows (the file import's pipeline),
  target ≥ 20,000 rows/s;
* the UI meanwhile: a logged-in supervisor switching pages back to back
  over Streamlit's websocket protocol (``bench/st_client.py``), p50/p95 per
  phase and with no API load (target p95 < 1 s).

Afterwards the server is stopped and the database checked: every case
present once with its audit row, the audit chain valid.  Prints the figures
and ``uptime``.

    .venv/bin/python bench/bench_api.py [--cases 2400] [--threads 8] [--batch 100] [--batches 20] [--scale 1] [--skip-single] [--db-threads N] [--no-ui] [--profile FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from scripts.api_client_example import sign_headers  # noqa: E402


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def post(http, url, key, secret, path, body) -> httpx.Response:
    data = json.dumps(body, ensure_ascii=False).encode()
    h = sign_headers(key, secret, "POST", "/api/v1" + path, "", data)
    return http.post(url + "/api/v1" + path, content=data, headers=h | {"Content-Type": "application/json"})


class UiProbe:
    """A logged-in person using the pages while the API load runs: one
    Streamlit session over the app's own websocket protocol
    (``bench/st_client.py``, as ``bench/load_test.py``) switching between
    首页 and 审批推送 back to back; each page switch is timed and filed under
    the phase running then (:meth:`phase`), with ``think`` seconds between
    switches (a person reading, not a second load generator)."""

    PAGES = ("首页", "审批推送")

    def __init__(self, url: str, username: str = "supervisor", think: float = 1.0):
        self.url, self.username, self.think = url, username, think
        self.label: str | None = None
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self._stop = False
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._thread.start()
        if not self._ready.wait(300):
            raise RuntimeError("UI probe did not log in")
        if self.errors:
            raise RuntimeError(f"UI probe: {self.errors[0]}")

    def phase(self, label: str | None) -> None:
        self.label = label

    def _main(self) -> None:
        import asyncio

        asyncio.run(self._run())

    async def _run(self) -> None:
        import asyncio

        from bench.load_test import PASSWORD, warm_up
        from bench.st_client import StClient

        try:
            await warm_up(self.url)
            async with StClient(self.url, timeout=120) as c:
                await c.open()
                if not await c.login(self.username, PASSWORD):
                    raise RuntimeError(f"login failed: {c.problems() or c.texts()[-3:]}")
                self._ready.set()
                n = 0
                while not self._stop:
                    label = self.label
                    if label is None:
                        await asyncio.sleep(0.05)
                        continue
                    page = self.PAGES[n % len(self.PAGES)]
                    n += 1
                    t = time.perf_counter()
                    await c.goto(page)
                    dt = (time.perf_counter() - t) * 1000
                    if c.problems():
                        self.errors.append(f"{page}: {c.problems()[:2]}")
                    if self.label == label:  # the phase did not end meanwhile
                        self.times.setdefault(label, []).append(dt)
                    await asyncio.sleep(self.think)
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            self.errors.append(f"{type(exc).__name__}: {exc}")
            self._ready.set()

    def report(self, label: str) -> str:
        xs = sorted(self.times.get(label, []))
        if not xs:
            return f"UI during {label}: no page switch timed"
        q = lambda f: xs[min(len(xs) - 1, int(round(f * (len(xs) - 1))))]  # noqa: E731
        return (
            f"UI during {label}: {len(xs)} page switches (首页 ↔ 审批推送, user {self.username}),"
            f" {self.think:g} s apart, p50 {q(0.5):.0f} ms, p95 {q(0.95):.0f} ms, max {xs[-1]:.0f} ms  (target p95 < 1 s)"
        )

    def stop(self) -> None:
        self._stop = True
        self._thread.join(60)


def profiler(srv, out: str):
    """py-spy recording the server process (raw format, for flame graphs)."""
    if not out:
        return None
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            out,
            "--pid",
            str(srv.proc.pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    return spy


def stop_profiler(spy) -> None:
    if spy is not None:
        spy.send_signal(2)
        spy.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=2400)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--batch", type=int, default=100, help="cases per call of POST /cases/batch")
    ap.add_argument("--skip-single", action="store_true", help="only the batch and penalty figures")
    ap.add_argument("--db-threads", default="", help="SGLD_DB_THREADS of the server (default: cores)")
    ap.add_argument(
        "--profile",
        default="",
        help="record the server with py-spy (raw format) into this file during the one-case-per-call run",
    )
    ap.add_argument("--profile-penalties", default="", help="the same during the penalty calls")
    ap.add_argument(
        "--no-ui", action="store_true", help="without the UI probe (a person switching pages while the API load runs)"
    )
    ap.add_argument("--ui-idle", type=float, default=8.0, help="seconds of UI timing before the load")
    ap.add_argument("--ui-think", type=float, default=1.0, help="seconds between the UI's page switches")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench_api_"))
    env = {
        **os.environ,
        "SGLD_DB": str(work / "sgld.duckdb"),
        "SGLD_DATA_DIR": str(work / "data"),
        "SGLD_MODE": "demo",
        "SGLD_MAINTENANCE": "off",
    }
    os.environ.update(env)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "demo", "--scale", str(args.scale)],
        cwd=ROOT,
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo database scale {args.scale}: {time.perf_counter() - t:.0f} s")

    from db import connection
    from sgld import settings
    from sgld.services import api_clients as ac
    from sgld.uscc import make

    settings.reset()
    connection.reset()
    db = connection.get_db()
    dept = dict(db.all("SELECT name, id FROM department"))
    item = db.scalar(
        "SELECT code FROM item WHERE active AND centralised AND EXISTS (SELECT 1 FROM"
        " item_department x WHERE x.item_id = item.id) ORDER BY id LIMIT 1"
    )
    clients = [
        ac.create(
            None,
            name=f"压测平台{i}",
            department_id=dept["投资建设审批处"],
            roles=["approver"],
            scopes=["cases"],
            rate_per_minute=1_000_000,
        )
        for i in range(args.threads)
    ]
    pen = ac.create(
        None,
        name="压测行权系统",
        department_id=dept["南通市行政审批局"],
        roles=["approver"],
        scopes=["penalties"],
        rate_per_minute=1_000_000,
    )
    audit_before = db.scalar("SELECT max(id) FROM audit_log")
    connection.reset()

    from tests.browser_util import Server

    srv = Server(
        work, extra_env={"SGLD_MAINTENANCE": "off", **({"SGLD_DB_THREADS": args.db_threads} if args.db_threads else {})}
    )
    today = date.today().isoformat()
    try:
        per = args.cases // args.threads

        def body(no: str) -> dict:
            code = make("91320602" + str(int(hashlib.sha256(no.encode()).hexdigest(), 16))[:9])
            return {
                "case_no": no,
                "stage": "需监管部门参与环节",
                "item_code": item,
                "uscc": code,
                "enterprise_name": f"压测企业{no}",
                "project_no": f"BP-{no}",
                "reply": "同意",
                "decided_on": today,
            }

        def measure(label: str, tag: str, batch: int) -> None:
            errors: list[str] = []
            done = [0] * args.threads

            def run(i: int) -> None:
                c = clients[i]
                with httpx.Client(timeout=120) as http:
                    for n in range(0, per, batch):
                        nos = [f"BENCH-{tag}-{i}-{k}" for k in range(n, min(n + batch, per))]
                        if batch == 1:
                            r = post(http, srv.url, c["key_id"], c["secret"], "/cases", body(nos[0]))
                            ok = r.status_code == 201
                            done[i] += ok
                        else:
                            r = post(
                                http,
                                srv.url,
                                c["key_id"],
                                c["secret"],
                                "/cases/batch",
                                {"cases": [body(no) for no in nos]},
                            )
                            ok = r.status_code == 200 and r.json()["created"] == len(nos)
                            done[i] += r.json().get("created", 0) if r.status_code == 200 else 0
                        if not ok:
                            errors.append(r.text[:300])

            threads = [threading.Thread(target=run, args=(i,)) for i in range(args.threads)]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            secs = time.perf_counter() - t
            total = sum(done)
            print(
                f"{label}, {args.threads} concurrent clients: {total} cases in {secs:.1f} s = "
                f"{total / secs:.0f} cases/s, errors {len(errors)}  (target ≥ 300/s)"
            )
            if errors:
                print("  first error:", errors[0])
            print(uptime())

        ui = None if args.no_ui else UiProbe(srv.url, think=args.ui_think)

        def phase(label: str | None) -> None:
            if ui is not None:
                ui.phase(label)

        if ui is not None:  # the same page switches with no API load, for comparison
            phase("no API load")
            time.sleep(args.ui_idle)
            phase(None)
            print(ui.report("no API load"))
        # warm-up: one call
        with httpx.Client(timeout=60) as http:
            r = post(http, srv.url, clients[0]["key_id"], clients[0]["secret"], "/cases", body("BENCH-WARM"))
            assert r.status_code == 201, r.text
        print(uptime())
        if not args.skip_single:
            spy = profiler(srv, args.profile)
            phase("POST /cases")
            measure("inbound cases, one per call (POST /cases)", "S", 1)
            phase(None)
            stop_profiler(spy)
            if ui is not None:
                print(ui.report("POST /cases"))
        phase("POST /cases/batch")
        measure(f"inbound cases, {args.batch} per call (POST /cases/batch)", "B", args.batch)
        phase(None)
        if ui is not None:
            print(ui.report("POST /cases/batch"))

        rows_total, t_pen, per_call = 0, 0.0, []
        with httpx.Client(timeout=300) as http:  # warm-up: the first call loads the pipeline's modules
            r = post(
                http,
                srv.url,
                pen["key_id"],
                pen["secret"],
                "/penalties",
                {
                    "records": [
                        {
                            "entity_name": "压测预热企业",
                            "uscc": make("913206039" + "0" * 8),
                            "decision_no": "通压测罚〔2026〕预热号",
                            "decision_date": today,
                        }
                    ]
                },
            )
            assert r.status_code == 201, r.text
        spy = profiler(srv, args.profile_penalties)
        phase("POST /penalties")
        with httpx.Client(timeout=300) as http:
            for b in range(args.batches):
                recs = [
                    {
                        "entity_name": f"压测处罚企业{b}-{k}",
                        "uscc": make("91320603" + str(b * 1000 + k).zfill(9)),
                        "decision_no": f"通压测罚〔2026〕{b}-{k}号",
                        "decision_date": today,
                        "category": "罚款",
                        "fine_wan": "1.2",
                        "authority": "南通市市场监督管理局",
                    }
                    for k in range(1000)
                ]
                t = time.perf_counter()
                r = post(http, srv.url, pen["key_id"], pen["secret"], "/penalties", {"records": recs})
                t_pen += time.perf_counter() - t
                per_call.append(time.perf_counter() - t)
                assert r.status_code == 201, r.text
                rows_total += r.json()["imported"]
        phase(None)
        stop_profiler(spy)
        print(
            f"penalties, calls of 1,000 rows: {rows_total} rows in {t_pen:.1f} s = "
            f"{rows_total / t_pen:,.0f} rows/s  (target ≥ 20,000 rows/s); median call"
            f" {sorted(per_call)[len(per_call) // 2] * 1000:.0f} ms, slowest {max(per_call) * 1000:.0f} ms"
        )
        print(uptime())
        if ui is not None:
            print(ui.report("POST /penalties"))
            if ui.errors:
                print("  UI problems:", ui.errors[:3])
            ui.stop()
    finally:
        srv.stop()

    connection.reset()
    db = connection.get_db()
    cases = db.scalar("SELECT count(*) FROM approval_case WHERE case_no LIKE 'BENCH-%'")
    dups = db.scalar("SELECT count(*) - count(DISTINCT case_no) FROM approval_case WHERE case_no LIKE 'BENCH-%'")
    audited = db.scalar(
        "SELECT count(*) FROM audit_log WHERE id > ? AND action = 'create'"
        " AND object_type = 'case' AND actor LIKE 'api:压测平台%'",
        [audit_before],
    )
    in_batches = db.scalar(
        "SELECT coalesce(sum(CAST(json_extract(after_json, '$.case_count') AS INTEGER)), 0)"
        " FROM audit_log WHERE id > ? AND action = 'import' AND object_type = 'case'"
        " AND actor LIKE 'api:压测平台%'",
        [audit_before],
    )
    print(
        f"database: {cases} bench cases ({dups} duplicates); audited: {audited} one by one, "
        f"{in_batches} in batch audit rows"
    )
    connection.reset()
    v = subprocess.run([sys.executable, "manage.py", "verify-audit"], cwd=ROOT, env=env, capture_output=True, text=True)
    print("verify-audit:", (v.stdout or v.stderr).strip())
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
