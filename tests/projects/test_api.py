"""The API twin of the pages: forming a project from a claim, every illegal move refused with its
message as a field error, the demands following, progress with a photo, a meeting answered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from demands.models import DemandStatus
from projects.models import Project

from . import factories as f

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_project_through_the_api_from_claim_to_completion(world, client_for):
    claim, contact = f.accepted_claim(world)
    today = timezone.localdate()
    client = client_for(world.street_staff)
    bad = post(
        client,
        "/api/projects/",
        {
            "claim": claim.pk,
            "committee": world.street.pk,
            "title": "",
            "budget": "x",
            "start_on": today.isoformat(),
            "due_on": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "title": ["请填写项目名称。"],
        "budget": ["预算应为金额（元），如50000。"],
        "due_on": ["完成期限不能早于开始日期。"],
    }
    created = post(
        client,
        "/api/projects/",
        {
            "claim": claim.pk,
            "committee": world.street.pk,
            "title": "多福巷老年餐桌",
            "budget": "50000",
            "start_on": today.isoformat(),
            "due_on": (today + dt.timedelta(days=30)).isoformat(),
            "milestones": [
                {"title": "开餐运营", "due_on": (today + dt.timedelta(days=20)).isoformat()}
            ],
        },
    )
    assert created.status_code == 201, created.json()
    project = Project.objects.get(pk=created.json()["id"])
    assert created.json()["lead_unit"] == claim.unit_id
    url = f"/api/projects/{project.pk}/"
    illegal = post(client, url + "transition/", {"to": "evaluated"})
    assert illegal.status_code == 400
    assert illegal.json() == {"to": ["项目当前为“计划中”，不能变为“已评价”。"]}
    assert post(client, url + "transition/", {"to": "suspended"}).json() == {
        "reason": ["请说明原因。"]
    }
    assert (
        post(client, url + "transition/", {"to": "in_progress"}).json()["status"] == "in_progress"
    )

    photo = client_for(contact).post(
        url + "progress/",
        {
            "text": "开餐啦",
            "milestone": project.milestones.get().pk,
            "finish_milestone": "true",
            "photos": [SimpleUploadedFile("a.png", PNG)],
        },
    )
    assert photo.status_code == 201, photo.content
    assert len(photo.json()["photos"]) == 1
    client = client_for(world.street_staff)
    done = post(client, url + "transition/", {"to": "completed"})
    assert done.json()["status"] == "completed"
    claim.demand.refresh_from_db()
    assert claim.demand.status == DemandStatus.FULFILLED
    detail = client.get(url).json()
    assert detail["demands"] == [claim.demand_id] and detail["milestones"][0]["done_at"]


@pytest.mark.parametrize("broad", [False, True])
def test_only_a_broad_scope_names_the_tenant_on_the_projects_row(
    world, client_for, monkeypatch, broad
):
    """A district's or a city's list says the tenant on the row (project_newest leads with it);
    a street's does not (its committees' index reads it). The rows are the same either way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projects.models import ProjectQuerySet

    monkeypatch.setattr(ProjectQuerySet, "tenant_on_row_from", 1 if broad else 10**6)
    ours, _ = f.project(world, title="多福巷老年餐桌")
    for user, expected in (
        (world.district_leader, {ours.pk}),
        (world.street_staff, {ours.pk}),
        (world.sibling_staff, set()),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client_for(user).get("/api/projects/")
        assert {row["id"] for row in response.json()["results"]} == expected
        page_sql = [q["sql"] for q in queries.captured_queries if "projects_project" in q["sql"]]
        assert page_sql and all(
            ('"projects_project"."tenant_id" = ' in sql) == broad for sql in page_sql
        )
