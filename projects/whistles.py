"""Whistles and summons (街乡吹哨、部门报到): write operations and the deadline scan.

A street blows a whistle summoning departments, each with its own hours to report; the
departments' officers are told (inbox, email, the department's own robot), and so are the
committee's webhooks. An officer moves their summons along acknowledged → arrived → acted (never
backwards, never skipping arrival), with notes and photos. The once-a-minute supervision scan
(`summons_scan`, called by `projects.services.supervision_scan`) takes every summons whose
`supervise_at` (= `due_at`) has come: one still not reported is marked late and escalated once to
the committee above the whistle's, whose staff are notified once. The street keeps the daily
rhythm (consultation notes, items closed, feedback to residents), closes the whistle and rates
each department; the rating updates the department's record.

Each service is one transaction, checks `projects.policies`, reports every problem at once by
field, and re-checks the scope of what it wrote.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Committee
from core.errors import Errors
from core.scoping import covers, ensure_in_scope
from demands import services as demand_services
from demands.models import Demand
from members.models import MemberUnit, Role, RoleGrant, UnitKind
from notifications import services as notifications
from notifications.models import Event

from . import policies
from .models import (
    SUMMONS_TRANSITIONS,
    WHISTLE_TRANSITIONS,
    DepartmentRating,
    DepartmentRobot,
    Evaluation,
    RhythmKind,
    Summons,
    SummonsPhoto,
    SummonsReport,
    SummonsReportKind,
    SummonsStatus,
    Whistle,
    WhistleDemand,
    WhistleEntry,
    WhistleKind,
    WhistleStatus,
)

TITLE_MAX = 120
PLACE_MAX = 200
TEXT_MAX = 2000
COMMENT_MAX = 500
MAX_DEPARTMENTS = 60
MAX_HOURS = 720
DEFAULT_HOURS = 24
SCAN_BATCH = 500
# Who a whistle may summon: government departments, and the public-service enterprises (water,
# power, gas, heating) that Jinding street summoned beside 23 district offices.
SUMMONABLE_KINDS = (UnitKind.DEPARTMENT, UnitKind.STATE_OWNED)


def _text(value) -> str:
    return (value or "").strip()


def officers_of(department_ids) -> list:
    """The active officers of these departments."""
    from members.models import User

    return list(
        User.objects.filter(
            is_active=True,
            grants__role=Role.DEPARTMENT_OFFICER,
            grants__member_unit_id__in=list(department_ids),
        )
        .distinct()
        .only("pk", "email", "is_active")
    )


def whistle_link(whistle_id: int) -> str:
    return f"/projects/whistles/{whistle_id}/"


def summons_link(summons_id: int) -> str:
    return f"/projects/summons/{summons_id}/"


# --- blowing a whistle ---------------------------------------------------------------------------


@dataclass
class SummonsData:
    department: MemberUnit | None
    hours: int | str | None = DEFAULT_HOURS


@dataclass
class WhistleData:
    """What a form or an API body says about a whistle."""

    kind: str = ""
    title: str = ""
    place: str = ""
    request: str = ""
    description: str = ""
    demands: Sequence[Demand] = ()
    summons: Sequence[SummonsData] = field(default_factory=list)


def _clean_hours(value, errors: Errors, name: str) -> int | None:
    try:
        hours = int(str(value).strip())
    except (TypeError, ValueError):
        errors.add(name, _("报到时限应为小时数，如24。"))
        return None
    if not 1 <= hours <= MAX_HOURS:
        errors.add(name, _("报到时限应在1至%(n)d小时之间。") % {"n": MAX_HOURS})
        return None
    return hours


def clean_whistle(data: WhistleData, committee: Committee, errors: Errors) -> dict:
    cleaned = {}
    if data.kind not in WhistleKind.values:
        errors.add("kind", _("请选择哨型。"))
    cleaned["kind"] = data.kind
    for name, label, limit in (
        ("title", _("事项"), TITLE_MAX),
        ("place", _("地点"), PLACE_MAX),
        ("request", _("需要部门做什么"), TEXT_MAX),
    ):
        value = _text(getattr(data, name))
        if not value:
            errors.add(name, _("请填写%(label)s。") % {"label": label})
        elif len(value) > limit:
            errors.add(name, _("%(label)s不能超过%(n)d个字。") % {"label": label, "n": limit})
        cleaned[name] = value
    description = _text(data.description)
    if len(description) > TEXT_MAX:
        errors.add("description", _("问题描述不能超过%(n)d个字。") % {"n": TEXT_MAX})
    cleaned["description"] = description
    for demand in data.demands:
        if demand.tenant_id != committee.tenant_id or not (
            covers(committee, demand.committee) or demand.handling_committee_id == committee.pk
        ):
            errors.add("demands", _("需求“%(t)s”不属于本街乡。") % {"t": demand.title})
    summons = list(data.summons)
    if not summons:
        errors.add("summons", _("请选择至少一个被召集的部门。"))
    elif len(summons) > MAX_DEPARTMENTS:
        errors.add("summons", _("一次最多召集%(n)d个部门。") % {"n": MAX_DEPARTMENTS})
    seen: set[int] = set()
    rows = []
    for item in summons:
        department = item.department
        if department is None:
            errors.add("summons", _("请选择部门。"))
            continue
        if department.pk in seen:
            errors.add("summons", _("“%(d)s”重复召集。") % {"d": department.name})
            continue
        seen.add(department.pk)
        if (
            department.tenant_id != committee.tenant_id
            or department.kind not in SUMMONABLE_KINDS
            or not department.is_active
        ):
            errors.add(
                "summons", _("“%(d)s”不是可召集的职能部门或公共服务企业。") % {"d": department.name}
            )
            continue
        if not covers(department.committee, committee):
            errors.add(
                "summons",
                _("“%(d)s”不在本街乡所属的区（市）。") % {"d": department.name},
            )
            continue
        hours = _clean_hours(item.hours, errors, "summons")
        if hours is not None:
            rows.append((department, hours))
    cleaned["summons"] = rows
    return cleaned


@transaction.atomic
def whistle_blow(*, actor, committee: Committee, data: WhistleData) -> Whistle:
    """Blow a whistle: the whistle, one summons per department with its deadline, and the word to
    every summoned department's officers and robot."""
    policies.require_blow_whistle(actor, committee)
    errors = Errors()
    cleaned = clean_whistle(data, committee, errors)
    errors.raise_if_any()
    now = timezone.now()
    whistle = Whistle.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        kind=cleaned["kind"],
        title=cleaned["title"],
        place=cleaned["place"],
        request=cleaned["request"],
        description=cleaned["description"],
        blown_at=now,
        blown_by=actor,
    )
    WhistleDemand.objects.bulk_create(
        [
            WhistleDemand(tenant_id=whistle.tenant_id, whistle=whistle, demand=demand)
            for demand in {d.pk: d for d in data.demands}.values()
        ]
    )
    rows = [
        Summons(
            tenant_id=whistle.tenant_id,
            whistle=whistle,
            department=department,
            hours=hours,
            due_at=now + dt.timedelta(hours=hours),
            supervise_at=now + dt.timedelta(hours=hours),
        )
        for department, hours in cleaned["summons"]
    ]
    Summons.objects.bulk_create(rows)
    summons_notify(whistle, rows)
    ensure_in_scope(whistle, actor)
    return whistle


