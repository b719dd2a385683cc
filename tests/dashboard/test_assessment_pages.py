"""The assessment's entry pages: indicators, categories and periods (the tenant administrator),
hand scores with evidence, the five stars, weak committees, back-to-back feedback. Each form
creates through its service, bad input shows every error on its field, and the isolation."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dashboard import assessment
from dashboard.models import (
    Feedback,
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

from ..factories import Role, user_with_role
from ..query_counts import query_counts

pytestmark = pytest.mark.django_db

SETUP = "dashboard:assessment_setup"


def field_errors(response) -> dict[str, list[str]]:
    """The errors shown under each field, by the field's name."""
    html = response.content.decode()
    found: dict[str, list[str]] = {}
    for name, text in re.findall(r'data-field="([^"]+)">([^<]*)<', html):
        found.setdefault(name, []).append(text)
    return found


@pytest.fixture
def period(world):
    return Period.objects.create(
        tenant=world.city.tenant,
        name="2026年上半年考核",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 6, 30),
    )


@pytest.fixture
def category(world):
    return IndicatorCategory.objects.create(tenant=world.city.tenant, name="组织建设", position=1)


@pytest.fixture
def manual(world, category):
    return assessment.indicator_create(
        actor=world.tenant_admin, category=category, name="组织生活", weight=30
    )


@pytest.fixture
def district_staff(world):
    return user_with_role(Role.STAFF, world.district, username="dc_staff")


# --- setup: categories, indicators, periods ------------------------------------------------------


def test_admin_defines_a_category_an_indicator_from_a_figure_and_a_period(client_for, world):
    client = client_for(world.tenant_admin)
    url = reverse(SETUP)
    page = client.get(url).content.decode()
    assert "响应率" in page  # the picker offers the dashboard's rate figures
    response = client.post(
        url, {"do": "category", "category-name": "需求办理", "category-position": 1}
    )
    assert response.status_code == 302
    category = IndicatorCategory.objects.get(tenant=world.city.tenant, name="需求办理")
    response = client.post(
        url,
        {
            "do": "indicator",
            "indicator-category": category.pk,
            "indicator-name": "响应率",
            "indicator-subject": Subject.COMMITTEE,
            "indicator-source": "response_rate",
            "indicator-weight": "40",
            "indicator-veto": "on",
            "indicator-veto_below": "0.5",
            "indicator-position": 1,
        },
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get(name="响应率")
    assert (indicator.source, indicator.weight, indicator.veto, indicator.veto_below) == (
        "response_rate",
        Decimal(40),
        True,
        Decimal("0.5"),
    )
    response = client.post(
        url,
        {
            "do": "period",
            "period-name": "2026年下半年",
            "period-starts_on": "2026-07-01",
            "period-ends_on": "2026-12-31",
            "period-street_rating_weight": "0.4",
            "period-excellent_from": "90",
            "period-good_from": "75",
            "period-pass_from": "60",
        },
    )
    assert response.status_code == 302
    period = Period.objects.get(tenant=world.city.tenant, name="2026年下半年")
    assert period.street_rating_weight == Decimal("0.4")
    page = client.get(url).content.decode()
    assert "需求办理" in page and "2026年下半年" in page and "否优线 0.500" in page


def test_indicator_form_shows_every_error_at_once(client_for, world, category):
    client = client_for(world.tenant_admin)
    response = client.post(
        reverse(SETUP),
        {
            "do": "indicator",
            "indicator-category": "",
            "indicator-name": "",
            "indicator-subject": Subject.UNIT,
            "indicator-source": "response_rate",  # a figure only scores committees
            "indicator-weight": "-1",
            "indicator-veto_below": "2",
            "indicator-position": 0,
        },
    )
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"category", "name", "source", "weight", "veto_below"}
    assert "看板指标只能用于考核协调委员会" in errors["source"][0]
    assert not Indicator.objects.exists()


def test_period_form_shows_every_error_at_once(client_for, world, period):
    client = client_for(world.tenant_admin)
    response = client.post(
        reverse(SETUP),
        {
            "do": "period",
            "period-name": period.name,  # taken
            "period-starts_on": "2026-07-01",
            "period-ends_on": "2026-06-01",
            "period-street_rating_weight": "1.5",
            "period-excellent_from": "70",
            "period-good_from": "75",
            "period-pass_from": "60",
        },
    )
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"name", "ends_on", "street_rating_weight", "good_from"}
    assert "已有同名" in errors["name"][0]
    assert Period.objects.count() == 1


