"""Supervision (督导落实): the due dates of projects, milestones and tasks, chased once a minute.

Each supervised row carries `due_at` (the start of the day after its due date, Beijing time)
and `supervise_at`, the moment the scan must look at it next: the reminder (a tenant's number of
days before the due date), the due date itself (the overdue flag), and the escalation (a set
number of days later, to the committee one level up, whose staff are told once). The stamps
`reminded_at`, `overdue_at` and `escalated_at` record what was done, and the scan claims rows
with `FOR UPDATE SKIP LOCKED` and writes the stamps in the transaction that writes the
notifications: two scans never take one row, and a stage done is never done again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Committee
from demands.services import STAFF_ROLES, contacts_of, staff_of
from members.models import Role, RoleGrant
from members.selectors import answering_committees
from notifications import services as notifications
from notifications.models import Event

from .models import RUNNING, Milestone, Project, SupervisionPolicy, Task, TaskStatus

DEFAULT_REMIND_DAYS = 3
DEFAULT_ESCALATE_DAYS = 3
BATCH = 500


def due_at_for(day: dt.date | None) -> dt.datetime | None:
    """A due date's deadline: the start of the next day in the platform's time zone."""
    if day is None:
        return None
    zone = timezone.get_current_timezone()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


@dataclass(frozen=True)
class Rhythm:
    remind: dt.timedelta
    escalate: dt.timedelta


def rhythm_of(tenant_id: int, cache: dict[int, Rhythm] | None = None) -> Rhythm:
    if cache is not None and tenant_id in cache:
        return cache[tenant_id]
    policy = SupervisionPolicy.objects.filter(tenant_id=tenant_id).first()
    rhythm = Rhythm(
        remind=dt.timedelta(days=policy.remind_days_before if policy else DEFAULT_REMIND_DAYS),
        escalate=dt.timedelta(days=policy.escalate_after_days if policy else DEFAULT_ESCALATE_DAYS),
    )
    if cache is not None:
        cache[tenant_id] = rhythm
    return rhythm


def next_look(row, rhythm: Rhythm, *, is_open: bool) -> dt.datetime | None:
    """When the scan must look at a row next, from what has been done to it."""
    if not is_open or row.due_at is None:
        return None
    if row.overdue_at is None:
        if row.reminded_at is None:
            # The morning of the day that lies `remind` days before the due date.
            return row.due_at - rhythm.remind - dt.timedelta(days=1)
        return row.due_at
    if row.escalated_at is None:
        return row.due_at + rhythm.escalate
    return None


def schedule(row, due_on: dt.date | None, rhythm: Rhythm, *, is_open: bool = True) -> None:
    """Set a row's due date and start its supervision afresh (a moved due date is chased anew)."""
    row.due_on = due_on
    row.due_at = due_at_for(due_on)
    row.reminded_at = row.overdue_at = row.escalated_at = None
    row.escalated_to = None
    row.supervise_at = next_look(row, rhythm, is_open=is_open)


def resume(row, rhythm: Rhythm, *, is_open: bool) -> None:
    """Recompute when to look next without forgetting what was done (suspend, resume, finish)."""
    row.supervise_at = next_look(row, rhythm, is_open=is_open)


def reschedule_tenant(tenant_id: int) -> None:
    """A tenant's rhythm changed: every open row's next look is computed again."""
    rhythm = rhythm_of(tenant_id)
    for kind in KINDS.values():
        rows = list(
            kind.model.objects.filter(
                tenant_id=tenant_id, supervise_at__isnull=False
            ).select_related(*kind.related)
        )
        for row in rows:
            resume(row, rhythm, is_open=kind.is_open(row))
        kind.model.objects.bulk_update(rows, ["supervise_at"], batch_size=2000)


