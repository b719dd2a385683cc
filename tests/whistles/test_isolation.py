"""Every whistle, summons, evaluation, satisfaction and bulletin page and endpoint that takes an
object: another tenant's administrator and a sibling street's staff get 404 and change nothing;
a department officer gets 404 on another department's summons."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notifications.models import Notification
from projects import bulletins, evaluations, satisfaction, services, whistles
from projects import urls as project_urls
from projects.models import (
    DepartmentRating,
    Evaluation,
    SatisfactionLink,
    Summons,
    SummonsReport,
    Whistle,
    WhistleEntry,
)

from ..committees.test_isolation import all_url_names_with_pk
from ..projects import factories as pf
from . import factories as f

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def objects(world):
    water = f.department(world.district, "东城区水务局")
    env = f.department(world.district, "东城区生态环境局")
    water_officer = f.officer_of(water, "water_officer")
    f.officer_of(env, "env_officer")
    whistle = f.blow(world, [water, env])
    summons = whistle.summons.get(department=water)
    whistles.summons_advance(
        actor=water_officer,
        summons=summons,
        to="arrived",
        photos=[SimpleUploadedFile("现场.png", PNG)],
    )
    closed = f.blow(world, [water], title="已办结的哨")
    closed = whistles.whistle_close(
        actor=world.street_staff, whistle=closed, summary="办结", ratings=f.ratings_for(closed)
    )
    link = satisfaction.link_create(actor=world.street_staff, whistle=closed)
    project, _contact = pf.project(world, milestones=[])
    services.project_transition(actor=world.street_staff, project=project, to="in_progress")
    services.project_transition(actor=world.street_staff, project=project, to="completed")
    (evaluation,) = evaluations.providers_rate(
        actor=world.street_staff,
        project=project,
        scores={project.lead_unit_id: evaluations.Score(4)},
    )
    bulletin = bulletins.publish_bulletin(
        actor=world.street_staff, committee=world.street, title="街道通报", body="正文"
    )
    return {
        "whistle": whistle,
        "summons": summons,
        "photo": SummonsReport.objects.get(summons=summons, kind="arrived").photos.get(),
        "project": project,
        "link": link,
        "evaluation": evaluation,
        "bulletin": bulletin,
        "water_officer": water_officer,
    }


def ratings_payload(objects):
    return {
        f"{part}_{s.pk}": "1"
        for s in objects["whistle"].summons.all()
        for part in ("punctuality", "attitude", "result")
    } | {"summary": "越权"}


PAGES = [
    ("projects:whistle_detail", "whistle", "get", None),
    ("projects:whistle_entry", "whistle", "post", {"kind": "consult", "text": "越权"}),
    ("projects:whistle_close", "whistle", "post", "ratings"),
    ("projects:whistle_cancel", "whistle", "post", {"reason": "越权"}),
    ("projects:summons_detail", "summons", "get", None),
    ("projects:summons_detail", "summons", "post", {"to": "acted", "note": "越权"}),
    ("projects:summons_photo", "photo", "get", None),
    ("projects:evaluate", "project", "get", None),
    ("projects:evaluate", "project", "post", {"side": "committee", "score": "1"}),
    ("projects:satisfaction_qr", "link", "get", None),
    ("projects:bulletin_detail", "bulletin", "get", None),
]
ENDPOINTS = [
    ("whistle-detail", "whistle", "get", None),
    ("whistle-close", "whistle", "post", {"summary": "越权", "ratings": []}),
    ("whistle-cancel", "whistle", "post", {"reason": "越权"}),
    ("whistle-entries", "whistle", "post", {"kind": "consult", "text": "越权"}),
    ("summons-detail", "summons", "get", None),
    ("summons-advance", "summons", "post", {"to": "acted", "note": "越权"}),
    ("summons-note", "summons", "post", {"note": "越权"}),
    ("evaluation-detail", "evaluation", "get", None),
    ("bulletin-detail", "bulletin", "get", None),
]
# The whistle pages that take no object: lists, forms, the anonymous rating page (a token).
NO_PK = {
    "projects:whistle_list",
    "projects:whistle_create",
    "projects:summons_list",
    "projects:feedback",
    "projects:satisfaction_new",
    "projects:rate",
    "projects:bulletin_list",
    "projects:bulletin_create",
}
PAGE_NAMES = {name for name, *_ in PAGES}


def state():
    return (
        list(Whistle.objects.order_by("pk").values_list("pk", "status", "close_summary")),
        list(Summons.objects.order_by("pk").values_list("pk", "status", "on_time")),
        SummonsReport.objects.count(),
        WhistleEntry.objects.count(),
        DepartmentRating.objects.count(),
        Evaluation.objects.count(),
        SatisfactionLink.objects.count(),
        Notification.objects.count(),
    )


def call(client, name, obj, method, payload, objects):
    url = reverse(name, args=[obj.pk])
    if payload == "ratings":
        payload = ratings_payload(objects)
    if method == "get":
        return client.get(url)
    if name.startswith("projects:"):
        return client.post(url, payload)
    return client.post(url, payload, content_type="application/json")


def test_whistle_urls_are_in_the_isolation_table():
    routed = all_url_names_with_pk()
    ours = {name for name in routed if name.rsplit("-", 1)[0] in {"whistle", "summons"}}
    ours |= {n for n in routed if n.rsplit("-", 1)[0] in {"evaluation", "bulletin"}}
    covered = PAGE_NAMES | {name for name, *_ in ENDPOINTS}
    assert ours - covered == set()
    assert routed >= PAGE_NAMES
    all_pages = {f"projects:{p.name}" for p in project_urls.urlpatterns}
    assert all_pages >= NO_PK


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key", "method", "payload"), PAGES + ENDPOINTS)
def test_everything_is_404_outside_the_scope_and_changes_nothing(
    world, objects, client_for, name, key, method, payload
):
    before = state()
    for persona in ("other_admin", "sibling_staff"):
        response = call(
            client_for(getattr(world, persona)), name, objects[key], method, payload, objects
        )
        assert response.status_code == 404, persona
    assert state() == before


@pytest.mark.django_db
def test_another_departments_officer_sees_nothing_of_the_summons(world, objects, client_for):
    police = f.department(world.district, "东华门派出所")
    client = client_for(f.officer_of(police))
    before = state()
    for name, key, method, payload in PAGES + ENDPOINTS:
        if key in ("summons", "photo", "whistle"):
            response = call(client, name, objects[key], method, payload, objects)
            assert response.status_code == 404, name
    assert client.get("/api/summons/").json()["count"] == 0
    assert client.get("/api/whistles/").json()["count"] == 0
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_admin", "sibling_staff"])
def test_lists_show_nothing_outside_the_scope(world, objects, client_for, persona):
    client = client_for(getattr(world, persona))
    for url in ["/api/whistles/", "/api/summons/", "/api/evaluations/", "/api/bulletins/"]:
        assert client.get(url).json()["count"] == 0, url
    for name in ("projects:whistle_list", "projects:bulletin_list"):
        body = client.get(reverse(name)).content.decode()
        assert "东石桥" not in body and "街道通报" not in body
