"""Item 8 on the self-registration page: the community is picked from the public, throttled
search (its id sent beside the name shown), and a name typed without JavaScript still counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from committees.models import Level
from members.models import User
from party_members.models import PartyMember

from ..factories import CommitteeFactory

pytestmark = pytest.mark.django_db


def join(client, world, **overrides):
    data = {
        "tenant": world.city.tenant_id,
        "name": "刘洋",
        "phone": "13811112222",
        "employer_name": "市审计局",
        "community": "",
        "username": "liuyang",
        "password": "Dangyuan@2026",
    }
    return client.post(reverse("party_members:join"), {**data, **overrides})


def test_the_page_searches_the_public_community_search(client):
    page = client.get(reverse("party_members:join")).content.decode()
    assert 'hx-get="/party-members/join/communities/"' in page
    assert 'hx-include="#id_tenant"' in page
    assert 'name="community_id"' in page and 'name="community"' in page


def test_the_search_offers_each_community_by_name_with_its_id(world, client):
    response = client.get(
        reverse("party_members:join_communities"),
        {"tenant": world.city.tenant_id, "community": "多福"},
    )
    text = response.content.decode()
    assert f'data-value="{world.community.pk}" data-label="多福巷社区"' in text
    assert "110101001001" in text  # the code as a hint
    other = client.get(
        reverse("party_members:join_communities"),
        {"tenant": world.other_city.tenant_id, "community": "多福"},
    )
    assert "多福巷社区" not in other.content.decode()


def test_choosing_by_id_registers_with_that_community(world, client):
    response = join(client, world, community="多福巷社区", community_id=world.community.pk)
    assert response.status_code == 302
    member = PartyMember.objects.get(user__username="liuyang")
    assert member.community == world.community


def test_the_id_wins_over_a_stale_text_and_alone_is_enough(world, client):
    response = join(client, world, community="", community_id=world.community.pk)
    assert response.status_code == 302
    assert PartyMember.objects.get().community == world.community


def test_another_citys_community_by_id_is_refused_on_the_field(world, client):
    elsewhere = CommitteeFactory(
        parent=world.other_street,
        name="南京东路社区",
        level=Level.COMMUNITY,
        division_code="310101002001",
    )
    response = join(client, world, community="南京东路社区", community_id=elsewhere.pk, name="")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["community"] == ["所选社区不属于北京市，请选择居住地所在社区。"]
    assert "name" in errors  # every problem at once
    assert not User.objects.filter(username="liuyang").exists()


def test_the_typed_name_still_works_without_javascript(world, client):
    response = join(client, world, community="多福巷社区")
    assert response.status_code == 302
    assert PartyMember.objects.get().community == world.community


def test_a_chosen_community_is_shown_by_name_when_the_form_comes_back(world, client):
    response = join(client, world, community="多福", community_id=world.community.pk, phone="1")
    assert response.status_code == 400
    page = response.content.decode()
    assert f'name="community_id" value="{world.community.pk}"' in page
    assert 'name="community" value="多福巷社区"' in page


def test_nothing_chosen_nor_typed_is_said_on_the_field(world, client):
    response = join(client, world, name="")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["community"] == ["请选择报到社区。"] and "name" in errors


def test_an_unknown_id_falls_back_to_the_typed_name(world, client):
    response = join(client, world, community="不存在社区", community_id="999999999")
    assert response.status_code == 400
    assert "找不到社区“不存在社区”" in response.context["form"].errors["community"][0]
