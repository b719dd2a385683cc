"""Write operations of the project list and the meetings. Each one is a use case in one
transaction: it checks the policy, validates everything and raises ONE ValidationError with every
problem by field (changing nothing), writes, records the transition, moves the demands along,
notifies through the outbox, and re-checks that what it saved is still in the actor's scope."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from categories.models import Category
from committees.models import Committee
from core.errors import Errors, NotAllowed
from core.scoping import Action, covers, ensure_in_scope
from demands import services as demand_services
from demands.models import Claim, ClaimDirection, ClaimStatus, Demand, DemandStatus, Match
from members.models import MemberUnit, Seat, Subcommittee
from members.selectors import current_chair
from notifications import services as notifications
from notifications.models import Event
from resources.models import Resource

from . import policies, supervision
from .models import (
    NEEDS_REASON,
    PROJECT_TRANSITIONS,
    RUNNING,
    AgendaItem,
    Attendee,
    Decision,
    DecisionKind,
    Meeting,
    MeetingStatus,
    Milestone,
    ProgressPhoto,
    ProgressUpdate,
    Project,
    ProjectDemand,
    ProjectResource,
    ProjectSource,
    ProjectStatus,
    ProjectTransition,
    ProjectUnit,
    Response,
    SupervisionPolicy,
    Task,
    TaskStatus,
)

TITLE_MAX = 120
TEXT_MAX = 300
MAX_BUDGET = Decimal("1e12")
MAX_MILESTONES = 20
PHOTO_MAX_COUNT = 6
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {".jpg", ".png", ".gif", ".webp", ".heic"}
# A project runs for years at most; a date beyond this is a typing slip.
MAX_YEARS = 10


def _text(value) -> str:
    return (value or "").strip()


def _clean_reason(reason: str | None, errors: Errors, *, required: bool) -> str:
    reason = _text(reason)
    if required and not reason:
        errors.add("reason", _("请说明原因。"))
    elif len(reason) > TEXT_MAX:
        errors.add("reason", _("原因不能超过%(n)d个字。") % {"n": TEXT_MAX})
    return reason


def _clean_date(value, name: str, label: str, errors: Errors) -> dt.date | None:
    if value in (None, ""):
        errors.add(name, _("请填写%(label)s。") % {"label": label})
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(name, _("%(label)s应为日期，如2025-06-30。") % {"label": label})
        return None


def _rhythm(tenant_id: int) -> supervision.Rhythm:
    return supervision.rhythm_of(tenant_id)


# --- projects ------------------------------------------------------------------------------------


@dataclass
class MilestoneData:
    title: str
    due_on: dt.date | str | None


@dataclass
class ProjectData:
    """What a form, an API body or an Excel row says about a project."""

    title: str = ""
    description: str = ""
    committee: Committee | None = None
    category: Category | None = None
    lead_unit: MemberUnit | None = None
    units: Sequence[MemberUnit] = ()
    budget: Decimal | str | int | None = 0
    start_on: dt.date | str | None = None
    due_on: dt.date | str | None = None
    milestones: Sequence[MilestoneData] = ()
    extra: dict = field(default_factory=dict)


def clean_project(data: ProjectData, *, tenant_id: int, errors: Errors) -> dict:
    title = _text(data.title)
    if not title:
        errors.add("title", _("请填写项目名称。"))
    elif len(title) > TITLE_MAX:
        errors.add("title", _("项目名称不能超过%(n)d个字。") % {"n": TITLE_MAX})
    committee = data.committee
    if committee is None or committee.tenant_id != tenant_id or committee.closed_at is not None:
        errors.add("committee", _("请选择牵头协调委员会。"))
    if data.category is not None and data.category.tenant_id != tenant_id:
        errors.add("category", _("未知的类别。"))
    for name, unit in [("lead_unit", data.lead_unit), *(("units", u) for u in data.units)]:
        if unit is not None and (unit.tenant_id != tenant_id or not unit.is_active):
            errors.add(name, _("“%(unit)s”不是本市有效的成员单位。") % {"unit": unit.name})
    units = [u for u in dict.fromkeys(data.units) if data.lead_unit is None or u != data.lead_unit]
    budget = Decimal(0)
    if data.budget not in (None, ""):
        try:
            budget = Decimal(str(data.budget).replace(",", "").strip())
            if not budget.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.add("budget", _("预算应为金额（元），如50000。"))
            budget = Decimal(0)
        else:
            if budget < 0:
                errors.add("budget", _("预算不能为负数。"))
            elif budget >= MAX_BUDGET:
                errors.add("budget", _("预算过大，请核对（单位：元）。"))
            budget = budget.quantize(Decimal("0.01"))
    start_on = _clean_date(data.start_on, "start_on", _("开始日期"), errors)
    due_on = _clean_date(data.due_on, "due_on", _("完成期限"), errors)
    if start_on and due_on:
        if due_on < start_on:
            errors.add("due_on", _("完成期限不能早于开始日期。"))
        elif due_on > start_on + dt.timedelta(days=366 * MAX_YEARS):
            errors.add("due_on", _("完成期限过远，请核对。"))
    milestones = []
    if len(data.milestones) > MAX_MILESTONES:
        errors.add("milestones", _("里程碑最多%(n)d个。") % {"n": MAX_MILESTONES})
    for number, milestone in enumerate(data.milestones, start=1):
        cleaned = clean_milestone(
            milestone, errors, number=number, start_on=start_on, due_on=due_on
        )
        if cleaned:
            milestones.append(cleaned)
    return {
        "title": title,
        "description": _text(data.description),
        "committee": committee,
        "category": data.category,
        "lead_unit": data.lead_unit,
        "units": units,
        "budget": budget,
        "start_on": start_on,
        "due_on": due_on,
        "milestones": milestones,
    }


def clean_milestone(
    data: MilestoneData,
    errors: Errors,
    *,
    number: int | None = None,
    start_on: dt.date | None = None,
    due_on: dt.date | None = None,
) -> tuple[str, dt.date] | None:
    name = "milestones" if number else "title"
    prefix = _("第%(n)d个里程碑：") % {"n": number} if number else ""
    title = _text(data.title)
    if not title:
        errors.add(name, prefix + _("请填写里程碑名称。"))
    elif len(title) > TITLE_MAX:
        errors.add(name, prefix + _("里程碑名称不能超过%(n)d个字。") % {"n": TITLE_MAX})
    local = Errors()
    day = _clean_date(data.due_on, "due_on", _("里程碑完成期限"), local)
    for message in local.by_field.get("due_on", []):
        errors.add(name if number else "due_on", prefix + message)
    if day and start_on and day < start_on:
        errors.add(name if number else "due_on", prefix + _("里程碑期限不能早于项目开始日期。"))
    if day and due_on and day > due_on:
        errors.add(name if number else "due_on", prefix + _("里程碑期限不能晚于项目完成期限。"))
    if not title or day is None:
        return None
    return title, day


def _check_demands(
    owner: Committee | None, demands: Sequence[Demand], errors: Errors, *, required: bool = True
) -> None:
    if required and not demands:
        errors.add("demands", _("项目至少要对接一项需求。"))
    for demand in demands:
        if demand.status not in (DemandStatus.PUBLISHED, DemandStatus.MATCHED):
            errors.add(
                "demands",
                _("需求“%(t)s”当前为“%(s)s”，不能立项。")
                % {"t": demand.title, "s": demand.get_status_display()},
            )
        elif owner is not None and not policies.demand_fits(owner, demand):
            errors.add(
                "demands",
                _("需求“%(t)s”不在%(c)s辖区内。") % {"t": demand.title, "c": owner.name},
            )


def _check_resources(owner: Committee | None, resources: Sequence[Resource], errors: Errors):
    for resource in resources:
        if owner is not None and resource.tenant_id != owner.tenant_id:
            errors.add("resources", _("资源“%(t)s”不属于本市。") % {"t": resource.title})


@transaction.atomic
def project_create(
    *,
    actor,
    data: ProjectData,
    demands: Sequence[Demand],
    resources: Sequence[Resource] = (),
    source: str = ProjectSource.DIRECT,
    claim: Claim | None = None,
    decision: Decision | None = None,
) -> Project:
    """Form a project (立项): it meets the demands with the resources, owned by a committee and
    led by a unit, with its milestones; its demands become "in project"."""
    if data.committee is not None:
        policies.require_create_project(actor, data.committee)
    tenant_id = data.committee.tenant_id if data.committee else actor.tenant_id
    errors = Errors()
    clean = clean_project(data, tenant_id=tenant_id, errors=errors)
    demand_list = list(
        Demand.objects.select_for_update()
        .select_related("committee", "handling_committee")
        .filter(pk__in=[d.pk for d in demands], tenant_id=tenant_id)
        .order_by("pk")
    )
    # A year's list brought in from a spreadsheet may hold projects formed before the platform.
    _check_demands(clean["committee"], demand_list, errors, required=source != ProjectSource.IMPORT)
    _check_resources(clean["committee"], resources, errors)
    errors.raise_if_any()
    rhythm = _rhythm(tenant_id)
    project = Project(
        tenant_id=tenant_id,
        committee=clean["committee"],
        year=clean["start_on"].year,
        title=clean["title"],
        description=clean["description"],
        category=clean["category"] or (demand_list[0].category if demand_list else None),
        lead_unit=clean["lead_unit"],
        budget=clean["budget"],
        start_on=clean["start_on"],
        source=source,
        claim=claim,
        decision=decision,
        created_by=actor,
    )
    supervision.schedule(project, clean["due_on"], rhythm)
    project.save()
    ProjectDemand.objects.bulk_create(
        [ProjectDemand(tenant_id=tenant_id, project=project, demand=d) for d in demand_list]
    )
    ProjectResource.objects.bulk_create(
        [
            ProjectResource(tenant_id=tenant_id, project=project, resource=r)
            for r in dict.fromkeys(resources)
        ]
    )
    ProjectUnit.objects.bulk_create(
        [ProjectUnit(tenant_id=tenant_id, project=project, unit=u) for u in clean["units"]]
    )
    for position, (title, due_on) in enumerate(clean["milestones"], start=1):
        _milestone_create(project, title, due_on, position, rhythm)
    ProjectTransition.objects.create(
        tenant_id=tenant_id, project=project, to_status=ProjectStatus.PLANNED, actor=actor
    )
    demand_services.demands_follow_project(
        demand_ids=[d.pk for d in demand_list],
        event="formed",
        actor=actor,
        reason=_("纳入项目“%(t)s”") % {"t": project.title},
    )
    _notify_lead(project, _("贵单位牵头的项目“%(t)s”已立项") % {"t": project.title}, "formed")
    ensure_in_scope(project, actor)
    return project


@dataclass
class ProjectItem:
    """One project of a bulk input (a spreadsheet row): its data and the demands it meets."""

    data: ProjectData
    demands: Sequence[Demand] = ()


def validate_project(*, actor, item: ProjectItem) -> None:
    """Everything `project_create` would refuse about an item, without writing: the policy,
    the fields, the demands."""
    if item.data.committee is not None:
        policies.require_create_project(actor, item.data.committee)
    errors = Errors()
    tenant_id = item.data.committee.tenant_id if item.data.committee else actor.tenant_id
    clean = clean_project(item.data, tenant_id=tenant_id, errors=errors)
    _check_demands(clean["committee"], list(item.demands), errors, required=False)
    errors.raise_if_any()


@transaction.atomic
def projects_bulk_create(*, actor, items: Sequence[ProjectItem]) -> list[Project]:
    """A year's project list from a spreadsheet: every item formed as by hand, in one
    transaction (all or nothing); a demand named twice in the file is refused."""
    seen: dict[int, int] = {}
    errors = Errors()
    for number, item in enumerate(items, start=1):
        for demand in item.demands:
            if demand.pk in seen:
                errors.add(
                    "demands",
                    _("需求“%(t)s”在第%(a)d项和第%(b)d项中重复。")
                    % {"t": demand.title, "a": seen[demand.pk], "b": number},
                )
            seen[demand.pk] = number
    errors.raise_if_any()
    return [
        project_create(
            actor=actor, data=item.data, demands=item.demands, source=ProjectSource.IMPORT
        )
        for item in items
    ]


def project_from_claim(*, actor, claim: Claim, data: ProjectData) -> Project:
    """An accepted claim becomes a project: its demand, its resource, the claiming unit leading.
    A committee's direct commitment is an accepted claim too, and forms a 直接对接 project."""
    if claim.direction == ClaimDirection.COMMITTEE_COMMITS:
        return project_from_committed_resource(actor=actor, claim=claim, data=data)
    if claim.status != ClaimStatus.ACCEPTED:
        raise ValidationError(_("只有已接受的认领可以立项。"))
    if Project.objects.filter(claim=claim, status__in=RUNNING).exists():
        raise ValidationError(_("该认领已经立项。"))
    data.lead_unit = data.lead_unit or claim.unit
    return project_create(
        actor=actor,
        data=data,
        demands=[claim.demand],
        resources=[claim.resource] if claim.resource_id else [],
        source=ProjectSource.CLAIM,
        claim=claim,
    )


