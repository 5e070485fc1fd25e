"""The OpenAPI 3.1 description of ``/api/v1``, built from the endpoint
declarations (the same ones that check requests).  ``docs/openapi.json`` is
this document; ``python -m web.api.openapi > docs/openapi.json`` rewrites it
and a test checks the served one equals the file."""

from __future__ import annotations

import json

from web.api import ENDPOINTS, VERSION_PREFIX
from web.api.errors import CODES
from web.api.schema import FILE_FIELDS, object_schema, to_openapi

_SECURITY_TEXT = (
    "每个请求用 HMAC-SHA256 签名（见 docs/api.md）：请求头 X-Sgld-Key（客户端标识）、"
    "X-Sgld-Timestamp（Unix 秒，与服务器相差不超过 300 秒）、X-Sgld-Nonce（16–64 位随机串，"
    "不得重复）、X-Sgld-Signature（小写十六进制）。待签名字符串为以换行连接的："
    "SGLD-HMAC-SHA256、方法、路径（含 /api/v1，按实际发送的编码）、查询字符串（无则为空）、"
    "时间戳、随机串、请求体的 SHA-256（十六进制）。"
)


def _error_response() -> dict:
    return {
        "description": "错误：见 error.code（稳定的错误码）与 error.message（中文说明）",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document() -> dict:
    paths: dict = {}
    for ep in ENDPOINTS:
        op: dict = {
            "operationId": ep.op_id,
            "summary": ep.summary,
            "tags": [ep.scope or "general"],
            "security": [{"sgldHmac": []}],
        }
        if ep.description:
            op["description"] = ep.description
        params = []
        if "{" in ep.path:
            name = ep.path.split("{", 1)[1].split("}", 1)[0]
            params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
        for name, f in ep.query.items():
            params.append({"name": name, "in": "query", "required": False, "schema": to_openapi(f)})
        if ep.idempotency == "header":
            params.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "可选：同一键只执行一次，重试返回首次结果；内容不同返回 409",
                    "schema": {"type": "string", "maxLength": 120},
                }
            )
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": object_schema(ep.body)}}}
        op["responses"] = {
            str(ep.status): {"description": "成功", "content": {"application/json": {"schema": {"type": "object"}}}},
            "4XX": _error_response(),
            "5XX": _error_response(),
        }
        paths.setdefault(VERSION_PREFIX + ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "审管联动系统 对接接口",
            "version": "1.0.0",
            "description": "审批平台、行权系统和各部门业务系统与审管联动系统的对接接口。" + _SECURITY_TEXT,
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "sgldHmac": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Sgld-Signature",
                    "description": _SECURITY_TEXT,
                }
            },
            "schemas": {
                "File": object_schema(FILE_FIELDS),
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string", "enum": list(CODES)},
                                "message": {"type": "string", "description": "完整的中文说明"},
                                "field": {"type": "string", "description": "出错的字段（有时提供）"},
                            },
                        }
                    },
                },
            },
            "x-error-codes": {code: {"status": st, "meaning": m} for code, (st, m) in CODES.items()},
        },
    }


def text() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(text(), end="")
