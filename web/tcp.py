"""TCP_NODELAY on the server's connections.

Streamlit binds its listening socket itself with ``socket.socket(family)``,
so the socket's ``proto`` is 0, and asyncio sets ``TCP_NODELAY`` only on
sockets whose ``proto`` is ``IPPROTO_TCP`` (``asyncio.base_events._set_nodelay``).
Without it, an answer written in two parts (headers, then body) on a
kept-alive connection waits for the client's delayed ACK (Nagle): ~40 ms
added to every API call after a client's first, and to every HTTP request of
a browser reusing its connection (measured: 44 ms for ``/_stcore/health`` on a
reused connection, 1 ms with this).

The socket is bound before ``server.py`` is imported (Streamlit loads the
app by import string), so :func:`install` cannot relabel it; it makes
asyncio set the option on every TCP stream socket whatever its ``proto``,
which takes effect for each connection accepted afterwards."""

from __future__ import annotations

import socket
from asyncio import base_events


def _set_nodelay(sock) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # e.g. a socket already closed by the peer
            pass


def install() -> None:
    """Idempotent; call at import of the server module."""
    # asyncio's private hook; mypy does not know it
    if getattr(base_events._set_nodelay, "_sgld", False):  # type: ignore[attr-defined]
        return
    _set_nodelay._sgld = True  # type: ignore[attr-defined]
    base_events._set_nodelay = _set_nodelay  # type: ignore[attr-defined]
