"""A tiny webhook receiver on loopback for the delivery tests and the
benchmark: records each request, answers 200 (or fails / hangs on demand)
and checks the signature the way docs/webhooks.md tells receivers to."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def verify(secret: str, headers, body: bytes, max_age: int = 300) -> bool:
    """The receiver's check (same code as in docs/webhooks.md)."""
    ts = headers.get("X-SGLD-Timestamp", "")
    sig = headers.get("X-SGLD-Signature", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > max_age:
        return False
    mac = hmac.new(secret.encode("utf-8"), ts.encode("ascii") + b"." + body, hashlib.sha256)
    return hmac.compare_digest(sig, "sha256=" + mac.hexdigest())


class Receiver:
    def __init__(self, port: int | None = None, secret: str | None = None, mode: str = "ok"):
        self.port = port or free_port()
        self.secret = secret
        self.mode = mode  # ok | fail | hang
        self.got: list[dict] = []  # every request, in arrival order
        self.seen = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.got.append(
                    {
                        "id": int(self.headers["X-SGLD-Event-Id"]),
                        "kind": self.headers["X-SGLD-Event-Kind"],
                        "valid": outer.secret is None or verify(outer.secret, self.headers, body),
                        "body": json.loads(body),
                        "at": time.perf_counter(),
                    }
                )
                outer.seen.set()
                if outer.mode == "hang":
                    time.sleep(3600)
                self.send_response(500 if outer.mode == "fail" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._handler = Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "Receiver":
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def ids(self) -> list[int]:
        return [g["id"] for g in self.got]
