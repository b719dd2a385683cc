"""The assessment (考核评价): services and reads.

Scoring a period, for the committees directly below the assessing committee (the city assesses
its districts, a district its streets, a street its communities), its member units and the
departments summoned by its streets' whistles:

- an indicator computed from a dashboard figure (a rate from 0 to 1) scores `rate × weight`
  over the period's months; a figure with no data (no demand, nothing completed) scores 0;
- a hand-kept indicator scores what was entered with its evidence (capped at its weight; none
  entered scores 0);
- the score is the sum over the subject's indicators;
- a department's score is `(1 − w) × indicators + w × streets' rating`, where the streets'
  rating is the mean `DepartmentRating.score` (1–5) of the period scaled to the indicators' full
  marks (`score / 5 × Σ weights`) and `w` the period's `street_rating_weight`; a department no
  street rated keeps its indicators' score alone;
- the veto (一票否优): a subject scoring under `veto_below × weight` on a veto indicator cannot be
  excellent — a score at the excellent line is graded good;
- grades by the period's lines: excellent, good, pass, fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Committee
from core.errors import Errors
from core.scoping import Action, ensure_in_scope, subtree_q
from demands.services import ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES
from members.models import MemberUnit, UnitKind
from projects.models import BulletinKind, DepartmentRating

from . import policies, selectors
from .models import (
    FEEDBACK_MIN_RATERS,
    STAR_WON_FROM,
    AssessmentResult,
    Feedback,
    Grade,
    Indicator,
    IndicatorCategory,
    ManualScore,
    Period,
    RectificationStep,
    Star,
    StarRating,
    Subject,
    WeakCommittee,
)

CENT = Decimal("0.01")
EVIDENCE_MAX_BYTES = ATTACHMENT_MAX_BYTES
EVIDENCE_TYPES = {
    **ATTACHMENT_TYPES,
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _q(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- definitions --------------------------------------------------------------------------------


def check_indicator(*, source, subject) -> None:
    keys = {fig.key for fig in selectors.rate_figures()}
    if source != Indicator.MANUAL and source not in keys:
        raise ValidationError({"source": _("数据来源须为看板的比率指标或手工录入。")})
    if subject != Subject.COMMITTEE and source != Indicator.MANUAL:
        raise ValidationError({"source": _("看板指标只能用于考核协调委员会。")})


@transaction.atomic
def indicator_create(*, actor, category, name, weight, source=Indicator.MANUAL, **fields):
    policies.ensure_defines(actor)
    check_indicator(source=source, subject=fields.get("subject", Subject.COMMITTEE))
    indicator = Indicator(
        tenant_id=actor.tenant_id,
        category=category,
        name=name,
        weight=weight,
        source=source,
        **fields,
    )
    indicator.full_clean()
    indicator.save()
    return indicator


@transaction.atomic
def category_create(*, actor, name: str, position: int = 0) -> IndicatorCategory:
    policies.ensure_defines(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写指标类别名称。")})
    if IndicatorCategory.objects.filter(tenant_id=actor.tenant_id, name=name).exists():
        raise ValidationError({"name": _("已有同名的指标类别。")})
    return IndicatorCategory.objects.create(
        tenant_id=actor.tenant_id, name=name, position=position or 0
    )


def check_period(tenant_id, *, name, starts_on, ends_on, excellent_from, good_from, pass_from):
    """Every error of a period's fields at once (the form asks even when its fields failed)."""
    errors = Errors()
    if name and Period.objects.filter(tenant_id=tenant_id, name=name.strip()).exists():
        errors.add("name", _("已有同名的考核周期。"))
    if starts_on and ends_on and ends_on < starts_on:
        errors.add("ends_on", _("结束日期不能早于开始日期。"))
    lines = [excellent_from, good_from, pass_from]
    if None not in lines and not excellent_from > good_from > pass_from:
        errors.add("good_from", _("分数线须为优秀 > 良好 > 合格。"))
    errors.raise_if_any()


