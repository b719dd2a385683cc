"""The whistle pages: blowing, the officer's phone page (no illegal step through it), isolation
(an officer sees only their department; a sibling street and another tenant see nothing),
closing and rating, the list's fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import DepartmentRating, SummonsStatus, Whistle, WhistleStatus

from ..query_counts import query_counts
from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def depts(world):
    water = f.department(world.district, "东城区水务局")
    env = f.department(world.district, "东城区生态环境局")
    return water, env, f.officer_of(water, "water_officer"), f.officer_of(env, "env_officer")


def test_street_staff_blow_a_whistle_on_the_page(world, depts, client_for):
    water, env, *_ = depts
    client = client_for(world.street_staff)
    page = client.get(reverse("projects:whistle_create"))
    assert page.status_code == 200 and "东城区水务局" in page.content.decode()
    response = client.post(
        reverse("projects:whistle_create"),
        {
            "committee": world.street.pk,
            "kind": "tough",
            "title": "东石桥河道治理",
            "place": "东石桥村",
            "request": "清淤、排查排污口",
            "department": [water.pk, env.pk],
            f"hours_{water.pk}": "4",
            f"hours_{env.pk}": "48",
        },
    )
    whistle = Whistle.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{whistle.pk}/")
    assert sorted(whistle.summons.values_list("hours", flat=True)) == [4, 48]


def test_blow_page_reports_every_error_on_its_field(world, depts, client_for):
    client = client_for(world.street_staff)
    response = client.post(
        reverse("projects:whistle_create"),
        {"committee": world.street.pk, "kind": "tough", "title": "", "place": "", "request": ""},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="title"' in body and 'data-field="place"' in body
    assert "请选择至少一个被召集的部门" in body
    assert not Whistle.objects.exists()


def test_community_staff_and_officers_cannot_blow(world, depts, client_for):
    *_, water_officer, _env = depts
    assert (
        client_for(world.community_staff).get(reverse("projects:whistle_create")).status_code == 403
    )
    assert client_for(water_officer).get(reverse("projects:whistle_create")).status_code == 403


def test_the_list_offers_the_whistle_exactly_where_blowing_is_allowed(world, depts, client_for):
    """The list's button comes from an existence check; the form's streets from the full list:
    the two agree for every persona, and a district's staff reach their streets."""
    from members.models import Role
    from projects import whistle_selectors

    from ..factories import user_with_role

    district_staff = user_with_role(Role.STAFF, world.district, username="dc_staff")
    *_, water_officer, _env = depts
    personas = {
        "street": (world.street_staff, True),
        "district staff": (district_staff, True),
        "community": (world.community_staff, False),
        "district leader": (world.district_leader, False),
        "officer": (water_officer, False),
    }
    for name, (user, allowed) in personas.items():
        assert whistle_selectors.may_blow_anywhere(user) is allowed, name
        assert bool(whistle_selectors.blowing_committees(user)) is allowed, name
        page = client_for(user).get(reverse("projects:whistle_list"))
        assert page.status_code == 200, name
        assert ('data-testid="blow"' in page.content.decode()) is allowed, name


