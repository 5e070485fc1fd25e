#!/usr/bin/env python3
"""审管联动系统 对接接口：示例客户端（只用 Python 标准库，可直接改写使用）。

用法（密钥由系统管理员在 系统管理 → 接口管理 登记客户端时给出，只显示一次）：

    export SGLD_API_URL=https://sgld.example.gov.cn     # 系统地址（不含 /api/v1）
    export SGLD_API_KEY_ID=ak_xxxxxxxxxxxxxxxxxxxx      # X-Sgld-Key
    export SGLD_API_SECRET=sk_xxxxxxxx...               # 密钥
    python3 scripts/api_client_example.py whoami
    python3 scripts/api_client_example.py case case.json        # 推送审批结果
    python3 scripts/api_client_example.py penalties rows.json   # 推送行政处罚（JSON 数组）
    python3 scripts/api_client_example.py pushes                # 待签收推送（全部页）
    python3 scripts/api_client_example.py sign 12 13            # 签收推送
    python3 scripts/api_client_example.py events cursor.txt     # 拉取新事件，游标存于 cursor.txt

每个请求的签名（docs/api.md “签名”一节）：

    待签名字符串 = "\\n".join(["SGLD-HMAC-SHA256", 方法, 路径, 查询字符串, 时间戳, 随机串,
                              sha256(请求体).hexdigest()])
    X-Sgld-Signature = hmac_sha256(密钥, 待签名字符串).hexdigest()
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def sign_headers(
    key_id: str,
    secret: str,
    method: str,
    path: str,
    query: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four authentication headers of one request.  ``path`` is the
    URL path exactly as sent (percent-encoded), including /api/v1;
    ``query`` the query string without "?" ("" when none)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_urlsafe(18)
    text = "\n".join(["SGLD-HMAC-SHA256", method.upper(), path, query, ts, nonce, hashlib.sha256(body).hexdigest()])
    sig = hmac.new(secret.encode(), text.encode("utf-8"), hashlib.sha256).hexdigest()
    return {"X-Sgld-Key": key_id, "X-Sgld-Timestamp": ts, "X-Sgld-Nonce": nonce, "X-Sgld-Signature": sig}


def file_item(path: str) -> dict:
    """A scan or evidence file as the API takes it: base64 content + SHA-256."""
    with open(path, "rb") as fh:
        data = fh.read()
    return {
        "name": os.path.basename(path),
        "content_base64": base64.b64encode(data).decode(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class SgldClient:
    def __init__(self, base_url: str, key_id: str, secret: str, timeout: float = 30):
        self.base = base_url.rstrip("/")
        self.key_id, self.secret, self.timeout = key_id, secret, timeout
        self.prefix = urllib.parse.urlsplit(self.base).path  # a base path behind a proxy

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        query: dict | None = None,
        idempotency_key: str | None = None,
    ) -> dict:
        """One signed call; returns the JSON answer or raises ApiError.
        Retrying the same call (same body and key) is safe: the server
        returns the first answer."""
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        qs = urllib.parse.urlencode(query or {})
        full_path = self.prefix + "/api/v1" + urllib.parse.quote(path)
        headers = sign_headers(self.key_id, self.secret, method, full_path, qs, raw)
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        url = self.base.rsplit(self.prefix, 1)[0] if self.prefix else self.base
        req = urllib.request.Request(
            url + full_path + (f"?{qs}" if qs else ""),
            data=raw if body is not None else None,
            method=method,
            headers=headers,
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                err = json.loads(exc.read().decode("utf-8"))["error"]
            except (ValueError, KeyError):
                err = {"code": "HTTP", "message": str(exc)}
            raise ApiError(exc.code, err["code"], err["message"]) from None

    def pages(self, path: str, **query):
        """Every item of a paged list (follows next_cursor)."""
        cursor = None
        while True:
            q = {**query, **({"cursor": cursor} if cursor else {})}
            page = self.call("GET", path, query=q)
            yield from page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return

    def events(self, cursor: str | None = None, **query):
        """Pull every event after ``cursor`` (all pages).  Returns
        ``(events, next_cursor)``: keep next_cursor and pass it next time.
        Deliveries are at least once: dedupe by event id."""
        out = []
        while True:
            page = self.call("GET", "/events", query={**query, **({"cursor": cursor} if cursor else {})})
            out += page["events"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return out, cursor


def pull_events(client: SgldClient, cursor_file: str) -> list[dict]:
    """New events since the cursor kept in ``cursor_file`` (none: from the
    beginning); the new cursor is written back only after the events were
    read, so an interrupted run pulls them again next time."""
    cursor = None
    if os.path.exists(cursor_file):
        with open(cursor_file, encoding="utf-8") as fh:
            cursor = fh.read().strip() or None
    events, cursor = client.events(cursor)
    tmp = cursor_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(cursor + "\n")
    os.replace(tmp, cursor_file)
    return events


def main(argv: list[str]) -> int:
    client = SgldClient(
        os.environ.get("SGLD_API_URL", "http://127.0.0.1:8501"),
        os.environ["SGLD_API_KEY_ID"],
        os.environ["SGLD_API_SECRET"],
    )
    cmd, args = (argv[0], argv[1:]) if argv else ("whoami", [])
    try:
        if cmd == "whoami":
            out = client.call("GET", "/whoami")
        elif cmd == "case":
            with open(args[0], encoding="utf-8") as fh:
                out = client.call("POST", "/cases", json.load(fh))
        elif cmd == "penalties":
            with open(args[0], encoding="utf-8") as fh:
                rows = json.load(fh)
            out = [
                client.call("POST", "/penalties", {"records": rows[i : i + 1000]}) for i in range(0, len(rows), 1000)
            ]
        elif cmd == "pushes":
            out = list(client.pages("/pushes", status="待签收"))
        elif cmd == "sign":
            out = client.call("POST", "/pushes/sign", {"push_ids": [int(a) for a in args]})
        elif cmd == "events":
            out = pull_events(client, args[0] if args else "sgld_cursor.txt")
        else:
            print(f"未知命令：{cmd}", file=sys.stderr)
            return 2
    except ApiError as exc:
        print(f"调用失败：HTTP {exc.status} {exc.code}：{exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