def test_category_name_taken_and_missing(client_for, world, category):
    client = client_for(world.tenant_admin)
    for name, message in [(category.name, "已有同名"), ("", "")]:
        response = client.post(reverse(SETUP), {"do": "category", "category-name": name})
        assert response.status_code == 400
        assert message in field_errors(response)["name"][0]


def test_only_a_tenant_admin_defines(client_for, world, district_staff):
    for user in (district_staff, world.district_leader, world.street_staff):
        client = client_for(user)
        assert client.get(reverse(SETUP)).status_code == 403
        response = client.post(reverse(SETUP), {"do": "category", "category-name": "x"})
        assert response.status_code == 403
    assert not IndicatorCategory.objects.exists()


def test_another_tenants_admin_sees_only_their_own_definitions(client_for, world, manual, period):
    page = client_for(world.other_admin).get(reverse(SETUP)).content.decode()
    assert manual.name not in page and period.name not in page
    response = client_for(world.other_admin).post(
        reverse(SETUP),
        {
            "do": "indicator",
            "indicator-category": manual.category_id,  # Beijing's: not on offer
            "indicator-name": "偷渡",
            "indicator-subject": Subject.COMMITTEE,
            "indicator-source": "manual",
            "indicator-weight": "1",
            "indicator-veto_below": "0.6",
            "indicator-position": 0,
        },
    )
    assert response.status_code == 400
    assert "category" in field_errors(response)
    assert Indicator.objects.count() == 1


def test_setup_page_queries_do_not_grow(client_for, world):
    client = client_for(world.tenant_admin)
    url = reverse(SETUP)
    admin = world.tenant_admin
    category = assessment.category_create(actor=admin, name="类别0")
    assessment.indicator_create(actor=admin, category=category, name="指标0", weight=1)
    before = query_counts(client, [url])
    for n in range(1, 4):
        category = assessment.category_create(actor=admin, name=f"类别{n}")
        for m in range(3):
            assessment.indicator_create(
                actor=admin, category=category, name=f"指标{n}{m}", weight=1
            )
        assessment.period_create(
            actor=admin,
            name=f"周期{n}",
            starts_on=dt.date(2026, n, 1),
            ends_on=dt.date(2026, n, 28),
        )
    assert query_counts(client, [url]) == before


# --- hand scores ---------------------------------------------------------------------------------


def scores_url(committee, period):
    return reverse("dashboard:assessment_scores", args=[committee.pk]) + f"?period={period.pk}"


def test_staff_enter_a_hand_score_with_a_file(
    client_for, world, period, manual, district_staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(district_staff)
    url = scores_url(world.district, period)
    response = client.post(
        url,
        {
            "period": period.pk,
            "indicator": manual.pk,
            "committee": world.street.pk,
            "score": "25",
            "evidence": "",
            "evidence_file": SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4"),
        },
    )
    assert response.status_code == 302
    row = ManualScore.objects.get()
    assert (row.committee, row.score, row.entered_by) == (world.street, 25, district_staff)
    assert row.evidence_file.name.endswith(".pdf")
    page = client.get(url).content.decode()
    assert "东华门街道" in page and "25.00 / 30.00" in page
    evidence = reverse("dashboard:assessment_evidence", args=[row.pk])
    assert evidence in page
    download = client.get(evidence)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert client_for(world.sibling_staff).get(evidence).status_code == 404
    assert client_for(world.other_admin).get(evidence).status_code == 404


def test_evidence_file_must_be_a_document(client_for, world, period, manual, district_staff):
    response = client_for(district_staff).post(
        scores_url(world.district, period),
        {
            "period": period.pk,
            "indicator": manual.pk,
            "committee": world.street.pk,
            "score": "40",
            "evidence": "",
            "evidence_file": SimpleUploadedFile("run.html", b"<script>"),
        },
    )
    assert response.status_code == 400
    assert set(field_errors(response)) == {"score", "evidence_file"}
    assert not ManualScore.objects.exists()


def test_hand_score_form_shows_every_error_at_once(
    client_for, world, period, manual, district_staff
):
    client = client_for(district_staff)
    response = client.post(
        scores_url(world.district, period),
        {
            "period": period.pk,
            "indicator": manual.pk,
            "committee": "",
            "score": "31",
            "evidence": " ",
        },
    )
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"committee", "score", "evidence"}
    assert "0到该指标分值" in errors["score"][0]
    assert not ManualScore.objects.exists()


