"""Two-way evaluation of completed projects (双向评价), and the back-to-back (背靠背) rule.

When a project completes, its demand side (the owner committee's staff, for the residents whose
demands it met) rates each provider (the lead unit and every participating unit), and each
provider's contact rates the organising committee: a score of 1–5 and a comment. Once the demand
side has rated every provider the project becomes "evaluated". Every rating of a unit updates its
record (`MemberUnit.rating_average`, `rating_count`), which the matching engine reads and names in
its reasons.

The rated party reads feedback about itself only as an aggregate of at least
`MIN_RATINGS_SHOWN` ratings (`feedback_about_unit`, `feedback_about_committee`): never a single
rating, never who gave it, never a comment tied to a project.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Errors, NotAllowed
from core.scoping import ensure_in_scope, user_unit_ids
from demands import services as demand_services
from notifications import services as notifications
from notifications.models import Event

from . import policies
from .models import (
    MIN_RATINGS_SHOWN,
    DepartmentRating,
    Evaluation,
    EvaluationDirection,
    Project,
    ProjectStatus,
    ProjectUnit,
)
from .whistles import unit_records_refresh

COMMENT_MAX = 500
RATABLE = frozenset({ProjectStatus.COMPLETED, ProjectStatus.EVALUATED})


def providers_of(project: Project) -> list[int]:
    """The units that served the project: its lead unit and the participating units."""
    ids = [project.lead_unit_id] if project.lead_unit_id else []
    ids += [
        pk
        for pk in ProjectUnit.objects.filter(project=project)
        .order_by("pk")
        .values_list("unit_id", flat=True)
        if pk not in ids
    ]
    return ids


def evaluation_request(project: Project) -> None:
    """On completion: the owner committee's staff and the providers' contacts are asked to rate
    (inside the completing transaction)."""
    link = f"/projects/{project.pk}/evaluate/"
    notifications.notify(
        tenant_id=project.tenant_id,
        recipients=list(demand_services.staff_of(project.committee))
        + list(demand_services.contacts_of(providers_of(project))),
        event=Event.EVALUATION_REQUESTED,
        title=_("项目“%(t)s”已完成，请进行双向评价") % {"t": project.title},
        link=link,
        key=f"evaluation:request:{project.pk}",
    )


@dataclass
class Score:
    score: int | str | None
    comment: str = ""


def _clean(score: Score, errors: Errors, name: str) -> tuple[int, str] | None:
    try:
        value = int(str(score.score).strip())
    except (TypeError, ValueError):
        errors.add(name, _("请打分（1至5分）。"))
        return None
    if not 1 <= value <= 5:
        errors.add(name, _("评分应为1至5分。"))
        return None
    comment = (score.comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors.add(f"{name}_comment", _("评语不能超过%(n)d个字。") % {"n": COMMENT_MAX})
        return None
    return value, comment


def _locked(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("committee")
        .get(pk=project.pk)
    )


@transaction.atomic
def providers_rate(*, actor, project: Project, scores: dict[int, Score]) -> list[Evaluation]:
    """The demand side rates each provider of a completed project (all at once, once). The
    project then becomes evaluated."""
    project = _locked(project)
    if not policies.may_rate_providers(actor, project):
        raise NotAllowed(_("只有牵头协调委员会的工作人员可以评价服务单位。"))
    errors = Errors()
    if project.status not in RATABLE:
        errors.add("score", _("项目完成后才能评价。"))
        errors.raise_if_any()
    providers = providers_of(project)
    done = set(
        Evaluation.objects.filter(
            project=project, direction=EvaluationDirection.DEMAND_TO_PROVIDER
        ).values_list("subject_unit_id", flat=True)
    )
    if done:
        errors.add("score", _("已评价过服务单位。"))
    if not providers:
        errors.add("score", _("该项目没有服务单位。"))
    if set(scores) - set(providers):
        errors.add("score", _("评价的单位不是本项目的服务单位。"))
    cleaned = {}
    for unit_id in providers:
        if unit_id not in scores:
            errors.add(f"unit_{unit_id}", _("请为每个服务单位打分。"))
            continue
        found = _clean(scores[unit_id], errors, f"unit_{unit_id}")
        if found:
            cleaned[unit_id] = found
    errors.raise_if_any()
    now = timezone.now()
    rows = Evaluation.objects.bulk_create(
        [
            Evaluation(
                tenant_id=project.tenant_id,
                project=project,
                direction=EvaluationDirection.DEMAND_TO_PROVIDER,
                rater_committee=project.committee,
                subject_unit_id=unit_id,
                score=value,
                comment=comment,
                rated_by=actor,
                rated_at=now,
            )
            for unit_id, (value, comment) in cleaned.items()
        ]
    )
    unit_records_refresh(cleaned)
    if project.status == ProjectStatus.COMPLETED:
        from .services import project_mark_evaluated

        project_mark_evaluated(actor=actor, project=project)
    ensure_in_scope(project, actor)
    return rows


@transaction.atomic
def committee_rate(*, actor, project: Project, unit_id: int, score: Score) -> Evaluation:
    """A provider's contact rates the organising committee of a completed project, once."""
    project = _locked(project)
    if unit_id not in user_unit_ids(actor) or unit_id not in providers_of(project):
        raise NotAllowed(_("只有本项目服务单位的联络员可以评价组织方。"))
    errors = Errors()
    if project.status not in RATABLE:
        errors.add("score", _("项目完成后才能评价。"))
    if Evaluation.objects.filter(
        project=project, direction=EvaluationDirection.PROVIDER_TO_COMMITTEE, rater_unit_id=unit_id
    ).exists():
        errors.add("score", _("本单位已评价过该项目的组织方。"))
    found = _clean(score, errors, "score")
    errors.raise_if_any()
    value, comment = found
    evaluation = Evaluation.objects.create(
        tenant_id=project.tenant_id,
        project=project,
        direction=EvaluationDirection.PROVIDER_TO_COMMITTEE,
        rater_unit_id=unit_id,
        subject_committee=project.committee,
        score=value,
        comment=comment,
        rated_by=actor,
        rated_at=timezone.now(),
    )
    ensure_in_scope(evaluation, actor)
    return evaluation