def project_from_match(*, actor, match: Match, data: ProjectData) -> Project:
    """A proposed match becomes a project at once, when staff agree it with the unit directly."""
    data.lead_unit = data.lead_unit or match.resource.offered_by
    return project_create(
        actor=actor,
        data=data,
        demands=[match.demand],
        resources=[match.resource],
        source=ProjectSource.MATCH,
    )


def project_from_committed_resource(*, actor, claim: Claim, data: ProjectData) -> Project:
    """直接对接: a committee's own resource committed to a demand (the commitment record, an
    accepted claim with no unit, `demands.services.resource_commit`) becomes a project owned by
    the committee, its demand and resource in it; the lead unit is whoever staff name."""
    if claim.direction != ClaimDirection.COMMITTEE_COMMITS or claim.resource_id is None:
        raise ValidationError({"resources": _("成员单位的资源请通过认领或申请对接后立项。")})
    if claim.status != ClaimStatus.ACCEPTED:
        raise ValidationError(_("该对接已释放，不能立项。"))
    if Project.objects.filter(claim=claim, status__in=RUNNING).exists():
        raise ValidationError(_("该对接已经立项。"))
    return project_create(
        actor=actor,
        data=data,
        demands=[claim.demand],
        resources=[claim.resource],
        source=ProjectSource.RESOURCE,
        claim=claim,
    )