def test_a_committee_indicator_is_not_scored_on_a_unit(
    client_for, world, period, manual, district_staff
):
    from ..members.factories import unit

    hospital = unit(world.district, name="区医院")
    response = client_for(district_staff).post(
        scores_url(world.district, period),
        {
            "period": period.pk,
            "indicator": manual.pk,
            "unit": hospital.name,
            "score": "10",
            "evidence": "台账",
        },
    )
    assert response.status_code == 400
    assert "请选择协调委员会" in field_errors(response)["unit"][0]


def test_hand_scores_leader_may_read_not_enter_and_strangers_get_404(
    client_for, world, case, period, manual
):
    url = scores_url(world.district, period)
    data = {"period": period.pk, "indicator": manual.pk, "committee": world.street.pk}
    leader = client_for(world.district_leader)
    assert leader.get(url).status_code == 200
    assert leader.post(url, {**data, "score": "1", "evidence": "x"}).status_code == 403
    west_staff = user_with_role(Role.STAFF, case.west, username="xc_staff")
    assert client_for(west_staff).get(url).status_code == 404
    assert client_for(world.other_admin).get(url).status_code == 404
    assert not ManualScore.objects.exists()


def test_hand_scores_list_queries_do_not_grow(client_for, world, period, category, district_staff):
    admin = world.tenant_admin
    indicators = [
        assessment.indicator_create(actor=admin, category=category, name=f"手工{n}", weight=10)
        for n in range(3)
    ]
    client = client_for(district_staff)
    url = scores_url(world.district, period)
    enter = assessment.manual_score_enter
    enter(
        actor=district_staff,
        period=period,
        indicator=indicators[0],
        score=1,
        evidence="x",
        committee=world.street,
    )
    before = query_counts(client, [url])
    for indicator in indicators[1:]:
        for committee in (world.street, world.sibling_street):
            enter(
                actor=district_staff,
                period=period,
                indicator=indicator,
                score=2,
                evidence="y",
                committee=committee,
            )
    assert query_counts(client, [url]) == before


# --- five stars ----------------------------------------------------------------------------------


def stars_url(committee):
    return reverse("dashboard:assessment_stars", args=[committee.pk])


def test_street_staff_rate_a_communitys_five_stars(client_for, world):
    client = client_for(world.street_staff)
    grades = dict(zip(Star.values, (5, 4, 3, 4, 2), strict=True))
    response = client.post(stars_url(world.community), {"year": 2025, **grades, "note": "年度评定"})
    assert response.status_code == 302
    assert {r.star: r.grade for r in StarRating.objects.filter(committee=world.community)} == grades
    client.post(stars_url(world.community), {"year": 2026, **dict.fromkeys(Star.values, 4)})
    page = client.get(stars_url(world.community)).content.decode()
    assert page.index("2026") < page.index("2025")  # the latest year first
    history = assessment.star_history(world.street_staff, world.community)
    assert [(y["year"], y["won"]) for y in history] == [(2026, 5), (2025, 3)]


def test_stars_form_shows_every_error_at_once(client_for, world):
    response = client_for(world.street_staff).post(
        stars_url(world.community), {"year": "", Star.ORGANISATION: "6", Star.SERVICE: "3"}
    )
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {
        "year",
        Star.ORGANISATION,
        Star.GOVERNANCE,
        Star.CO_BUILDING,
        Star.CULTURE,
    }
    assert not StarRating.objects.exists()


def test_stars_who_may_rate(client_for, world):
    data = {"year": 2026, **dict.fromkeys(Star.values, 3)}
    # The community's own staff and a leader read it but may not rate it.
    assert client_for(world.community_staff).get(stars_url(world.community)).status_code == 200
    assert (
        client_for(world.community_staff).post(stars_url(world.community), data).status_code == 403
    )
    assert (
        client_for(world.district_leader).post(stars_url(world.community), data).status_code == 403
    )
    assert client_for(world.sibling_staff).get(stars_url(world.community)).status_code == 404
    assert client_for(world.other_admin).get(stars_url(world.community)).status_code == 404
    # Only communities have stars.
    assert client_for(world.tenant_admin).get(stars_url(world.street)).status_code == 404
    assert not StarRating.objects.exists()


# --- weak committees -----------------------------------------------------------------------------


