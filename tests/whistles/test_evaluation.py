"""Two-way evaluation and 背靠背 (the rated party sees only aggregates of at least three ratings,
never who said what, on no page or endpoint); residents' satisfaction through anonymous links
(one rating per link or device, expired links refused, throttled); bulletins to a subtree."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from notifications.models import Notification
from projects import bulletins, evaluations, satisfaction, services
from projects.models import (
    Bulletin,
    Evaluation,
    ProjectStatus,
    SatisfactionResponse,
)

from ..projects import factories as pf
from . import factories as f

pytestmark = pytest.mark.django_db


def completed(world, title="多福巷老年餐桌", unit=None):
    if unit is None:
        project, contact = pf.project(world, milestones=[], title=title)
    else:
        claim, contact = pf.accepted_claim(world, unit=unit, title=title)
        project = services.project_from_claim(
            actor=world.street_staff,
            claim=claim,
            data=pf.project_data(world, milestones=[], title=title),
        )
    services.project_transition(actor=world.street_staff, project=project, to="in_progress")
    services.project_transition(actor=world.street_staff, project=project, to="completed")
    project.refresh_from_db()
    return project, contact


def test_completion_asks_both_sides_to_rate(world):
    project, contact = completed(world)
    assert Notification.objects.filter(
        recipient=contact, key=f"evaluation:request:{project.pk}"
    ).exists()
    assert Notification.objects.filter(
        recipient=world.street_staff, key=f"evaluation:request:{project.pk}"
    ).exists()


def test_two_way_evaluation_and_the_unit_record(world):
    project, contact = completed(world)
    lead = project.lead_unit_id
    with pytest.raises(PermissionDenied):
        evaluations.providers_rate(
            actor=world.sibling_staff, project=project, scores={lead: evaluations.Score(5)}
        )
    with pytest.raises(ValidationError):
        evaluations.providers_rate(
            actor=world.street_staff, project=project, scores={lead: evaluations.Score(9)}
        )
    evaluations.providers_rate(
        actor=world.street_staff, project=project, scores={lead: evaluations.Score(5, "很好")}
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.EVALUATED
    project.lead_unit.refresh_from_db()
    assert project.lead_unit.rating_count == 1 and project.lead_unit.rating_average == 5
    with pytest.raises(ValidationError):  # once
        evaluations.providers_rate(
            actor=world.street_staff, project=project, scores={lead: evaluations.Score(4)}
        )
    with pytest.raises(PermissionDenied):  # only a provider rates the committee
        evaluations.committee_rate(
            actor=world.street_staff, project=project, unit_id=lead, score=evaluations.Score(4)
        )
    evaluations.committee_rate(
        actor=contact, project=project, unit_id=lead, score=evaluations.Score(4, "组织有序")
    )
    assert Evaluation.objects.count() == 2


def test_back_to_back_only_aggregates_of_three(world, client_for):
    unit = f.mf.unit(world.street, name="东华门老年餐桌")
    projects = [completed(world, title=f"助餐{n}", unit=unit) for n in range(3)]
    unit = projects[0][0].lead_unit
    contact = projects[0][1]
    for project, _contact in projects[:2]:
        evaluations.providers_rate(
            actor=world.street_staff,
            project=project,
            scores={project.lead_unit_id: evaluations.Score(2, "送餐不准时，王大爷投诉")},
        )
    # Two ratings: nothing shown to the unit.
    assert not evaluations.feedback_about_unit(unit.pk).shown
    client = client_for(contact)
    page = client.get(reverse("projects:feedback")).content.decode()
    assert "再有1份后显示汇总" in page and "平均" not in page
    evaluations.providers_rate(
        actor=world.street_staff,
        project=projects[2][0],
        scores={projects[2][0].lead_unit_id: evaluations.Score(5)},
    )
    page = client.get(reverse("projects:feedback")).content.decode()
    assert "共3份评价，平均3.0分" in page
    # No page or endpoint shows the unit who said what.
    for url in [
        reverse("projects:feedback"),
        reverse("projects:evaluate", args=[projects[0][0].pk]),
        reverse("projects:project_detail", args=[projects[0][0].pk]),
        "/api/evaluations/",
        "/api/evaluations/feedback/",
    ]:
        body = client.get(url).content.decode()
        assert "王大爷" not in body and "送餐不准时" not in body, url
    # The rating side reads what it gave.
    staff_page = client_for(world.street_staff).get(
        reverse("projects:evaluate", args=[projects[0][0].pk])
    )
    assert "送餐不准时" in staff_page.content.decode()
    assert Evaluation.objects.visible_to(contact).count() == 0


# --- residents' satisfaction ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clear_throttle():
    cache.clear()
    yield
    cache.clear()


def closed_whistle(world):
    water = f.department(world.district, "东城区水务局")
    whistle = f.blow(world, [water])
    from projects import whistles

    return whistles.whistle_close(
        actor=world.street_staff, whistle=whistle, summary="已办结", ratings=f.ratings_for(whistle)
    )


def test_links_only_for_finished_work_and_by_the_owner(world):
    project, _ = pf.project(world, milestones=[])
    with pytest.raises(ValidationError):
        satisfaction.link_create(actor=world.street_staff, project=project)
    whistle = closed_whistle(world)
    with pytest.raises(PermissionDenied):
        satisfaction.link_create(actor=world.sibling_staff, whistle=whistle)
    link = satisfaction.link_create(actor=world.street_staff, whistle=whistle)
    assert "<svg" in satisfaction.qr_svg(link)


def test_per_device_link_one_rating_per_device(world, client):
    whistle = closed_whistle(world)
    link = satisfaction.link_create(actor=world.street_staff, whistle=whistle, mode="per_device")
    url = reverse("projects:rate", args=[link.token])
    assert client.get(url).status_code == 200  # sets the device cookie
    assert client.post(url, {"score": "5", "comment": "很满意"}).status_code == 200
    again = client.post(url, {"score": "1"})
    assert again.status_code in (200, 400) and SatisfactionResponse.objects.count() == 1
    client.cookies.clear()
    client.get(url)
    assert client.post(url, {"score": "2"}).status_code == 200
    rows = SatisfactionResponse.objects.order_by("pk")
    assert [r.score for r in rows] == [5, 2] and [r.satisfied for r in rows] == [True, False]
    assert satisfaction.satisfaction_of_whistle(whistle)["rate"] == 50.0
    # Nothing about the resident: the stored device key is a hash, not the cookie.
    cookie = client.cookies["rate_device"].value
    assert all(cookie not in r.device_key for r in rows)


def test_per_link_takes_one_rating(world, client):
    whistle = closed_whistle(world)
    link = satisfaction.link_create(actor=world.street_staff, whistle=whistle, mode="per_link")
    url = reverse("projects:rate", args=[link.token])
    client.get(url)
    assert client.post(url, {"score": "4"}).status_code == 200
    client.cookies.clear()
    client.get(url)
    refused = client.post(url, {"score": "3"})
    assert refused.status_code == 400 and "已经评价过" in refused.content.decode()
    assert SatisfactionResponse.objects.count() == 1


def test_expired_links_refused(world, client):
    whistle = closed_whistle(world)
    link = satisfaction.link_create(actor=world.street_staff, whistle=whistle, days=1)
    url = reverse("projects:rate", args=[link.token])
    with time_machine.travel(link.expires_at + dt.timedelta(minutes=1)):
        assert 'data-testid="expired"' in client.get(url).content.decode()
        assert client.post(url, {"score": "5"}).status_code == 400
    assert not SatisfactionResponse.objects.exists()
    assert client.get(reverse("projects:rate", args=["nope"])).status_code == 404


def test_abusive_volume_throttled(world, client):
    whistle = closed_whistle(world)
    link = satisfaction.link_create(actor=world.street_staff, whistle=whistle)
    url = reverse("projects:rate", args=[link.token])
    statuses = []
    for _n in range(satisfaction.ADDRESS_RATE + 3):
        client.cookies.clear()
        client.get(url)
        statuses.append(client.post(url, {"score": "5"}).status_code)
    assert statuses[: satisfaction.ADDRESS_RATE] == [200] * satisfaction.ADDRESS_RATE
    assert statuses[-1] == 429
    assert SatisfactionResponse.objects.count() == satisfaction.ADDRESS_RATE


# --- bulletins -----------------------------------------------------------------------------------


def test_bulletin_reaches_the_subtree_only(world, client_for):
    from ..factories import user_with_role

    contact = pf.contact_of(f.mf.unit(world.community, name="多福巷卫生站"))
    sibling_contact = pf.contact_of(f.mf.unit(world.sibling_community, name="黄化门药店"))
    with pytest.raises(PermissionDenied):
        bulletins.publish_bulletin(
            actor=world.sibling_staff, committee=world.street, title="通报", body="正文"
        )
    with pytest.raises(ValidationError) as raised:
        bulletins.publish_bulletin(
            actor=world.street_staff,
            committee=world.street,
            title="",
            body="",
            ranking=[{"committee_id": world.sibling_community.pk, "score": 1, "rank": 1}],
        )
    assert {"title", "body", "ranking"} <= set(raised.value.message_dict)
    bulletin = bulletins.publish_bulletin(
        actor=world.street_staff,
        committee=world.street,
        title="11月社区排名",
        body="各社区完成情况如下",
        kind="ranking",
        ranking=[
            {"committee_id": world.community.pk, "score": 92.5, "rank": 1},
            {"committee_id": world.community2.pk, "score": 80, "rank": 2},
        ],
    )
    heard = set(
        Notification.objects.filter(key=f"bulletin:{bulletin.pk}").values_list(
            "recipient_id", flat=True
        )
    )
    assert {world.street_staff.pk, world.community_staff.pk, contact.pk} <= heard
    assert not heard & {world.sibling_staff.pk, sibling_contact.pk, world.other_admin.pk}
    assert bulletin.recipients == len(heard)
    assert bulletin.ranking[0]["name"] == "多福巷社区"
    assert set(Bulletin.objects.visible_to(contact)) == {bulletin}
    assert not Bulletin.objects.visible_to(sibling_contact).exists()
    assert not Bulletin.objects.visible_to(world.sibling_staff).exists()
    district_staff = user_with_role("staff", world.district, username="dc_staff2")
    assert Bulletin.objects.visible_to(district_staff).exists()
    page = client_for(world.community_staff).get(
        reverse("projects:bulletin_detail", args=[bulletin.pk])
    )
    assert page.status_code == 200 and "92.5" in page.content.decode()
    assert (
        client_for(world.sibling_staff)
        .get(reverse("projects:bulletin_detail", args=[bulletin.pk]))
        .status_code
        == 404
    )