def project_from_decision(*, actor, decision: Decision, data: ProjectData) -> Project:
    """A meeting's decision to form a project: the demands and resources of its agenda item."""
    if decision.kind != DecisionKind.PROJECT:
        raise ValidationError(_("该决定是交办任务，不是立项。"))
    if Project.objects.filter(decision=decision).exists():
        raise ValidationError(_("该决定已经立项。"))
    item = decision.agenda_item
    demands = [item.demand] if item and item.demand_id else []
    resources = [item.resource] if item and item.resource_id else []
    data.lead_unit = data.lead_unit or decision.owner_unit
    return project_create(
        actor=actor,
        data=data,
        demands=demands,
        resources=resources,
        source=ProjectSource.DECISION,
        decision=decision,
    )


def _milestone_create(project: Project, title: str, due_on: dt.date, position: int, rhythm):
    milestone = Milestone(
        tenant_id=project.tenant_id, project=project, position=position, title=title
    )
    supervision.schedule(milestone, due_on, rhythm, is_open=project.status in RUNNING)
    milestone.save()
    return milestone


def _lock(obj, *related: str):
    """The row again, locked for the use case (its related rows joined, not locked)."""
    return type(obj).objects.select_for_update(of=("self",)).select_related(*related).get(pk=obj.pk)


def _locked(project: Project) -> Project:
    return _lock(project, "committee", "lead_unit")


@transaction.atomic
def project_update(*, actor, project: Project, data: ProjectData) -> Project:
    """Correct a running project: its name, units, budget, dates. A moved due date is chased
    anew; the owner committee stays (a project is moved by cancelling and forming it again)."""
    project = _locked(project)
    policies.require_manage_project(actor, project)
    if project.status not in RUNNING and project.status != ProjectStatus.SUSPENDED:
        raise ValidationError(_("“%(s)s”的项目不能再修改。") % {"s": project.get_status_display()})
    data.committee = project.committee
    data.milestones = ()
    errors = Errors()
    clean = clean_project(data, tenant_id=project.tenant_id, errors=errors)
    errors.raise_if_any()
    for name in ("title", "description", "lead_unit", "budget", "start_on"):
        setattr(project, name, clean[name])
    if clean["category"] is not None:
        project.category = clean["category"]
    project.year = clean["start_on"].year
    if clean["due_on"] != project.due_on:
        supervision.schedule(
            project, clean["due_on"], _rhythm(project.tenant_id), is_open=project.is_running
        )
    project.save()
    ProjectUnit.objects.filter(project=project).exclude(unit__in=clean["units"]).delete()
    have = set(ProjectUnit.objects.filter(project=project).values_list("unit_id", flat=True))
    ProjectUnit.objects.bulk_create(
        [
            ProjectUnit(tenant_id=project.tenant_id, project=project, unit=u)
            for u in clean["units"]
            if u.pk not in have
        ]
    )
    ensure_in_scope(project, actor)
    return project


MOVE_LABELS = {
    ProjectStatus.IN_PROGRESS: gettext_lazy("开始实施"),
    ProjectStatus.COMPLETED: gettext_lazy("完成"),
    ProjectStatus.EVALUATED: gettext_lazy("评价"),
    ProjectStatus.SUSPENDED: gettext_lazy("暂停"),
    ProjectStatus.CANCELLED: gettext_lazy("取消"),
    ProjectStatus.PLANNED: gettext_lazy("恢复"),
}


