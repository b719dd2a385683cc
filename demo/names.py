"""Identifiers and names that look real: credit codes with their check character, Chinese
names, mobile and landline numbers. People in the demo are fictional."""

from __future__ import annotations

import hashlib
import random

from core import identifiers

# --- identifiers that look real -----------------------------------------------------------------

# GB 11714: the 9-character organisation code inside a credit code has a check character of its own.
ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def organisation_code(serial: int) -> str:
    digits = f"{serial % 10**8:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, ORG_CODE_WEIGHTS, strict=True)) % 11
    return digits + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(category: str, region: str, serial: int) -> str:
    """A unified social credit code (GB 32100): registration authority and category ("11" an
    agency, "12" a public institution, "51"/"52" a social organisation, "91" a company, "N2" a
    village collective), the 6-digit region, the organisation code, and the check character."""
    first17 = f"{category}{region}{organisation_code(serial)}"
    return first17 + identifiers.credit_code_check_character(first17)


def stable_number(*parts: object) -> int:
    """A number that depends only on its inputs (Python's hash() changes between runs)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:15], 16)


def words(text: str) -> list[str]:
    return text.split()


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
)
GIVEN_CHARS = (
    "建国华明丽军平静敏伟芳娜秀英强磊洋艳勇杰娟涛超霞刚桂兰飞鹏辉玲宇晨雪梅琳红志海文斌波东亮"
    "春燕晓峰颖琦欣瑞嘉怡婷浩然子轩思雨佳宁博远振兴永立新凤云鑫佩蕾慧娴淑俊彦卫民"
)
MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 158 159 180 181 185 186 187 188 189"
)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, area: str) -> str:
    digits = 7 if area == "0352" else 8
    return f"{area}-{rng.choice('568')}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


# Telephone area codes of the demo cities, by the first two digits of their division codes.
AREA_CODES = {"11": "010", "31": "021", "14": "0352"}


def short_name(name: str) -> str:
    for suffix in (
        "党建工作协调委员会",
        "社区居民委员会",
        "社区居委会",
        "居民委员会",
        "居委会",
        "街道",
        "地区",
        "社区",
    ):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    for suffix in ("村民委员会", "村委会"):
        if name.endswith(suffix):
            village = name.removesuffix(suffix)
            return village if village.endswith("村") else village + "村"
    return name
