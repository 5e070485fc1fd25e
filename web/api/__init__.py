"""The HTTP API ``{base}/api/v1/…`` (docs/api.md), served by the app's own
server process next to the pages: the same database handle, services and
audit log.

Each request: body read up to ``SGLD_API_MAX_BODY_MB`` (413 beyond) →
signature, timestamp, nonce, client status and rate limit
(:func:`sgld.services.api_clients.authenticate`; a refusal is audited) →
the client's scope for the endpoint → JSON parsed and checked against the
endpoint's declaration (:mod:`web.api.schema`) → the service call, in the
thread pool (services block on DuckDB) → JSON.  Handlers stay thin: the
work is in :mod:`sgld.services.api_inbound` and the features' services.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sgld import settings
from sgld.services import api_clients as ac
from sgld.services import api_inbound as inbound
from sgld.services import feed, outbox, push
from web.api import errors
from web.api.errors import ApiError
from web.api.schema import F

VERSION_PREFIX = "/api/v1"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def max_body_bytes() -> int:
    # below nginx's client_max_body_size (25m, deploy/nginx): the client gets
    # this Chinese 413, not the proxy's page
    raw = str(settings.get().get("API_MAX_BODY_MB", "24")).strip() or "24"
    try:
        mb = float(raw)
    except ValueError:
        mb = 24.0
    return int(max(mb, 0.01) * 1024 * 1024)


class Json(JSONResponse):
    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str, separators=(",", ":")).encode()


@dataclass
class Endpoint:
    method: str
    path: str  # below /api/v1
    op_id: str
    summary: str
    scope: str | None
    handler: Callable
    body: dict[str, F] | None = None
    query: dict[str, F] = field(default_factory=dict)
    idempotency: str = "header"  # "header": optional Idempotency-Key; "body": from the body; "none"
    body_key: str | None = None  # a body field that is an idempotency key too (penalties' batch_id)
    status: int = 200
    description: str = ""
    example: dict | None = None  # a successful answer


# -- bodies -------------------------------------------------------------------
FILE_LIST = F(
    "array",
    "扫描件或证据材料",
    items=F("file", "文件"),
    max_items=push.MAX_FILES,
    description=f"每项为一个文件，最多 {push.MAX_FILES} 个",
)
LICENCE = F(
    "object",
    "证照",
    description="有证照时填写",
    fields={
        "licence_no": F("string", "证照编号", True, example="JY13206020000001"),
        "kind": F("string", "证照类型", True, enum=push.LICENCE_KINDS),
        "issued_on": F("date", "发证日期", True, example="2026-03-02"),
        "valid_until": F("date", "有效期至", description="可空（长期有效）", example="2031-03-01"),
    },
)
CASE = {
    "case_no": F("string", "办件编号", True, "全市唯一；与 stage 一起构成幂等键", example="SP2026000001"),
    "stage": F("string", "办理环节", True, enum=push.STAGES),
    "item_code": F("string", "事项编码", True, "事项目录中的事项编码", example="SC-001"),
    "uscc": F("uscc", "统一社会信用代码", True, example="91320602MA1XXXXXXX"),
    "enterprise_name": F("string", "企业名称", description="已登记企业可空；新企业必填"),
    "project_no": F("string", "项目编号", True, example="2026-320602-14-03-000001"),
    "project_name": F("string", "项目名称", description="新项目时填写"),
    "reply": F("string", "批复信息", True, example="准予许可"),
    "decided_on": F("date", "决定日期", True, "不能晚于今天", example="2026-03-02"),
    "licence": LICENCE,
    "scans": FILE_LIST,
}


def _per_row(spec: dict[str, F]) -> dict[str, F]:
    """Codes and dates as plain strings: in a batch the import checks them
    per case, so one bad case does not refuse the others."""
    out = {}
    for k, f in spec.items():
        if f.kind in ("uscc", "date"):
            f = F("string", f.label, f.required, f.description, example=f.example)
        elif f.kind == "object":
            f = F("object", f.label, f.required, f.description, fields=_per_row(f.fields))
        out[k] = f
    return out


BATCH = {
    "cases": F(
        "array",
        "办件",
        True,
        max_items=inbound.MAX_BATCH,
        items=F(
            "object",
            "一个办件（字段同 POST /cases，不含 scans）",
            fields=_per_row({k: f for k, f in CASE.items() if k != "scans"}),
        ),
    )
}
SCANS = {"scans": F("array", "扫描件", True, items=F("file", "文件"), max_items=push.MAX_FILES)}
PENALTIES = {
    "batch_id": F("string", "批次号", description="可选；同一批次号只处理一次（重试返回首次结果）"),
    "records": F(
        "array",
        "行政处罚记录",
        True,
        items=F("any_object", "一条记录"),
        max_items=5000,
        description="字段与文件导入相同：entity_name、uscc、decision_no、decision_date 必填，"
        "也可用中文列名（如“行政相对人名称”）",
    ),
}
IDS_PUSH = {"push_ids": F("array", "推送编号", True, items=F("integer", "推送编号"), max_items=1000)}
IDS_CLAIM = {"claim_ids": F("array", "待领取编号", True, items=F("integer", "编号"), max_items=1000)}
INSPECTION = {
    "uscc": F("uscc", "被检查对象统一社会信用代码", True),
    "entity_name": F("string", "被检查对象名称", description="已登记企业可空"),
    "inspected_at": F("datetime", "检查时间", True, "不能晚于当前时间", example="2026-03-05T14:30"),
    "place": F("string", "检查地点", True),
    "result": F("string", "检查结果", True, "取值见 系统管理 → 监管数据 中的检查结果选项，如“合格”"),
    "findings": F("string", "检查情况"),
    "inspectors": F("string", "检查人员", True),
    "evidence": F("array", "证据材料", items=F("file", "文件"), max_items=20),
}
REVOCATION = {
    "licence_no": F("string", "证照编号", True),
    "requested_action": F("string", "提请事项", True, enum=("撤销许可决定", "吊销许可证", "吊销营业执照")),
    "facts": F("string", "事实与理由", True),
    "legal_basis": F("string", "法律依据", True),
    "source_kind": F("string", "申请来源", enum=("企业画像", "日常检查", "行政处罚"), description="默认 企业画像"),
    "inspection_ids": F("array", "检查记录编号", items=F("integer", "编号"), max_items=100),
    "penalty_ids": F("array", "行政处罚编号", items=F("integer", "编号"), max_items=100),
    "evidence": F("array", "证据材料", items=F("file", "文件"), max_items=20),
}
PAGE_QUERY = {
    "case_no": F("string", "办件编号", description="只列该办件的记录"),
    "cursor": F("string", "分页游标", description="上一页回答中的 next_cursor；首页不填"),
    "limit": F("integer", "每页条数", description=f"1–{inbound.MAX_PAGE}，默认 100"),
}


EVENTS_QUERY = {
    "cursor": F("string", "游标", description="上一次回答中的 next_cursor；不填则从头拉取"),
    "limit": F("integer", "每次条数", description=f"1–{feed.MAX_LIMIT}，默认 {feed.DEFAULT_LIMIT}"),
    "kind": F("string", "事件类型", enum=tuple(outbox.KINDS), description="只拉取该类型；不填为全部"),
    "department_id": F(
        "integer", "部门编号", description="仅审批局的客户端使用：要拉取哪个部门的事件；部门的客户端不填"
    ),
}


# -- handlers (thin: checked body → service → answer) --------------------------
def _cursor(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        kind, _, n = text.partition(":")
        if kind != "id" or not n.isdigit():
            raise ValueError
        return int(n)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            "CURSOR_INVALID", "分页游标无效：请使用上一页回答中的 next_cursor 原样传回。", "cursor"
        ) from None


def _next(last_id: int | None) -> str | None:
    return None if last_id is None else base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def _limit(raw) -> int:
    if raw in (None, ""):
        return 100
    try:
        return int(raw)
    except ValueError:
        raise ApiError("FIELD_TYPE", "查询参数“limit”应为整数。", "limit") from None


def _list(fn):
    def handler(caller, body, params, key, req_hash):
        items, last = fn(
            caller.actor,
            params.get("status") or None,
            _cursor(params.get("cursor")),
            _limit(params.get("limit")),
            params.get("case_no") or None,
        )
        return 200, {"items": items, "next_cursor": _next(last)}, False

    return handler


def _feed_call(fn):
    """A feed error about the cursor is a 400 CURSOR_INVALID, as for lists."""
    from sgld.errors import ValidationError

    try:
        return fn()
    except ValidationError as exc:
        if exc.field == "cursor":
            raise ApiError("CURSOR_INVALID", exc.message, "cursor") from None
        raise


def _int_param(params, name: str, label: str):
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError("FIELD_TYPE", f"查询参数“{name}”（{label}）应为整数。", name) from None


def _events(caller, body, params, key, req_hash):
    limit = _int_param(params, "limit", "每次条数")
    page = _feed_call(
        lambda: feed.pull(
            caller.actor,
            params.get("cursor") or None,
            limit=feed.DEFAULT_LIMIT if limit is None else limit,
            kinds=params.get("kind") or None,
            department_id=_int_param(params, "department_id", "部门编号"),
        )
    )
    return 200, page, False


def _events_latest(caller, body, params, key, req_hash):
    cursor = feed.latest_cursor(caller.actor, _int_param(params, "department_id", "部门编号"))
    return 200, {"next_cursor": cursor}, False


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/whoami",
        "whoami",
        "查看本客户端的身份、部门、角色与接口权限",
        None,
        lambda c, b, p, k, h: (200, inbound.whoami(c), False),
        idempotency="none",
        description="用于联调：签名正确时返回客户端信息。",
    ),
    Endpoint(
        "POST",
        "/cases",
        "postCase",
        "推送审批结果（需监管部门参与环节 / 办结）",
        "cases",
        lambda c, b, p, k, h: inbound.post_case(c, b, h),
        body=CASE,
        idempotency="body",
        status=201,
        description=(
            "结果进入证照批文库和项目库，并按事项推送给监管部门（集中审批事项）或开放给许可部门领取，"
            "与人工录入完全相同。办结时若该办件已在“需监管部门参与环节”登记，则办结该办件。"
            "幂等：以（case_no, stage）为键，重试返回首次结果（回答头 Idempotent-Replayed: true），"
            "同一键内容不同返回 409 IDEMPOTENCY_CONFLICT。"
        ),
    ),
    Endpoint(
        "POST",
        "/cases/batch",
        "postCasesBatch",
        "批量推送审批结果（经批量导入）",
        "cases",
        lambda c, b, p, k, h: inbound.post_cases_batch(c, b["cases"], [ac.request_hash(x) for x in p["_raw"]["cases"]]),
        body=BATCH,
        idempotency="body",
        description=(
            f"一次最多 {inbound.MAX_BATCH} 个新办件，经与文件导入相同的批量导入登记、入库并推送/开放领取"
            "（整批一条操作日志）。每个办件与 POST /cases 一样以（case_no, stage）幂等，"
            "各自返回结果：201 已登记、200 重试返回首次结果、409/422 未登记（原因见 error）；"
            "其余办件照常登记。扫描件请随后调用“补充扫描件”接口；已登记办件的办结请用 POST /cases。"
        ),
    ),
    Endpoint(
        "POST",
        "/cases/{case_no}/scans",
        "postScans",
        "为已登记的办件补充扫描件",
        "cases",
        lambda c, b, p, k, h: inbound.add_scans(c, p["case_no"], b["scans"], k, h),
        body=SCANS,
        status=201,
    ),
    Endpoint(
        "POST",
        "/penalties",
        "postPenalties",
        "推送行政处罚（行权系统）",
        "penalties",
        lambda c, b, p, k, h: inbound.post_penalties(c, b["records"], b.get("batch_id") or k, h),
        body=PENALTIES,
        body_key="batch_id",
        status=201,
        description=(
            "一次调用为一个抽取批次：校验、待处理（隔离）、按数据源与决定书文号去重、警示名单重算"
            "与文件导入相同。数据源名称为“接口-客户端名称”。"
        ),
    ),
    Endpoint(
        "GET",
        "/pushes",
        "listPushes",
        "推送给本部门的审批结果（分页）",
        "pushes",
        _list(inbound.list_pushes),
        idempotency="none",
        query={"status": F("string", "状态", enum=push.PUSH_STATUSES), **PAGE_QUERY},
    ),
    Endpoint(
        "POST",
        "/pushes/sign",
        "signPushes",
        "签收推送",
        "pushes",
        lambda c, b, p, k, h: inbound.sign(c, b["push_ids"], k, h),
        body=IDS_PUSH,
        description="签收人与时间由系统记录；已签收的推送保持原签收记录。",
    ),
    Endpoint(
        "GET",
        "/claims",
        "listClaims",
        "开放给本部门领取的审批结果（分页）",
        "pushes",
        _list(inbound.list_claims),
        idempotency="none",
        query={"status": F("string", "状态", enum=push.CLAIM_STATUSES), **PAGE_QUERY},
    ),
    Endpoint(
        "POST",
        "/claims/claim",
        "claimResults",
        "领取审批结果",
        "pushes",
        lambda c, b, p, k, h: inbound.claim(c, b["claim_ids"], k, h),
        body=IDS_CLAIM,
    ),
    Endpoint(
        "POST",
        "/inspections",
        "postInspection",
        "录入日常检查",
        "inspections",
        lambda c, b, p, k, h: inbound.file_inspection(c, b, k, h),
        body=INSPECTION,
        status=201,
        description="以本客户端所属部门的名义录入。建议发送 Idempotency-Key，重试不会重复录入。",
    ),
    Endpoint(
        "POST",
        "/revocations",
        "postRevocation",
        "提请协同处理（撤销/吊销）",
        "revocations",
        lambda c, b, p, k, h: inbound.file_revocation(c, b, k, h),
        body=REVOCATION,
        status=201,
    ),
    Endpoint(
        "GET",
        "/events",
        "pullEvents",
        "拉取本部门的事件（推送、证照状态变更、协同处理决定及书面说明）",
        "events",
        _events,
        idempotency="none",
        query=EVENTS_QUERY,
        description=(
            "按事件编号顺序返回游标之后的事件：push.created（推送审批结果）、claim.opened（开放领取）、"
            "licence.status_changed（证照撤销、吊销等状态变更）、request.decided（协同处理申请的决定；"
            "不予撤销时含书面说明）。回答 {events, next_cursor, has_more}：has_more 为 true 时立即用 "
            "next_cursor 再拉；为 false 时保存 next_cursor，下次轮询带上（没有新事件时原样返回）。"
            "事件与推送到事件接收地址（webhook）的内容、编号相同，可按 id 去重。"
            "游标只对本部门有效，其他部门的游标返回 400 CURSOR_INVALID。数据范围与本部门工作人员相同。"
        ),
    ),
    Endpoint(
        "GET",
        "/events/latest",
        "latestEventCursor",
        "取得本部门事件流当前末尾的游标（从现在开始拉取）",
        "events",
        _events_latest,
        idempotency="none",
        query={"department_id": EVENTS_QUERY["department_id"]},
        description="首次对接、只需要今后的事件时调用，回答 {next_cursor}，再用它调用 GET /events。",
    ),
]


# -- dispatch -----------------------------------------------------------------
def _headers(extra: dict | None = None) -> dict:
    return {"Cache-Control": "no-store", **(extra or {})}


def _address(request) -> str | None:
    """The caller's address; behind the local proxy, the one it names."""
    from sgld.services.sso import is_loopback

    peer = request.client.host if request.client else None
    real = request.headers.get("x-real-ip")
    return real.strip()[:64] if real and is_loopback(peer) else peer