# --- what the rated party may read (背靠背) ------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """An aggregate shown to the rated party: nothing when fewer than the minimum exist."""

    count: int
    average: float | None
    distribution: dict[int, int]

    @property
    def shown(self) -> bool:
        return self.count >= MIN_RATINGS_SHOWN

    @property
    def needed(self) -> int:
        return max(0, MIN_RATINGS_SHOWN - self.count)


def _feedback(rows) -> Feedback:
    dist = {score: 0 for score in range(1, 6)}
    total = n = 0
    for score, count in rows:
        dist[int(score)] += count
        total += int(score) * count
        n += count
    if n < MIN_RATINGS_SHOWN:
        return Feedback(count=n, average=None, distribution={})
    return Feedback(count=n, average=round(total / n, 2), distribution=dist)


def feedback_about_unit(unit_id: int) -> Feedback:
    """What a unit (its contact, or a department's officer) may read about itself: the
    aggregate of the demand side's ratings and, for a department, the streets' ratings."""
    rows = list(
        Evaluation.objects.filter(subject_unit_id=unit_id)
        .values_list("score")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for score, n in (
        DepartmentRating.objects.filter(department_id=unit_id)
        .values_list("score")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        rows.append((int(score + Decimal("0.5")), n))
    return _feedback(rows)


def feedback_about_committee(committee_id: int) -> Feedback:
    """What a committee's staff may read about the providers' ratings of it."""
    return _feedback(
        Evaluation.objects.filter(subject_committee_id=committee_id)
        .values_list("score")
        .annotate(n=Count("pk"))
        .order_by()
    )


def project_evaluation_state(project: Project, user) -> dict:
    """What the evaluation page shows this user of one project: what they may still rate and
    what their side already gave (never the other side's ratings of them)."""
    providers = providers_of(project)
    demand_side = policies.may_rate_providers(user, project)
    units = [pk for pk in providers if pk in user_unit_ids(user)]
    given_by_committee = (
        list(
            Evaluation.objects.filter(
                project=project, direction=EvaluationDirection.DEMAND_TO_PROVIDER
            ).select_related("subject_unit")
        )
        if demand_side
        else []
    )
    given_by_units = {
        e.rater_unit_id: e
        for e in Evaluation.objects.filter(
            project=project,
            direction=EvaluationDirection.PROVIDER_TO_COMMITTEE,
            rater_unit_id__in=units,
        )
    }
    return {
        "ratable": project.status in RATABLE,
        "demand_side": demand_side,
        "providers": providers,
        "given_by_committee": given_by_committee,
        "units": units,
        "given_by_units": given_by_units,
    }
