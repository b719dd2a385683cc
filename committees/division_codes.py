"""The 12-digit statistical division code (统计用区划代码): 2 province, 2 city, 2 county,
3 street/township, 3 community/village. Each level fills its own segment and leaves the lower
ones zero; a child's code continues its parent's."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SEGMENTS = [(0, 2), (2, 4), (4, 6), (6, 9), (9, 12)]

# How many leading segments a level's code fills (the city counts both its province and city
# segments: Beijing's municipality is 110000000000, Datong 140200000000).
FILLED_SEGMENTS = {"city": 2, "district": 3, "street": 4, "community": 5}


def significant_prefix(code: str) -> str:
    """The code without its trailing all-zero segments: 110108001000 -> 110108001."""
    end = 0
    for start, stop in SEGMENTS:
        if code[start:stop].strip("0"):
            end = stop
    return code[:end]


def validate_format(code: str) -> None:
    if len(code) != 12 or not code.isascii() or not code.isdigit():
        raise ValidationError(
            _("区划代码应为12位数字（2-2-2-3-3结构）,“%(code)s”不符合。"),
            code="division_code_format",
            params={"code": code},
        )
    if not code[0:2].strip("0"):
        raise ValidationError(_("区划代码的前两位(省级)不能为00。"), code="division_code_format")


def validate_for_level(code: str, level: str) -> None:
    filled = FILLED_SEGMENTS.get(level)
    if filled is None:
        raise ValidationError(
            _("网格、楼栋层级没有统计用区划代码，请留空。"), code="division_code_level"
        )
    start, stop = SEGMENTS[filled - 1]
    own_segment_set = bool(code[start:stop].strip("0")) or level == "city"
    lower_zero = not code[stop:].strip("0")
    if not (own_segment_set and lower_zero):
        raise ValidationError(
            _("“%(code)s”不是%(level)s层级的区划代码：应填到第%(stop)d位，其后全为0。"),
            code="division_code_level",
            params={"code": code, "level": level_label(level), "stop": stop},
        )


def validate_under_parent(code: str, parent_code: str) -> None:
    prefix = significant_prefix(parent_code)
    if not code.startswith(prefix) or significant_prefix(code) == prefix:
        raise ValidationError(
            _("区划代码“%(code)s”不属于上级“%(parent)s”：下级代码应以%(prefix)s开头并更细一级。"),
            code="division_code_parent",
            params={"code": code, "parent": parent_code, "prefix": prefix},
        )


def level_label(level: str) -> str:
    from .models import Level

    return str(Level(level).label)
