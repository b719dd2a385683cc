"""The project pages as staff and a lead unit's contact use them: forming a project from an
accepted claim on the demand page, the project page, the phone page for progress with a photo,
the overdue list with its reminder, the meeting page and the calendar; lists take a fixed number
of queries whatever their length."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from demands.models import DemandStatus
from projects import services
from projects.models import Milestone, Project, ProjectStatus

from ..demands import factories as df
from . import factories as f

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def form_data(world, **fields):
    today = timezone.localdate()
    return {
        "title": "多福巷老年餐桌",
        "description": "为独居老人提供午餐",
        "committee": world.street.pk,
        "budget": "50000",
        "start_on": today.isoformat(),
        "due_on": (today + dt.timedelta(days=30)).isoformat(),
        "milestone_1_title": "场地改造",
        "milestone_1_due": (today + dt.timedelta(days=10)).isoformat(),
        "milestone_2_title": "开餐运营",
        "milestone_2_due": (today + dt.timedelta(days=20)).isoformat(),
        **fields,
    }


def test_the_demand_page_offers_to_form_a_project_from_an_accepted_claim(world, client_for):
    claim, contact = f.accepted_claim(world)
    client = client_for(world.street_staff)
    page = client.get(reverse("demands:demand_detail", args=[claim.demand_id])).content.decode()
    assert f"/projects/new/?claim={claim.pk}" in page
    # The unit's contact is not offered it.
    other = client_for(contact).get(reverse("demands:demand_detail", args=[claim.demand_id]))
    assert f"?claim={claim.pk}" not in other.content.decode()

    form = client_for(world.street_staff).get(
        reverse("projects:project_create") + f"?claim={claim.pk}"
    )
    assert form.status_code == 200
    assert form.context["form"].initial["lead_unit"] == claim.unit_id
    response = client.post(
        reverse("projects:project_create") + f"?claim={claim.pk}",
        form_data(world, lead_unit=claim.unit_id),
    )
    project = Project.objects.get()
    assert response.status_code == 302 and response.url == f"/projects/{project.pk}/"
    assert project.milestones.count() == 2 and project.lead_unit_id == claim.unit_id
    demand_page = client.get(reverse("demands:demand_detail", args=[claim.demand_id]))
    assert "所在项目" in demand_page.content.decode()
    assert f"?claim={claim.pk}" not in demand_page.content.decode()  # already in project


def test_the_form_shows_every_problem_on_its_field_and_creates_nothing(world, client_for):
    claim, _contact = f.accepted_claim(world)
    today = timezone.localdate()
    response = client_for(world.street_staff).post(
        reverse("projects:project_create") + f"?claim={claim.pk}",
        form_data(
            world,
            budget="-5",
            due_on=(today - dt.timedelta(days=1)).isoformat(),
            milestone_1_title="",
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["budget"] == ["预算不能为负数。"]
    assert form.errors["due_on"] == ["完成期限不能早于开始日期。"]
    assert "第1个里程碑：请填写里程碑名称。" in form.errors["__all__"]
    assert not Project.objects.exists()


def test_the_project_page_and_an_illegal_move_through_it(world, client_for):
    project, _contact = f.project(world)
    client = client_for(world.street_staff)
    page = client.get(reverse("projects:project_detail", args=[project.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    for text in ("多福巷老年餐桌", "场地改造", "独居老人助餐", "办理记录", "开始实施"):
        assert text in body
    response = client.post(
        reverse("projects:project_transition", args=[project.pk]), {"to": "completed"}, follow=True
    )
    assert "项目当前为“计划中”，不能变为“已完成”。" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.PLANNED
    client.post(reverse("projects:project_transition", args=[project.pk]), {"to": "in_progress"})
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_PROGRESS


def test_the_lead_units_contact_posts_progress_with_a_photo(world, client_for):
    project, contact = f.project(world)
    milestone = project.milestones.order_by("due_on").first()
    client = client_for(contact)
    page = client.get(reverse("projects:progress", args=[project.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("projects:progress", args=[project.pk]),
        {
            "text": "厨房改造完成",
            "milestone": milestone.pk,
            "finish_milestone": "on",
            "photos": [SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 302
    update = project.updates.get()
    photo = update.photos.get()
    assert Milestone.objects.get(pk=milestone.pk).done_at is not None
    served = client_for(world.street_staff).get(reverse("projects:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert (
        client_for(world.sibling_staff).get(reverse("projects:photo", args=[photo.pk])).status_code
        == 404
    )
    # A file that only calls itself a photo is refused at its field.
    client = client_for(contact)
    refused = client.post(
        reverse("projects:progress", args=[project.pk]),
        {
            "text": "再报",
            "photos": [SimpleUploadedFile("a.jpg", b"MZ\x90\x00", content_type="image/jpeg")],
        },
    )
    assert refused.status_code == 400
    assert refused.context["form"].errors["photos"] == ["“a.jpg”不是照片（JPG、PNG等）。"]
    # A leader may read the project but not post.
    assert (
        client_for(world.district_leader)
        .get(reverse("projects:progress", args=[project.pk]))
        .status_code
        == 403
    )


def test_list_filters_export_and_a_fixed_number_of_queries(world, client_for):
    first, _contact = f.project(world)
    client = client_for(world.district_leader)
    url = reverse("projects:project_list")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).context["page"].paginator.count == 1
    for n in range(3):
        f.project(world, title=f"项目{n}", demand_title=f"需求{n}")
    with CaptureQueriesContext(connection) as four:
        assert client.get(url).context["page"].paginator.count == 4
    assert len(four) == len(one)
    assert client.get(url, {"q": "项目1"}).context["page"].paginator.count == 1
    assert client.get(url, {"status": "completed"}).context["page"].paginator.count == 0
    assert (
        client.get(url, {"committee": world.sibling_street.pk}).context["page"].paginator.count == 0
    )
    assert client.get(url, {"year": "abc"}).context["page"].paginator.count == 4  # dropped
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("projects:project_export"), {"q": "项目"}).content)
    )
    rows = list(workbook.active.values)
    assert rows[0][:3] == ("编号", "年度", "项目名称") and len(rows) == 4
    api = client.get("/api/projects/", {"q": "项目"}).json()
    assert api["count"] == 3


def test_the_overdue_list_and_its_reminder(world, client_for):
    import time_machine

    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        project, contact = f.project(world)
        clock.shift(dt.timedelta(days=12))
        services.supervision_scan()  # the sessions below start after the clock moved
        client = client_for(world.district_leader)
        page = client.get(reverse("projects:overdue"))
        rows = page.context["rows"]
        assert [r["kind"] for r in rows] == ["milestone"]
        assert page.context["page"].paginator.count == 1  # counted off the parts' keys
        api = client.get("/api/overdue/").json()
        assert api["count"] == 1 and [r["kind"] for r in api["results"]] == ["milestone"]
        assert "多福巷老年餐桌 · 场地改造" in page.content.decode()
        milestone = project.milestones.order_by("due_on").first()
        response = client.post(
            reverse("projects:remind", args=["milestone", milestone.pk]), follow=True
        )
        assert "已发送督办提醒。" in response.content.decode()
        assert contact.notifications.filter(key__startswith="supervision:nudge:").count() == 1
        assert (
            client_for(world.sibling_staff)
            .post(reverse("projects:remind", args=["milestone", milestone.pk]))
            .status_code
            == 404
        )
        assert (
            client_for(world.sibling_staff).get(reverse("projects:overdue")).context["rows"] == []
        )


def test_the_overdue_list_pages_its_keys_across_kinds(world, client_for, monkeypatch):
    """Projects, milestones and tasks sorted together by due date, cut into pages on their keys
    and only then named; every page costs the same queries, and what is out of scope (another
    street's task, a finished milestone, a closed project's milestones) is on none."""
    from projects import selectors, supervision
    from projects.models import Task, TaskStatus

    today = timezone.localdate()
    late = timezone.now()
    first, _ = f.project(world, title="甲项目", due_on=today + dt.timedelta(days=40))
    second, _ = f.project(
        world, title="乙项目", demand_title="助浴", due_on=today + dt.timedelta(days=50)
    )
    Project.objects.filter(pk__in=[first.pk, second.pk]).update(overdue_at=late)
    Milestone.objects.filter(project__in=[first, second]).update(overdue_at=late)
    done = second.milestones.order_by("due_on").first()
    Milestone.objects.filter(pk=done.pk).update(done_at=late)

    def task(committee, title, days):
        item = Task(tenant=world.city.tenant, committee=committee, title=title)
        item.owner_committee = committee
        supervision.schedule(item, today + dt.timedelta(days=days), supervision.rhythm_of(0))
        item.overdue_at = late
        item.status = TaskStatus.OPEN
        item.save()
        return item

    task(world.street, "摸排用餐老人", 15)
    task(world.sibling_street, "别的街道的任务", 1)
    expected = sorted(
        [("project", first.pk, first.due_on), ("project", second.pk, second.due_on)]
        + [
            ("milestone", m.pk, m.due_on)
            for m in Milestone.objects.filter(project__in=[first, second], done_at__isnull=True)
        ]
        + [("task", t.pk, t.due_on) for t in Task.objects.filter(committee=world.street)],
        key=lambda key: (key[2], key[1], key[0]),
    )
    assert len(expected) == 6

    listed = selectors.overdue_list(user=world.street_staff)
    assert listed.count() == 6
    assert [(row[0], row[1], row[4]) for row in listed] == expected
    assert [(row[0], row[1]) for row in listed[2:4]] == [key[:2] for key in expected[2:4]]
    names = {row[1]: row[2] for row in listed if row[0] == "milestone"}
    assert set(names.values()) == {"甲项目 · 场地改造", "甲项目 · 开餐运营", "乙项目 · 开餐运营"}

    Project.objects.filter(pk=second.pk).update(status=ProjectStatus.COMPLETED)
    assert [row[2] for row in selectors.overdue_list(user=world.street_staff)] == [
        row[2] for row in listed if row[2] not in ("乙项目", "乙项目 · 开餐运营")
    ]
    Project.objects.filter(pk=second.pk).update(status=ProjectStatus.IN_PROGRESS)

    from core.pagination import PagePagination

    monkeypatch.setattr(PagePagination, "page_size", 2)
    client = client_for(world.street_staff)
    seen, queries = [], []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/overdue/", {"page": number})
        body = response.json()
        assert response.status_code == 200 and body["count"] == 6
        seen += [(r["kind"], r["id"]) for r in body["results"]]
        queries.append(len(captured))
    assert seen == [key[:2] for key in expected]
    assert len(set(queries)) == 1, queries


def test_meeting_pages_calendar_and_decision(world, client_for):
    import time_machine

    demand = df.demand(world.community, world.community_staff, title="核桃园老年人用餐难")
    with time_machine.travel(dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = client_for(world.street_staff)
        assert client.get(reverse("projects:meeting_create")).status_code == 200
        starts = timezone.localtime() + dt.timedelta(days=1)
        response = client.post(
            reverse("projects:meeting_create"),
            {
                "committee": world.street.pk,
                "title": "东华门街道协调委员会全体会议",
                "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (starts + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                "location": "街道会议室",
                "agenda": "老年餐桌选址\n楼道堆物整治",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        meeting_url = response.url
        pk = int(meeting_url.rstrip("/").split("/")[-1])
        page = client.get(meeting_url)
        assert page.status_code == 200 and "老年餐桌选址" in page.content.decode()
        calendar = client.get(reverse("projects:calendar"), {"month": "2026-04"})
        assert "东华门街道协调委员会全体会议" in calendar.content.decode()
        client.post(
            reverse("projects:meeting_agenda", args=[pk]),
            {"title": "核桃园老年人用餐", "demand": demand.pk},
        )
        clock.shift(dt.timedelta(days=1, hours=3))
        client = client_for(world.street_staff)  # a fresh session: the idle timeout has passed
        item = page.context["meeting"].agenda.order_by("-pk").first()
        response = client.post(
            reverse("projects:meeting_decision", args=[pk]),
            {
                "kind": "project",
                "text": "建设核桃园老年餐桌",
                "agenda_item": item.pk,
                "owner_committee": world.street.pk,
                "due_on": (timezone.localdate() + dt.timedelta(days=60)).isoformat(),
            },
            follow=True,
        )
        assert "已记录决定。" in response.content.decode()
        demand.refresh_from_db()
        assert demand.status == DemandStatus.IN_PROJECT
        assert Project.objects.get().source == "decision"


def test_correcting_a_project_moves_its_due_date_and_its_supervision(world, client_for):
    project, _contact = f.project(world)
    client = client_for(world.street_staff)
    assert client.get(reverse("projects:project_edit", args=[project.pk])).status_code == 200
    new_due = timezone.localdate() + dt.timedelta(days=60)
    response = client.post(
        reverse("projects:project_edit", args=[project.pk]),
        {
            "title": "多福巷老年餐桌（二期）",
            "budget": "80000",
            "start_on": project.start_on.isoformat(),
            "due_on": new_due.isoformat(),
            "lead_unit": project.lead_unit_id,
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.budget, project.due_on) == (
        "多福巷老年餐桌（二期）",
        80000,
        new_due,
    )
    assert project.committee == world.street and project.supervise_at < project.due_at


def test_the_task_page_and_closing_it(world, client_for):
    from projects.models import Task

    task = Task(
        tenant=world.city.tenant,
        committee=world.street,
        title="摸排用餐老人",
        owner_committee=world.community,
    )
    from projects import supervision

    supervision.schedule(
        task, timezone.localdate() + dt.timedelta(days=5), supervision.rhythm_of(0)
    )
    task.save()
    assert (
        client_for(world.sibling_staff)
        .get(reverse("projects:task_detail", args=[task.pk]))
        .status_code
        == 404
    )
    client = client_for(world.community_staff)
    assert (
        "摸排用餐老人"
        in client.get(reverse("projects:task_detail", args=[task.pk])).content.decode()
    )
    client.post(reverse("projects:task_close", args=[task.pk]), {"note": "已摸排"})
    task.refresh_from_db()
    assert task.status == "done" and task.note == "已摸排"