# --- what each kind of row is ------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str  # "project", "milestone", "task"
    label: str
    model: type
    related: tuple[str, ...]

    def is_open(self, row) -> bool:
        if self.name == "project":
            return row.status in RUNNING
        if self.name == "milestone":
            return row.done_at is None and row.project.status in RUNNING
        return row.status == TaskStatus.OPEN

    def committee(self, row) -> Committee:
        """Where the row is handled: its staff are told, and it rises from there."""
        if self.name == "project":
            return row.committee
        if self.name == "milestone":
            return row.project.committee
        return row.owner_committee or row.committee

    def title(self, row) -> str:
        if self.name == "milestone":
            return f"{row.project.title} · {row.title}"
        return row.title

    def link(self, row) -> str:
        if self.name == "task":
            return f"/projects/tasks/{row.pk}/"
        project_id = row.pk if self.name == "project" else row.project_id
        return f"/projects/{project_id}/"

    def unit_ids(self, row) -> list[int]:
        if self.name == "project":
            return [row.lead_unit_id] if row.lead_unit_id else []
        if self.name == "milestone":
            return [row.project.lead_unit_id] if row.project.lead_unit_id else []
        return [row.owner_unit_id] if row.owner_unit_id else []

    def deciding_committee(self, row) -> Committee | None:
        return row.committee if self.name == "task" else None


KIND_CHOICES = [
    ("project", gettext_lazy("项目")),
    ("milestone", gettext_lazy("里程碑")),
    ("task", gettext_lazy("交办任务")),
]

KINDS = {
    "project": Kind("project", gettext_lazy("项目"), Project, ("committee__parent",)),
    "milestone": Kind(
        "milestone", gettext_lazy("里程碑"), Milestone, ("project", "project__committee__parent")
    ),
    "task": Kind(
        "task",
        gettext_lazy("交办任务"),
        Task,
        ("committee", "owner_committee__parent", "committee__parent"),
    ),
}


class Audience:
    """Who hears of a row, looked up once per committee and unit within a scan."""

    def __init__(self) -> None:
        self.staff: dict[int, list] = {}
        self.contacts: dict[int, list] = {}
        # A committee with no staff account is answered by the nearest staffed one above it.
        self.answering: dict[int, Committee | None] = {}

    def load(self, kind: Kind, rows: list) -> None:
        """Who hears of a batch of rows, in two queries (the staff of every committee concerned,
        the contacts of every unit), instead of two per row."""
        concerned, parents = {}, set()
        for row in rows:
            for committee in (kind.committee(row), kind.deciding_committee(row)):
                if committee is not None:
                    concerned[committee.pk] = committee
                    if committee.parent_id:
                        parents.add(committee.parent_id)
        missing = parents - set(concerned) - set(self.answering)
        concerned.update(Committee.objects.in_bulk(missing) if missing else {})
        fresh = [c for pk, c in concerned.items() if pk not in self.answering]
        self.answering.update(answering_committees(fresh))
        committees = {
            self.answering[pk].pk for pk in concerned if self.answering.get(pk) is not None
        } - set(self.staff)
        units = {u for row in rows for u in kind.unit_ids(row)} - set(self.contacts)
        for pk in committees:
            self.staff[pk] = []
        for pk in units:
            self.contacts[pk] = []
        grants = RoleGrant.objects.filter(user__is_active=True).select_related("user")
        for grant in grants.filter(committee_id__in=committees, role__in=STAFF_ROLES):
            if grant.user not in self.staff[grant.committee_id]:
                self.staff[grant.committee_id].append(grant.user)
        for grant in grants.filter(member_unit_id__in=units, role=Role.UNIT_CONTACT):
            if grant.user not in self.contacts[grant.member_unit_id]:
                self.contacts[grant.member_unit_id].append(grant.user)

    def staff_at(self, committee: Committee | None) -> list:
        """The staff who answer for `committee`: its own, or those of the nearest staffed
        committee up the tree when it has none."""
        if committee is None:
            return []
        if committee.pk not in self.answering:
            self.answering.update(answering_committees([committee]))
        answering = self.answering[committee.pk]
        if answering is None:
            return []
        if answering.pk not in self.staff:
            self.staff[answering.pk] = list(staff_of(answering).only("pk", "email", "is_active"))
        return self.staff[answering.pk]

    def contacts_for(self, unit_ids: Iterable[int]) -> list:
        found = []
        for unit_id in unit_ids:
            if unit_id not in self.contacts:
                self.contacts[unit_id] = list(
                    contacts_of([unit_id]).only("pk", "email", "is_active")
                )
            found += self.contacts[unit_id]
        return found

    def responsible(self, kind: Kind, row) -> list:
        people = self.contacts_for(kind.unit_ids(row)) + self.staff_at(kind.committee(row))
        deciding = kind.deciding_committee(row)
        if deciding is not None and deciding.pk != kind.committee(row).pk:
            people += self.staff_at(deciding)
        return people


# --- the scan ------------------------------------------------------------------------------------