@transaction.atomic
def project_transition(*, actor, project: Project, to: str, reason: str = "") -> Project:
    """Move a project along its states, recording who, when and why. Completing it fulfils its
    demands; cancelling returns them to matched; suspending pauses its supervision."""
    errors = Errors()
    if to not in ProjectStatus.values:
        errors.add("to", _("未知的项目状态。"))
        errors.raise_if_any()
    project = _locked(project)
    policies.require_manage_project(actor, project)
    before = project.status
    if to not in PROJECT_TRANSITIONS[before]:
        raise ValidationError(
            {
                "to": _("项目当前为“%(a)s”，不能变为“%(b)s”。")
                % {"a": project.get_status_display(), "b": ProjectStatus(to).label}
            }
        )
    reason = _clean_reason(reason, errors, required=to in NEEDS_REASON)
    open_milestones = project.milestones.filter(done_at__isnull=True).count()
    if to == ProjectStatus.COMPLETED and open_milestones:
        errors.add(
            "to",
            _("还有%(n)d个里程碑未完成，请先完成里程碑再完成项目。") % {"n": open_milestones},
        )
    errors.raise_if_any()
    now = timezone.now()
    ProjectTransition.objects.create(
        tenant_id=project.tenant_id,
        project=project,
        from_status=before,
        to_status=to,
        actor=actor,
        reason=reason,
    )
    project.status = to
    project.status_reason = reason
    if to == ProjectStatus.IN_PROGRESS and project.started_at is None:
        project.started_at = now
    if to == ProjectStatus.COMPLETED:
        project.completed_at = now
    rhythm = _rhythm(project.tenant_id)
    supervision.resume(project, rhythm, is_open=project.is_running)
    project.save()
    milestones = list(project.milestones.filter(done_at__isnull=True))
    for milestone in milestones:
        supervision.resume(milestone, rhythm, is_open=project.is_running)
    Milestone.objects.bulk_update(milestones, ["supervise_at"])
    demand_ids = list(
        ProjectDemand.objects.filter(project=project).values_list("demand_id", flat=True)
    )
    label = ProjectStatus(to).label
    if to == ProjectStatus.COMPLETED:
        from .evaluations import evaluation_request

        evaluation_request(project)
        demand_services.demands_follow_project(
            demand_ids=demand_ids,
            event="completed",
            actor=actor,
            reason=_("项目“%(t)s”已完成") % {"t": project.title},
        )
    elif to == ProjectStatus.CANCELLED:
        demand_services.demands_follow_project(
            demand_ids=demand_ids,
            event="cancelled",
            actor=actor,
            reason=_("项目“%(t)s”已取消：%(r)s") % {"t": project.title, "r": reason},
        )
    _notify_lead(
        project,
        _("项目“%(t)s”%(s)s") % {"t": project.title, "s": label},
        f"status:{to}:{now.timestamp():.0f}",
        body=reason,
    )
    ensure_in_scope(project, actor)
    return project


def project_mark_evaluated(*, actor, project: Project) -> Project:
    """The two-way evaluation closes a completed project (see `projects.evaluations`)."""
    return project_transition(actor=actor, project=project, to=ProjectStatus.EVALUATED)


def _notify_lead(project: Project, title: str, what: str, body: str = "") -> None:
    if project.lead_unit_id is None:
        return
    notifications.notify(
        tenant_id=project.tenant_id,
        recipients=demand_services.contacts_of([project.lead_unit_id]),
        event=Event.CLAIM_DECIDED,
        title=title,
        body=body,
        link=f"/projects/{project.pk}/",
        key=f"project:{project.pk}:{what}",
        committee=project.committee,
    )


@transaction.atomic
def milestone_add(*, actor, project: Project, title: str, due_on) -> Milestone:
    project = _locked(project)
    policies.require_manage_project(actor, project)
    if project.status not in RUNNING:
        raise ValidationError(
            _("“%(s)s”的项目不能再添加里程碑。") % {"s": project.get_status_display()}
        )
    errors = Errors()
    cleaned = clean_milestone(
        MilestoneData(title, due_on), errors, start_on=project.start_on, due_on=project.due_on
    )
    if project.milestones.count() >= MAX_MILESTONES:
        errors.add("title", _("里程碑最多%(n)d个。") % {"n": MAX_MILESTONES})
    errors.raise_if_any()
    position = project.milestones.count() + 1
    milestone = _milestone_create(
        project, cleaned[0], cleaned[1], position, _rhythm(project.tenant_id)
    )
    ensure_in_scope(milestone, actor)
    return milestone


@transaction.atomic
def milestone_finish(*, actor, milestone: Milestone) -> Milestone:
    """Mark a milestone reached; its supervision ends."""
    milestone = _lock(milestone, "project", "project__committee")
    if not policies.may_finish_milestone(actor, milestone):
        raise NotAllowed(_("只有牵头单位的联络员或牵头协调委员会的工作人员可以确认里程碑。"))
    if milestone.done_at is not None:
        raise ValidationError(_("该里程碑已完成。"))
    if milestone.project.status not in RUNNING:
        raise ValidationError(
            _("“%(s)s”的项目不能再确认里程碑。") % {"s": milestone.project.get_status_display()}
        )
    milestone.done_at = timezone.now()
    milestone.done_by = actor
    milestone.supervise_at = None
    milestone.save()
    ensure_in_scope(milestone, actor, Action.VIEW)
    return milestone


def photo_type(file) -> str | None:
    extension = demand_services.attachment_type(file)
    return extension if extension in PHOTO_TYPES else None