def summons_notify(whistle: Whistle, rows: list[Summons]) -> None:
    """Each department's officers hear of their summons (inbox, email), its robot too; the
    whistle's committee's webhooks hear of the whistle once. A fixed number of queries."""
    by_department = {row.department_id: row for row in rows}
    officers: dict[int, list] = defaultdict(list)
    grants = RoleGrant.objects.filter(
        role=Role.DEPARTMENT_OFFICER,
        member_unit_id__in=list(by_department),
        user__is_active=True,
        tenant_id=whistle.tenant_id,
    ).select_related("user")
    for grant in grants:
        officers[grant.member_unit_id].append(grant.user)
    robots = dict(
        DepartmentRobot.objects.filter(department_id__in=list(by_department)).values_list(
            "department_id", "endpoint_id"
        )
    )
    kind = WhistleKind(whistle.kind).label
    for department_id, row in by_department.items():
        due = timezone.localtime(row.due_at).strftime("%m月%d日%H:%M")
        title = _("%(place)s吹响%(kind)s：%(title)s，请于%(due)s前报到") % {
            "place": whistle.committee.name,
            "kind": kind,
            "title": whistle.title,
            "due": due,
        }
        body = _("地点：%(p)s。需要：%(r)s") % {"p": whistle.place, "r": whistle.request[:200]}
        key = f"summons:{row.pk}"
        if officers.get(department_id):
            notifications.notify(
                tenant_id=whistle.tenant_id,
                recipients=officers[department_id],
                event=Event.WHISTLE,
                title=title,
                body=body,
                link=summons_link(row.pk),
                key=key,
            )
        if department_id in robots:
            notifications.notify_endpoints(
                tenant_id=whistle.tenant_id,
                endpoint_ids=[robots[department_id]],
                event=Event.WHISTLE,
                title=title,
                body=body,
                link=summons_link(row.pk),
                key=key,
                committee=whistle.committee,
            )
    notifications.notify(
        tenant_id=whistle.tenant_id,
        recipients=[],
        event=Event.WHISTLE,
        title=_("%(place)s吹响%(kind)s：%(title)s（召集%(n)d个部门）")
        % {"place": whistle.committee.name, "kind": kind, "title": whistle.title, "n": len(rows)},
        link=whistle_link(whistle.pk),
        key=f"whistle:{whistle.pk}",
        committee=whistle.committee,
    )