@transaction.atomic
def period_create(
    *,
    actor,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    street_rating_weight=Decimal("0.3"),
    excellent_from=Decimal(90),
    good_from=Decimal(75),
    pass_from=Decimal(60),
) -> Period:
    """A period, with the streets' ratings' weight in the departments' score (0 to 1)."""
    policies.ensure_defines(actor)
    check_period(
        actor.tenant_id,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        excellent_from=excellent_from,
        good_from=good_from,
        pass_from=pass_from,
    )
    period = Period(
        tenant_id=actor.tenant_id,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        street_rating_weight=street_rating_weight,
        excellent_from=excellent_from,
        good_from=good_from,
        pass_from=pass_from,
    )
    period.full_clean()
    period.save()
    return period


def check_manual_score(
    *, indicator, score, evidence, evidence_file=None, committee=None, unit=None
):
    errors = Errors()
    if indicator is not None:
        if not indicator.is_manual:
            errors.add("indicator", _("该指标由平台数据计算，不能手工录入。"))
        elif indicator.subject == Subject.COMMITTEE and committee is None and unit is not None:
            errors.add("target", _("该指标考核协调委员会，请选择协调委员会。"))
        elif indicator.subject != Subject.COMMITTEE and unit is None and committee is not None:
            errors.add("target", _("该指标考核成员单位或职能部门，请选择单位。"))
        elif (
            unit is not None
            and indicator.subject == Subject.DEPARTMENT
            and unit.kind != UnitKind.DEPARTMENT
        ):
            errors.add("target", _("该指标只考核职能部门。"))
        elif (
            unit is not None
            and indicator.subject == Subject.UNIT
            and (unit.kind == UnitKind.DEPARTMENT)
        ):
            errors.add("target", _("该指标只考核成员单位（不含职能部门）。"))
    if not (evidence or "").strip() and not evidence_file:
        errors.add("evidence", _("请说明佐证材料或上传佐证文件。"))
    if evidence_file:
        if Path(evidence_file.name).suffix.lower() not in EVIDENCE_TYPES:
            errors.add("evidence_file", _("佐证材料须为图片、PDF、Word或Excel文件。"))
        elif evidence_file.size > EVIDENCE_MAX_BYTES:
            errors.add("evidence_file", _("佐证材料不能超过10MB。"))
    if (
        score is not None
        and indicator is not None
        and (Decimal(score) < 0 or Decimal(score) > indicator.weight)
    ):
        errors.add("score", _("得分须在0到该指标分值之间。"))
    errors.raise_if_any()


@transaction.atomic
def manual_score_enter(
    *, actor, period, indicator, score, evidence, committee=None, unit=None, evidence_file=None
):
    """A hand-kept score, with its evidence (a text, a file or both); entered again, it
    replaces the earlier one."""
    where = committee if committee is not None else unit.committee
    policies.ensure_assesses(actor, where)
    check_manual_score(
        indicator=indicator,
        score=score,
        evidence=evidence,
        evidence_file=evidence_file,
        committee=committee,
        unit=unit,
    )
    defaults = {
        "tenant_id": actor.tenant_id,
        "score": score,
        "evidence": (evidence or "").strip(),
        "entered_by": actor,
    }
    if evidence_file:
        defaults["evidence_file"] = evidence_file
    row, _created = ManualScore.objects.update_or_create(
        period=period,
        indicator=indicator,
        committee=committee,
        unit=unit,
        defaults=defaults,
    )
    return row


def manual_scores_readable(user):
    """The hand-kept scores whose committee (or unit) the user may read."""
    return ManualScore.objects.filter(
        Q(committee__in=Committee.objects.visible_to(user, Action.VIEW))
        | Q(unit__in=MemberUnit.objects.visible_to(user, Action.VIEW))
    )


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class Scored:
    score: Decimal
    vetoed: bool
    details: list[dict]


def _grade(period: Period, score: Decimal, vetoed: bool) -> str:
    if score >= period.excellent_from:
        return Grade.GOOD if vetoed else Grade.EXCELLENT
    if score >= period.good_from:
        return Grade.GOOD
    if score >= period.pass_from:
        return Grade.PASS
    return Grade.FAIL


