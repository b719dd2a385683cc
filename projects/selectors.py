"""Read queries of the project list and the meetings. Every one starts from a model's
`visible_to(user)`, and each list costs a fixed number of queries whatever its length."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import CharField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.db.models.query import EmptyQuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from committees.models import Committee
from core.scoping import Action, subtree_q
from demands.models import Claim, ClaimDirection, ClaimStatus, Demand, Match
from members.models import Membership, MemberUnit, Seat, Subcommittee
from resources.models import Resource

from .models import (
    RUNNING,
    AgendaItem,
    Attendee,
    Decision,
    Meeting,
    Milestone,
    ProgressPhoto,
    ProgressUpdate,
    Project,
    ProjectTransition,
    Task,
    TaskStatus,
)

LIST_RELATED = ("committee", "lead_unit", "category")


def project_list(*, user) -> QuerySet[Project]:
    """The projects a user may see, with what a row shows joined in (sorted by the FilterSet)."""
    return Project.objects.visible_to(user).select_related(*LIST_RELATED)


def project_detail(*, user, pk) -> Project:
    return get_object_or_404(
        Project.objects.visible_to(user).select_related(
            *LIST_RELATED, "created_by", "claim", "decision", "decision__meeting", "escalated_to"
        ),
        pk=pk,
    )


def project_parts(project: Project) -> dict:
    """Everything the project page shows besides the project: a fixed number of queries."""
    updates = list(
        ProgressUpdate.objects.filter(project=project)
        .select_related("author", "unit", "milestone")
        .prefetch_related(Prefetch("photos", queryset=ProgressPhoto.objects.order_by("pk")))
        .order_by("-posted_at", "-pk")[:50]
    )
    return {
        "demands": list(
            Demand.objects.filter(projects=project).select_related("committee", "category")
        ),
        "resources": list(
            Resource.objects.filter(projects=project).select_related("offered_by", "committee")
        ),
        "units": list(MemberUnit.objects.filter(projects=project).order_by("name")),
        "milestones": list(project.milestones.select_related("done_by").order_by("due_on", "pk")),
        "updates": updates,
        "transitions": list(
            ProjectTransition.objects.filter(project=project).select_related("actor")
        ),
    }


def photo_detail(*, user, pk) -> ProgressPhoto:
    """A progress photo is seen by whoever may see its project; everyone else gets a 404."""
    return get_object_or_404(ProgressPhoto.objects.visible_to(user), pk=pk)


def lead_projects(*, user) -> QuerySet[Project]:
    """The running projects a unit's contact reports on (the phone page's list)."""
    return (
        Project.objects.visible_to(user, Action.CHANGE)
        .filter(lead_unit_id__in=user.unit_ids(), status__in=RUNNING)
        .select_related("committee")
        .order_by("due_on", "pk")
    )


def visible_committee(user, pk) -> Committee | None:
    return Committee.objects.visible_to(user).filter(pk=pk).first() if str(pk).isdigit() else None


def change_committees(user) -> QuerySet[Committee]:
    return Committee.objects.visible_to(user, Action.CHANGE).open().order_by("tree_id", "lft")


def committee_choices(user, *, limit: int = 1000) -> list[tuple[int, str]]:
    committees = list(change_committees(user)[:limit])
    top = min((c.depth for c in committees), default=0)
    return [(c.pk, "\u3000" * (c.depth - top) + c.name) for c in committees]


def filter_committees(user) -> list[tuple[int, str]]:
    """For a list's place filter: the user's own committees and the ones right below them."""
    own = [c.pk for c in getattr(user, "scope_committees", [])]
    if not own:
        return []
    committees = (
        Committee.objects.visible_to(user)
        .filter(Q(pk__in=own) | Q(parent_id__in=own))
        .order_by("tree_id", "lft")[:300]
    )
    return [(c.pk, ("" if c.pk in own else "\u3000") + c.name) for c in committees]


def unit_choices(user, committee: Committee | None = None) -> QuerySet[MemberUnit]:
    """Units a user may name on a project: active units they can see."""
    units = MemberUnit.objects.visible_to(user).filter(is_active=True)
    return units.order_by("name")


# --- where a project comes from --------------------------------------------------------------------


def claim_for_project(*, user, pk) -> Claim:
    return get_object_or_404(
        Claim.objects.visible_to(user).select_related(
            "demand", "demand__committee", "demand__handling_committee", "unit", "resource"
        ),
        pk=pk,
    )


def commitment_for_project(*, user, demand: Demand, resource_pk) -> Claim:
    """The accepted commitment of a committee's own resource to this demand (直接对接)."""
    return get_object_or_404(
        Claim.objects.visible_to(user)
        .filter(
            demand=demand,
            direction=ClaimDirection.COMMITTEE_COMMITS,
            status=ClaimStatus.ACCEPTED,
        )
        .select_related("demand", "demand__committee", "demand__handling_committee", "resource"),
        resource_id=resource_pk,
    )


