"""Read queries of the members domain. Every one starts from a model's `visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Committee
from core.identifiers import mask_phone, normalize_credit_code
from core.references import ReferenceResolver, as_id
from core.scoping import Action
from members.models import ROLES_FOR_ACTION, MemberUnit, RotationSlot, Subcommittee

from .policies import may_see_unit_contact


def member_units(*, user) -> QuerySet[MemberUnit]:
    return (
        MemberUnit.objects.visible_to(user)
        .select_related("committee")
        .order_by("committee__lft", "name")
    )


def unit_contact_phone(user, unit: MemberUnit) -> str:
    return (
        unit.contact_phone if may_see_unit_contact(user, unit) else mask_phone(unit.contact_phone)
    )


def change_committees(user, selected: Committee | None = None) -> list[Committee]:
    """The committees where the user holds a grant to change things (and `selected`), outermost
    first: what an import offers to import into. Read off the user's grants, no query."""
    committees = {
        grant.committee.pk: grant.committee
        for grant in user.role_grants()
        if grant.committee is not None
        and grant.role in ROLES_FOR_ACTION[Action.CHANGE]
        and grant.committee.tenant_id == user.tenant_id
    }
    if selected is not None:
        committees.setdefault(selected.pk, selected)
    return sorted(committees.values(), key=lambda c: (c.tree_id, c.lft))


# --- naming a member unit -------------------------------------------------------------------------

CREDIT_CODE_LENGTH = 18


class UnitResolver(ReferenceResolver):
    """A member unit named by its unified social credit code, its exact name, or its id. An
    inactive unit is found but cannot be chosen."""

    model_name = gettext_lazy("成员单位")
    unusable_words = gettext_lazy("已停用")
    distinct_by = gettext_lazy("统一社会信用代码")

    def lookup(self, text: str):
        code = normalize_credit_code(text)
        if len(code) == CREDIT_CODE_LENGTH and code.isascii() and code.isalnum():
            return ("credit_code", code)
        pk = as_id(text)
        return ("pk", pk) if pk is not None else ("name", text)

    def keys_of(self, unit: MemberUnit):
        keys = [("pk", unit.pk), ("name", unit.name)]
        if unit.credit_code:
            keys.append(("credit_code", unit.credit_code))
        return keys

    def unusable(self, unit: MemberUnit) -> bool:
        return not unit.is_active


def unit_picker(user):
    """The picker widget for a member-unit field: searches the units the user can see and
    shows the current choice (an id, a credit code or a name) by its name."""
    from django.urls import reverse

    from core.widgets import PickerWidget

    def label_for(reference: str) -> str:
        key, value = UnitResolver.lookup(None, reference.strip())
        found = MemberUnit.objects.visible_to(user).filter(**{key: value}).first()
        return found.name if found else ""

    return PickerWidget(
        reverse("members:unit_lookup"),
        label_for=label_for,
        placeholder=_("输入单位名称或统一社会信用代码搜索"),
    )


def unit_resolver(
    *, user, field: str = "unit", label: str = "", scope: str = "", default=None
) -> UnitResolver:
    """The one way to find a member unit a user named: among the units the user can see (a
    unit's contact sees only their own)."""
    return UnitResolver(
        MemberUnit.objects.visible_to(user).select_related("committee"),
        field=field,
        label=label,
        scope=scope or _("您工作范围内的成员单位"),
        default=default,
    )


@dataclass
class Chair:
    slot: RotationSlot
    since: dt.date
    until: dt.date


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    import calendar

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_chair(
    subcommittee: Subcommittee, slots: list[RotationSlot], today: dt.date | None = None
) -> Chair | None:
    """Who chairs today, following the rotation set once: it advances by itself every term."""
    today = today or timezone.localdate()
    if not slots or subcommittee.rotation_start is None or today < subcommittee.rotation_start:
        return None
    start = subcommittee.rotation_start
    elapsed = (today.year - start.year) * 12 + (today.month - start.month) - (today.day < start.day)
    term = elapsed // subcommittee.rotation_months
    since = add_months(start, term * subcommittee.rotation_months)
    until = add_months(start, (term + 1) * subcommittee.rotation_months) - dt.timedelta(days=1)
    return Chair(slot=slots[term % len(slots)], since=since, until=until)
