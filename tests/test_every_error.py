"""Item 7: every form says every problem at once, each on its field (an empty title no longer
hides a past date or a negative figure), and edit forms show numbers as people write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from demands.models import DemandKind
from party_members.models import PartyMember, ServiceRecord
from projects.models import Meeting, Project

from .demands import factories as df
from .party_members import factories as pf
from .pickers import picked
from .projects import factories as f

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 4, 1, 4, 0, tzinfo=dt.UTC)  # noon in Beijing, the same date in UTC


def test_the_project_form_says_a_missing_title_with_the_budget_and_the_dates(world, client_for):
    claim, _contact = f.accepted_claim(world)
    today = timezone.localdate()
    response = client_for(world.street_staff).post(
        reverse("projects:project_create") + f"?claim={claim.pk}",
        {
            "title": "",
            "committee": world.street.pk,
            "budget": "-5",
            "start_on": today.isoformat(),
            "due_on": (today - dt.timedelta(days=1)).isoformat(),
            "milestone_1_title": "",
            "milestone_1_due": today.isoformat(),
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["title"]
    assert errors["budget"] == ["预算不能为负数。"]
    assert errors["due_on"] == ["完成期限不能早于开始日期。"]
    assert "第1个里程碑：请填写里程碑名称。" in errors["__all__"]
    page = response.content.decode()
    for message in ("预算不能为负数。", "完成期限不能早于开始日期。", "第1个里程碑"):
        assert message in page
    assert not Project.objects.exists()


def test_the_project_edit_form_shows_the_budget_and_the_choices_by_name(world, client_for):
    project, _contact = f.project(world, budget="50000")
    page = client_for(world.street_staff).get(reverse("projects:project_edit", args=[project.pk]))
    form = page.context["form"]
    assert form.initial["budget"] == "50000"
    body = page.content.decode()
    assert 'value="50000"' in body and "50000.00" not in body
    assert picked(body, "committee") == (str(world.street.pk), "东华门街道")
    assert picked(body, "lead_unit") == (str(project.lead_unit_id), project.lead_unit.name)


def test_the_meeting_form_says_a_missing_title_with_an_end_before_the_start(world, client_for):
    with time_machine.travel(NOON, tick=False):
        starts = timezone.localtime() + dt.timedelta(days=1)
        response = client_for(world.street_staff).post(
            reverse("projects:meeting_create"),
            {
                "committee": world.street.pk,
                "title": "",
                "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (starts - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "location": "",
            },
        )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["title"] and errors["location"]
    assert errors["ends_at"] == ["结束时间应晚于开始时间。"]
    assert "结束时间应晚于开始时间。" in response.content.decode()
    assert not Meeting.objects.exists()


def test_the_service_form_says_a_missing_text_with_a_future_date_and_too_many_hours(world, client):
    member = pf.party_member(world.community)
    client.force_login(member.user)
    with time_machine.travel(NOON, tick=False):
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        response = client.post(
            reverse("party_members:me"),
            {"served_on": tomorrow.isoformat(), "hours": "30", "kind": "environment"},
        )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["description"]
    assert errors["served_on"] == ["服务日期不能晚于今天。"]
    assert errors["hours"] == ["一天的服务时长不能超过24小时。"]
    assert not ServiceRecord.objects.exists()


def test_self_registration_says_a_missing_name_with_a_bad_phone_and_an_unknown_community(
    world, client
):
    response = client.post(
        reverse("party_members:join"),
        {
            "tenant": world.city.tenant.pk,
            "name": "",
            "phone": "123",
            "community": "不存在的社区",
            "username": "liuyang",
            "password": "short",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"name", "phone", "community", "password"}, errors
    assert not PartyMember.objects.exists()


def test_the_demand_edit_form_shows_the_quantity_as_written(world, client_for):
    demand = df.demand(
        world.community,
        world.community_staff,
        kind=DemandKind.NEED,
        quantity=Decimal("999"),
        quantity_unit="people",
    )
    page = client_for(world.community_staff).get(reverse("demands:demand_edit", args=[demand.pk]))
    assert page.context["form"].initial["quantity"] == "999"
    body = page.content.decode()
    assert 'value="999"' in body and "999.0" not in body