def clean_photos(files: Sequence, errors: Errors) -> list[tuple]:
    files = list(files or ())
    if len(files) > PHOTO_MAX_COUNT:
        errors.add("photos", _("每次最多上传%(n)d张照片。") % {"n": PHOTO_MAX_COUNT})
        return []
    accepted = []
    for file in files:
        name = getattr(file, "name", "") or _("照片")
        if file.size > PHOTO_MAX_BYTES:
            errors.add(
                "photos",
                _("“%(name)s”超过%(n)d MB。") % {"name": name, "n": PHOTO_MAX_BYTES // 2**20},
            )
            continue
        extension = photo_type(file)
        if extension is None:
            errors.add("photos", _("“%(name)s”不是照片（JPG、PNG等）。") % {"name": name})
            continue
        accepted.append((file, extension))
    return accepted


@transaction.atomic
def progress_post(
    *,
    actor,
    project: Project,
    text: str,
    photos: Sequence = (),
    milestone: Milestone | None = None,
    finish_milestone: bool = False,
) -> ProgressUpdate:
    """A progress report with photos, from the lead unit's contact on the spot or from staff;
    it may say that a milestone was reached. The owner committee's staff hear of it."""
    project = _locked(project)
    policies.require_report_progress(actor, project)
    errors = Errors()
    text = _text(text)
    if not text:
        errors.add("text", _("请填写进展情况。"))
    elif len(text) > 2000:
        errors.add("text", _("进展情况不能超过2000个字。"))
    if project.status not in RUNNING:
        errors.add("text", _("“%(s)s”的项目不能再报送进展。") % {"s": project.get_status_display()})
    if milestone is not None and milestone.project_id != project.pk:
        errors.add("milestone", _("该里程碑不属于本项目。"))
    if finish_milestone and (milestone is None or milestone.done_at is not None):
        errors.add("milestone", _("请选择一个未完成的里程碑。"))
    accepted = clean_photos(photos, errors)
    errors.raise_if_any()
    units = actor.unit_ids() if hasattr(actor, "unit_ids") else set()
    update = ProgressUpdate.objects.create(
        tenant_id=project.tenant_id,
        project=project,
        milestone=milestone,
        text=text,
        author=actor,
        unit_id=project.lead_unit_id if project.lead_unit_id in units else None,
    )
    for file, extension in accepted:
        photo = ProgressPhoto(
            tenant_id=project.tenant_id,
            update=update,
            original_name=(getattr(file, "name", "") or "")[:255] or f"photo{extension}",
        )
        # A stored name of our own: nothing the uploader typed reaches the file system.
        photo.file.save(f"{uuid.uuid4().hex}{extension}", file, save=False)
        photo.save()
    if finish_milestone:
        milestone_finish(actor=actor, milestone=milestone)
    notifications.notify(
        tenant_id=project.tenant_id,
        recipients=demand_services.staff_of(project.committee),
        event=Event.CLAIM,
        title=_("项目“%(t)s”有新进展") % {"t": project.title},
        body=text[:200],
        link=f"/projects/{project.pk}/",
        key=f"progress:{update.pk}",
        committee=project.committee,
    )
    ensure_in_scope(update, actor)
    return update


# --- meetings ------------------------------------------------------------------------------------


@dataclass
class MeetingData:
    title: str = ""
    committee: Committee | None = None
    subcommittee: Subcommittee | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    location: str = ""
    chair_name: str = ""


@dataclass
class AgendaData:
    title: str
    notes: str = ""
    demand: Demand | None = None
    resource: Resource | None = None
    project: Project | None = None


def clean_meeting(data: MeetingData, errors: Errors) -> dict:
    title = _text(data.title)
    if not title:
        errors.add("title", _("请填写会议名称。"))
    elif len(title) > TITLE_MAX:
        errors.add("title", _("会议名称不能超过%(n)d个字。") % {"n": TITLE_MAX})
    location = _text(data.location)
    if not location:
        errors.add("location", _("请填写会议地点。"))
    elif len(location) > 200:
        errors.add("location", _("会议地点不能超过200个字。"))
    if data.starts_at is None:
        errors.add("starts_at", _("请填写开始时间。"))
    if data.ends_at is None:
        errors.add("ends_at", _("请填写结束时间。"))
    elif data.starts_at is not None and data.ends_at <= data.starts_at:
        errors.add("ends_at", _("结束时间应晚于开始时间。"))
    sub = data.subcommittee
    if sub is not None and data.committee is not None and sub.committee_id != data.committee.pk:
        errors.add("subcommittee", _("该专业委员会不属于所选协调委员会。"))
    chair_name = _text(data.chair_name)[:64]
    chair_unit = None
    if sub is not None and data.starts_at is not None and not chair_name:
        # The subcommittee's acting chair on the day of the meeting (轮值主任).
        chair = current_chair(
            sub, list(sub.rotation.select_related("unit")), timezone.localdate(data.starts_at)
        )
        if chair is not None:
            chair_name, chair_unit = chair.slot.chair_name, chair.slot.unit
    return {
        "title": title,
        "location": location,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "subcommittee": sub,
        "chair_name": chair_name,
        "chair_unit": chair_unit,
    }


def clean_agenda(items: Sequence[AgendaData], tenant_id: int, errors: Errors) -> list[AgendaData]:
    cleaned = []
    for number, item in enumerate(items, start=1):
        title = _text(item.title)
        if not title:
            if item.demand or item.resource or item.project:
                errors.add("agenda", _("第%(n)d个议题：请填写议题。") % {"n": number})
            continue
        if len(title) > 200:
            errors.add("agenda", _("第%(n)d个议题不能超过200个字。") % {"n": number})
        for ref in (item.demand, item.resource, item.project):
            if ref is not None and ref.tenant_id != tenant_id:
                errors.add("agenda", _("第%(n)d个议题引用了别的城市的记录。") % {"n": number})
        cleaned.append(
            AgendaData(title, _text(item.notes), item.demand, item.resource, item.project)
        )
    return cleaned


def attendee_rows(committee: Committee, seats: Sequence[Seat], units: Sequence[MemberUnit]):
    """Attendees from the committee's seats (each a person, maybe of a unit) and from member
    units without a seat."""
    rows, seated_units = [], set()
    for seat in seats:
        if seat.committee_id != committee.pk:
            continue
        rows.append(
            Attendee(
                tenant_id=committee.tenant_id,
                seat=seat,
                unit=seat.unit,
                name=seat.person_name,
                role=f"{seat.get_role_display()} · {seat.title}"
                if seat.title
                else seat.get_role_display(),
            )
        )
        if seat.unit_id:
            seated_units.add(seat.unit_id)
    for unit in dict.fromkeys(units):
        if unit.pk in seated_units or unit.tenant_id != committee.tenant_id:
            continue
        rows.append(Attendee(tenant_id=committee.tenant_id, unit=unit, role=_("成员单位")))
    return rows


@transaction.atomic
def meeting_schedule(
    *,
    actor,
    data: MeetingData,
    agenda: Sequence[AgendaData] = (),
    seats: Sequence[Seat] = (),
    units: Sequence[MemberUnit] = (),
    invite: bool = False,
) -> Meeting:
    """Schedule a meeting of a committee or one of its subcommittees, with its agenda and the
    attendees drawn from its seats and member units; optionally send the invitations at once."""
    policies.require_schedule_meeting(actor, data.committee)
    errors = Errors()
    clean = clean_meeting(data, errors)
    items = clean_agenda(agenda, data.committee.tenant_id, errors)
    errors.raise_if_any()
    meeting = Meeting.objects.create(
        tenant_id=data.committee.tenant_id, committee=data.committee, created_by=actor, **clean
    )
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                tenant_id=meeting.tenant_id,
                meeting=meeting,
                position=position,
                title=item.title,
                notes=item.notes,
                demand=item.demand,
                resource=item.resource,
                project=item.project,
            )
            for position, item in enumerate(items, start=1)
        ]
    )
    rows = attendee_rows(meeting.committee, seats, units)
    for row in rows:
        row.meeting = meeting
    Attendee.objects.bulk_create(rows)
    if invite:
        meeting_invite(actor=actor, meeting=meeting)
    ensure_in_scope(meeting, actor)
    return meeting


