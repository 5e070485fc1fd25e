"""Small input checks shared by the services.  Each raises ValidationError
with a Chinese message naming the field."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from sgld import clock
from sgld.errors import ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(
    value: object, label: str, *, required: bool = True, max_len: int = 200, multiline: bool = False
) -> str | None:
    if value is None:
        s = ""
    else:
        s = unicodedata.normalize("NFC", str(value)).strip()
    if not multiline:
        s = " ".join(s.split())
    if _CONTROL.search(s):
        raise ValidationError(f"“{label}”含有不可见的控制字符", field=label)
    if not s:
        if required:
            raise ValidationError(f"请填写“{label}”", field=label)
        return None
    if len(s) > max_len:
        raise ValidationError(f"“{label}”不能超过 {max_len} 个字符（当前 {len(s)} 个）", field=label)
    return s


def choice(value: object, options, label: str) -> str:
    if value not in options:
        shown = "、".join(str(o) for o in options)
        raise ValidationError(f"“{label}”的取值“{value}”无效，可选：{shown}", field=label)
    return value  # type: ignore[return-value]


def integer(value: object, label: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        n = int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"“{label}”应为整数", field=label) from None
    if minimum is not None and n < minimum:
        raise ValidationError(f"“{label}”不能小于 {minimum}", field=label)
    if maximum is not None and n > maximum:
        raise ValidationError(f"“{label}”不能大于 {maximum}", field=label)
    return n


MAX_ID = 2**63 - 1  # BIGINT: the range of every id column


def id_list(values: object, label: str) -> list[int]:
    """Record ids chosen in a multi-select: distinct whole numbers in the
    BIGINT range, sorted.  Anything else (text, NaN, infinity, a number too
    big for the database, a bare string instead of a list) is refused with
    “所选{label}无效。”."""
    if values is None:
        return []
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise ValidationError(f"所选{label}无效。", field=label)
    out = set()
    for x in values:
        try:
            out.add(integer(x, label, minimum=-MAX_ID - 1, maximum=MAX_ID))
        except ValidationError:
            raise ValidationError(f"所选{label}无效。", field=label) from None
    return sorted(out)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: object, label: str, *, required: bool = True, not_future: bool = False) -> date | None:
    """Dates as date/datetime, 2026-03-05, 2026/3/5, 2026年3月5日, 20260305
    or an Excel serial number."""
    if value is None or (isinstance(value, str) and not value.strip()) or value != value:
        if required:
            raise ValidationError(f"请填写“{label}”", field=label)
        return None
    d: date | None = None
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            from datetime import timedelta

            d = (datetime(1899, 12, 30) + timedelta(days=int(value))).date()
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip().split(" ")[0].split("T")[0]
        if s.isdigit() and len(s) == 5:
            return parse_date(int(s), label, required=required, not_future=not_future)
        for pat in _DATE_PATTERNS:
            m = pat.match(s)
            if m:
                try:
                    d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    raise ValidationError(f"“{label}”不是有效日期：{s}", field=label) from None
                break
    if d is None:
        raise ValidationError(f"“{label}”不是可识别的日期：{value}", field=label)
    if d.year < 1949:
        raise ValidationError(f"“{label}”早于 1949 年，不是有效日期", field=label)
    if not_future and d > clock.today():
        raise ValidationError(f"“{label}”{d.isoformat()} 不能晚于今天（{clock.today().isoformat()}）", field=label)
    return d


def password_problem(password: str) -> str | None:
    if len(password) < 8:
        return "密码至少 8 位"
    if len(password) > 64:
        return "密码不能超过 64 位"
    try:
        size = len(password.encode("utf-8"))
    except UnicodeEncodeError:
        return "密码含有无法识别的字符"
    if size > 72:  # bcrypt's limit: a Chinese character takes 3 bytes
        return "密码不能超过 72 个字节（一个汉字占 3 个字节）"
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        return "密码需包含大写字母、小写字母、数字、符号中的至少三类"
    return None