# --- the officer's answers -----------------------------------------------------------------------


def _locked_summons(summons: Summons) -> Summons:
    return (
        Summons.objects.select_for_update(of=("self",))
        .select_related("whistle", "whistle__committee", "department")
        .get(pk=summons.pk)
    )


def _save_photos(report: SummonsReport, accepted) -> None:
    for file, extension in accepted:
        photo = SummonsPhoto(
            tenant_id=report.tenant_id,
            report=report,
            original_name=(getattr(file, "name", "") or "")[:255] or f"photo{extension}",
        )
        photo.file.save(f"{uuid.uuid4().hex}{extension}", file, save=False)
        photo.save()


STEP_FIELDS = {
    SummonsStatus.ACKNOWLEDGED: "acknowledged_at",
    SummonsStatus.ARRIVED: "arrived_at",
    SummonsStatus.ACTED: "acted_at",
}


@transaction.atomic
def summons_advance(
    *, actor, summons: Summons, to: str, note: str = "", photos: Sequence = ()
) -> Summons:
    """The officer's next step: acknowledged, arrived on site (the report, 报到), action taken,
    with a note and photos. Arriving by `due_at` is on time; arriving later is late."""
    from .services import clean_photos

    summons = _locked_summons(summons)
    policies.require_answer_summons(actor, summons)
    errors = Errors()
    if to not in STEP_FIELDS:
        errors.add("to", _("未知的报到步骤。"))
        errors.raise_if_any()
    if summons.whistle.status != WhistleStatus.OPEN:
        errors.add(
            "to", _("该哨已%(s)s，不能再报到。") % {"s": summons.whistle.get_status_display()}
        )
    elif to not in SUMMONS_TRANSITIONS[summons.status]:
        errors.add(
            "to",
            _("当前为“%(a)s”，不能变为“%(b)s”。")
            % {"a": summons.get_status_display(), "b": SummonsStatus(to).label},
        )
    note = _text(note)
    if to == SummonsStatus.ACTED and not note:
        errors.add("note", _("请说明处置情况。"))
    if len(note) > TEXT_MAX:
        errors.add("note", _("情况说明不能超过%(n)d个字。") % {"n": TEXT_MAX})
    accepted = clean_photos(photos, errors)
    errors.raise_if_any()
    now = timezone.now()
    setattr(summons, STEP_FIELDS[to], now)
    summons.status = to
    if to == SummonsStatus.ARRIVED:
        summons.on_time = summons.escalated_at is None and now <= summons.due_at
        summons.supervise_at = None
    summons.save()
    report = SummonsReport.objects.create(
        tenant_id=summons.tenant_id, summons=summons, kind=to, note=note, author=actor, at=now
    )
    _save_photos(report, accepted)
    _tell_street(
        summons,
        _("%(d)s%(step)s：%(t)s")
        % {
            "d": summons.department.name,
            "step": SummonsStatus(to).label,
            "t": summons.whistle.title,
        },
        note,
        f"summons:{summons.pk}:{to}",
    )
    ensure_in_scope(summons, actor)
    return summons


