"""Validation of the identifiers member units and people give us: the unified social credit code
(GB 32100-2015) and Chinese phone numbers, with masking for display (PIPL)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100: 31 characters, the letters I, O, Z, S, V left out so they cannot be misread.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def credit_code_check_character(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARSET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> str:
    """Returns the normalised code or raises a ValidationError saying what is wrong with it."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位。"),
            code="credit_code_length",
            params={"n": len(code)},
        )
    bad = sorted({char for char in code if char not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用I、O、Z、S、V）。"),
            code="credit_code_charset",
            params={"chars": "、".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("统一社会信用代码第3至8位应为登记管理机关所在地的行政区划代码（6位数字）。"),
            code="credit_code_region",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：最后一位应为%(expected)s，而不是%(actual)s，请核对。"),
            code="credit_code_check",
            params={"expected": expected, "actual": code[17]},
        )
    return code


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value or "").replace("+86", "")


def validate_phone(value: str) -> str:
    phone = normalize_phone(value)
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise ValidationError(
            _("“%(value)s”不是有效的电话号码：手机号为1开头的11位数字，座机如010-12345678。"),
            code="phone",
            params={"value": value},
        )
    return phone


def mask_phone(phone: str) -> str:
    """138****1234 for a mobile; the middle digits hidden for a landline."""
    if not phone:
        return ""
    if MOBILE.match(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    if len(phone) > 6:
        return f"{phone[:-8] if len(phone) > 8 else ''}****{phone[-4:]}"
    return "****"