def test_flag_record_progress_and_lift_a_weak_committee(client_for, world):
    client = client_for(world.street_staff)
    list_url = reverse("dashboard:weak_list", args=[world.street.pk])
    response = client.post(
        list_url,
        {
            "committee": world.community2.name,
            "reason": "班子不团结，长期不开会",
            "plan": "调整班子，每月过组织生活",
            "due_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    weak = WeakCommittee.objects.get(committee=world.community2)
    detail = reverse("dashboard:weak_detail", args=[weak.pk])
    assert (
        client.post(detail, {"do": "step", "text": "班子已调整", "percent": 60}).status_code == 302
    )
    response = client.post(detail, {"do": "step", "text": "倒退", "percent": 30})
    assert response.status_code == 400
    assert "不能低于上次记录的 60%" in field_errors(response)["percent"][0]
    page = client.get(detail).content.decode()
    assert "confirm(" in page  # lifting asks first: it cannot be undone
    client.post(detail, {"do": "lift"})  # refused: not at 100 % yet
    assert WeakCommittee.objects.get().lifted_at is None
    client.post(detail, {"do": "step", "text": "整改完成", "percent": 100})
    assert client.post(detail, {"do": "lift"}).status_code == 302
    assert WeakCommittee.objects.get().lifted_at is not None
    assert RectificationStep.objects.count() == 2
    assert "已销号" in client.get(list_url).content.decode()


def test_weak_flag_form_shows_every_error_at_once(client_for, world):
    assessment.weak_flag(
        actor=world.street_staff,
        committee=world.community,
        reason="x",
        plan="y",
        due_on=dt.date(2026, 12, 31),
    )
    response = client_for(world.street_staff).post(
        reverse("dashboard:weak_list", args=[world.street.pk]),
        {"committee": world.community.pk, "reason": " ", "plan": "", "due_on": "不是日期"},
    )
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"reason", "plan", "due_on"}
    # Once the fields are right, the service's own rule shows on its field.
    response = client_for(world.street_staff).post(
        reverse("dashboard:weak_list", args=[world.street.pk]),
        {"committee": world.community.pk, "reason": "r", "plan": "p", "due_on": "2026-12-31"},
    )
    assert "已在整顿中" in field_errors(response)["committee"][0]
    assert WeakCommittee.objects.count() == 1


def test_weak_pages_isolation(client_for, world):
    weak = assessment.weak_flag(
        actor=world.street_staff,
        committee=world.community,
        reason="x",
        plan="y",
        due_on=dt.date(2026, 12, 31),
    )
    detail = reverse("dashboard:weak_detail", args=[weak.pk])
    assert client_for(world.sibling_staff).get(detail).status_code == 404
    assert client_for(world.other_admin).get(detail).status_code == 404
    leader = client_for(world.district_leader)
    assert leader.get(detail).status_code == 200
    assert leader.post(detail, {"do": "step", "text": "x", "percent": 10}).status_code == 403
    flag = {"committee": world.community2.pk, "reason": "r", "plan": "p", "due_on": "2026-12-31"}
    list_url = reverse("dashboard:weak_list", args=[world.street.pk])
    assert leader.post(list_url, flag).status_code == 403
    assert client_for(world.sibling_staff).post(list_url, flag).status_code == 404
    assert RectificationStep.objects.count() == 0


def test_weak_list_queries_do_not_grow(client_for, world):
    staff = world.street_staff
    client = client_for(staff)
    url = reverse("dashboard:weak_list", args=[world.district.pk])
    client = client_for(world.tenant_admin)
    weak = assessment.weak_flag(
        actor=staff, committee=world.community, reason="x", plan="y", due_on=dt.date(2026, 12, 31)
    )
    assessment.weak_progress(actor=staff, weak=weak, text="a", percent=10)
    before = query_counts(client, [url])
    for committee in (world.community2, world.sibling_community, world.sibling_street):
        other = assessment.weak_flag(
            actor=world.tenant_admin,
            committee=committee,
            reason="x",
            plan="y",
            due_on=dt.date(2026, 12, 31),
        )
        assessment.weak_progress(actor=world.tenant_admin, weak=other, text="b", percent=20)
    assert query_counts(client, [url]) == before


# --- back-to-back feedback -----------------------------------------------------------------------


def feedback_url(committee, period):
    return reverse("dashboard:assessment_feedback", args=[committee.pk]) + f"?period={period.pk}"


def test_feedback_is_given_and_shown_only_in_aggregate(client_for, world, period, district_staff):
    url = feedback_url(world.street, period)
    raters = [world.district_leader, world.tenant_admin, district_staff]
    for rater, score, comment in zip(
        raters, (5, 2, 4), ("很好", "一般般的秘密意见", ""), strict=True
    ):
        response = client_for(rater).post(
            url, {"period": period.pk, "score": score, "comment": comment}
        )
        assert response.status_code == 302
    assert Feedback.objects.filter(committee=world.street).count() == 3
    page = client_for(world.street_staff).get(url).content.decode()
    assert "3.67" in page and "一般般的秘密意见" not in page
    assert "feedback-form" not in page  # nobody rates their own committee


def test_feedback_form_errors_and_who_may_give(client_for, world, period):
    url = feedback_url(world.street, period)
    response = client_for(world.district_leader).post(url, {"period": "", "score": "9"})
    assert response.status_code == 400
    assert set(field_errors(response)) == {"period", "score"}
    own = client_for(world.street_staff).post(url, {"period": period.pk, "score": 5})
    assert own.status_code == 403
    assert client_for(world.sibling_staff).get(url).status_code == 404
    assert (
        client_for(world.other_admin).post(url, {"period": period.pk, "score": 1}).status_code
        == 404
    )
    assert not Feedback.objects.exists()


def test_results_page_links_the_entry_pages(client_for, world, period):
    page = (
        client_for(world.tenant_admin)
        .get(reverse("dashboard:assessment", args=[world.street.pk]))
        .content.decode()
    )
    for url in (
        reverse(SETUP),
        reverse("dashboard:assessment_scores", args=[world.street.pk]),
        reverse("dashboard:weak_list", args=[world.street.pk]),
        reverse("dashboard:assessment_feedback", args=[world.street.pk]),
        stars_url(world.community),
    ):
        assert url in page
    staff_page = (
        client_for(world.street_staff)
        .get(reverse("dashboard:assessment", args=[world.street.pk]))
        .content.decode()
    )
    assert reverse(SETUP) not in staff_page


def test_results_page_queries_do_not_grow_with_communities_and_weak(client_for, world, period):
    from committees.models import Level

    from ..factories import CommitteeFactory

    staff = world.street_staff
    client = client_for(staff)
    url = reverse("dashboard:assessment", args=[world.street.pk]) + f"?period={period.pk}"

    def rate(community):
        staff = type(world.street_staff).objects.get(pk=world.street_staff.pk)  # fresh scopes
        assessment.stars_rate(
            actor=staff, committee=community, year=2025, grades=dict.fromkeys(Star.values, 4)
        )
        weak = assessment.weak_flag(
            actor=staff, committee=community, reason="x", plan="y", due_on=dt.date(2026, 12, 31)
        )
        assessment.weak_progress(actor=staff, weak=weak, text="a", percent=10)

    rate(world.community)
    before = query_counts(client, [url])
    for n in range(3):
        community = CommitteeFactory(
            parent=world.street,
            name=f"新社区{n}",
            level=Level.COMMUNITY,
            division_code=f"11010100101{n}",
        )
        rate(community)
    rate(world.community2)
    assert query_counts(client, [url]) == before
    assert client.get(url).content.decode().count("摘星") >= 1


def test_what_people_enter_is_audited_but_not_the_feedback():
    from audit.recording import tracked_tables

    tables = set(tracked_tables())
    assert {
        "dashboard.period",
        "dashboard.indicator",
        "dashboard.manualscore",
        "dashboard.starrating",
        "dashboard.weakcommittee",
        "dashboard.rectificationstep",
    } <= tables
    assert "dashboard.feedback" not in tables


def test_a_unit_is_picked_within_the_subtree(client_for, world, period, category):
    from ..members.factories import unit

    duty = assessment.indicator_create(
        actor=world.tenant_admin,
        category=category,
        name="履职尽责",
        weight=10,
        subject=Subject.UNIT,
    )
    ours = unit(world.street, name="东华门社区医院")
    theirs = unit(world.sibling_street, name="景山小学")
    client = client_for(world.street_staff)
    url = scores_url(world.street, period)
    data = {"period": period.pk, "indicator": duty.pk, "score": "8", "evidence": "履职台账"}
    response = client.post(url, {**data, "unit": theirs.name})
    assert response.status_code == 400
    assert "找不到" in field_errors(response)["unit"][0]
    response = client.post(url, {**data, "unit": ours.name, "committee": world.community.pk})
    assert "只能选一个" in field_errors(response)["unit"][0]
    assert client.post(url, {**data, "unit": ours.name}).status_code == 302
    row = ManualScore.objects.get()
    assert (row.unit, row.committee, row.score) == (ours, None, 8)


def test_weak_flag_picks_only_a_committee_below(client_for, world):
    url = reverse("dashboard:weak_list", args=[world.street.pk])
    data = {"reason": "r", "plan": "p", "due_on": "2026-12-31"}
    client = client_for(world.street_staff)
    for reference, message in [
        (world.sibling_community.name, "找不到"),
        (world.street.pk, "本级以下"),
    ]:
        response = client.post(url, {**data, "committee": reference})
        assert response.status_code == 400
        assert message in field_errors(response)["committee"][0]
    assert not WeakCommittee.objects.exists()