@transaction.atomic
def summons_note(*, actor, summons: Summons, note: str, photos: Sequence = ()) -> SummonsReport:
    """A note (and photos) added to a summons without moving it."""
    from .services import clean_photos

    summons = _locked_summons(summons)
    policies.require_answer_summons(actor, summons)
    errors = Errors()
    note = _text(note)
    if not note:
        errors.add("note", _("请填写情况说明。"))
    elif len(note) > TEXT_MAX:
        errors.add("note", _("情况说明不能超过%(n)d个字。") % {"n": TEXT_MAX})
    if summons.whistle.status != WhistleStatus.OPEN:
        errors.add("note", _("该哨已办结。"))
    accepted = clean_photos(photos, errors)
    errors.raise_if_any()
    report = SummonsReport.objects.create(
        tenant_id=summons.tenant_id,
        summons=summons,
        kind=SummonsReportKind.NOTE,
        note=note,
        author=actor,
        at=timezone.now(),
    )
    _save_photos(report, accepted)
    ensure_in_scope(report, actor)
    return report


def _tell_street(summons: Summons, title: str, body: str, key: str) -> None:
    notifications.notify(
        tenant_id=summons.tenant_id,
        recipients=demand_services.staff_of(summons.whistle.committee),
        event=Event.WHISTLE,
        title=title,
        body=body[:200],
        link=whistle_link(summons.whistle_id),
        key=key,
    )


# --- the daily rhythm ----------------------------------------------------------------------------


@transaction.atomic
def whistle_entry_add(*, actor, whistle: Whistle, kind: str, text: str) -> WhistleEntry:
    """A line of today's rhythm: a consultation note, an item closed, feedback to residents."""
    policies.require_manage_whistle(actor, whistle)
    errors = Errors()
    if kind not in RhythmKind.values:
        errors.add("kind", _("请选择类型。"))
    text = _text(text)
    if not text:
        errors.add("text", _("请填写内容。"))
    elif len(text) > TEXT_MAX:
        errors.add("text", _("内容不能超过%(n)d个字。") % {"n": TEXT_MAX})
    if whistle.status != WhistleStatus.OPEN:
        errors.add("text", _("该哨已%(s)s。") % {"s": whistle.get_status_display()})
    errors.raise_if_any()
    entry = WhistleEntry.objects.create(
        tenant_id=whistle.tenant_id,
        whistle=whistle,
        kind=kind,
        day=timezone.localdate(),
        text=text,
        author=actor,
    )
    ensure_in_scope(entry, actor)
    return entry


# --- closing and rating --------------------------------------------------------------------------


@dataclass
class RatingData:
    punctuality: int | str | None = None
    attitude: int | str | None = None
    result: int | str | None = None
    comment: str = ""


def _score(value, errors: Errors, name: str) -> int | None:
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        errors.add(name, _("请打分（1至5分）。"))
        return None
    if not 1 <= score <= 5:
        errors.add(name, _("评分应为1至5分。"))
        return None
    return score


def _locked_whistle(whistle: Whistle) -> Whistle:
    return (
        Whistle.objects.select_for_update(of=("self",))
        .select_related("committee")
        .get(pk=whistle.pk)
    )