def _score(indicators, figures: dict | None, manual: dict[int, Decimal]) -> Scored:
    total, vetoed, details = Decimal(0), False, []
    for indicator in indicators:
        if indicator.is_manual:
            value = min(manual.get(indicator.pk, Decimal(0)), indicator.weight)
            rate = None
        else:
            rate = (figures or {}).get(indicator.source)
            value = indicator.weight * Decimal(str(rate or 0))
        value = _q(value)
        failed = indicator.veto and value < indicator.weight * indicator.veto_below
        vetoed = vetoed or failed
        total += value
        details.append(
            {
                "indicator": indicator.pk,
                "name": indicator.name,
                "weight": float(indicator.weight),
                "rate": rate,
                "score": float(value),
                "veto_failed": bool(failed),
            }
        )
    return Scored(_q(total), vetoed, details)


@transaction.atomic
def score_period(*, actor, period: Period, committee: Committee) -> list[AssessmentResult]:
    """Score the committees below `committee`, its member units and the departments its streets
    summoned, for the period; the earlier results of these subjects are replaced."""
    policies.ensure_assesses(actor, committee)
    indicators = list(Indicator.objects.filter(tenant_id=committee.tenant_id))
    by_subject = {s: [i for i in indicators if i.subject == s] for s in Subject.values}
    first, last = month_of(period.starts_on), month_of(period.ends_on)
    manual: dict[tuple[str, int], dict[int, Decimal]] = {}
    for row in ManualScore.objects.filter(period=period):
        key = ("committee", row.committee_id) if row.committee_id else ("unit", row.unit_id)
        manual.setdefault(key, {})[row.indicator_id] = row.score
    results: list[AssessmentResult] = []

    children = list(Committee.objects.filter(parent=committee, closed_at__isnull=True))
    figures = selectors.period_figures([c.pk for c in children], first, last)
    for child in children:
        scored = _score(
            by_subject[Subject.COMMITTEE],
            figures[child.pk],
            manual.get(("committee", child.pk), {}),
        )
        results.append(_result(period, Subject.COMMITTEE, scored, committee=child))

    units = MemberUnit.objects.filter(subtree_q(committee), tenant_id=committee.tenant_id)
    departments = units.filter(kind=UnitKind.DEPARTMENT)
    if by_subject[Subject.UNIT]:
        for unit in units.exclude(kind=UnitKind.DEPARTMENT).filter(
            pk__in=[pk for kind, pk in manual if kind == "unit"]
        ):
            scored = _score(by_subject[Subject.UNIT], None, manual.get(("unit", unit.pk), {}))
            results.append(_result(period, Subject.UNIT, scored, unit=unit))

    ratings = {
        row["department_id"]: row
        for row in DepartmentRating.objects.filter(
            subtree_q(committee),
            rated_at__date__gte=period.starts_on,
            rated_at__date__lte=period.ends_on,
        )
        .values("department_id")
        .annotate(mean=Avg("score"), n=Count("pk"))
    }
    full_marks = sum((i.weight for i in by_subject[Subject.DEPARTMENT]), Decimal(0))
    weight = period.street_rating_weight
    rated = set(ratings) | {pk for kind, pk in manual if kind == "unit"}
    for department in departments.filter(pk__in=rated):
        scored = _score(
            by_subject[Subject.DEPARTMENT], None, manual.get(("unit", department.pk), {})
        )
        rating = ratings.get(department.pk)
        if rating is not None:
            street = _q(Decimal(str(rating["mean"])) / 5 * full_marks)
            indicators_part = scored.score
            scored.score = _q((1 - weight) * indicators_part + weight * street)
            scored.details.append(
                {
                    "indicator": None,
                    "name": _("街乡评价"),
                    "weight": float(weight),
                    "rate": float(rating["mean"]) / 5,
                    "score": float(street),
                    "ratings": rating["n"],
                    "veto_failed": False,
                }
            )
        results.append(_result(period, Subject.DEPARTMENT, scored, unit=department))

    AssessmentResult.objects.filter(
        Q(committee__in=children) | Q(unit__in=units), period=period
    ).delete()
    AssessmentResult.objects.bulk_create(results)
    for result in results[:1]:
        ensure_in_scope(result.committee or result.unit, actor)
    return results


