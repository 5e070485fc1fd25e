import pytest

from sgld import uscc
from sgld.errors import ValidationError


def good():
    return uscc.make("91320602" + "123456789")


def test_valid_code_and_normalisation():
    code = good()
    assert uscc.validate(code) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert uscc.validate(f"  {full_width.lower()} ") == code
    assert uscc.validate(code[:6] + " " + code[6:]) == code


@pytest.mark.parametrize(
    "bad, why",
    [
        ("", "不能为空"),
        ("9132060212345678", "18 位"),
        ("91320602I2345678X9", "非法字符"),
        ("91320602O2345678X9", "非法字符"),
        ("Z1320602123456789X", "非法字符"),
        ("B1320602123456789X", "登记管理部门"),
        ("9A320602123456789X", "机构类别"),
        ("91ABCDEF123456789X", "行政区划"),
    ],
)
def test_invalid_codes(bad, why):
    with pytest.raises(ValidationError) as e:
        uscc.validate(bad)
    assert why in str(e.value)


def test_wrong_check_character():
    code = good()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位"):
        uscc.validate(wrong)


def test_standard_example_code():
    # the worked example of GB 32100-2015
    assert uscc.is_valid("91350100M000100Y43")
    assert not uscc.is_valid("91350100M000100Y44")
