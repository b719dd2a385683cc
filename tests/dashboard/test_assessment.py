"""The assessment on the hand-built case: scores, weights, the veto, the streets' ratings of
departments, the stars, weak committees and back-to-back feedback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.errors import NotAllowed
from dashboard import assessment
from dashboard.models import Grade, IndicatorCategory, Period, Star, Subject

from ..factories import Role, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def period(world, case):
    return Period.objects.create(
        tenant=world.city.tenant,
        name="2026年上半年",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 6, 30),
        street_rating_weight=Decimal("0.3"),
    )


@pytest.fixture
def indicators(world, case):
    admin = world.tenant_admin
    tenant = world.city.tenant
    handling = IndicatorCategory.objects.create(tenant=tenant, name="需求办理", position=1)
    building = IndicatorCategory.objects.create(tenant=tenant, name="组织建设", position=2)
    make = assessment.indicator_create
    return {
        "response": make(
            actor=admin,
            category=handling,
            name="响应率",
            weight=40,
            source="response_rate",
            veto=True,
            veto_below=Decimal("0.5"),
        ),
        "resolution": make(
            actor=admin, category=handling, name="解决率", weight=30, source="resolution_rate"
        ),
        "meetings": make(actor=admin, category=building, name="组织生活", weight=30),
        "duty": make(
            actor=admin, category=building, name="履职尽责", weight=10, subject=Subject.UNIT
        ),
        "work": make(
            actor=admin,
            category=handling,
            name="工作落实",
            weight=100,
            subject=Subject.DEPARTMENT,
        ),
    }


@pytest.fixture
def district_staff(world):
    return user_with_role(Role.STAFF, world.district, username="dc_staff")


def test_committees_scored_with_weights_and_veto(world, case, period, indicators, district_staff):
    manual = assessment.manual_score_enter
    common = {"actor": district_staff, "period": period, "evidence": "会议记录"}
    manual(**common, indicator=indicators["meetings"], score=25, committee=world.street)
    manual(**common, indicator=indicators["meetings"], score=30, committee=world.sibling_street)
    results = assessment.score_period(actor=district_staff, period=period, committee=world.district)
    by_name = {r.committee.name: r for r in results if r.subject == Subject.COMMITTEE}
    street, sibling = by_name["东华门街道"], by_name["景山街道"]
    # 东华门: response 100% x 40 + resolution 1/3 x 30 + 25 by hand
    assert street.score == Decimal("75.00")
    assert street.grade == Grade.GOOD and not street.vetoed
    assert [d["score"] for d in street.details] == [40.0, 10.0, 25.0]
    # 景山: nothing answered: 0 + 0 + 30, and the veto indicator failed
    assert sibling.score == Decimal("30.00")
    assert sibling.vetoed and sibling.grade == Grade.FAIL

    period.excellent_from, period.good_from, period.pass_from = 25, 20, 10
    period.save()
    results = assessment.score_period(actor=district_staff, period=period, committee=world.district)
    by_name = {r.committee.name: r for r in results if r.subject == Subject.COMMITTEE}
    assert by_name["东华门街道"].grade == Grade.EXCELLENT
    assert by_name["景山街道"].grade == Grade.GOOD  # 30 is excellent's score, but vetoed
    shown = assessment.results(world.district_leader, period, world.district)
    assert [r.committee.name for r in shown] == ["东华门街道", "景山街道"]


def test_departments_take_the_streets_ratings_by_weight(
    world, case, period, indicators, district_staff
):
    manual = assessment.manual_score_enter
    common = {"actor": district_staff, "period": period, "evidence": "督查通报"}
    manual(**common, indicator=indicators["work"], score=90, unit=case.departments["police"])
    manual(**common, indicator=indicators["work"], score=80, unit=case.departments["water"])
    manual(**common, indicator=indicators["duty"], score=8, unit=case.unit)
    results = assessment.score_period(actor=district_staff, period=period, committee=world.district)
    departments = {r.unit.name: r for r in results if r.subject == Subject.DEPARTMENT}
    # 区城管委: rated 5 by 东华门 -> 100; 0.7 x 90 + 0.3 x 100
    assert departments["区城管委"].score == Decimal("93.00")
    # 区水务局: rated 2, 4, 1 -> mean 7/3 -> 46.67; 0.7 x 80 + 0.3 x 46.67
    assert departments["区水务局"].score == Decimal("70.00")
    assert departments["区水务局"].details[-1]["ratings"] == 3
    units = [(r.unit.name, r.score) for r in results if r.subject == Subject.UNIT]
    assert units == [("区医院", Decimal("8.00"))]

    period.street_rating_weight = Decimal("0")
    period.save()
    results = assessment.score_period(actor=district_staff, period=period, committee=world.district)
    departments = {r.unit.name: r.score for r in results if r.subject == Subject.DEPARTMENT}
    assert departments == {"区城管委": Decimal("90.00"), "区水务局": Decimal("80.00")}


def test_who_may_assess(world, case, period, indicators):
    with pytest.raises(NotAllowed):
        assessment.score_period(actor=world.street_staff, period=period, committee=world.district)
    with pytest.raises(NotAllowed):
        assessment.indicator_create(
            actor=world.street_staff, category=indicators["work"].category, name="x", weight=1
        )


def test_manual_scores_need_evidence_and_stay_within_weight(
    world, case, period, indicators, district_staff
):
    with pytest.raises(ValidationError) as error:
        assessment.manual_score_enter(
            actor=district_staff,
            period=period,
            indicator=indicators["meetings"],
            score=31,
            evidence=" ",
            committee=world.street,
        )
    assert set(error.value.message_dict) == {"score", "evidence"}
    with pytest.raises(ValidationError):
        assessment.manual_score_enter(
            actor=district_staff,
            period=period,
            indicator=indicators["response"],
            score=1,
            evidence="x",
            committee=world.street,
        )


def test_five_stars_and_their_history(world, case):
    staff = world.street_staff
    for star, grade in [(Star.ORGANISATION, 5), (Star.SERVICE, 4), (Star.CULTURE, 2)]:
        assessment.star_rate(
            actor=staff, committee=world.community, year=2025, star=star, grade=grade
        )
    assessment.star_rate(
        actor=staff, committee=world.community, year=2026, star=Star.ORGANISATION, grade=3
    )
    history = assessment.star_history(world.district_leader, world.community)
    assert [(y["year"], y["won"]) for y in history] == [(2026, 0), (2025, 2)]
    assert history[1]["grades"][Star.CULTURE] == 2
    with pytest.raises(ValidationError):
        assessment.star_rate(
            actor=staff, committee=world.community, year=2026, star=Star.SERVICE, grade=6
        )
    with pytest.raises(ValidationError):
        assessment.star_rate(
            actor=world.tenant_admin, committee=world.street, year=2026, star=Star.SERVICE, grade=3
        )
    with pytest.raises(NotAllowed):
        assessment.star_rate(
            actor=world.sibling_staff,
            committee=world.community,
            year=2026,
            star=Star.SERVICE,
            grade=3,
        )


def test_weak_committee_rectification(world, case):
    staff = world.street_staff
    weak = assessment.weak_flag(
        actor=staff,
        committee=world.community2,
        reason="班子不团结，长期不开会",
        plan="调整班子，每月过组织生活",
        due_on=dt.date(2026, 12, 31),
    )
    with pytest.raises(ValidationError):
        assessment.weak_flag(
            actor=staff, committee=world.community2, reason="x", plan="y", due_on=weak.due_on
        )
    assessment.weak_progress(actor=staff, weak=weak, text="班子已调整", percent=50)
    with pytest.raises(ValidationError):
        assessment.weak_progress(actor=staff, weak=weak, text="倒退", percent=30)
    with pytest.raises(ValidationError):
        assessment.weak_lift(actor=staff, weak=weak)
    assessment.weak_progress(actor=staff, weak=weak, text="整改完成", percent=100)
    assessment.weak_lift(actor=staff, weak=weak)
    assert list(assessment.weak_committees(world.district_leader, world.district)) == []


def test_back_to_back_feedback_only_in_aggregate(world, case, period):
    raters = [
        world.district_leader,
        world.tenant_admin,
        user_with_role(Role.STAFF, world.district, username="dc_staff2"),
    ]
    with pytest.raises(NotAllowed):  # nobody rates their own committee
        assessment.feedback_give(
            actor=world.street_staff, period=period, committee=world.street, score=5
        )
    with pytest.raises(NotAllowed):  # nor one outside their scope
        assessment.feedback_give(
            actor=world.sibling_staff, period=period, committee=world.street, score=1
        )
    for rater, score in zip(raters[:2], (5, 2), strict=True):
        assessment.feedback_give(actor=rater, period=period, committee=world.street, score=score)
    assert assessment.feedback_summary(world.street_staff, period, world.street) == {
        "count": 2,
        "mean": None,
    }
    assessment.feedback_give(actor=raters[2], period=period, committee=world.street, score=4)
    summary = assessment.feedback_summary(world.street_staff, period, world.street)
    assert summary == {"count": 3, "mean": 3.67}
    assert assessment.feedback_summary(world.sibling_staff, period, world.street)["count"] == 0


def test_results_publish_as_a_bulletin(world, case, period, indicators, district_staff):
    pytest.importorskip("projects.bulletins", reason="the whistles room's publishing service")
    assessment.score_period(actor=district_staff, period=period, committee=world.district)
    bulletin = assessment.publish_results(
        actor=district_staff, period=period, committee=world.district
    )
    assert bulletin.kind == "assessment"
    assert [r["name"] for r in bulletin.ranking] == ["东华门街道", "景山街道"]


def test_assessment_page(client_for, world, case, period, indicators, district_staff):
    from django.urls import reverse

    url = reverse("dashboard:assessment", args=[world.district.pk])
    leader = client_for(world.district_leader)
    assert leader.post(url, {"period": period.pk, "do": "score"}).status_code == 403
    assert leader.get(reverse("dashboard:assessment", args=[case.west.pk])).status_code == 404
    staff = client_for(district_staff)
    response = staff.post(url, {"period": period.pk, "do": "score"})
    assert response.status_code == 302
    page = staff.get(url, {"period": period.pk}).content.decode()
    assert "东华门街道" in page and "50.00" in page
    assert "一票否优" in page