def _meeting_locked(meeting: Meeting) -> Meeting:
    return _lock(meeting, "committee", "subcommittee")


def _require_scheduled(meeting: Meeting, what: str) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("会议已取消，不能再%(what)s。") % {"what": what})


@transaction.atomic
def agenda_item_add(*, actor, meeting: Meeting, item: AgendaData) -> AgendaItem:
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    _require_scheduled(meeting, _("添加议题"))
    errors = Errors()
    items = clean_agenda([item], meeting.tenant_id, errors)
    if not items and not errors.any():
        errors.add("title", _("请填写议题。"))
    errors.raise_if_any()
    created = AgendaItem.objects.create(
        tenant_id=meeting.tenant_id,
        meeting=meeting,
        position=meeting.agenda.count() + 1,
        title=items[0].title,
        notes=items[0].notes,
        demand=items[0].demand,
        resource=items[0].resource,
        project=items[0].project,
    )
    ensure_in_scope(meeting, actor)
    return created


@transaction.atomic
def attendees_add(
    *, actor, meeting: Meeting, seats: Sequence[Seat] = (), units: Sequence[MemberUnit] = ()
) -> int:
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    _require_scheduled(meeting, _("邀请参会人"))
    have_seats = set(meeting.attendees.filter(seat__isnull=False).values_list("seat_id", flat=True))
    have_units = set(meeting.attendees.values_list("unit_id", flat=True))
    rows = [
        row
        for row in attendee_rows(meeting.committee, seats, units)
        if (row.seat_id and row.seat_id not in have_seats)
        or (not row.seat_id and row.unit_id not in have_units)
    ]
    for row in rows:
        row.meeting = meeting
    Attendee.objects.bulk_create(rows)
    ensure_in_scope(meeting, actor)
    return len(rows)


def meeting_ics(meeting: Meeting) -> bytes:
    from .calendar import invitation

    return invitation(meeting)


def invitation_attachment(meeting: Meeting) -> notifications.Attachment:
    """The .ics file an invitation email carries, so a mail client offers to add the meeting."""
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    return notifications.Attachment(
        filename="invitation.ics",
        mimetype=f"text/calendar; method={method}; charset=utf-8",
        content=meeting_ics(meeting),
    )


def _attendee_recipients(meeting: Meeting) -> list:
    unit_ids = {a.unit_id for a in meeting.attendees.all() if a.unit_id}
    return list(demand_services.contacts_of(unit_ids)) if unit_ids else []


@transaction.atomic
def meeting_invite(*, actor, meeting: Meeting) -> int:
    """Send the invitations (议事通知): each invited unit's contact and the committee's staff get
    a notification linking the meeting page and its calendar file, which they can answer. An
    invitation sent again after the meeting moved is a new one (the calendar file's sequence)."""
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    _require_scheduled(meeting, _("发出通知"))
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(_("会议已召开，不能再发出通知。"))
    if not meeting.attendees.exists():
        raise ValidationError(_("请先选择参会人。"))
    start = timezone.localtime(meeting.starts_at)
    agenda = "；".join(f"{i.position}. {i.title}" for i in meeting.agenda.all())
    count = notifications.notify(
        tenant_id=meeting.tenant_id,
        recipients=_attendee_recipients(meeting)
        + list(demand_services.staff_of(meeting.committee)),
        event=Event.BULLETIN,
        title=_("会议通知：%(t)s（%(when)s，%(where)s）")
        % {"t": meeting.title, "when": start.strftime("%Y-%m-%d %H:%M"), "where": meeting.location},
        body=_(
            "议题：%(a)s\n日历文件：/projects/meetings/%(pk)d/invitation.ics（邮件附件同此）\n"
            "请在会议页面回复是否参加。"
        )
        % {"a": agenda or _("（待定）"), "pk": meeting.pk},
        link=f"/projects/meetings/{meeting.pk}/",
        key=f"meeting:{meeting.pk}:invite:{meeting.sequence}",
        committee=meeting.committee,
        attachments=[invitation_attachment(meeting)],
    )
    meeting.invitations_sent_at = timezone.now()
    meeting.save(update_fields=["invitations_sent_at"])
    return count


