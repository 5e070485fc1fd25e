"""web/tcp.py: the server's accepted connections get TCP_NODELAY although
Streamlit binds its listening socket with ``proto`` 0 (asyncio sets the
option only on sockets labelled IPPROTO_TCP)."""

from __future__ import annotations

import socket
from asyncio import base_events

from web import tcp


def _accepted_pair():
    lst = socket.socket(socket.AF_INET)  # as Streamlit binds it: proto 0
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    cli = socket.create_connection(lst.getsockname())
    conn, _ = lst.accept()
    lst.close()
    return cli, conn


def test_accepted_connection_gets_nodelay():
    tcp.install()
    tcp.install()  # idempotent
    cli, conn = _accepted_pair()
    try:
        assert conn.proto == 0
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        base_events._set_nodelay(conn)  # what asyncio calls for each new transport
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        cli.close()
        conn.close()


def test_other_sockets_left_alone():
    tcp.install()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        base_events._set_nodelay(u)  # not a stream: nothing set, nothing raised
    finally:
        u.close()