def match_for_project(*, user, pk) -> Match:
    return get_object_or_404(
        Match.objects.visible_to(user).select_related(
            "demand",
            "demand__committee",
            "demand__handling_committee",
            "resource",
            "resource__offered_by",
        ),
        pk=pk,
    )


def demand_for_project(*, user, pk) -> Demand:
    return get_object_or_404(
        Demand.objects.visible_to(user).select_related("committee", "handling_committee"), pk=pk
    )


def decision_for_project(*, user, pk) -> Decision:
    return get_object_or_404(
        Decision.objects.visible_to(user).select_related(
            "meeting", "meeting__committee", "agenda_item", "owner_unit", "owner_committee"
        ),
        pk=pk,
    )


def projects_of_demand(*, user, demand: Demand) -> list[Project]:
    return list(
        Project.objects.visible_to(user).filter(demands=demand).order_by("-created_at", "-pk")
    )


# --- meetings ------------------------------------------------------------------------------------


def meeting_detail(*, user, pk) -> Meeting:
    return get_object_or_404(
        Meeting.objects.visible_to(user).select_related(
            "committee", "subcommittee", "chair_unit", "created_by"
        ),
        pk=pk,
    )


def meeting_parts(meeting: Meeting) -> dict:
    return {
        "agenda": list(
            AgendaItem.objects.filter(meeting=meeting).select_related(
                "demand", "resource", "project"
            )
        ),
        "attendees": list(
            Attendee.objects.filter(meeting=meeting).select_related("unit", "responded_by")
        ),
        "decisions": list(
            Decision.objects.filter(meeting=meeting).select_related(
                "owner_unit", "owner_committee", "agenda_item", "project", "task"
            )
        ),
    }


def meetings_of(*, user, committee: Committee | None = None) -> QuerySet[Meeting]:
    meetings = Meeting.objects.visible_to(user).select_related("committee", "subcommittee")
    if committee is not None:
        meetings = meetings.filter(subtree_q(committee))
    return meetings


def calendar_month(*, user, committee: Committee | None, month: dt.date) -> list[Meeting]:
    """The meetings of one month (local time), by day."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(month.replace(day=1), dt.time(), tzinfo=zone)
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    end = dt.datetime.combine(following, dt.time(), tzinfo=zone)
    return list(
        meetings_of(user=user, committee=committee)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "pk")
    )


def invitable(meeting_committee: Committee, subcommittee: Subcommittee | None = None) -> dict:
    """Who may be invited: the committee's seats in office and its member units (or the
    subcommittee's)."""
    today = timezone.localdate()
    seats = (
        Seat.objects.filter(committee=meeting_committee, term_start__lte=today)
        .exclude(term_end__lt=today)
        .select_related("unit")
        .order_by("role", "person_name")
    )
    memberships = Membership.objects.filter(committee=meeting_committee, status="active")
    if subcommittee is not None:
        memberships = memberships.filter(subcommittee=subcommittee)
    units = MemberUnit.objects.filter(
        pk__in=memberships.values("unit_id"), is_active=True
    ).order_by("name")
    return {"seats": list(seats), "units": list(units[:300])}


def subcommittees_of(committees) -> QuerySet[Subcommittee]:
    return Subcommittee.objects.filter(committee__in=committees).select_related("committee")


def my_invitations(*, user) -> QuerySet[Attendee]:
    return (
        Attendee.objects.visible_to(user, Action.CHANGE)
        .filter(unit_id__in=user.unit_ids())
        .select_related("meeting", "unit")
        .order_by("-meeting__starts_at")
    )


def attendee_detail(*, user, pk) -> Attendee:
    return get_object_or_404(
        Attendee.objects.visible_to(user).select_related("meeting", "meeting__committee", "unit"),
        pk=pk,
    )


def task_detail(*, user, pk) -> Task:
    return get_object_or_404(
        Task.objects.visible_to(user).select_related(
            "committee", "owner_unit", "owner_committee", "decision", "decision__meeting"
        ),
        pk=pk,
    )


# --- supervision ---------------------------------------------------------------------------------

