"""The API's error model: ``{"error": {"code", "message", "field"?}}`` with a
stable code and a complete Chinese sentence; every service error maps to
one status and code here."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse

from sgld.errors import DatabaseBusy, NotFound, PermissionDenied, SgldError, StateError, ValidationError

log = logging.getLogger(__name__)

# code -> (HTTP status, meaning) — the OpenAPI description lists them
CODES: dict[str, tuple[int, str]] = {
    "BAD_JSON": (400, "请求体不是有效的 JSON 对象"),
    "FIELD_MISSING": (400, "缺少必填字段"),
    "FIELD_TYPE": (400, "字段类型错误"),
    "FIELD_UNKNOWN": (400, "含有未定义的字段"),
    "USCC_INVALID": (422, "统一社会信用代码无效"),
    "DATE_INVALID": (422, "日期或时间无效"),
    "SCAN_INVALID": (422, "文件内容不是有效的 base64，或 SHA-256 不符"),
    "CURSOR_INVALID": (400, "分页游标无效"),
    "VALIDATION_FAILED": (422, "业务校验未通过（原因见 message）"),
    "AUTH_MISSING": (401, "请求未签名"),
    "AUTH_UNKNOWN_CLIENT": (401, "接口客户端不存在"),
    "AUTH_BAD_SIGNATURE": (401, "签名错误"),
    "AUTH_EXPIRED": (401, "签名时间超出允许范围"),
    "AUTH_REPLAY": (401, "重放的请求（随机串已使用）"),
    "AUTH_CLIENT_INACTIVE": (401, "接口客户端已停用或已吊销"),
    "SCOPE_DENIED": (403, "接口客户端没有该接口权限"),
    "FORBIDDEN": (403, "角色或部门无权执行该操作"),
    "NOT_FOUND": (404, "记录或接口不存在"),
    "METHOD_NOT_ALLOWED": (405, "请求方法不支持"),
    "IDEMPOTENCY_CONFLICT": (409, "同一幂等键的请求内容不同"),
    "CASE_EXISTS": (409, "办件已由其他请求或人工登记"),
    "CASE_MISMATCH": (409, "办件的事项或信用代码与已登记的不一致"),
    "STATE_CONFLICT": (409, "当前状态不允许该操作"),
    "BODY_TOO_LARGE": (413, "请求体超过大小上限"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "请求体须为 application/json"),
    "RATE_LIMITED": (429, "请求过于频繁"),
    "BUSY": (503, "系统繁忙（如另一次行政处罚抽取正在运行），请稍后重试"),
    "INTERNAL": (500, "服务器内部错误"),
}


class ApiError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
        self.status = CODES[code][0]


def response(code: str, message: str, field: str | None = None, headers: dict | None = None) -> JSONResponse:
    body: dict = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JSONResponse(
        {"error": body}, status_code=CODES[code][0], headers={"Cache-Control": "no-store", **(headers or {})}
    )


def _validation_code(exc: ValidationError) -> str:
    f = (exc.field or "").lower()
    if f in ("uscc", "uscc_code"):
        return "USCC_INVALID"
    if "日期" in f or "时间" in f or f in ("inspected_at", "decided_on", "issued_on", "valid_until") or "有效期" in f:
        return "DATE_INVALID"
    return "VALIDATION_FAILED"


def from_exception(exc: BaseException) -> ApiError:
    """The API error for anything a handler raised."""
    from sgld.services.api_inbound import Conflict
    from sgld.services.penalty import SyncBusy

    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Conflict):
        return ApiError(exc.code, exc.message)
    if isinstance(exc, ValidationError):
        return ApiError(_validation_code(exc), exc.message, exc.field)
    if isinstance(exc, PermissionDenied):
        return ApiError("FORBIDDEN", exc.message)
    if isinstance(exc, NotFound):
        return ApiError("NOT_FOUND", exc.message)
    if isinstance(exc, (SyncBusy, DatabaseBusy)):
        return ApiError("BUSY", exc.message)
    if isinstance(exc, StateError):
        return ApiError("STATE_CONFLICT", exc.message)
    if isinstance(exc, SgldError):
        return ApiError("VALIDATION_FAILED", exc.message)
    log.exception("API handler failed", exc_info=exc)
    return ApiError("INTERNAL", "服务器内部错误，本次请求未完成；请稍后重试，或联系系统管理员查看服务器日志。")
