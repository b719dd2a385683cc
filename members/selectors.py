"""Read queries of the members domain. Every one starts from a model's `visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from committees.models import Committee
from core.identifiers import mask_phone
from core.scoping import Action, can
from members.models import MemberUnit, RotationSlot, Subcommittee


def member_units(*, user) -> QuerySet[MemberUnit]:
    return (
        MemberUnit.objects.visible_to(user)
        .select_related("committee")
        .order_by("committee__lft", "name")
    )


def can_see_unit_contact(user, unit: MemberUnit) -> bool:
    """A unit's contact phone is for the staff who work with it and the unit itself."""
    return unit.pk in user.unit_ids() or can(user, Action.CHANGE, unit.committee)


def unit_contact_phone(user, unit: MemberUnit) -> str:
    return (
        unit.contact_phone if can_see_unit_contact(user, unit) else mask_phone(unit.contact_phone)
    )


def subtree_filter(committee: Committee, path: str = "committee") -> dict:
    return {
        f"{path}__tree_id": committee.tree_id,
        f"{path}__lft__gte": committee.lft,
        f"{path}__rght__lte": committee.rght,
    }


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
