"""The default taxonomy (and thesaurus) a tenant starts with; tenant administrators edit them
afterwards."""

from __future__ import annotations

from .models import Category, ThesaurusEntry
from .thesaurus import thesaurus_ensure_defaults

# Days an unmatched demand may wait at each level before it rises one level up.
DEFAULT_DAYS = {"building": 3, "grid": 3, "community": 7, "street": 14, "district": 30}

DEFAULT_CATEGORIES: list[tuple[str, str]] = [
    ("养老服务", "助老 助餐 老年 养老 独居老人 适老化 老年餐桌"),
    ("医疗卫生", "义诊 医疗 健康 看病 就医 体检 健康讲座"),
    ("教育培训", "教育 培训 课堂 托管 四点半课堂 辅导"),
    ("文化体育", "文化 体育 文体活动 场地 演出 图书"),
    ("环境整治", "环境 垃圾分类 绿化 卫生 楼道堆物 整治"),
    ("交通停车", "停车 停车位 交通 非机动车 乱停乱放 错时停车"),
    ("就业创业", "就业 招聘 岗位 创业 技能"),
    ("平安建设", "消防 安全 隐患 治安 防控"),
    ("法律服务", "法律 援助 咨询 调解 维权"),
    ("房屋修缮", "房屋 修缮 老旧小区 加装电梯 物业 维修"),
    ("企业服务", "企业 政策 融资 人才 营商"),
    ("其他", ""),
]


def categories_ensure_defaults(tenant) -> list[Category]:
    existing = set(Category.objects.filter(tenant=tenant).values_list("name", flat=True))
    Category.objects.bulk_create(
        [
            Category(
                tenant=tenant,
                name=name,
                keywords=keywords,
                escalation_days=DEFAULT_DAYS,
                position=i,
            )
            for i, (name, keywords) in enumerate(DEFAULT_CATEGORIES)
            if name not in existing
        ]
    )
    if not ThesaurusEntry.objects.filter(tenant=tenant).exists():
        # A new tenant's matching vocabulary; an edited (or emptied) thesaurus stays as it is.
        thesaurus_ensure_defaults(tenant)
    return list(Category.objects.filter(tenant=tenant))