def supervision_scan(*, now: dt.datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """One pass of the once-a-minute task: every row whose `supervise_at` has come, in batches,
    each batch one transaction. Returns how many reminders, overdue flags and escalations."""
    now = now or timezone.now()
    counts = {"reminded": 0, "overdue": 0, "escalated": 0}
    rhythms: dict[int, Rhythm] = {}
    audience = Audience()
    for kind in KINDS.values():
        while True:
            with transaction.atomic():
                rows = list(
                    kind.model.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related(*kind.related)
                    .filter(supervise_at__lte=now)
                    .order_by("supervise_at", "pk")[:batch]
                )
                audience.load(kind, rows)
                for row in rows:
                    stage = look_at(kind, row, now, rhythm_of(row.tenant_id, rhythms), audience)
                    if stage:
                        counts[stage] += 1
                kind.model.objects.bulk_update(
                    rows,
                    ["supervise_at", "reminded_at", "overdue_at", "escalated_at", "escalated_to"],
                )
            if len(rows) < batch:
                break
    return counts


def look_at(kind: Kind, row, now: dt.datetime, rhythm: Rhythm, audience: Audience) -> str:
    """Do what is due for one claimed row; returns the stage done ("" for none)."""
    stage = ""
    if not kind.is_open(row):
        row.supervise_at = None
        return stage
    if row.overdue_at is None and now < row.due_at:
        if row.reminded_at is None:
            row.reminded_at = now
            stage = "reminded"
            notify_stage(kind, row, stage, audience.responsible(kind, row))
    elif row.overdue_at is None:
        row.overdue_at = now
        stage = "overdue"
        notify_stage(kind, row, stage, audience.responsible(kind, row))
    elif row.escalated_at is None and now >= row.due_at + rhythm.escalate:
        parent = kind.committee(row).parent
        row.escalated_at = now
        if parent is not None:
            row.escalated_to = parent
            stage = "escalated"
            notify_stage(kind, row, stage, audience.staff_at(parent), committee=parent)
    row.supervise_at = next_look(row, rhythm, is_open=True)
    if stage == "" and row.supervise_at is not None and row.supervise_at <= now:
        row.supervise_at = None  # nothing more can be done for it (a stage with no one above)
    return stage


STAGE_EVENTS = {
    "reminded": Event.DEADLINE_NEAR,
    "overdue": Event.OVERDUE,
    "escalated": Event.ESCALATION,
}


def notify_stage(kind: Kind, row, stage: str, recipients: list, committee=None) -> int:
    due = row.due_on.isoformat()
    committee = committee or kind.committee(row)
    if stage == "reminded":
        title = _("%(kind)s“%(title)s”将于%(due)s到期") % {
            "kind": kind.label,
            "title": kind.title(row),
            "due": due,
        }
    elif stage == "overdue":
        title = _("%(kind)s“%(title)s”已逾期（期限%(due)s）") % {
            "kind": kind.label,
            "title": kind.title(row),
            "due": due,
        }
    else:
        title = _("%(place)s的%(kind)s“%(title)s”逾期未办结，已上报至%(to)s") % {
            "place": kind.committee(row).name,
            "kind": kind.label,
            "title": kind.title(row),
            "to": committee.name,
        }
    return notifications.notify(
        tenant_id=row.tenant_id,
        recipients=recipients,
        event=STAGE_EVENTS[stage],
        title=title,
        link=kind.link(row),
        key=f"supervision:{stage}:{kind.name}:{row.pk}:{due}",
        committee=committee,
    )


def reminder_send(*, actor, kind: Kind, row) -> int:
    """A reminder sent by hand from the overdue list, to whoever must act: at most one a day per
    sender and row, so a double tap does not ring twice."""
    people = Audience().responsible(kind, row)
    day = timezone.localdate().isoformat()
    return notifications.notify(
        tenant_id=row.tenant_id,
        recipients=people,
        event=Event.OVERDUE,
        title=_("督办提醒：%(kind)s“%(title)s”已逾期（期限%(due)s），请尽快办理")
        % {"kind": kind.label, "title": kind.title(row), "due": row.due_on.isoformat()},
        body=_("%(who)s提醒") % {"who": actor},
        link=kind.link(row),
        key=f"supervision:nudge:{kind.name}:{row.pk}:{day}:{actor.pk}",
        committee=kind.committee(row),
    )
