"""统一社会信用代码 (GB 32100-2015): normalisation and validation."""

from __future__ import annotations

import unicodedata

from sgld.errors import ValidationError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# 登记管理部门代码 (first character) and their 机构类别代码 (second character)
AUTHORITIES = {
    "1": "1239",
    "2": "19",
    "3": "1234589",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "129",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}


def normalise(raw: object) -> str:
    """Full-width → half-width, spaces removed, upper case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(text.split()).upper()


def check_char(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why a *normalised* code is invalid, or ``None`` when it is valid."""
    if not code:
        return "统一社会信用代码不能为空"
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，当前为 {len(code)} 位"
    bad = sorted({c for c in code if c not in CHARSET})
    if bad:
        return f"统一社会信用代码含有非法字符：{''.join(bad)}（不使用 I、O、Z、S、V）"
    kinds = AUTHORITIES.get(code[0])
    if kinds is None:
        return f"统一社会信用代码第 1 位登记管理部门代码“{code[0]}”无效"
    if code[1] not in kinds:
        return f"统一社会信用代码第 2 位机构类别代码“{code[1]}”无效"
    if not code[2:8].isdigit():
        return "统一社会信用代码第 3–8 位应为行政区划代码（数字）"
    expected = check_char(code[:17])
    if code[17] != expected:
        return "统一社会信用代码校验位错误"
    return None


def validate(raw: object) -> str:
    """Return the normalised code or raise :class:`ValidationError`."""
    code = normalise(raw)
    why = problem(code)
    if why:
        raise ValidationError(f"{why}：{code or '（空）'}", field="uscc")
    return code


def is_valid(raw: object) -> bool:
    return problem(normalise(raw)) is None


def make(first17: str) -> str:
    """Complete 17 characters with the check character (demo data, tests)."""
    return first17 + check_char(first17)
