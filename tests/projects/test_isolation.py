"""Every project, meeting and supervision page and endpoint: another tenant's user and a sibling
street's staff get 404 and change nothing; a leader reads but gets 403 on every write; a lead
unit's contact sees its own projects and no others; photos only through the scoped view."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from projects import services
from projects import urls as project_urls
from projects.models import (
    Attendee,
    Decision,
    Meeting,
    Milestone,
    ProgressUpdate,
    Project,
    Task,
)
from projects.services import AgendaData, DecisionData, MeetingData

from ..members import factories as mf
from . import factories as f

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOW = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def objects(world, clock):
    project, contact = f.project(world)
    update = services.progress_post(
        actor=contact,
        project=project,
        text="场地改造中",
        photos=[SimpleUploadedFile("现场.png", PNG)],
    )
    starts = timezone.now() - dt.timedelta(hours=3)
    meeting = services.meeting_schedule(
        actor=world.street_staff,
        data=MeetingData(
            title="东华门街道协调委员会例会",
            committee=world.street,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            location="街道会议室",
        ),
        agenda=[AgendaData("老年餐桌进展", project=project)],
        units=[project.lead_unit],
    )
    decision = services.decision_record(
        actor=world.street_staff,
        meeting=meeting,
        data=DecisionData(
            kind="task",
            text="社区摸排用餐老人",
            due_on=timezone.localdate() + dt.timedelta(days=7),
            owner_committee=world.community,
        ),
    )
    return {
        "project": project,
        "contact": contact,
        "milestone": project.milestones.order_by("due_on").first(),
        "photo": update.photos.get(),
        "meeting": meeting,
        "attendee": meeting.attendees.get(),
        "task": decision.task,
    }


def later(days=40):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


# (url name, object key, method, payload)
PAGES = [
    ("projects:project_detail", "project", "get", None),
    ("projects:project_edit", "project", "get", None),
    (
        "projects:project_edit",
        "project",
        "post",
        {"title": "越权", "start_on": later(0), "due_on": later()},
    ),
    ("projects:project_transition", "project", "post", {"to": "in_progress"}),
    ("projects:project_transition", "project", "post", {"to": "cancelled", "reason": "越权"}),
    ("projects:milestone_add", "project", "post", {"title": "越权", "due_on": later(5)}),
    ("projects:progress", "project", "get", None),
    ("projects:progress", "project", "post", {"text": "越权"}),
    ("projects:milestone_finish", "milestone", "post", {}),
    ("projects:photo", "photo", "get", None),
    ("projects:task_detail", "task", "get", None),
    ("projects:task_close", "task", "post", {"note": "越权"}),
    ("projects:meeting_detail", "meeting", "get", None),
    ("projects:meeting_ics", "meeting", "get", None),
    ("projects:meeting_invite", "meeting", "post", {}),
    (
        "projects:meeting_reschedule",
        "meeting",
        "post",
        {"starts_at": "2026-06-01T09:00", "ends_at": "2026-06-01T10:00", "location": "越权"},
    ),
    ("projects:meeting_cancel", "meeting", "post", {"reason": "越权"}),
    ("projects:meeting_attendance", "meeting", "post", {}),
    ("projects:meeting_minutes", "meeting", "post", {"minutes": "越权"}),
    ("projects:meeting_agenda", "meeting", "post", {"title": "越权"}),
    (
        "projects:meeting_decision",
        "meeting",
        "post",
        {"kind": "task", "text": "越权", "due_on": later(), "owner_committee": ""},
    ),
    ("projects:attendee_answer", "attendee", "post", {"response": "decline"}),
]
ENDPOINTS = [
    ("project-detail", "project", "get", None),
    ("project-detail", "project", "patch", {"title": "越权"}),
    ("project-transition", "project", "post", {"to": "in_progress"}),
    ("project-milestones", "project", "post", {"title": "越权", "due_on": later(5)}),
    ("project-progress", "project", "post", {"text": "越权"}),
    ("milestone-detail", "milestone", "get", None),
    ("milestone-finish", "milestone", "post", {}),
    ("meeting-detail", "meeting", "get", None),
    ("meeting-invite", "meeting", "post", {}),
    (
        "meeting-reschedule",
        "meeting",
        "post",
        {
            "starts_at": "2026-06-01T09:00:00+08:00",
            "ends_at": "2026-06-01T10:00:00+08:00",
            "location": "越权",
        },
    ),
    ("meeting-cancel", "meeting", "post", {"reason": "越权"}),
    ("meeting-agenda", "meeting", "post", {"title": "越权"}),
    ("meeting-attendance", "meeting", "post", {"present": []}),
    ("meeting-minutes", "meeting", "post", {"minutes": "越权"}),
    ("meeting-decisions", "meeting", "post", {"kind": "task", "text": "越权", "due_on": later()}),
    ("attendee-detail", "attendee", "get", None),
    ("attendee-answer", "attendee", "post", {"response": "decline"}),
    ("task-detail", "task", "get", None),
    ("task-close", "task", "post", {"note": "越权"}),
]
LIST_PAGES = [
    "projects:project_list",
    "projects:project_export",
    "projects:overdue",
    "projects:calendar",
    "projects:import_list",
    "projects:project_template",
]
CREATE_PAGES = ["projects:project_create", "projects:meeting_create", "projects:project_import"]


def state():
    return (
        list(
            Project.objects.order_by("pk").values_list("pk", "status", "title", "budget", "due_on")
        ),
        list(Milestone.objects.order_by("pk").values_list("pk", "title", "done_at")),
        ProgressUpdate.objects.count(),
        list(
            Meeting.objects.order_by("pk").values_list(
                "pk", "status", "sequence", "minutes", "location"
            )
        ),
        list(Attendee.objects.order_by("pk").values_list("pk", "response", "present")),
        Decision.objects.count(),
        list(Task.objects.order_by("pk").values_list("pk", "status")),
        Notification.objects.count(),
    )


def call(client, name, obj, method, payload):
    url = reverse(name, args=[obj.pk])
    if method == "get":
        return client.get(url)
    if method == "patch":
        return client.patch(url, payload, content_type="application/json")
    if name.startswith("projects:"):
        return client.post(url, payload)
    return client.post(url, payload, content_type="application/json")


def test_project_urls_are_in_the_isolation_table():
    from ..committees.test_isolation import all_url_names_with_pk
    from ..whistles.test_isolation import NO_PK as WHISTLE_NO_PK
    from ..whistles.test_isolation import PAGE_NAMES as WHISTLE_PAGES

    routed = all_url_names_with_pk()
    # The whistle pages have their own table (tests/whistles/test_isolation.py).
    pages = {
        f"projects:{p.name}" for p in project_urls.urlpatterns if "pk" in p.pattern.regex.groupindex
    } - WHISTLE_PAGES
    assert pages <= routed
    basenames = {"project", "milestone", "meeting", "attendee", "task"}
    endpoints = {n for n in routed if n.rsplit("-", 1)[0] in basenames}
    # The import's batch pages are tested in test_import.py.
    covered = (
        {name for name, *_ in PAGES}
        | {name for name, *_ in ENDPOINTS}
        | {"projects:remind", "projects:import_detail", "projects:import_file"}
    )
    assert (pages | endpoints) - covered == set()
    no_pk = {f"projects:{p.name}" for p in project_urls.urlpatterns} - pages - WHISTLE_PAGES
    no_pk -= WHISTLE_NO_PK
    assert no_pk == set(LIST_PAGES) | set(CREATE_PAGES)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key", "method", "payload"), PAGES + ENDPOINTS)
def test_everything_is_404_outside_the_scope_and_changes_nothing(
    world, objects, client_for, name, key, method, payload
):
    before = state()
    for persona in ("other_admin", "sibling_staff"):
        response = call(client_for(getattr(world, persona)), name, objects[key], method, payload)
        assert response.status_code == 404, persona
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "key", "method", "payload"),
    [
        p
        for p in PAGES + ENDPOINTS
        if p[2] != "get" or p[0] in ("projects:project_edit", "projects:progress")
    ],
)
def test_a_leader_reads_but_cannot_write(world, objects, client_for, name, key, method, payload):
    before = state()
    response = call(client_for(world.district_leader), name, objects[key], method, payload)
    assert response.status_code == 403
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_lists_and_creating_show_and_change_nothing_outside_the_scope(
    world, objects, client_for, persona
):
    before = state()
    client = client_for(getattr(world, persona))
    assert client.get(reverse("projects:project_list")).context["page"].paginator.count == 0
    assert client.get(reverse("projects:overdue")).context["page"].paginator.count == 0
    assert client.get(reverse("projects:calendar"), {"month": "2026-05"}).context["meetings"] == []
    for url in (
        "/api/projects/",
        "/api/milestones/",
        "/api/meetings/",
        "/api/attendees/",
        "/api/tasks/",
        "/api/overdue/",
    ):
        assert client.get(url).json()["count"] == 0, url
    claim = objects["project"].claim
    assert client.get(reverse("projects:project_create") + f"?claim={claim.pk}").status_code == 404
    assert (
        client.post(
            "/api/projects/",
            {"claim": claim.pk, "committee": world.street.pk},
            content_type="application/json",
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/meetings/",
            {
                "committee": world.street.pk,
                "title": "越权",
                "starts_at": "2026-06-01T09:00:00+08:00",
                "ends_at": "2026-06-01T10:00:00+08:00",
                "location": "越权",
            },
            content_type="application/json",
        ).status_code
        == 400
    )
    assert (
        client.post(
            reverse("projects:remind", args=["milestone", objects["milestone"].pk])
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/overdue/remind/",
            {"kind": "task", "id": objects["task"].pk},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert state() == before


@pytest.mark.django_db
def test_a_leader_cannot_create(world, objects, client_for):
    before = state()
    client = client_for(world.district_leader)
    claim = objects["project"].claim
    assert client.get(reverse("projects:project_create") + f"?claim={claim.pk}").status_code == 403
    api = client.post(
        "/api/projects/",
        {
            "demand": claim.demand_id,
            "committee": world.street.pk,
            "title": "越权",
            "start_on": later(0),
            "due_on": later(),
        },
        content_type="application/json",
    )
    assert api.status_code == 403
    meeting = client.post(
        "/api/meetings/",
        {
            "committee": world.street.pk,
            "title": "越权",
            "starts_at": "2026-06-01T09:00:00+08:00",
            "ends_at": "2026-06-01T10:00:00+08:00",
            "location": "越权",
        },
        content_type="application/json",
    )
    assert meeting.status_code == 403
    assert state() == before
    assert client.get(reverse("projects:project_list")).context["page"].paginator.count == 1


@pytest.mark.django_db
def test_a_lead_units_contact_sees_its_own_projects_and_no_others(world, objects, client_for):
    contact = objects["contact"]
    other_project, other_contact = f.project(world, title="楼道整治", demand_title="楼道堆物")
    client = client_for(contact)
    titles = {p["title"] for p in client.get(reverse("projects:project_list")).context["page"]}
    assert titles == {"多福巷老年餐桌"}
    assert {row["title"] for row in client.get("/api/projects/").json()["results"]} == titles
    assert (
        client.get(reverse("projects:project_detail", args=[other_project.pk])).status_code == 404
    )
    assert client.get(f"/api/projects/{other_project.pk}/").status_code == 404
    assert client.get(reverse("projects:progress", args=[other_project.pk])).status_code == 404
    # Its own: it reads, reports, answers its invitation; it may not manage the project.
    assert (
        client.get(reverse("projects:project_detail", args=[objects["project"].pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("projects:meeting_detail", args=[objects["meeting"].pk])).status_code
        == 200
    )
    before = state()
    assert (
        client.post(
            reverse("projects:project_transition", args=[objects["project"].pk]),
            {"to": "in_progress"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("projects:meeting_minutes", args=[objects["meeting"].pk]), {"minutes": "越权"}
        ).status_code
        == 403
    )
    assert state() == before
    response = client.post(
        reverse("projects:attendee_answer", args=[objects["attendee"].pk]), {"response": "attend"}
    )
    # Reached and answered by the service: the meeting has been held, too late to answer.
    assert response.status_code == 302
    assert "会议已召开或已取消，不能再回复。" in client.get(response.url).content.decode()
    # The other project's contact sees none of the first one.
    other = client_for(other_contact)
    for name, key, method, payload in PAGES + ENDPOINTS:
        if key == "task":
            continue
        assert call(other, name, objects[key], method, payload).status_code == 404, name
    # A unit with no project at all sees an empty list.
    stranger = f.contact_of(mf.unit(world.street, name="无关单位"))
    assert client_for(stranger).get("/api/projects/").json()["count"] == 0


@pytest.mark.django_db
def test_photos_are_not_served_from_media(world, objects, client_for):
    photo = objects["photo"]
    client = client_for(world.street_staff)
    assert client.get(reverse("projects:photo", args=[photo.pk])).status_code == 200
    assert client.get(f"/media/{photo.file.name}").status_code == 404


@pytest.mark.django_db
def test_the_schema_documents_the_endpoints(world, client_for):
    schema = client_for(world.street_staff).get("/api/schema/").content.decode()
    for path in (
        "/api/projects/",
        "/api/projects/{id}/transition/",
        "/api/projects/{id}/progress/",
        "/api/meetings/{id}/decisions/",
        "/api/attendees/{id}/answer/",
        "/api/overdue/",
        "/api/overdue/remind/",
        "/api/tasks/{id}/close/",
    ):
        assert path in schema, path