@transaction.atomic
def meeting_reschedule(*, actor, meeting: Meeting, starts_at, ends_at, location: str) -> Meeting:
    """Move a meeting: the calendar event's sequence rises, and the invitations go out again."""
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(_("只有尚未召开的会议可以改期。"))
    errors = Errors()
    data = MeetingData(
        title=meeting.title,
        committee=meeting.committee,
        subcommittee=meeting.subcommittee,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        chair_name=meeting.chair_name,
    )
    clean = clean_meeting(data, errors)
    errors.raise_if_any()
    meeting.starts_at, meeting.ends_at = clean["starts_at"], clean["ends_at"]
    meeting.location = clean["location"]
    meeting.sequence += 1
    meeting.save()
    if meeting.invitations_sent_at is not None:
        meeting_invite(actor=actor, meeting=meeting)
    return meeting


@transaction.atomic
def attendee_answer(*, actor, attendee: Attendee, response: str, deputy_name: str = "") -> Attendee:
    """Answer an invitation: attend, cannot attend, or send a deputy (by name)."""
    attendee = _lock(attendee, "meeting", "meeting__committee", "unit")
    policies.require_answer(actor, attendee)
    errors = Errors()
    if response not in (Response.ATTEND, Response.DECLINE, Response.DEPUTY):
        errors.add("response", _("请选择参加、不能参加或委派代表。"))
    deputy_name = _text(deputy_name)
    if response == Response.DEPUTY and not deputy_name:
        errors.add("deputy_name", _("请填写代表的姓名。"))
    elif len(deputy_name) > 64:
        errors.add("deputy_name", _("姓名不能超过64个字。"))
    if attendee.meeting.status != MeetingStatus.SCHEDULED:
        errors.add("response", _("会议已召开或已取消，不能再回复。"))
    errors.raise_if_any()
    attendee.response = response
    attendee.deputy_name = deputy_name if response == Response.DEPUTY else ""
    attendee.responded_at = timezone.now()
    attendee.responded_by = actor
    attendee.save()
    ensure_in_scope(attendee, actor)
    return attendee


@transaction.atomic
def attendance_record(*, actor, meeting: Meeting, present: Sequence[int]) -> Meeting:
    """Who came: the attendees ticked are present, the others absent; the meeting is held."""
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    _require_scheduled(meeting, _("登记出席"))
    if meeting.starts_at > timezone.now():
        raise ValidationError(_("会议尚未开始，不能登记出席。"))
    present = set(present)
    attendees = list(meeting.attendees.all())
    for attendee in attendees:
        attendee.present = attendee.pk in present
    Attendee.objects.bulk_update(attendees, ["present"])
    meeting.status = MeetingStatus.HELD
    meeting.save(update_fields=["status"])
    return meeting


@transaction.atomic
def minutes_publish(*, actor, meeting: Meeting, minutes: str) -> Meeting:
    """Issue the minutes (会议纪要): the attendees' units and the committee's staff receive them."""
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    _require_scheduled(meeting, _("印发纪要"))
    minutes = _text(minutes)
    errors = Errors()
    if not minutes:
        errors.add("minutes", _("请填写会议纪要。"))
    elif len(minutes) > 20000:
        errors.add("minutes", _("会议纪要过长。"))
    if meeting.starts_at > timezone.now():
        errors.add("minutes", _("会议尚未召开，不能印发纪要。"))
    errors.raise_if_any()
    first = meeting.minutes_published_at is None
    meeting.minutes = minutes
    meeting.minutes_published_at = timezone.now()
    meeting.status = MeetingStatus.HELD
    meeting.save()
    notifications.notify(
        tenant_id=meeting.tenant_id,
        recipients=_attendee_recipients(meeting)
        + list(demand_services.staff_of(meeting.committee)),
        event=Event.BULLETIN,
        title=(_("会议纪要：%(t)s") if first else _("会议纪要（修订）：%(t)s"))
        % {"t": meeting.title},
        body=minutes[:2000],
        link=f"/projects/meetings/{meeting.pk}/",
        key=f"meeting:{meeting.pk}:minutes:{meeting.minutes_published_at.timestamp():.0f}",
        committee=meeting.committee,
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str) -> Meeting:
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    errors = Errors()
    reason = _clean_reason(reason, errors, required=True)
    if meeting.status != MeetingStatus.SCHEDULED:
        errors.add("reason", _("只有尚未召开的会议可以取消。"))
    errors.raise_if_any()
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1
    meeting.save()
    if meeting.invitations_sent_at is not None:
        notifications.notify(
            tenant_id=meeting.tenant_id,
            recipients=_attendee_recipients(meeting),
            event=Event.BULLETIN,
            title=_("会议取消：%(t)s") % {"t": meeting.title},
            body=reason,
            link=f"/projects/meetings/{meeting.pk}/",
            key=f"meeting:{meeting.pk}:cancelled",
            committee=meeting.committee,
            attachments=[invitation_attachment(meeting)],
        )
    return meeting


@dataclass
class DecisionData:
    kind: str
    text: str
    due_on: dt.date | str | None
    agenda_item: AgendaItem | None = None
    owner_unit: MemberUnit | None = None
    owner_committee: Committee | None = None
    budget: Decimal | str | None = 0


