"""No leak across tenants or subtrees: every page and endpoint that takes a committee answers 404
to another tenant's user and to a sibling street's staff, and 403 to a reader who may not write."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from committees.models import Committee

PAGES = [
    "committees:detail",
    "committees:children",
    "committees:create",
    "committees:rename",
    "committees:move",
    "committees:close",
]
WRITE_PAGES = ["committees:create", "committees:rename", "committees:move", "committees:close"]
ENDPOINTS = ["committee-detail", "committee-subtree"]
WRITE_PAYLOADS = {
    "committees:create": {
        "name": "越权社区",
        "level": "community",
        "kind": "territorial",
        "division_code": "110101001099",
    },
    "committees:rename": {"name": "越权改名"},
    "committees:move": {"parent": "110101002000", "division_code": "110101002099"},
    "committees:close": {"confirm": "on"},
}


def tree_state():
    return list(
        Committee.objects.order_by("pk").values_list(
            "pk", "parent_id", "name", "division_code", "lft", "rght", "closed_at"
        )
    )


def all_url_names_with_pk(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= all_url_names_with_pk(pattern, inner)
        elif (
            isinstance(pattern, URLPattern)
            and pattern.name
            and "pk" in pattern.pattern.regex.groupindex
        ):
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_taking_an_object_is_in_the_isolation_table():
    covered = set(PAGES) | set(ENDPOINTS)
    committee_urls = {
        name for name in all_url_names_with_pk() if name.startswith(("committees:", "committee-"))
    }
    uncovered = committee_urls - covered
    assert not uncovered, f"add these URLs to the isolation tests: {sorted(uncovered)}"


@pytest.mark.django_db
class TestOtherTenant:
    @pytest.mark.parametrize("name", PAGES + ENDPOINTS)
    def test_get_is_404(self, world, client_for, name):
        client = client_for(world.other_admin)
        for committee in (world.city, world.street, world.community):
            assert client.get(reverse(name, args=[committee.pk])).status_code == 404

    @pytest.mark.parametrize("name", WRITE_PAGES)
    def test_post_is_404_and_changes_nothing(self, world, client_for, name):
        before = tree_state()
        response = client_for(world.other_admin).post(
            reverse(name, args=[world.community.pk]), WRITE_PAYLOADS[name]
        )
        assert response.status_code == 404
        assert tree_state() == before

    def test_list_and_search_show_nothing_of_the_other_tenant(self, world, client_for):
        client = client_for(world.other_admin)
        names = {
            row["name"] for row in client.get("/api/committees/?page_size=500").json()["results"]
        }
        assert names == {"上海市", "黄浦区", "南京东路街道"}
        assert client.get("/committees/?q=东华门").context["results"] == []
        assert client.get("/api/committees/?code=110101").json()["count"] == 0


@pytest.mark.django_db
class TestSiblingSubtree:
    @pytest.mark.parametrize("name", PAGES + ENDPOINTS)
    def test_get_is_404(self, world, client_for, name):
        client = client_for(world.sibling_staff)
        for committee in (world.street, world.community, world.district, world.city):
            assert client.get(reverse(name, args=[committee.pk])).status_code == 404

    @pytest.mark.parametrize("name", WRITE_PAGES)
    def test_post_is_404_and_changes_nothing(self, world, client_for, name):
        before = tree_state()
        response = client_for(world.sibling_staff).post(
            reverse(name, args=[world.community.pk]), WRITE_PAYLOADS[name]
        )
        assert response.status_code == 404
        assert tree_state() == before

    def test_list_shows_only_their_own_street(self, world, client_for):
        client = client_for(world.sibling_staff)
        names = {row["name"] for row in client.get("/api/committees/").json()["results"]}
        assert names == {"景山街道", "黄化门社区"}
        assert client.get("/committees/?q=多福巷").context["results"] == []
        assert client.get("/committees/?q=110101001").context["results"] == []


@pytest.mark.django_db
class TestReadersCannotWrite:
    @pytest.mark.parametrize("name", WRITE_PAGES)
    @pytest.mark.parametrize("persona", ["district_leader", "street_staff", "community_staff"])
    def test_get_and_post_are_403_and_change_nothing(self, world, client_for, name, persona):
        before = tree_state()
        client = client_for(getattr(world, persona))
        url = reverse(name, args=[world.community.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, WRITE_PAYLOADS[name]).status_code == 403
        assert tree_state() == before

    def test_leader_reads_the_whole_district(self, world, client_for):
        client = client_for(world.district_leader)
        assert (
            client.get(reverse("committees:detail", args=[world.sibling_community.pk])).status_code
            == 200
        )
        names = {row["name"] for row in client.get("/api/committees/").json()["results"]}
        assert names == {"东城区", "东华门街道", "多福巷社区", "银闸社区", "景山街道", "黄化门社区"}

    def test_the_api_has_no_write_methods(self, world, client_for):
        client = client_for(world.tenant_admin)
        url = reverse("committee-detail", args=[world.community.pk])
        assert client.delete(url).status_code == 405
        assert client.patch(url, {"name": "x"}, content_type="application/json").status_code == 405


@pytest.mark.django_db
class TestAnonymousAndUngranted:
    def test_anonymous_is_sent_to_login(self, world, client):
        response = client.get(reverse("committees:detail", args=[world.community.pk]))
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
        assert client.get("/api/committees/").status_code in (401, 403)

    def test_a_user_without_grants_sees_nothing(self, world, client_for):
        from ..factories import UserFactory

        loner = UserFactory(tenant=world.city.tenant)
        client = client_for(loner)
        assert client.get("/api/committees/").json()["count"] == 0
        assert client.get(reverse("committees:detail", args=[world.city.pk])).status_code == 404

    def test_separated_administrators_see_no_business_data(self, world, client_for):
        from members.models import Role

        from ..factories import user_with_role

        auditor = user_with_role(Role.AUDIT_ADMIN, world.city)
        client = client_for(auditor)
        assert client.get("/api/committees/").json()["count"] == 0
        assert client.get(reverse("committees:detail", args=[world.city.pk])).status_code == 404