def _result(period, subject, scored: Scored, committee=None, unit=None) -> AssessmentResult:
    return AssessmentResult(
        tenant_id=period.tenant_id,
        period=period,
        subject=subject,
        committee=committee,
        unit=unit,
        score=scored.score,
        grade=_grade(period, scored.score, scored.vetoed),
        vetoed=scored.vetoed,
        details=scored.details,
    )


def results(user, period: Period, committee: Committee, subject: str = Subject.COMMITTEE):
    """The period's results of one kind of subject below `committee`, best first."""
    readable = AssessmentResult.objects.filter(period=period, subject=subject)
    if subject == Subject.COMMITTEE:
        readable = readable.filter(
            committee__in=Committee.objects.visible_to(user, Action.VIEW).filter(parent=committee)
        )
    else:
        readable = readable.filter(
            unit__in=MemberUnit.objects.visible_to(user, Action.VIEW).filter(subtree_q(committee))
        )
    return readable.select_related("committee", "unit").order_by("-score", "pk")


@transaction.atomic
def publish_results(*, actor, period: Period, committee: Committee):
    """Publish the committees' results of the period as a bulletin (通报, kind assessment) to
    the committee's subtree, through the whistles room's publishing service."""
    from projects.bulletins import publish_bulletin  # the whistles room's service

    policies.ensure_assesses(actor, committee)
    rows = list(results(actor, period, committee))
    if not rows:
        raise ValidationError(_("本期尚无考核结果，请先计分。"))
    lines = [
        f"{n}. {r.committee.name}  {r.score}分  {r.get_grade_display()}"
        + ("（一票否优）" if r.vetoed else "")
        for n, r in enumerate(rows, start=1)
    ]
    bulletin = publish_bulletin(
        actor=actor,
        committee=committee,
        title=f"{period.name}考核结果",
        body="\n".join(lines),
        kind=BulletinKind.ASSESSMENT,
        period=period.name,
        ranking=[
            {
                "committee_id": r.committee_id,
                "name": r.committee.name,
                "score": float(r.score),
                "rank": n,
            }
            for n, r in enumerate(rows, start=1)
        ],
    )
    Period.objects.filter(pk=period.pk).update(published_at=timezone.now())
    return bulletin


# --- 党建五星 -------------------------------------------------------------------------------------


@transaction.atomic
def star_rate(*, actor, committee: Committee, year: int, star: str, grade: int, note=""):
    policies.ensure_assesses(actor, committee.parent or committee)
    if committee.level != "community":
        raise ValidationError({"committee": _("五星评定只针对社区（村）。")})
    if not 1 <= int(grade) <= 5:
        raise ValidationError({"grade": _("等级须为1到5。")})
    row, _created = StarRating.objects.update_or_create(
        committee=committee,
        year=year,
        star=star,
        defaults={
            "tenant_id": committee.tenant_id,
            "grade": grade,
            "note": note,
            "rated_by": actor,
        },
    )
    return row


@transaction.atomic
def stars_rate(*, actor, committee: Committee, year: int, grades: dict[str, int], note=""):
    """A community's grades on the five stars in one year, all at once."""
    policies.ensure_assesses(actor, committee.parent or committee)
    errors = Errors()
    if committee.level != "community":
        errors.add("committee", _("五星评定只针对社区（村）。"))
    for star in Star.values:
        grade = grades.get(star)
        if grade is None or not 1 <= int(grade) <= 5:
            errors.add(star, _("等级须为1到5。"))
    errors.raise_if_any()
    return [
        star_rate(
            actor=actor, committee=committee, year=year, star=star, grade=grades[star], note=note
        )
        for star in Star.values
    ]


def star_history(user, committee: Committee) -> list[dict]:
    """A community's stars year by year: each star's grade, and the stars won (grade 4 up)."""
    return star_histories(user, [committee])[committee.pk]


