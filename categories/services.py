"""The tenant's taxonomy of needs (需求类别), edited by its tenant administrators.

Each category carries how many days an unmatched demand may wait at each level before it rises one
level up; a level left blank never escalates. Names are unique within a tenant. Only a tenant
administrator holding the role at the tenant's root committee may change the taxonomy: it is the
whole city's vocabulary, not one district's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from categories.policies import ensure_may_edit_categories
from committees.models import Level, Tenant
from core.errors import Errors
from core.scoping import Action, ensure_in_scope

from .models import Category

# The levels a demand can wait at, in the order the pages show them (the city has no level above).
ESCALATION_LEVELS: list[tuple[str, object]] = [
    (Level.COMMUNITY.value, gettext_lazy("社区村")),
    (Level.STREET.value, gettext_lazy("街乡")),
    (Level.DISTRICT.value, gettext_lazy("区")),
    (Level.GRID.value, gettext_lazy("网格")),
    (Level.BUILDING.value, gettext_lazy("楼栋")),
]
LEVEL_KEYS = [key for key, _label in ESCALATION_LEVELS]
# Ten years: beyond it a deadline means "never", which is what a blank says; it also keeps the
# due date far from the end of the calendar.
MAX_ESCALATION_DAYS = 3650
MAX_POSITION = 32767
KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")


def escalation_field(level: str) -> str:
    """The name under which a level's deadline is reported (and entered on the page)."""
    return f"escalation_days_{level}"


@dataclass
class CategoryData:
    name: str
    keywords: str = ""
    position: int | str | None = 0
    is_active: bool = True
    # {"community": 7, "street": "14", "district": ""}: blank or missing means never escalates.
    escalation_days: dict[str, int | str | None] = field(default_factory=dict)


def categories_for(user) -> QuerySet[Category]:
    """The categories a user reads: their own tenant's, everyone in it alike (fails closed)."""
    return Category.objects.visible_to(user)


def clean_category(*, tenant_id: int, data: CategoryData, instance: Category | None = None) -> dict:
    """Validate a category in full; raises every problem at once, each under its field."""
    errors = Errors()
    name = (data.name or "").strip()
    if not name:
        errors.add("name", _("请填写类别名称。"))
    elif len(name) > 50:
        errors.add("name", _("类别名称不能超过50个字，当前为%(n)d个字。") % {"n": len(name)})
    else:
        taken = Category.objects.filter(tenant_id=tenant_id, name=name)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            errors.add("name", _("已有名为“%(name)s”的类别。") % {"name": name})

    keywords = " ".join(
        dict.fromkeys(w for w in KEYWORD_SEPARATORS.split(data.keywords or "") if w)
    )
    if len(keywords) > 300:
        errors.add("keywords", _("关键词合计不能超过300个字。"))

    position = 0
    text = str(data.position if data.position is not None else "").strip()
    if text:
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_POSITION:
            errors.add("position", _("顺序应为0到%(max)d之间的整数。") % {"max": MAX_POSITION})
        else:
            position = int(text)

    unknown = set(data.escalation_days or {}) - set(LEVEL_KEYS)
    if unknown:
        errors.add(
            "escalation_days",
            _("未知的层级：%(levels)s。") % {"levels": "、".join(sorted(unknown))},
        )
    days: dict[str, int] = {}
    labels = dict(ESCALATION_LEVELS)
    for level in LEVEL_KEYS:
        raw = (data.escalation_days or {}).get(level)
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue  # blank: never escalates from this level
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            errors.add(
                escalation_field(level),
                _("“%(level)s”的上报期限应为正整数（天），留空表示不上报，当前为“%(value)s”。")
                % {"level": labels[level], "value": text},
            )
        elif int(text) > MAX_ESCALATION_DAYS:
            errors.add(
                escalation_field(level),
                _("“%(level)s”的上报期限不能超过%(max)d天；不需要上报请留空。")
                % {"level": labels[level], "max": MAX_ESCALATION_DAYS},
            )
        else:
            days[level] = int(text)
    errors.raise_if_any()
    return {
        "name": name,
        "keywords": keywords,
        "position": position,
        "is_active": bool(data.is_active),
        "escalation_days": days,
    }


def _duplicate_name(name: str) -> ValidationError:
    return ValidationError({"name": _("已有名为“%(name)s”的类别。") % {"name": name}})


@transaction.atomic
def category_create(*, actor, tenant: Tenant, data: CategoryData) -> Category:
    """A tenant administrator adds a category to the city's taxonomy."""
    ensure_may_edit_categories(actor, tenant.pk)
    clean = clean_category(tenant_id=tenant.pk, data=data)
    try:
        with transaction.atomic():
            category = Category.objects.create(tenant=tenant, **clean)
    except IntegrityError as error:  # someone added the same name a moment ago
        raise _duplicate_name(clean["name"]) from error
    ensure_in_scope(category, actor, Action.CHANGE)
    return category


@transaction.atomic
def category_update(*, actor, category: Category, data: CategoryData) -> Category:
    """A tenant administrator renames a category, changes its keywords, order, deadlines, or
    retires it (inactive: no new demands or resources take it; existing ones keep it).

    New deadlines apply from a demand's next publication or escalation on; deadlines already
    running keep their date."""
    ensure_may_edit_categories(actor, category.tenant_id)
    current = Category.objects.select_for_update().get(pk=category.pk)
    clean = clean_category(tenant_id=current.tenant_id, data=data, instance=current)
    for name, value in clean.items():
        setattr(current, name, value)
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError as error:
        raise _duplicate_name(clean["name"]) from error
    ensure_in_scope(current, actor, Action.CHANGE)
    return current


def resolve_category(tenant_id: int, value) -> Category | None:
    """An active category of the tenant, given as itself, its id or its exact name."""
    if isinstance(value, Category):
        return value if value.tenant_id == tenant_id and value.is_active else None
    if value in (None, ""):
        return None
    categories = Category.objects.filter(tenant_id=tenant_id, is_active=True)
    if isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
        return categories.filter(pk=int(value)).first()
    return categories.filter(name=str(value).strip()).first()
