"""``GET {base}/_sgld/files/{kind}/{owner_id}/{attachment_id}``: one file,
for the user of the request's login cookie, after the owner record's scope
check (:func:`sgld.services.files.open_file`).  Replaces Streamlit media
URLs for stored files: those work for anyone who has the link for as long
as the session lives, cookie or not.

Also a middleware for Streamlit's own ``/media/`` URLs (deferred document
downloads, image previews): served only to a request with a valid login."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sgld.errors import NotFound, SgldError
from sgld.services import files
from web.session import actor_for

PREFIX = "/_sgld/files"
NO_LOGIN = "登录已失效或尚未登录，不能下载该文件。请回到系统登录后，在页面上重新点击下载。"


def _base(base_url: str | None) -> str:
    b = (base_url or "").strip("/")
    return f"/{b}" if b else ""


def url(kind: str, owner_id: int, attachment_id: int = 0, *, base_url: str | None = None) -> str:
    """The link a page shows for a file (relative to the server's root)."""
    return f"{_base(base_url)}{PREFIX}/{kind}/{int(owner_id)}/{int(attachment_id)}"


def _requester(request):
    from sgld.services import sso

    header = sso.config().header
    values = request.headers.getlist(header) if header else []
    address = _server_address()
    return actor_for(dict(request.cookies), values, address)


def _server_address() -> str | None:
    from streamlit import config

    return config.get_option("server.address")


def _refuse(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def _serve(request) -> Response:
    actor = _requester(request)
    if actor is None:
        return _refuse(401, NO_LOGIN)
    p = request.path_params
    try:
        name, mime, data = files.open_file(actor, p["kind"], p["owner_id"], p["attachment_id"])
    except NotFound as exc:
        return _refuse(404, str(exc))
    except SgldError as exc:  # PermissionDenied and the like: the service's own words
        return _refuse(403, str(exc))
    return Response(
        data,
        media_type=mime,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


async def serve(request) -> Response:
    return await run_in_threadpool(_serve, request)


class MediaLoginMiddleware:
    """Streamlit's ``/media/`` files only for a request with a valid login."""

    def __init__(self, app, base_url: str | None = None):
        self.app, self.media = app, f"{_base(base_url)}/media/"

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.media):
            from starlette.requests import Request

            actor = await run_in_threadpool(_requester, Request(scope))
            if actor is None:
                await _refuse(401, NO_LOGIN)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def routes(base_url: str | None = None) -> list[Route]:
    path = f"{_base(base_url)}{PREFIX}/{{kind:str}}/{{owner_id:int}}/{{attachment_id:int}}"
    return [Route(path, serve, methods=["GET"])]