def _process(ep: Endpoint, request, api_path: str, query: str, body: bytes) -> Response:
    try:
        caller = ac.authenticate(request.method, api_path, query, request.headers, body)
    except ac.AuthRefused as exc:
        try:
            ac.record_refusal(exc, request.headers, api_path, _address(request))
        except Exception:  # noqa: BLE001 - the refusal stands even if its audit row fails
            errors.log.exception("could not audit an API refusal")
        return errors.response(
            exc.code,
            exc.message,
            headers={"WWW-Authenticate": "SGLD-HMAC-SHA256"} if exc.code != "RATE_LIMITED" else {"Retry-After": "1"},
        )
    try:
        if ep.scope and ep.scope not in caller.client.scopes:
            raise ApiError(
                "SCOPE_DENIED",
                f"接口客户端“{caller.client.name}”没有“{ac.SCOPES[ep.scope]}”"
                "接口权限，请联系系统管理员在 系统管理 → 接口管理 中开通。",
            )
        checked, req_hash = None, ""
        key = request.headers.get("idempotency-key") if ep.idempotency == "header" else None
        if key is not None and not key.strip():
            key = None
        if ep.body is not None:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise ApiError("UNSUPPORTED_MEDIA_TYPE", "请求体须为 JSON（Content-Type: application/json）。")
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise ApiError("BAD_JSON", "请求体不是有效的 JSON（须为 UTF-8 编码的 JSON 对象）。") from None
            from web.api.schema import check

            checked = check(ep.body, data)
            # the hash of the content serves only an idempotency key (a large
            # penalty call without one skips it)
            if ep.idempotency == "body" or key is not None or (ep.body_key and checked.get(ep.body_key)):
                req_hash = ac.request_hash(data)
        params = dict(request.path_params)
        if ep.body is not None:
            params["_raw"] = data
        for name, f in ep.query.items():
            val = request.query_params.get(name)
            if val is not None and f.enum and val not in f.enum:
                raise ApiError(
                    "VALIDATION_FAILED", f"查询参数“{name}”的取值“{val}”无效，可选：{'、'.join(f.enum)}。", name
                )
            params[name] = val
        status, answer, replayed = ep.handler(caller, checked, params, key, req_hash)
        if ep.idempotency == "none":
            from db.connection import get_db

            get_db().write(lambda cur: ac.store_nonce(cur, caller))
    except Exception as exc:  # noqa: BLE001 - every error becomes a JSON answer
        e = errors.from_exception(exc)
        _keep_nonce(caller)
        return errors.response(e.code, e.message, e.field)
    return Json(
        answer,
        status_code=200 if replayed else status,
        headers=_headers({"Idempotent-Replayed": "true"} if replayed else None),
    )


