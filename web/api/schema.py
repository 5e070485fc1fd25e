"""Request bodies: one declaration per endpoint, used both to check a body
(types, required fields, unknown fields, 统一社会信用代码, dates, base64
files) before any service runs, and to write the OpenAPI description."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sgld import uscc as uscc_mod
from web.api.errors import ApiError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_SCALARS = (str, int, float)  # by exact type: a JSON true/false (bool) is not a number here


@dataclass
class F:
    """A field: ``kind`` is string, integer, boolean, date, datetime, uscc,
    file (object name/content_base64/sha256), object (``fields``) or array
    (``items``)."""

    kind: str
    label: str
    required: bool = False
    description: str = ""
    enum: tuple | None = None
    fields: dict[str, "F"] = field(default_factory=dict)
    items: "F | None" = None
    max_items: int | None = None
    example: object = None


FILE_FIELDS = {
    "name": F("string", "文件名", True, "含扩展名，如 批复.pdf", example="批复.pdf"),
    "content_base64": F("string", "文件内容（base64）", True, "标准 base64 编码的文件内容"),
    "sha256": F("string", "SHA-256", True, "文件内容（解码后）的 SHA-256，64 位十六进制"),
}


def _where(path: str) -> str:
    return path or "请求体"


def _type_error(path: str, label: str, want: str) -> ApiError:
    return ApiError("FIELD_TYPE", f"字段“{path}”（{label}）应为{want}。", path)


def check(spec: dict[str, F], data, path: str = "") -> dict:
    """The checked body (dates as date, files as (name, bytes)); raises
    :class:`ApiError` at the first problem."""
    if not isinstance(data, dict):
        raise ApiError("BAD_JSON" if not path else "FIELD_TYPE", f"{_where(path)}应为 JSON 对象。", path or None)
    unknown = [k for k in data if k not in spec]
    if unknown:
        raise ApiError(
            "FIELD_UNKNOWN",
            f"{_where(path)}含有未定义的字段：{'、'.join(map(str, unknown[:5]))}（字段名区分大小写，见接口说明）。",
            f"{path}.{unknown[0]}" if path else unknown[0],
        )
    out = {}
    for name, f in spec.items():
        p = f"{path}.{name}" if path else name
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and f.kind != "string"):
            if f.required:
                raise ApiError("FIELD_MISSING", f"缺少必填字段“{p}”（{f.label}）。", p)
            out[name] = None
            continue
        out[name] = _value(f, value, p)
    return out


def _value(f: F, value, p: str):
    k = f.kind
    if k in ("string", "uscc", "date", "datetime") and not isinstance(value, str):
        raise _type_error(p, f.label, "字符串")
    if k == "string":
        if f.required and not value.strip():
            raise ApiError("FIELD_MISSING", f"缺少必填字段“{p}”（{f.label}）。", p)
        if f.enum and value not in f.enum:
            raise ApiError(
                "VALIDATION_FAILED", f"字段“{p}”（{f.label}）的取值“{value}”无效，可选：{'、'.join(f.enum)}。", p
            )
        return value
    if k == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(p, f.label, "整数")
        if not -(2**63) <= value < 2**63:
            raise ApiError("VALIDATION_FAILED", f"字段“{p}”（{f.label}）超出整数范围。", p)
        return value
    if k == "boolean":
        if not isinstance(value, bool):
            raise _type_error(p, f.label, "true 或 false")
        return value
    if k == "uscc":
        code = uscc_mod.normalise(value)
        why = uscc_mod.problem(code)
        if why:
            raise ApiError("USCC_INVALID", f"字段“{p}”：{why}：{code or '（空）'}。", p)
        return code
    if k == "date":
        if not _DATE.match(value.strip()):
            raise ApiError("DATE_INVALID", f"字段“{p}”（{f.label}）应为 YYYY-MM-DD 格式的日期，收到“{value}”。", p)
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ApiError("DATE_INVALID", f"字段“{p}”（{f.label}）不是有效日期：{value}。", p) from None
    if k == "datetime":
        s = value.strip()
        if not _DATETIME.match(s):
            raise ApiError(
                "DATE_INVALID", f"字段“{p}”（{f.label}）应为 YYYY-MM-DDTHH:MM[:SS] 格式的时间，收到“{value}”。", p
            )
        try:
            return datetime.fromisoformat(s.replace(" ", "T"))
        except ValueError:
            raise ApiError("DATE_INVALID", f"字段“{p}”（{f.label}）不是有效时间：{value}。", p) from None
    if k == "object":
        return check(f.fields, value, p)
    if k == "file":
        got = check(FILE_FIELDS, value, p)
        try:
            data = base64.b64decode(got["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                "SCAN_INVALID", f"字段“{p}.content_base64”不是有效的 base64 编码。", f"{p}.content_base64"
            ) from None
        if not _HEX64.match(got["sha256"]) or hashlib.sha256(data).hexdigest() != got["sha256"].lower():
            raise ApiError(
                "SCAN_INVALID",
                f"文件“{got['name']}”的 SHA-256 与内容不符：文件在传输中损坏或校验值有误，未保存任何内容。",
                f"{p}.sha256",
            )
        return (got["name"], data)
    if k == "array":
        if not isinstance(value, list):
            raise _type_error(p, f.label, "数组")
        if f.max_items is not None and len(value) > f.max_items:
            raise ApiError(
                "VALIDATION_FAILED", f"字段“{p}”（{f.label}）最多 {f.max_items} 项，收到 {len(value)} 项。", p
            )
        if f.items is not None and f.items.kind == "any_object":
            # a penalty call carries thousands: a fast pass, and the full
            # check (for its message) only of a record that fails it
            for i, x in enumerate(value):
                if type(x) is not dict or not all(y is None or type(y) in _SCALARS for y in x.values()):
                    _value(f.items, x, f"{p}[{i}]")
            return value
        return [_value(f.items, x, f"{p}[{i}]") for i, x in enumerate(value)]
    if k == "any_object":  # a penalty record: field names checked by the pipeline
        if not isinstance(value, dict):
            raise _type_error(p, f.label, "JSON 对象")
        for key, x in value.items():
            if x is not None and not isinstance(x, (str, int, float)) or isinstance(x, bool):
                raise _type_error(f"{p}.{key}", str(key), "字符串或数字")
        return value
    raise AssertionError(k)


# -- OpenAPI ------------------------------------------------------------------
def to_openapi(f: F) -> dict:
    base = {"description": f.label + (f"：{f.description}" if f.description else "")}
    k = f.kind
    if k == "string":
        s = {"type": "string"}
        if f.enum:
            s["enum"] = list(f.enum)
    elif k == "uscc":
        s = {"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"}
    elif k == "date":
        s = {"type": "string", "format": "date"}
    elif k == "datetime":
        s = {"type": "string", "format": "date-time"}
    elif k in ("integer", "boolean"):
        s = {"type": k}
    elif k == "object":
        s = object_schema(f.fields)
    elif k == "file":
        s = {"$ref": "#/components/schemas/File"}
        return s
    elif k == "array":
        s = {"type": "array", "items": to_openapi(f.items)}
        if f.max_items:
            s["maxItems"] = f.max_items
    elif k == "any_object":
        s = {"type": "object", "additionalProperties": {"type": ["string", "number", "null"]}}
    else:
        raise AssertionError(k)
    if f.example is not None:
        s["example"] = f.example
    return base | s


def object_schema(spec: dict[str, F]) -> dict:
    req = [n for n, f in spec.items() if f.required]
    s = {"type": "object", "additionalProperties": False, "properties": {n: to_openapi(f) for n, f in spec.items()}}
    if req:
        s["required"] = req
    return s