@transaction.atomic
def whistle_close(
    *, actor, whistle: Whistle, summary: str, ratings: dict[int, RatingData]
) -> Whistle:
    """The street closes the whistle and rates every summoned department's response (on time,
    attitude, result, a comment). The ratings update each department's record."""
    whistle = _locked_whistle(whistle)
    policies.require_manage_whistle(actor, whistle)
    errors = Errors()
    if WhistleStatus.CLOSED not in WHISTLE_TRANSITIONS[whistle.status]:
        errors.add("summary", _("该哨已%(s)s。") % {"s": whistle.get_status_display()})
        errors.raise_if_any()
    summary = _text(summary)
    if not summary:
        errors.add("summary", _("请填写办结情况。"))
    elif len(summary) > TEXT_MAX:
        errors.add("summary", _("办结情况不能超过%(n)d个字。") % {"n": TEXT_MAX})
    summons = list(whistle.summons.select_for_update().select_related("department"))
    cleaned = {}
    for row in summons:
        rating = ratings.get(row.pk)
        prefix = f"rating_{row.pk}"
        if rating is None:
            errors.add(prefix, _("请评价%(d)s。") % {"d": row.department.name})
            continue
        scores = [
            _score(getattr(rating, part), errors, f"{prefix}_{part}")
            for part in ("punctuality", "attitude", "result")
        ]
        comment = _text(rating.comment)
        if len(comment) > COMMENT_MAX:
            errors.add(f"{prefix}_comment", _("评语不能超过%(n)d个字。") % {"n": COMMENT_MAX})
        cleaned[row.pk] = (scores, comment)
    unknown = set(ratings) - {row.pk for row in summons}
    if unknown:
        errors.add("summary", _("评价的部门不属于本哨。"))
    errors.raise_if_any()
    now = timezone.now()
    rows = []
    for row in summons:
        scores, comment = cleaned[row.pk]
        mean = (Decimal(sum(scores)) / 3).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        rows.append(
            DepartmentRating(
                tenant_id=whistle.tenant_id,
                summons=row,
                whistle=whistle,
                department_id=row.department_id,
                committee=whistle.committee,
                punctuality=scores[0],
                attitude=scores[1],
                result=scores[2],
                score=mean,
                comment=comment,
                rated_by=actor,
                rated_at=now,
            )
        )
        row.supervise_at = None
        if row.on_time is None and row.arrived_at is None and now > row.due_at:
            row.on_time = False
    DepartmentRating.objects.bulk_create(rows)
    Summons.objects.bulk_update(summons, ["supervise_at", "on_time"])
    whistle.status = WhistleStatus.CLOSED
    whistle.closed_at = now
    whistle.closed_by = actor
    whistle.close_summary = summary
    whistle.save()
    unit_records_refresh({row.department_id for row in summons})
    notifications.notify(
        tenant_id=whistle.tenant_id,
        recipients=officers_of({row.department_id for row in summons}),
        event=Event.WHISTLE,
        title=_("“%(t)s”已办结，感谢各部门响应") % {"t": whistle.title},
        link=whistle_link(whistle.pk),
        key=f"whistle:{whistle.pk}:closed",
    )
    ensure_in_scope(whistle, actor)
    return whistle


@transaction.atomic
def whistle_cancel(*, actor, whistle: Whistle, reason: str) -> Whistle:
    whistle = _locked_whistle(whistle)
    policies.require_manage_whistle(actor, whistle)
    errors = Errors()
    if WhistleStatus.CANCELLED not in WHISTLE_TRANSITIONS[whistle.status]:
        errors.add("reason", _("该哨已%(s)s。") % {"s": whistle.get_status_display()})
    reason = _text(reason)
    if not reason:
        errors.add("reason", _("请说明原因。"))
    elif len(reason) > 300:
        errors.add("reason", _("原因不能超过300个字。"))
    errors.raise_if_any()
    whistle.status = WhistleStatus.CANCELLED
    whistle.cancel_reason = reason
    whistle.save()
    department_ids = set(whistle.summons.values_list("department_id", flat=True))
    whistle.summons.update(supervise_at=None)
    notifications.notify(
        tenant_id=whistle.tenant_id,
        recipients=officers_of(department_ids),
        event=Event.WHISTLE,
        title=_("“%(t)s”已撤销：%(r)s") % {"t": whistle.title, "r": reason},
        link=whistle_link(whistle.pk),
        key=f"whistle:{whistle.pk}:cancelled",
    )
    ensure_in_scope(whistle, actor)
    return whistle