def _keep_nonce(caller) -> None:
    """A refused call's nonce is kept too: replayed after a restart, a call
    that failed for a passing reason (busy, a state since changed) must not
    run then."""
    from db.connection import get_db

    try:
        get_db().write(lambda cur: ac.store_nonce(cur, caller))
    except Exception:  # noqa: BLE001 - e.g. stored already by the failed unit's neighbours
        errors.log.exception("could not keep the nonce of a refused API call")


async def _read_body(request, limit: int) -> bytes | None:
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > limit:
        return None
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Response:
    return errors.response(
        "BODY_TOO_LARGE", f"请求体超过上限 {limit / 1048576:.0f} MB，未处理；扫描件较多时请分次调用“补充扫描件”接口。"
    )


def routes(base_url: str | None = None) -> list[Route]:
    b = (base_url or "").strip("/")
    base = f"/{b}" if b else ""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for ep in ENDPOINTS:
        by_path.setdefault(ep.path, {})[ep.method] = ep

    def make(methods: dict[str, Endpoint]):
        async def serve(request) -> Response:
            ep = methods.get(request.method)
            if ep is None:
                return errors.response(
                    "METHOD_NOT_ALLOWED",
                    f"该接口不支持 {request.method} 方法，可用：{'、'.join(methods)}。",
                    headers={"Allow": ", ".join(methods)},
                )
            limit = max_body_bytes()
            body = await _read_body(request, limit)
            if body is None:
                return _too_large(limit)
            # the path exactly as sent (percent-encoded) is what the client signed
            raw = request.scope.get("raw_path") or request.url.path.encode()
            api_path = raw.decode("latin-1").split("?", 1)[0]
            api_path = api_path[len(base) :] if base and api_path.startswith(base) else api_path
            return await run_in_threadpool(_process, ep, request, api_path, request.url.query, body)

        return serve

    async def openapi(request) -> Response:
        from web.api.openapi import document

        return Json(document(), headers={"Cache-Control": "no-cache"})

    async def not_found(request) -> Response:
        return errors.response(
            "NOT_FOUND", "接口不存在：请核对路径和版本（当前版本 /api/v1/，接口清单见 /api/v1/openapi.json）。"
        )

    out = [Route(f"{base}{VERSION_PREFIX}/openapi.json", openapi, methods=["GET"])]
    out += [Route(f"{base}{VERSION_PREFIX}{path}", make(m), methods=METHODS) for path, m in by_path.items()]
    out.append(Route(base + "/api/{rest:path}", not_found, methods=METHODS))
    return out