def star_histories(user, committees) -> dict[int, list[dict]]:
    """`star_history` of several communities in one query, by committee id."""
    committees = list(committees)
    rows = StarRating.objects.visible_to(user, Action.VIEW).filter(committee__in=committees)
    years: dict[int, dict[int, dict]] = {c.pk: {} for c in committees}
    for row in rows.order_by("committee_id", "-year", "star"):
        year = years[row.committee_id].setdefault(
            row.year, {"year": row.year, "grades": {}, "won": 0}
        )
        year["grades"][row.star] = row.grade
        year["won"] += row.grade >= STAR_WON_FROM
    return {pk: list(by_year.values()) for pk, by_year in years.items()}


# --- 软弱涣散 -------------------------------------------------------------------------------------


@transaction.atomic
def weak_flag(*, actor, committee: Committee, reason: str, plan: str, due_on: dt.date):
    policies.ensure_assesses(actor, committee.parent or committee)
    errors = Errors()
    if WeakCommittee.objects.filter(committee=committee, lifted_at__isnull=True).exists():
        errors.add("committee", _("该委员会已在整顿中。"))
    if not (reason or "").strip():
        errors.add("reason", _("请填写认定原因。"))
    if not (plan or "").strip():
        errors.add("plan", _("请填写整顿方案。"))
    errors.raise_if_any()
    return WeakCommittee.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        reason=reason,
        plan=plan,
        due_on=due_on,
        flagged_by=actor,
    )


@transaction.atomic
def weak_progress(*, actor, weak: WeakCommittee, text: str, percent: int):
    policies.ensure_assesses(actor, weak.committee)
    if weak.lifted_at is not None:
        raise ValidationError(_("已销号的整顿不能再记录进展。"))
    errors = Errors()
    if not (text or "").strip():
        errors.add("text", _("请填写整改进展。"))
    last = weak.steps.order_by("-recorded_at", "-pk").first()
    if percent is None or not 0 <= int(percent) <= 100:
        errors.add("percent", _("完成进度须在0到100之间。"))
    elif last is not None and percent < last.percent:
        errors.add("percent", _("完成进度不能低于上次记录的 %(p)s%%。") % {"p": last.percent})
    errors.raise_if_any()
    return RectificationStep.objects.create(
        tenant_id=weak.tenant_id, weak=weak, text=text, percent=percent, recorded_by=actor
    )


@transaction.atomic
def weak_lift(*, actor, weak: WeakCommittee):
    policies.ensure_assesses(actor, weak.committee.parent or weak.committee)
    last = weak.steps.order_by("-recorded_at", "-pk").first()
    if last is None or last.percent < 100:
        raise ValidationError(_("整改完成（100%）后才能销号。"))
    weak.lifted_at = timezone.now()
    weak.save(update_fields=["lifted_at"])
    return weak


def weak_committees(user, committee: Committee):
    """The committees of the subtree under rectification, with their latest progress."""
    return (
        WeakCommittee.objects.visible_to(user, Action.VIEW)
        .filter(subtree_q(committee), lifted_at__isnull=True)
        .select_related("committee")
        .prefetch_related("steps")
        .order_by("due_on", "pk")
    )


# --- 背靠背 --------------------------------------------------------------------------------------


@transaction.atomic
def feedback_give(*, actor, period: Period, committee: Committee, score: int, comment=""):
    policies.ensure_gives_feedback(actor, committee)
    if not 1 <= int(score) <= 5:
        raise ValidationError({"score": _("评分须为1到5。")})
    row, _created = Feedback.objects.update_or_create(
        period=period,
        committee=committee,
        rater=actor,
        defaults={"tenant_id": committee.tenant_id, "score": score, "comment": comment},
    )
    return row


def feedback_summary(user, period: Period, committee: Committee) -> dict:
    """What anyone who may read the committee sees of its back-to-back feedback: how many gave
    it and, from `FEEDBACK_MIN_RATERS` on, the mean score; never a row, a rater or a comment."""
    if not Committee.objects.visible_to(user, Action.VIEW).filter(pk=committee.pk).exists():
        return {"count": 0, "mean": None}
    stats = Feedback.objects.filter(period=period, committee=committee).aggregate(
        count=Count("pk"), mean=Avg("score")
    )
    if stats["count"] < FEEDBACK_MIN_RATERS:
        return {"count": stats["count"], "mean": None}
    return {"count": stats["count"], "mean": round(float(stats["mean"]), 2)}