def unit_records_refresh(unit_ids) -> None:
    """A unit's record: the mean and number of every rating it received (from the demand side of
    completed projects, and as a department from the streets), on the unit itself, where the
    matching engine reads it. Two grouped queries and one update per unit."""
    unit_ids = set(unit_ids)
    if not unit_ids:
        return
    sums: dict[int, list[Decimal]] = {pk: [Decimal(0), 0] for pk in unit_ids}
    for row in (
        Evaluation.objects.filter(subject_unit_id__in=unit_ids)
        .values("subject_unit_id")
        .annotate(n=Count("pk"), mean=Avg("score"))
    ):
        sums[row["subject_unit_id"]][0] += Decimal(str(row["mean"])) * row["n"]
        sums[row["subject_unit_id"]][1] += row["n"]
    for row in (
        DepartmentRating.objects.filter(department_id__in=unit_ids)
        .values("department_id")
        .annotate(n=Count("pk"), mean=Avg("score"))
    ):
        sums[row["department_id"]][0] += Decimal(str(row["mean"])) * row["n"]
        sums[row["department_id"]][1] += row["n"]
    units = list(MemberUnit.objects.filter(pk__in=unit_ids))
    for unit in units:
        total, n = sums[unit.pk]
        unit.rating_count = n
        unit.rating_average = (
            (total / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if n else None
        )
    MemberUnit.objects.bulk_update(units, ["rating_count", "rating_average"])


# --- the deadline scan ---------------------------------------------------------------------------


def summons_scan(*, now: dt.datetime | None = None, batch: int = SCAN_BATCH) -> int:
    """The summons whose deadline has come: each one not reported is marked late and escalated
    once to the committee above the whistle's, whose staff are told once (and the street's
    staff and the department's officers hear it is late). Claimed with SKIP LOCKED, in batches,
    each batch one transaction. Returns how many were escalated."""
    now = now or timezone.now()
    escalated = 0
    while True:
        with transaction.atomic():
            rows = list(
                Summons.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("whistle__committee__parent", "department")
                .filter(supervise_at__lte=now)
                .order_by("supervise_at", "pk")[:batch]
            )
            late = [
                row
                for row in rows
                if row.arrived_at is None
                and row.escalated_at is None
                and row.whistle.status == WhistleStatus.OPEN
            ]
            for row in rows:
                row.supervise_at = None
            for row in late:
                row.on_time = False
                row.escalated_at = now
                row.escalated_to = row.whistle.committee.parent
            Summons.objects.bulk_update(
                rows, ["supervise_at", "on_time", "escalated_at", "escalated_to"]
            )
            _notify_escalations(late)
            escalated += sum(1 for row in late if row.escalated_to_id)
        if len(rows) < batch:
            break
    return escalated


def _notify_escalations(late: list[Summons]) -> None:
    if not late:
        return
    committees = {row.whistle.committee_id for row in late} | {
        row.escalated_to_id for row in late if row.escalated_to_id
    }
    staff: dict[int, list] = defaultdict(list)
    for grant in RoleGrant.objects.filter(
        committee_id__in=committees, role__in=demand_services.STAFF_ROLES, user__is_active=True
    ).select_related("user"):
        if grant.user not in staff[grant.committee_id]:
            staff[grant.committee_id].append(grant.user)
    officers: dict[int, list] = defaultdict(list)
    for grant in RoleGrant.objects.filter(
        member_unit_id__in={row.department_id for row in late},
        role=Role.DEPARTMENT_OFFICER,
        user__is_active=True,
    ).select_related("user"):
        officers[grant.member_unit_id].append(grant.user)
    for row in late:
        whistle = row.whistle
        words = {
            "d": row.department.name,
            "t": whistle.title,
            "place": whistle.committee.name,
            "due": timezone.localtime(row.due_at).strftime("%m月%d日%H:%M"),
        }
        notifications.notify(
            tenant_id=row.tenant_id,
            recipients=officers[row.department_id] + staff[whistle.committee_id],
            event=Event.OVERDUE,
            title=_("%(d)s未在%(due)s前报到：%(t)s") % words,
            link=summons_link(row.pk),
            key=f"summons:{row.pk}:late",
        )
        if row.escalated_to_id:
            notifications.notify(
                tenant_id=row.tenant_id,
                recipients=staff[row.escalated_to_id],
                event=Event.ESCALATION,
                title=_("%(place)s吹哨“%(t)s”：%(d)s逾期未报到，已上报") % words,
                link=whistle_link(whistle.pk),
                key=f"summons:{row.pk}:escalated",
                committee=row.escalated_to,
            )