OVERDUE_COLUMNS = ("kind", "pk", "title", "place", "due_on", "overdue_at", "escalated_at", "link")


def overdue_list(*, user, committee: Committee | None = None) -> OverdueRows:
    """What is overdue in the user's subtree, oldest first: projects, milestones and tasks in
    one union, read keys first (`OverdueRows`).

    Each part is cut from its own table by the scope and `overdue_at`; the names (a place, a
    milestone's project) are joined for the page's rows only. Joined before the sort, as it
    was, a city's 8,400 overdue items were each named to show 50 (51 ms a page, 36 to count;
    keys first, each part cut to the page: about 1 and 6). No part keeps its model's own
    order."""
    keys = []
    named = []

    def part(queryset, kind: str, title, place: str, link: str, committee_path: str):
        if committee is not None:
            queryset = queryset.filter(subtree_q(committee, committee_path))
        overdue = queryset.filter(overdue_at__isnull=False).order_by()
        keys.append(
            overdue.annotate(kind=Value(kind, output_field=CharField())).values_list(
                "kind", "pk", "due_on"
            )
        )
        named.append(
            (
                kind,
                queryset.order_by().values_list(
                    Value(kind, output_field=CharField()),
                    "pk",
                    title,
                    place,
                    "due_on",
                    "overdue_at",
                    "escalated_at",
                    link,
                ),
            )
        )

    part(
        Project.objects.visible_to(user).filter(status__in=RUNNING),
        "project",
        "title",
        "committee__name",
        "pk",
        "committee",
    )
    part(
        Milestone.objects.visible_to(user).filter(
            done_at__isnull=True, project__status__in=RUNNING
        ),
        "milestone",
        Concat("project__title", Value(" · "), "title", output_field=CharField()),
        "project__committee__name",
        "project_id",
        "project__committee",
    )
    part(
        Task.objects.visible_to(user).filter(status=TaskStatus.OPEN),
        "task",
        "title",
        "committee__name",
        "pk",
        "committee",
    )
    return OverdueRows(keys, dict(named))


class OverdueRows:
    """The overdue union as a paginator's object list: counted and cut into pages on the parts'
    keys (kind, pk, due date), then only a page's rows read with their names, in one union of
    each kind's rows by key (through the same scoped querysets: a key is named only where it
    was found). Rows come as `OVERDUE_COLUMNS` tuples, in the keys' order.

    Where the database takes a sorted, limited part inside a union (PostgreSQL; not SQLite),
    each part is first cut to the rows up to the page's end, walked in the list's order off its
    index (`project_overdue_keys`, `milestone_open_overdue`): a city's first page, 13.5 ms of
    sorting 8,400 keys, takes 1 ms."""

    ORDER = ("due_on", "pk", "kind")

    def __init__(self, keys: list[QuerySet], named: dict[str, QuerySet]):
        self.keys = keys
        self.named = named

    def count(self) -> int:
        return self.keys[0].union(*self.keys[1:], all=True).count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return list(self[index : index + 1])[0]
        if index.stop is not None and index.stop <= (index.start or 0):
            return []  # an empty list's only page: a part cut to nothing would be no query at all
        return self.read(list(self.ordered_keys(index.stop)[index]))

    def __iter__(self):
        return iter(self.read(list(self.ordered_keys(None))))

    def ordered_keys(self, stop: int | None) -> QuerySet:
        # A reader with no scope for a kind has an empty part: none of them is cut or joined.
        parts = [part for part in self.keys if not isinstance(part, EmptyQuerySet)]
        if len(parts) <= 1:
            return (parts or self.keys)[0].order_by(*self.ORDER)
        if stop is not None and connection.features.supports_slicing_ordering_in_compound:
            parts = [part.order_by("due_on", "pk")[:stop] for part in parts]
        return parts[0].union(*parts[1:], all=True).order_by(*self.ORDER)

    def read(self, page: list[tuple]) -> list[tuple]:
        if not page:
            return []
        wanted: dict[str, list[int]] = {}
        for kind, pk, _due_on in page:
            wanted.setdefault(kind, []).append(pk)
        parts = [self.named[kind].filter(pk__in=pks) for kind, pks in wanted.items()]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        found = {(row[0], row[1]): row for row in rows}
        return [found[(kind, pk)] for kind, pk, _due_on in page if (kind, pk) in found]


def overdue_rows(values) -> list[dict]:
    return [dict(zip(OVERDUE_COLUMNS, row, strict=True)) for row in values]