@transaction.atomic
def decision_record(*, actor, meeting: Meeting, data: DecisionData) -> Decision:
    """Record what the meeting decided. A task gets its owner and due date and is supervised
    from now on; a project is formed at once from the agenda item's demands and resources, owned
    by the owner committee (or the meeting's) and led by the owner unit."""
    meeting = _meeting_locked(meeting)
    policies.require_manage_meeting(actor, meeting)
    _require_scheduled(meeting, _("记录决定"))
    errors = Errors()
    if data.kind not in DecisionKind.values:
        errors.add("kind", _("请选择立项或交办任务。"))
    text = _text(data.text)
    if not text:
        errors.add("text", _("请填写决定事项。"))
    elif len(text) > TEXT_MAX:
        errors.add("text", _("决定事项不能超过%(n)d个字。") % {"n": TEXT_MAX})
    due_on = _clean_date(data.due_on, "due_on", _("完成期限"), errors)
    if due_on and due_on < timezone.localdate(meeting.starts_at):
        errors.add("due_on", _("完成期限不能早于会议日期。"))
    if data.owner_unit is None and data.owner_committee is None:
        errors.add("owner", _("请指定责任单位或责任协调委员会。"))
    if data.owner_committee is not None and not covers(meeting.committee, data.owner_committee):
        errors.add("owner", _("责任协调委员会应在本会议的协调委员会辖区内。"))
    if data.owner_unit is not None and data.owner_unit.tenant_id != meeting.tenant_id:
        errors.add("owner", _("责任单位不属于本市。"))
    item = data.agenda_item
    if item is not None and item.meeting_id != meeting.pk:
        errors.add("agenda_item", _("该议题不属于本次会议。"))
    if meeting.starts_at > timezone.now():
        errors.add("text", _("会议尚未召开，不能记录决定。"))
    errors.raise_if_any()
    decision = Decision.objects.create(
        tenant_id=meeting.tenant_id,
        meeting=meeting,
        agenda_item=item,
        kind=data.kind,
        text=text,
        owner_unit=data.owner_unit,
        owner_committee=data.owner_committee,
        due_on=due_on,
        created_by=actor,
    )
    if meeting.status == MeetingStatus.SCHEDULED:
        meeting.status = MeetingStatus.HELD
        meeting.save(update_fields=["status"])
    if data.kind == DecisionKind.TASK:
        task = Task(
            tenant_id=meeting.tenant_id,
            committee=meeting.committee,
            decision=decision,
            title=text,
            owner_unit=data.owner_unit,
            owner_committee=data.owner_committee,
        )
        supervision.schedule(task, due_on, _rhythm(meeting.tenant_id))
        task.save()
        recipients = list(
            demand_services.contacts_of([data.owner_unit.pk])
            if data.owner_unit
            else demand_services.staff_of(data.owner_committee)
        )
        notifications.notify(
            tenant_id=meeting.tenant_id,
            recipients=recipients,
            event=Event.DEADLINE_NEAR,
            title=_("交办任务：%(t)s（期限%(d)s）") % {"t": text, "d": due_on.isoformat()},
            body=_("来自%(m)s") % {"m": meeting.title},
            link=f"/projects/tasks/{task.pk}/",
            key=f"task:{task.pk}:assigned",
            committee=meeting.committee,
        )
    else:
        try:
            with transaction.atomic():
                project_from_decision(
                    actor=actor,
                    decision=decision,
                    data=ProjectData(
                        title=text[:TITLE_MAX],
                        description=_("%(m)s决定：%(t)s") % {"m": meeting.title, "t": text},
                        committee=data.owner_committee or meeting.committee,
                        lead_unit=data.owner_unit,
                        budget=data.budget,
                        start_on=timezone.localdate(meeting.starts_at),
                        due_on=due_on,
                    ),
                )
        except ValidationError as error:
            # The decision and its project stand or fall together.
            raise ValidationError(_prefixed(error)) from error
    ensure_in_scope(meeting, actor)
    return decision


def _prefixed(error: ValidationError) -> dict:
    from core.errors import field_messages

    return {
        ("text" if name in ("title", "non_field_errors", "committee") else name): messages
        for name, messages in field_messages(error).items()
    }


@transaction.atomic
def task_close(*, actor, task: Task, note: str = "") -> Task:
    task = _lock(task, "committee", "owner_committee")
    policies.require_close_task(actor, task)
    errors = Errors()
    note = _clean_reason(note, errors, required=False)
    if task.status != TaskStatus.OPEN:
        errors.add("note", _("该任务已是“%(s)s”。") % {"s": task.get_status_display()})
    errors.raise_if_any()
    task.status = TaskStatus.DONE
    task.note = note
    task.done_at = timezone.now()
    task.done_by = actor
    task.supervise_at = None
    task.save()
    ensure_in_scope(task, actor, Action.VIEW)
    return task


# --- supervision ---------------------------------------------------------------------------------


def supervision_scan(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The once-a-minute task's work (see `projects.supervision`)."""
    return supervision.supervision_scan(now=now)


@transaction.atomic
def reminder_send(*, actor, kind: str, pk: int) -> int:
    """Send a reminder from the overdue list to whoever must act on the item."""
    spec = supervision.KINDS.get(kind)
    if spec is None:
        raise ValidationError({"kind": _("未知的督办事项。")})
    row = spec.model.objects.visible_to(actor).select_related(*spec.related).filter(pk=pk).first()
    if row is None:
        raise Http404
    policies.require_remind(actor, spec.committee(row))
    if not spec.is_open(row) or row.overdue_at is None:
        raise ValidationError(_("该事项未逾期或已办结，无需督办。"))
    sent = supervision.reminder_send(actor=actor, kind=spec, row=row)
    if not sent:
        raise ValidationError(_("今天已提醒过，请勿重复发送。"))
    return sent


@transaction.atomic
def supervision_policy_set(
    *, actor, tenant_id: int, remind_days_before: int, escalate_after_days: int
) -> SupervisionPolicy:
    """A tenant's rhythm changes: every open row's next look is computed again."""
    from core.scoping import user_scopes

    if not any(s.tenant_id == tenant_id for s in user_scopes(actor, Action.MANAGE_TREE)):
        raise NotAllowed(_("只有租户管理员可以修改督办设置。"))
    errors = Errors()
    for name, value in (
        ("remind_days_before", remind_days_before),
        ("escalate_after_days", escalate_after_days),
    ):
        if not isinstance(value, int) or not 0 <= value <= 90:
            errors.add(name, _("请填写0到90之间的天数。"))
    errors.raise_if_any()
    policy, _created = SupervisionPolicy.objects.update_or_create(
        tenant_id=tenant_id,
        defaults={
            "remind_days_before": remind_days_before,
            "escalate_after_days": escalate_after_days,
        },
    )
    supervision.reschedule_tenant(tenant_id)
    return policy
