"""The tree pages through the Django test client: browsing, searching, and the tenant
administrator's forms with their Chinese error messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from committees.models import Committee, Level

from ..factories import CommitteeFactory


@pytest.mark.django_db
class TestBrowsing:
    def test_tree_page_shows_the_scope_root(self, world, client_for):
        response = client_for(world.street_staff).get(reverse("committees:tree"))
        assert response.status_code == 200
        assert [c.name for c in response.context["roots"]] == ["东华门街道"]
        assert "hx-get" in response.content.decode()

    def test_children_fragment_lists_children_without_the_layout(self, world, client_for):
        response = client_for(world.street_staff).get(
            reverse("committees:children", args=[world.street.pk])
        )
        html = response.content.decode()
        assert "多福巷社区" in html and "银闸社区" in html
        assert "<html" not in html

    def test_children_fragment_takes_the_same_queries_for_2_or_12_children(
        self, world, client_for, django_assert_num_queries
    ):
        client = client_for(world.street_staff)
        url = reverse("committees:children", args=[world.street.pk])
        client.get(url)  # warm the session
        with django_assert_num_queries(5) as few:
            client.get(url)
        for i in range(10):
            CommitteeFactory(
                parent=world.street,
                name=f"社区{i}",
                level=Level.COMMUNITY,
                division_code=f"1101010010{i + 10}",
            )
        with django_assert_num_queries(len(few.captured_queries)):
            client.get(url)

    def test_detail_shows_parent_chain_children_and_counts(self, world, client_for):
        response = client_for(world.district_leader).get(
            reverse("committees:detail", args=[world.district.pk])
        )
        assert [(a.name, visible) for a, visible in response.context["ancestors"]] == [
            ("北京市", False)
        ]
        assert [c.name for c in response.context["children"]] == ["东华门街道", "景山街道"]
        assert dict(response.context["level_counts"]) == {"街乡": 2, "社区村": 3}
        assert response.context["can_manage"] is False
        assert "新建下级" not in response.content.decode()

    def test_search_by_code_prefix_and_name_with_parent_chain(self, world, client_for):
        client = client_for(world.district_leader)
        results = client.get(reverse("committees:tree"), {"q": "110101001"}).context["results"]
        assert {c.name for c, _chain in results} == {"东华门街道", "多福巷社区", "银闸社区"}
        results = client.get(reverse("committees:tree"), {"q": "银闸"}).context["results"]
        committee, chain = results[0]
        assert committee.name == "银闸社区"
        assert [a.name for a in chain] == ["北京市", "东城区", "东华门街道"]

    def test_pages_are_in_chinese_whatever_the_browser_asks(self, world, client_for):
        """No English translation exists, so no language switch is offered and a browser asking
        for English gets the Chinese page it would have got anyway, marked as Chinese."""
        client = client_for(world.street_staff)
        assert "组织架构" in client.get(reverse("committees:tree")).content.decode()
        english = client.get(reverse("committees:tree"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'lang="zh-hans"' in english and "组织架构" in english
        assert "set_language" not in english and 'name="language"' not in english

    def test_every_asset_is_served_locally(self, world, client_for):
        html = client_for(world.street_staff).get(reverse("committees:tree")).content.decode()
        assert "http://" not in html and "https://" not in html
        assert "/static/vendor/htmx/htmx.min.js" in html


@pytest.mark.django_db
class TestTenantAdministratorForms:
    def test_create_a_community(self, world, client_for):
        client = client_for(world.tenant_admin)
        response = client.post(
            reverse("committees:create", args=[world.street.pk]),
            {
                "name": "新太仆社区",
                "level": "community",
                "kind": "territorial",
                "division_code": "110101001003",
            },
        )
        created = Committee.objects.get(name="新太仆社区")
        assert response.status_code == 302 and response.url == reverse(
            "committees:detail", args=[created.pk]
        )
        assert created.parent_id == world.street.pk
        page = client.get(response.url).content.decode()
        assert "已创建“新太仆社区”" in page

    def test_a_bad_code_shows_a_chinese_error_on_the_field_and_creates_nothing(
        self, world, client_for
    ):
        count = Committee.objects.count()
        response = client_for(world.tenant_admin).post(
            reverse("committees:create", args=[world.street.pk]),
            {
                "name": "新社区",
                "level": "community",
                "kind": "territorial",
                "division_code": "110102001003",
            },
        )
        assert response.status_code == 400
        assert "不属于上级" in response.context["form"].errors["division_code"][0]
        assert 'data-field="division_code"' in response.content.decode()
        assert Committee.objects.count() == count

    def test_a_duplicate_name_shows_an_error_on_the_name(self, world, client_for):
        response = client_for(world.tenant_admin).post(
            reverse("committees:create", args=[world.street.pk]),
            {
                "name": "银闸社区",
                "level": "community",
                "kind": "territorial",
                "division_code": "110101001004",
            },
        )
        assert response.status_code == 400
        assert response.context["form"].errors["name"] == [
            "同一上级下已有名为“银闸社区”的协调委员会。"
        ]

    def test_rename(self, world, client_for):
        response = client_for(world.tenant_admin).post(
            reverse("committees:rename", args=[world.community.pk]), {"name": "多福巷南社区"}
        )
        assert response.status_code == 302
        assert Committee.objects.get(pk=world.community.pk).name == "多福巷南社区"

    def test_move_by_the_new_parents_code(self, world, client_for):
        response = client_for(world.tenant_admin).post(
            reverse("committees:move", args=[world.community2.pk]),
            {"parent": "110101002000", "division_code": "110101002005"},
        )
        assert response.status_code == 302
        moved = Committee.objects.get(pk=world.community2.pk)
        assert (moved.parent_id, moved.division_code) == (world.sibling_street.pk, "110101002005")

    def test_move_to_an_unknown_parent_is_explained(self, world, client_for):
        response = client_for(world.tenant_admin).post(
            reverse("committees:move", args=[world.community2.pk]), {"parent": "南京东路街道"}
        )
        assert response.status_code == 400
        assert "找不到“南京东路街道”" in response.context["form"].errors["parent"][0]
        assert Committee.objects.get(pk=world.community2.pk).parent_id == world.street.pk

    def test_close_needs_confirmation_and_refuses_a_committee_with_children(
        self, world, client_for
    ):
        client = client_for(world.tenant_admin)
        response = client.post(
            reverse("committees:close", args=[world.street.pk]), {"confirm": "on"}
        )
        assert response.status_code == 400
        assert "未撤销的下级" in response.content.decode()
        response = client.post(reverse("committees:close", args=[world.community2.pk]), {})
        assert response.status_code == 400
        response = client.post(
            reverse("committees:close", args=[world.community2.pk]), {"confirm": "on"}
        )
        assert response.status_code == 302
        assert Committee.objects.get(pk=world.community2.pk).closed_at is not None