def test_officer_reports_on_the_phone_page_and_no_illegal_step(world, depts, client_for):
    water, env, water_officer, env_officer = depts
    whistle = f.blow(world, [water, env])
    summons = whistle.summons.get(department=water)
    client = client_for(water_officer)
    url = reverse("projects:summons_detail", args=[summons.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-step="acknowledged"' in page.content.decode()
    refused = client.post(url, {"to": "acted", "note": "已处置"})
    assert refused.status_code == 400 and "不能变为" in refused.content.decode()
    summons.refresh_from_db()
    assert summons.status == SummonsStatus.SUMMONED
    assert client.post(url, {"to": "arrived", "note": "已到场"}).status_code == 302
    assert client.post(url, {"to": "acted", "note": "清淤完成"}).status_code == 302
    summons.refresh_from_db()
    assert summons.status == SummonsStatus.ACTED and summons.on_time is True
    # Another department's officer: not found; the street's staff may read, not report.
    assert client_for(env_officer).get(url).status_code == 404
    assert client_for(env_officer).post(url, {"to": "arrived"}).status_code == 404
    street = client_for(world.street_staff)
    assert street.get(url).status_code == 200
    assert street.post(url, {"to": "arrived"}).status_code == 403


def test_isolation_of_whistle_pages(world, depts, client_for):
    water, env, water_officer, env_officer = depts
    whistle = f.blow(world, [water, env])
    url = reverse("projects:whistle_detail", args=[whistle.pk])
    officer_view = client_for(water_officer).get(url).content.decode()
    assert "东城区水务局" in officer_view and "东城区生态环境局" not in officer_view
    assert 'data-testid="close-form"' not in officer_view
    for user in (world.sibling_staff, world.other_admin, world.community_staff):
        client = client_for(user)
        assert client.get(url).status_code == 404, user
        assert (
            str(whistle.title) not in client.get(reverse("projects:whistle_list")).content.decode()
        )
        assert (
            client.post(reverse("projects:whistle_close", args=[whistle.pk]), {}).status_code == 404
        )
    leader = client_for(world.district_leader)
    assert leader.get(url).status_code == 200
    assert leader.post(reverse("projects:whistle_close", args=[whistle.pk]), {}).status_code == 403


def test_close_and_rate_on_the_page(world, depts, client_for):
    water, env, *_ = depts
    whistle = f.blow(world, [water, env])
    client = client_for(world.street_staff)
    url = reverse("projects:whistle_close", args=[whistle.pk])
    refused = client.post(url, {"summary": ""})
    assert refused.status_code == 400
    assert "请填写办结情况" in refused.content.decode()
    assert "请评价东城区水务局" in refused.content.decode()
    data = {"summary": "河道已清理"}
    for s in whistle.summons.all():
        data |= {
            f"punctuality_{s.pk}": "5",
            f"attitude_{s.pk}": "4",
            f"result_{s.pk}": "4",
            f"comment_{s.pk}": "好",
        }
    assert client.post(url, data).status_code == 302
    whistle.refresh_from_db()
    assert whistle.status == WhistleStatus.CLOSED
    assert DepartmentRating.objects.count() == 2
    page = client.get(reverse("projects:whistle_detail", args=[whistle.pk])).content.decode()
    assert "生成评价链接和二维码" in page


def test_rhythm_entry_on_the_page(world, depts, client_for):
    water, env, water_officer, _env_officer = depts
    whistle = f.blow(world, [water])
    client = client_for(world.street_staff)
    url = reverse("projects:whistle_entry", args=[whistle.pk])
    assert client.post(url, {"kind": "consult", "text": ""}).status_code == 400
    assert client.post(url, {"kind": "consult", "text": "与水务局会商清淤方案"}).status_code == 302
    page = client.get(reverse("projects:whistle_detail", args=[whistle.pk])).content.decode()
    assert "与水务局会商清淤方案" in page
    officer = client_for(water_officer)
    page = officer.get(reverse("projects:whistle_detail", args=[whistle.pk])).content.decode()
    assert "与水务局会商清淤方案" in page and 'data-testid="entry-form"' not in page
    assert officer.post(url, {"kind": "consult", "text": "越权"}).status_code == 403


def test_whistle_list_takes_a_fixed_number_of_queries(world, depts, client_for):
    water, env, water_officer, _ = depts
    client = client_for(world.street_staff)
    f.blow(world, [water])
    one = query_counts(client, [reverse("projects:whistle_list")])
    for n in range(6):
        f.blow(world, [water, env], title=f"事项{n}")
    assert query_counts(client, [reverse("projects:whistle_list")]) == one
    officer = client_for(water_officer)
    first = query_counts(officer, [reverse("projects:summons_list")])
    f.blow(world, [water], title="再一件")
    assert query_counts(officer, [reverse("projects:summons_list")]) == first
