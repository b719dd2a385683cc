"""The to-do list every user lands on (config/home.py): what waits for them, read in a fixed
number of queries whatever the number of rows (each section: its first rows and its count).

Staff see what they answer for: claims of units waiting for an answer, demands escalated to them
or near their escalation deadline, registrations and service records to confirm, each at their
committee or at a committee below it that has no staff of its own (the same routing as the
notifications: `members.selectors.answered_here_q`). A unit's contact sees the requests waiting
for its answer, its own claims, demands and resources; a party member their wishes and service.
Everyone sees their unread notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from core.scoping import Action
from demands.models import Claim, ClaimDirection, ClaimStatus, Demand, DemandKind, DemandStatus
from members.selectors import answered_here_q
from notifications.models import Notification
from party_members.models import (
    PartyMember,
    Registration,
    RegistrationStatus,
    ServiceRecord,
)
from resources.models import Resource

SHOWN = 10
NEAR_DEADLINE = dt.timedelta(days=3)


@dataclass
class Section:
    key: str
    rows: list[Any]
    count: int


@dataclass
class Todo:
    sections: dict[str, Section] = field(default_factory=dict)

    def add(self, key: str, queryset: QuerySet) -> None:
        # Always the two queries, so the page costs the same however much waits.
        self.sections[key] = Section(key, list(queryset[:SHOWN]), queryset.count())

    def __getitem__(self, key: str) -> Section | None:
        return self.sections.get(key)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections.values() if s.key != "notifications")


def staff_todo(user, todo: Todo) -> None:
    now = timezone.now()
    claims_here = answered_here_q(user, "demand__handling_committee")
    demands_here = answered_here_q(user, "handling_committee")
    community_here = answered_here_q(user, "community")
    if claims_here is None:
        return
    todo.add(
        "claims",
        Claim.objects.visible_to(user, Action.CHANGE)
        .filter(claims_here, status=ClaimStatus.PENDING, direction=ClaimDirection.UNIT_CLAIMS)
        .select_related("demand__handling_committee", "unit")
        .order_by("created_at", "pk"),
    )
    open_here = Demand.objects.visible_to(user, Action.CHANGE).filter(
        demands_here, status=DemandStatus.PUBLISHED
    )
    todo.add(
        "escalated",
        open_here.exclude(handling_committee=F("committee"))
        .select_related("committee", "handling_committee")
        .order_by("escalation_due_at", "pk"),
    )
    todo.add(
        "deadline",
        open_here.filter(
            handling_committee=F("committee"),
            escalation_due_at__isnull=False,
            escalation_due_at__lte=now + NEAR_DEADLINE,
        )
        .select_related("committee")
        .order_by("escalation_due_at", "pk"),
    )
    todo.add(
        "registrations",
        Registration.objects.visible_to(user, Action.CHANGE)
        .filter(community_here, status=RegistrationStatus.PENDING)
        .select_related("community", "member", "unit")
        .order_by("requested_at", "pk"),
    )
    todo.add(
        "services",
        ServiceRecord.objects.pending_for(user)
        .filter(community_here)
        .select_related("community", "member")
        .order_by("served_on", "pk"),
    )


def contact_todo(user, todo: Todo, unit_ids: set[int]) -> None:
    claims = Claim.objects.visible_to(user).filter(unit_id__in=unit_ids)
    todo.add(
        "requests",
        claims.filter(status=ClaimStatus.PENDING, direction=ClaimDirection.STAFF_REQUESTS)
        .select_related("demand__handling_committee", "resource")
        .order_by("created_at", "pk"),
    )
    todo.add(
        "own_claims",
        claims.filter(status=ClaimStatus.PENDING, direction=ClaimDirection.UNIT_CLAIMS)
        .select_related("demand")
        .order_by("-created_at", "-pk"),
    )
    todo.add(
        "unit_demands",
        Demand.objects.visible_to(user)
        .filter(
            raised_by_unit_id__in=unit_ids,
            status__in=[DemandStatus.DRAFT, DemandStatus.PUBLISHED, DemandStatus.MATCHED],
        )
        .order_by("-created_at", "-pk"),
    )
    todo.add(
        "resources",
        Resource.objects.visible_to(user)
        .filter(offered_by_id__in=unit_ids)
        .order_by("-created_at", "-pk"),
    )


def member_todo(user, todo: Todo, member_id: int) -> None:
    todo.add(
        "wishes",
        Demand.objects.visible_to(user)
        .filter(kind=DemandKind.WISH, claimed_by_member_id=member_id, status=DemandStatus.MATCHED)
        .order_by("-updated_at", "-pk"),
    )
    todo.add(
        "my_services",
        ServiceRecord.objects.visible_to(user)
        .filter(member_id=member_id)
        .order_by("-served_on", "-pk"),
    )


def todo_for(user) -> Todo:
    todo = Todo()
    if user.committee_scopes(Action.CHANGE):
        staff_todo(user, todo)
    unit_ids = user.unit_ids()
    if unit_ids:
        contact_todo(user, todo, unit_ids)
    member_id = user.own_party_member_id()
    if member_id is not None:
        member_todo(user, todo, member_id)
    todo.add(
        "notifications",
        Notification.objects.visible_to(user).unread().order_by("-created_at", "-pk"),
    )
    return todo


def is_party_member(user) -> bool:
    return PartyMember.objects.filter(user=user).exists()
