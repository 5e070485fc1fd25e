"""The HTTP API against the real server (``streamlit run server.py`` on a
loopback port, demo database): every endpoint with httpx, idempotent
retries, revoked / disabled / unsigned / replayed / expired calls, a client
outside its department, bad input, body size, rate limit, and the OpenAPI
file equal to the served one.  The last test stops the server and checks
the database: nothing written by refused calls, refusals audited, client
names in the audit rows."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from scripts.api_client_example import sign_headers
from tests.browser_util import Server
from tests.conftest import ROOT, _point_at, copy_install

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = date.today().isoformat()


class Api:
    def __init__(self, url, key_id, secret):
        self.url, self.key_id, self.secret = url, key_id, secret
        self.http = httpx.Client(timeout=60)

    def raw(
        self,
        method,
        path,
        body=None,
        *,
        query="",
        headers=None,
        ts=None,
        nonce=None,
        content=None,
        sign=True,
        secret=None,
    ):
        data = (
            content if content is not None else (b"" if body is None else json.dumps(body, ensure_ascii=False).encode())
        )
        full = "/api/v1" + path
        h = {"Content-Type": "application/json"} if data else {}
        if sign:
            h |= sign_headers(self.key_id, secret or self.secret, method, full, query, data, timestamp=ts, nonce=nonce)
        h |= headers or {}
        return self.http.request(method, self.url + full + (f"?{query}" if query else ""), content=data, headers=h)

    def ok(self, method, path, body=None, **kw):
        r = self.raw(method, path, body, **kw)
        assert r.status_code < 300, r.text
        return r.json()


def _code(r):
    return r.json()["error"]["code"]


@pytest.fixture(scope="module")
def env(demo_template, tmp_path_factory):
    """A copy of the demo install with API clients, then the real server on it."""
    from db import connection
    from sgld.services import api_clients as ac

    work = tmp_path_factory.mktemp("api_server")
    copy_install(demo_template, work)
    _point_at(work)
    db = connection.get_db()
    dept = dict(db.all("SELECT name, id FROM department"))
    made = {}

    def mk(name, dname, roles, scopes, rate=None):
        made[name] = ac.create(
            None, name=name, department_id=dept[dname], roles=roles, scopes=scopes, rate_per_minute=rate or 100_000
        )

    mk("审批平台", "投资建设审批处", ["approver"], ["cases"])
    mk("行权系统", "南通市行政审批局", ["approver"], ["penalties"])
    mk("市场监管系统", "市场监管局", ["supervisor"], ["pushes", "inspections", "revocations", "events"])
    mk("环保系统", "生态环境局", ["supervisor"], ["pushes", "inspections", "revocations", "events"])
    mk("水利系统", "水利局", ["supervisor"], ["pushes"])
    mk("已吊销系统", "市场监管局", ["supervisor"], ["pushes"])
    mk("已停用系统", "市场监管局", ["supervisor"], ["pushes"])
    mk("限流系统", "市场监管局", ["supervisor"], ["pushes"], rate=3)
    ac.revoke(None, "已吊销系统")
    ac.set_status(None, "已停用系统", "disabled")
    # an item pushed to 市场监管局 only (not 生态环境局), one opened to 水利局 for claiming
    central = db.one(
        "SELECT i.code FROM item i WHERE i.active AND i.centralised AND EXISTS (SELECT 1 FROM"
        " item_department x WHERE x.item_id = i.id AND x.department_id = ?) AND NOT EXISTS (SELECT 1"
        " FROM item_department x WHERE x.item_id = i.id AND x.department_id = ?) ORDER BY i.id LIMIT 1",
        [dept["市场监管局"], dept["生态环境局"]],
    )[0]
    claimable = db.one(
        "SELECT i.code FROM item i JOIN item_department x ON x.item_id = i.id WHERE i.active AND"
        " NOT i.centralised AND x.department_id = ? ORDER BY i.id LIMIT 1",
        [dept["水利局"]],
    )[0]
    result = db.scalar("SELECT name FROM inspection_result WHERE active ORDER BY sort LIMIT 1")
    by_hand = db.scalar("SELECT case_no FROM approval_case WHERE stage = '办结' ORDER BY id LIMIT 1")
    audit_before = db.scalar("SELECT max(id) FROM audit_log")
    connection.reset()
    srv = Server(work)
    apis = {n: Api(srv.url, m["key_id"], m["secret"]) for n, m in made.items()}
    yield {
        "server": srv,
        "api": apis,
        "central": central,
        "claimable": claimable,
        "result": result,
        "work": work,
        "audit_before": audit_before,
        "by_hand": by_hand,
    }
    srv.stop()


def _uscc(seed: str) -> str:
    from sgld.uscc import make

    digits = str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:9]
    return make("91320602" + digits)


def _case(env, no, stage="需监管部门参与环节", item=None, **kw):
    body = {
        "case_no": no,
        "stage": stage,
        "item_code": item or env["central"],
        "uscc": _uscc(no),
        "enterprise_name": f"接口测试企业{no}",
        "project_no": f"P-{no}",
        "reply": "准予许可",
        "decided_on": TODAY,
    }
    return body | kw


def _query(**q) -> str:
    from urllib.parse import urlencode

    return urlencode({k: val for k, val in q.items() if val is not None})


def _scan(name="批复.pdf", data=PDF):
    return {"name": name, "content_base64": base64.b64encode(data).decode(), "sha256": hashlib.sha256(data).hexdigest()}


def test_whoami_and_openapi_file_matches(env):
    me = env["api"]["审批平台"].ok("GET", "/whoami")
    assert me["client"] == "审批平台" and me["roles"] == ["approver"] and me["scopes"] == ["cases"]
    served = httpx.get(env["server"].url + "/api/v1/openapi.json").json()
    assert served == json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert set(served["paths"]) >= {"/api/v1/cases", "/api/v1/penalties", "/api/v1/pushes/sign"}


def test_documented_curl_helper_works(env, tmp_path):
    """The bash helper of docs/api.md signs requests the server accepts."""
    import re
    import shutil
    import subprocess

    if not (shutil.which("curl") and shutil.which("openssl")):
        pytest.skip("curl or openssl missing")
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    helper = next(b for b in re.findall(r"```bash\n(.*?)```", doc, re.S) if "sgld_call()" in b)
    api = env["api"]["审批平台"]
    body = tmp_path / "case.json"
    body.write_text(json.dumps(_case(env, "API-CURL-1"), ensure_ascii=False), encoding="utf-8")
    script = helper.replace(
        "export SGLD_API_URL=http://127.0.0.1:8501 SGLD_API_KEY_ID=ak_… SGLD_API_SECRET=sk_…",
        f"export SGLD_API_URL={env['server'].url} SGLD_API_KEY_ID={api.key_id} SGLD_API_SECRET={api.secret}",
    )
    out = subprocess.run(
        ["bash", "-c", script + f"\nsgld_call GET /api/v1/whoami; echo\nsgld_call POST /api/v1/cases {body}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    first, second = out.stdout.strip().splitlines()[:2]
    assert json.loads(first)["client"] == "审批平台", out
    assert json.loads(second)["case_no"] == "API-CURL-1", out
    # a query string is signed too: the scope check answers, not the signature check
    q = subprocess.run(
        ["bash", "-c", script + "\nsgld_call GET '/api/v1/pushes?limit=1'"], capture_output=True, text=True, timeout=60
    )
    assert json.loads(q.stdout)["error"]["code"] == "SCOPE_DENIED", q


def test_example_client_script(env):
    """scripts/api_client_example.py: signed calls, non-ASCII path and
    query, paging, the Chinese error."""
    from scripts.api_client_example import ApiError, SgldClient, file_item

    platform = env["api"]["审批平台"]
    c = SgldClient(env["server"].url, platform.key_id, platform.secret)
    assert c.call("GET", "/whoami")["client"] == "审批平台"
    made = c.call("POST", "/cases", _case(env, "API-例-1"))
    assert made["case_no"] == "API-例-1"
    pdf = Path(env["work"]) / "扫描件.pdf"
    pdf.write_bytes(PDF)
    assert c.call("POST", "/cases/API-例-1/scans", {"scans": [file_item(str(pdf))]}, idempotency_key="ex-1")["scan_ids"]
    dept = env["api"]["市场监管系统"]
    d = SgldClient(env["server"].url, dept.key_id, dept.secret)
    (p,) = list(d.pages("/pushes", status="待签收", case_no="API-例-1"))
    assert p["case_no"] == "API-例-1"
    with pytest.raises(ApiError) as e:
        c.call("GET", "/pushes")
    assert e.value.status == 403 and e.value.code == "SCOPE_DENIED" and "接口权限" in e.value.message


def test_case_push_idempotent_retry_and_conflict(env):
    api = env["api"]["审批平台"]
    body = _case(
        env, "API-C1", scans=[_scan()], licence={"licence_no": "API-LIC-1", "kind": "许可证", "issued_on": TODAY}
    )
    r = api.raw("POST", "/cases", body)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["pushes"] and {p["department"] for p in first["pushes"]} >= {"市场监管局"}
    assert first["licences"] == ["API-LIC-1"] and len(first["scan_ids"]) == 1
    again = api.raw("POST", "/cases", body)  # a retry: new nonce, same content
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first
    changed = api.raw("POST", "/cases", body | {"reply": "另一内容"})
    assert changed.status_code == 409 and _code(changed) == "IDEMPOTENCY_CONFLICT"
    # 办结 of the same case concludes it and pushes again
    done = api.raw("POST", "/cases", _case(env, "API-C1", stage="办结", reply="办结"))
    assert done.status_code == 201, done.text
    assert done.json()["stage"] == "办结" and done.json()["pushes"]
    # the same case number at a stage it cannot take
    dup = api.raw("POST", "/cases", _case(env, "API-C1", reply="再来"))
    assert dup.status_code == 409 and _code(dup) == "IDEMPOTENCY_CONFLICT"
    # a case recorded by hand, and an 办结 that does not match the recorded case
    hand = api.raw("POST", "/cases", _case(env, env["by_hand"], stage="办结"))
    assert hand.status_code == 409 and _code(hand) == "CASE_EXISTS", hand.text
    api.ok("POST", "/cases", _case(env, "API-C2"))
    other = api.raw("POST", "/cases", _case(env, "API-C2", stage="办结", uscc=_uscc("other")))
    assert other.status_code == 409 and _code(other) == "CASE_MISMATCH", other.text
    # extra scans through the separate upload call
    up = api.raw("POST", "/cases/API-C1/scans", {"scans": [_scan("补充.pdf")]})
    assert up.status_code == 201 and len(up.json()["scan_ids"]) == 1
    missing = api.raw("POST", "/cases/NO-SUCH/scans", {"scans": [_scan()]})
    assert missing.status_code == 404 and _code(missing) == "NOT_FOUND"


def test_case_batch_through_the_import(env):
    api = env["api"]["审批平台"]
    cases = [_case(env, f"API-B{i}") for i in range(3)]
    cases.append(_case(env, "API-B-BAD", uscc="91320602MA1XXXXXX0"))
    cases.append(_case(env, "API-B-DATE", decided_on="2026-02-30"))
    r = api.raw("POST", "/cases/batch", {"cases": cases})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["created"], got["replayed"], got["refused"]) == (3, 0, 2)
    by_no = {x["case_no"]: x for x in got["results"]}
    assert by_no["API-B0"]["status"] == 201 and by_no["API-B0"]["case"]["pushes"]
    assert by_no["API-B-BAD"]["error"]["code"] == "USCC_INVALID"
    assert by_no["API-B-DATE"]["error"]["code"] == "DATE_INVALID"
    # a retry: the created ones are replayed, nothing is created twice
    again = api.ok("POST", "/cases/batch", {"cases": cases[:3]})
    assert (again["created"], again["replayed"]) == (0, 3)
    assert [x["case"] for x in again["results"]] == [by_no[f"API-B{i}"]["case"] for i in range(3)]
    # the single call sees the batch's record of the same case as the first answer
    single = api.raw("POST", "/cases", cases[0])
    assert single.status_code == 200 and single.json() == by_no["API-B0"]["case"]
    changed = api.ok("POST", "/cases/batch", {"cases": [cases[1] | {"reply": "改了"}]})
    assert changed["results"][0]["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    env.setdefault("bad_cases", []).extend(["API-B-BAD", "API-B-DATE"])


def test_pushes_list_sign_and_department_scope(env):
    env["api"]["审批平台"].ok("POST", "/cases", _case(env, "API-S1"))
    mine = env["api"]["市场监管系统"]
    items, cursor, pages = [], None, 0
    while pages < 3:  # cursor pagination: small pages, no repeats
        q = "limit=2&status=%E5%BE%85%E7%AD%BE%E6%94%B6" + (f"&cursor={cursor}" if cursor else "")
        page = mine.ok("GET", "/pushes", query=q)
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        assert cursor
    assert len({i["id"] for i in items}) == len(items) == 6
    assert items == sorted(items, key=lambda i: i["id"])
    (target,) = mine.ok("GET", "/pushes", query="case_no=API-S1")["items"]
    assert target["status"] == "待签收"
    # another department's system does not even see it
    assert env["api"]["环保系统"].ok("GET", "/pushes", query="case_no=API-S1")["items"] == []
    # another department's system may not sign it: 403, nothing signed
    other = env["api"]["环保系统"].raw("POST", "/pushes/sign", {"push_ids": [target["id"]]})
    assert other.status_code == 403 and _code(other) == "FORBIDDEN"
    signed = mine.ok("POST", "/pushes/sign", {"push_ids": [target["id"]]})
    assert signed["signed"] == 1
    twice = mine.raw("POST", "/pushes/sign", {"push_ids": [target["id"]]})
    assert twice.status_code == 409 and _code(twice) == "STATE_CONFLICT"
    bad = mine.raw("GET", "/pushes", query="cursor=%%%")
    assert bad.status_code == 400 and _code(bad) == "CURSOR_INVALID"
    scope = env["api"]["审批平台"].raw("GET", "/pushes")
    assert scope.status_code == 403 and _code(scope) == "SCOPE_DENIED"


def test_claims(env):
    env["api"]["审批平台"].ok("POST", "/cases", _case(env, "API-K1", item=env["claimable"]))
    water = env["api"]["水利系统"]
    (found,) = water.ok("GET", "/claims", query="case_no=API-K1")["items"]
    assert found and found["status"] == "待领取"
    assert water.ok("POST", "/claims/claim", {"claim_ids": [found["id"]]})["claimed"] == 1


def test_event_feed_pages_in_order_within_the_department(env):
    """GET /events: a department pulls its events since an opaque cursor,
    page by page, in id order; bad and foreign cursors are refused."""
    mine, other = env["api"]["市场监管系统"], env["api"]["环保系统"]
    start = mine.ok("GET", "/events/latest")["next_cursor"]
    other_start = other.ok("GET", "/events/latest")["next_cursor"]
    assert mine.ok("GET", "/events", query=_query(cursor=start)) == {
        "events": [],
        "next_cursor": start,
        "has_more": False,
    }
    nos = [f"API-EV{i}" for i in range(5)]
    for no in nos:
        env["api"]["审批平台"].ok("POST", "/cases", _case(env, no))
    got, cursor, pages = [], start, 0
    while True:
        page = mine.ok("GET", "/events", query=_query(cursor=cursor, limit=2))
        assert len(page["events"]) <= 2
        got += page["events"]
        cursor, pages = page["next_cursor"], pages + 1
        if not page["has_more"]:
            break
    assert pages == 3
    assert [e["data"]["case_no"] for e in got] == nos
    assert [e["kind"] for e in got] == ["push.created"] * 5
    ids = [e["id"] for e in got]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert {e["department_id"] for e in got} == {mine.ok("GET", "/whoami")["department_id"]}
    # polling with the last cursor: nothing new, the same cursor back
    assert mine.ok("GET", "/events", query=_query(cursor=cursor)) == {
        "events": [],
        "next_cursor": cursor,
        "has_more": False,
    }
    # a type filter, and from the beginning
    only = mine.ok("GET", "/events", query=_query(cursor=start, kind="claim.opened"))
    assert only["events"] == []
    head = [e["id"] for e in mine.ok("GET", "/events", query=_query(limit=500))["events"]]
    assert head == sorted(head) and head[0] < ids[0]  # no cursor: from the oldest, in id order
    # the other department saw none of them (not pushed there)
    theirs = other.ok("GET", "/events", query=_query(cursor=other_start, limit=500))["events"]
    assert not {e["data"].get("case_no") for e in theirs} & set(nos)
    # bad input: 4xx, stable code, Chinese message
    for q, status, code in [
        (_query(cursor="%%%"), 400, "CURSOR_INVALID"),
        (_query(cursor="eyJ2IjoxLCJkIjoxLCJhIjotNX0"), 400, "CURSOR_INVALID"),
        (_query(limit="many"), 400, "FIELD_TYPE"),
        (_query(limit=501), 422, "VALIDATION_FAILED"),
        (_query(kind="bogus"), 422, "VALIDATION_FAILED"),
    ]:
        r = mine.raw("GET", "/events", query=q)
        assert r.status_code == status and _code(r) == code, (q, r.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["error"]["message"])
    # another department's cursor, or asking for another department's stream
    foreign = other.raw("GET", "/events", query=_query(cursor=cursor))
    assert foreign.status_code == 400 and _code(foreign) == "CURSOR_INVALID"
    assert "其他部门" in foreign.json()["error"]["message"]
    dept = mine.ok("GET", "/whoami")["department_id"]
    peek = other.raw("GET", "/events", query=_query(department_id=dept))
    assert peek.status_code == 403 and _code(peek) == "FORBIDDEN"
    # without the scope
    r = env["api"]["水利系统"].raw("GET", "/events")
    assert r.status_code == 403 and _code(r) == "SCOPE_DENIED"
    # the example client: all pages at once, the cursor kept in a file
    from scripts.api_client_example import SgldClient, pull_events

    c = SgldClient(env["server"].url, mine.key_id, mine.secret)
    events, last = c.events(start, limit=2)
    assert [e["id"] for e in events] == ids and last == cursor
    kept = Path(env["work"]) / "cursor.txt"
    kept.write_text(start + "\n", encoding="utf-8")
    assert [e["id"] for e in pull_events(c, str(kept))] == ids
    assert kept.read_text(encoding="utf-8").strip() == cursor
    assert pull_events(c, str(kept)) == []


def test_inspection_and_revocation(env):
    mine = env["api"]["市场监管系统"]
    env["api"]["审批平台"].ok(
        "POST",
        "/cases",
        _case(env, "API-R1", licence={"licence_no": "API-LIC-R1", "kind": "许可证", "issued_on": TODAY}),
    )
    body = {
        "uscc": _uscc("API-R1"),
        "inspected_at": f"{TODAY}T00:01",
        "place": "厂区",
        "result": env["result"],
        "inspectors": "张三、李四",
        "evidence": [_scan("现场.pdf")],
    }
    r = mine.raw("POST", "/inspections", body, headers={"Idempotency-Key": "ins-1"})
    assert r.status_code == 201, r.text
    again = mine.raw("POST", "/inspections", body, headers={"Idempotency-Key": "ins-1"})
    assert again.status_code == 200 and again.json() == r.json()
    rev = mine.raw(
        "POST",
        "/revocations",
        {
            "licence_no": "API-LIC-R1",
            "requested_action": "撤销许可决定",
            "facts": "检查发现不符合许可条件",
            "legal_basis": "《行政许可法》第六十九条",
            "source_kind": "日常检查",
            "inspection_ids": [r.json()["inspection_id"]],
        },
    )
    assert rev.status_code == 201, rev.text
    assert rev.json()["request_no"].startswith("XT")
    # a department that does not supervise the enterprise
    out = env["api"]["环保系统"].raw(
        "POST",
        "/revocations",
        {"licence_no": "API-LIC-R1", "requested_action": "撤销许可决定", "facts": "x", "legal_basis": "y"},
    )
    assert out.status_code in (403, 422), out.text


def test_penalties_pipeline(env):
    api = env["api"]["行权系统"]
    good = [
        {
            "entity_name": f"处罚企业{i}",
            "uscc": _uscc(f"pen{i}"),
            "decision_no": f"通API罚〔2026〕{i}号",
            "decision_date": TODAY,
            "category": "罚款",
            "fine_wan": 1.5,
        }
        for i in range(5)
    ]
    bad = [
        {
            "行政相对人名称": "坏数据",
            "统一社会信用代码": "123",
            "行政处罚决定书文号": "通API罚〔2026〕坏",
            "处罚决定日期": TODAY,
        }
    ]
    r = api.raw("POST", "/penalties", {"batch_id": "B1", "records": good + bad})
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["imported"], got["quarantined"], got["rows_read"]) == (5, 1, 6)
    again = api.raw("POST", "/penalties", {"batch_id": "B1", "records": good + bad})
    assert again.status_code == 200 and again.json() == got
    # without a batch id a resend is de-duplicated by the pipeline itself
    dup = api.ok("POST", "/penalties", {"records": good})
    assert dup["imported"] == 0 and dup["duplicates"] == 5
    missing = api.raw("POST", "/penalties", {"records": [{"entity_name": "x"}]})
    assert missing.status_code == 422 and "缺少" in missing.json()["error"]["message"]


def test_refused_authentication(env):
    api = env["api"]["市场监管系统"]
    assert _code(api.raw("GET", "/whoami", sign=False)) == "AUTH_MISSING"
    r = api.raw("GET", "/whoami", secret="sk_wrong")
    assert r.status_code == 401 and _code(r) == "AUTH_BAD_SIGNATURE"
    old = api.raw("GET", "/whoami", ts=int(time.time()) - 3600)
    assert old.status_code == 401 and _code(old) == "AUTH_EXPIRED"
    nonce = secrets.token_urlsafe(18)
    assert api.raw("GET", "/whoami", nonce=nonce).status_code == 200
    replay = api.raw("GET", "/whoami", nonce=nonce)
    assert replay.status_code == 401 and _code(replay) == "AUTH_REPLAY"
    for name in ("已吊销系统", "已停用系统"):
        r = env["api"][name].raw("GET", "/whoami")
        assert r.status_code == 401 and _code(r) == "AUTH_CLIENT_INACTIVE", r.text
        assert "吊销" in r.json()["error"]["message"] or "停用" in r.json()["error"]["message"]
    # a body changed after signing
    body = json.dumps({"push_ids": [1]}).encode()
    h = sign_headers(api.key_id, api.secret, "POST", "/api/v1/pushes/sign", "", body)
    r = httpx.post(
        env["server"].url + "/api/v1/pushes/sign",
        content=body.replace(b"1", b"2"),
        headers=h | {"Content-Type": "application/json"},
    )
    assert r.status_code == 401 and _code(r) == "AUTH_BAD_SIGNATURE"


def test_rate_limit(env):
    api = env["api"]["限流系统"]
    codes = [api.raw("GET", "/whoami").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]


@pytest.mark.parametrize(
    "content, code",
    [
        (b"{not json", "BAD_JSON"),
        (b"[1, 2]", "BAD_JSON"),
        (json.dumps({"case_no": 12}).encode(), "FIELD_TYPE"),
    ],
)
def test_malformed_bodies(env, content, code):
    r = env["api"]["审批平台"].raw("POST", "/cases", content=content)
    assert r.status_code == 400 and _code(r) == code, r.text
    assert r.json()["error"]["message"]


@pytest.mark.parametrize(
    "change, code",
    [
        ({"uscc": "91320602MA1XXXXXX0"}, "USCC_INVALID"),
        ({"decided_on": "2026-02-30"}, "DATE_INVALID"),
        ({"decided_on": "2026/03/02"}, "DATE_INVALID"),
        ({"decided_on": "2999-01-01"}, "DATE_INVALID"),
        ({"reply": None}, "FIELD_MISSING"),
        ({"stage": "审核中"}, "VALIDATION_FAILED"),
        ({"item_code": "NO-SUCH-ITEM"}, "VALIDATION_FAILED"),
        (
            {"licence": {"licence_no": "L", "kind": "许可证", "issued_on": TODAY, "valid_until": "2000-01-01"}},
            "DATE_INVALID",
        ),
        ({"scans": [{"name": "a.pdf", "content_base64": "!!!", "sha256": "0" * 64}]}, "SCAN_INVALID"),
        ({"scans": [_scan() | {"sha256": "0" * 64}]}, "SCAN_INVALID"),
        ({"extra": 1}, "FIELD_UNKNOWN"),
    ],
)
def test_bad_case_input_writes_nothing(env, change, code):
    no = "API-BAD-" + secrets.token_hex(3)
    body = {k: val for k, val in (_case(env, no) | change).items() if val is not None}
    r = env["api"]["审批平台"].raw("POST", "/cases", body)
    assert 400 <= r.status_code < 500 and _code(r) == code, r.text
    assert r.json()["error"]["message"]
    env.setdefault("bad_cases", []).append(no)


def test_oversize_body(env):
    from web.api import max_body_bytes

    big = b'{"case_no": "' + b"x" * (max_body_bytes() + 10) + b'"}'
    r = env["api"]["审批平台"].raw("POST", "/cases", content=big)
    assert r.status_code == 413 and _code(r) == "BODY_TOO_LARGE"


def test_unknown_path_and_method(env):
    r = env["api"]["审批平台"].raw("GET", "/nothing-here")
    assert r.status_code == 404 and _code(r) == "NOT_FOUND"
    r = env["api"]["审批平台"].raw("DELETE", "/cases")
    assert r.status_code == 405 and _code(r) == "METHOD_NOT_ALLOWED"


def test_zz_database_afterwards(env):
    """Stop the server, then read what the calls left in the database."""
    from db import connection

    env["server"].stop()
    _point_at(env["work"])
    db = connection.get_db()
    try:
        for no in env.get("bad_cases", []):
            assert db.scalar("SELECT count(*) FROM approval_case WHERE case_no = ?", [no]) == 0
        assert db.scalar("SELECT count(*) FROM approval_case WHERE case_no = 'API-C1'") == 1
        assert db.scalar("SELECT count(*) FROM licence WHERE licence_no = 'API-LIC-1'") == 1
        rows = db.all("SELECT actor, action, after_json FROM audit_log WHERE id > ? ORDER BY id", [env["audit_before"]])
        refused = [json.loads(a)["code"] for who, act, a in rows if act == "api_auth_refused"]
        assert {
            "AUTH_MISSING",
            "AUTH_BAD_SIGNATURE",
            "AUTH_EXPIRED",
            "AUTH_REPLAY",
            "AUTH_CLIENT_INACTIVE",
            "RATE_LIMITED",
        } <= set(refused)
        actors = {who for who, act, _ in rows if act in ("create", "sign", "claim", "penalty_sync", "conclude")}
        assert {"api:审批平台", "api:市场监管系统", "api:水利系统", "api:行权系统"} <= actors
        signer = db.scalar(
            "SELECT u.display_name FROM push p JOIN app_user u ON u.id = p.signed_by"
            " JOIN approval_case c ON c.id = p.case_id WHERE c.case_no = 'API-S1'"
        )
        assert signer == "市场监管系统（接口）"
    finally:
        connection.reset()
