"""The tenant's categories: validated services, the administrators' pages (Chinese errors, only the
tenant administrator at the root may edit), the read-only API, and what a blank deadline means."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import services as account_services
from categories import services
from categories.defaults import categories_ensure_defaults
from categories.models import Category
from members.models import Role

from ..demands import factories as f
from ..factories import UserFactory
from ..members import factories as mf

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "助残服务",
    "keywords": "助残  残疾人，无障碍、康复",
    "position": "20",
    "is_active": "on",
    "escalation_days_community": "5",
    "escalation_days_street": "10",
    "escalation_days_district": "",
    "escalation_days_grid": "2",
    "escalation_days_building": "",
}


def state():
    return list(
        Category.objects.order_by("pk").values_list(
            "pk", "tenant_id", "name", "keywords", "escalation_days", "position", "is_active"
        )
    )


@pytest.fixture
def categories(world):
    categories_ensure_defaults(world.city.tenant)
    categories_ensure_defaults(world.other_city.tenant)
    return {
        "elderly": Category.objects.get(tenant=world.city.tenant, name="养老服务"),
        "other": Category.objects.get(tenant=world.other_city.tenant, name="养老服务"),
    }


def district_admin(world):
    """A tenant administrator granted at a district, not at the tenant's root."""
    return UserFactory(tenant=world.city.tenant, role=Role.TENANT_ADMIN, committee=world.district)


# --- services -----------------------------------------------------------------------------------


class TestServices:
    def test_create_keeps_the_deadlines_given_and_leaves_blank_levels_out(self, world):
        category = services.category_create(
            actor=world.tenant_admin,
            tenant=world.city.tenant,
            data=services.CategoryData(
                name=" 助残服务 ",
                keywords="助残  残疾人，无障碍、康复 助残",
                position="3",
                escalation_days={"community": "5", "street": 10, "district": "", "grid": None},
            ),
        )
        assert category.name == "助残服务"
        assert category.keywords == "助残 残疾人 无障碍 康复"
        assert category.position == 3
        assert category.escalation_days == {"community": 5, "street": 10}

    @pytest.mark.parametrize(
        ("days", "field", "message"),
        [
            ({"community": "0"}, "escalation_days_community", "应为正整数"),
            ({"street": "-3"}, "escalation_days_street", "应为正整数"),
            ({"district": "abc"}, "escalation_days_district", "“区”的上报期限应为正整数"),
            ({"grid": "1.5"}, "escalation_days_grid", "应为正整数"),
            ({"building": "99999"}, "escalation_days_building", "不能超过3650天"),
            ({"city": "5"}, "escalation_days", "未知的层级：city"),
        ],
    )
    def test_bad_deadlines_are_field_errors_and_save_nothing(self, world, days, field, message):
        before = state()
        with pytest.raises(ValidationError) as error:
            services.category_create(
                actor=world.tenant_admin,
                tenant=world.city.tenant,
                data=services.CategoryData(name="助残服务", escalation_days=days),
            )
        assert message in " ".join(error.value.message_dict[field])
        assert state() == before

    def test_every_problem_at_once(self, world):
        with pytest.raises(ValidationError) as error:
            services.category_create(
                actor=world.tenant_admin,
                tenant=world.city.tenant,
                data=services.CategoryData(
                    name="", position="-1", escalation_days={"community": "x"}
                ),
            )
        assert set(error.value.message_dict) == {"name", "position", "escalation_days_community"}
        assert error.value.message_dict["name"] == ["请填写类别名称。"]

    def test_names_are_unique_per_tenant(self, world, categories):
        with pytest.raises(ValidationError) as error:
            services.category_create(
                actor=world.tenant_admin,
                tenant=world.city.tenant,
                data=services.CategoryData(name="养老服务"),
            )
        assert error.value.message_dict["name"] == ["已有名为“养老服务”的类别。"]
        # The same name in another tenant is another category.
        assert Category.objects.filter(name="养老服务").count() == 2
        with pytest.raises(ValidationError):
            services.category_update(
                actor=world.tenant_admin,
                category=Category.objects.get(tenant=world.city.tenant, name="医疗卫生"),
                data=services.CategoryData(name="养老服务"),
            )

    def test_update_changes_every_field(self, world, categories):
        category = services.category_update(
            actor=world.tenant_admin,
            category=categories["elderly"],
            data=services.CategoryData(
                name="养老助残",
                keywords="助老 助残",
                position=1,
                is_active=False,
                escalation_days={"community": "", "street": "20"},
            ),
        )
        category.refresh_from_db()
        assert (category.name, category.keywords, category.position, category.is_active) == (
            "养老助残",
            "助老 助残",
            1,
            False,
        )
        assert category.escalation_days == {"street": 20}

    @pytest.mark.parametrize("persona", ["street_staff", "district_leader", "district_admin"])
    def test_only_the_root_tenant_administrator_may_change_the_taxonomy(
        self, world, categories, persona
    ):
        actor = district_admin(world) if persona == "district_admin" else getattr(world, persona)
        before = state()
        with pytest.raises(PermissionDenied):
            services.category_create(
                actor=actor, tenant=world.city.tenant, data=services.CategoryData(name="越权类别")
            )
        with pytest.raises(PermissionDenied):
            services.category_update(
                actor=actor, category=categories["elderly"], data=services.CategoryData(name="改")
            )
        assert state() == before

    def test_another_tenants_administrator_cannot_change_this_taxonomy(self, world, categories):
        with pytest.raises(PermissionDenied):
            services.category_update(
                actor=world.other_admin,
                category=categories["elderly"],
                data=services.CategoryData(name="改"),
            )

    def test_a_blank_deadline_means_the_demand_never_escalates_from_that_level(
        self, world, categories
    ):
        services.category_update(
            actor=world.tenant_admin,
            category=categories["elderly"],
            data=services.CategoryData(name="养老服务", escalation_days={"street": "14"}),
        )
        at_community = f.demand(world.community, world.community_staff)
        assert at_community.escalation_due_at is None
        at_street = f.demand(world.street, world.street_staff, title="街道助餐")
        assert at_street.escalation_due_at is not None


# --- pages --------------------------------------------------------------------------------------


class TestPages:
    def test_the_administrator_lists_creates_and_edits(self, world, client_for, categories):
        client = client_for(world.tenant_admin)
        listing = client.get(reverse("categories:category_list"))
        assert listing.status_code == 200
        html = listing.content.decode()
        assert "养老服务" in html and reverse("categories:category_create") in html
        assert [c.name for c, _days in listing.context["rows"]][:2] == ["养老服务", "医疗卫生"]

        response = client.post(reverse("categories:category_create"), GOOD)
        assert response.status_code == 302
        created = Category.objects.get(tenant=world.city.tenant, name="助残服务")
        assert created.escalation_days == {"community": 5, "street": 10, "grid": 2}
        assert created.keywords == "助残 残疾人 无障碍 康复"

        edit = reverse("categories:category_edit", args=[created.pk])
        page = client.get(edit)
        assert page.status_code == 200
        assert page.context["form"].initial["escalation_days_street"] == 10
        response = client.post(edit, {**GOOD, "escalation_days_street": "", "is_active": ""})
        assert response.status_code == 302
        created.refresh_from_db()
        assert created.escalation_days == {"community": 5, "grid": 2}
        assert created.is_active is False

    def test_bad_input_shows_chinese_errors_and_saves_nothing(self, world, client_for, categories):
        before = state()
        response = client_for(world.tenant_admin).post(
            reverse("categories:category_create"),
            {
                **GOOD,
                "name": "养老服务",
                "position": "第一",
                "escalation_days_community": "-1",
                "escalation_days_district": "三十",
            },
        )
        assert response.status_code == 400
        form = response.context["form"]
        assert form.errors["name"] == ["已有名为“养老服务”的类别。"]
        assert "顺序应为0到32767之间的整数" in form.errors["position"][0]
        assert "“社区村”的上报期限应为正整数" in form.errors["escalation_days_community"][0]
        assert "“区”的上报期限应为正整数" in form.errors["escalation_days_district"][0]
        assert "已有名为“养老服务”的类别。" in response.content.decode()
        assert state() == before

    @pytest.mark.parametrize(
        "persona", ["street_staff", "district_leader", "community_staff", "district_admin"]
    )
    def test_others_of_the_tenant_read_but_get_403_on_every_write(
        self, world, client_for, categories, persona
    ):
        user = district_admin(world) if persona == "district_admin" else getattr(world, persona)
        client = client_for(user)
        listing = client.get(reverse("categories:category_list"))
        assert listing.status_code == 200
        assert reverse("categories:category_create") not in listing.content.decode()
        before = state()
        edit = reverse("categories:category_edit", args=[categories["elderly"].pk])
        assert client.get(reverse("categories:category_create")).status_code == 403
        assert client.post(reverse("categories:category_create"), GOOD).status_code == 403
        assert client.get(edit).status_code == 403
        assert client.post(edit, GOOD).status_code == 403
        assert state() == before

    def test_a_unit_contact_reads_the_list_and_cannot_write(self, world, client_for, categories):
        unit = mf.unit(world.community, name="某医院")
        contact = UserFactory(tenant=world.city.tenant)
        account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=unit)
        client = client_for(contact)
        assert client.get(reverse("categories:category_list")).status_code == 200
        assert client.post(reverse("categories:category_create"), GOOD).status_code == 403

    def test_another_tenants_category_is_404_and_changes_nothing(
        self, world, client_for, categories
    ):
        client = client_for(world.other_admin)
        before = state()
        edit = reverse("categories:category_edit", args=[categories["elderly"].pk])
        assert client.get(edit).status_code == 404
        assert client.post(edit, GOOD).status_code == 404
        assert state() == before
        names = [
            c.pk for c, _days in client.get(reverse("categories:category_list")).context["rows"]
        ]
        assert categories["other"].pk in names and categories["elderly"].pk not in names

    def test_another_tenants_administrator_creates_in_their_own_tenant(
        self, world, client_for, categories
    ):
        response = client_for(world.other_admin).post(reverse("categories:category_create"), GOOD)
        assert response.status_code == 302
        assert Category.objects.get(name="助残服务").tenant == world.other_city.tenant

    def test_anonymous_is_sent_to_login(self, world, client, categories):
        for url in (
            reverse("categories:category_list"),
            reverse("categories:category_create"),
            reverse("categories:category_edit", args=[categories["elderly"].pk]),
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response.url


# --- API ----------------------------------------------------------------------------------------


class TestApi:
    @pytest.mark.parametrize(
        "persona", ["tenant_admin", "district_leader", "street_staff", "sibling_staff"]
    )
    def test_everyone_in_the_tenant_reads_its_categories(
        self, world, client_for, categories, persona
    ):
        rows = client_for(getattr(world, persona)).get("/api/categories/").json()
        assert {row["id"] for row in rows} == set(
            Category.objects.filter(tenant=world.city.tenant).values_list("pk", flat=True)
        )
        first = rows[0]
        assert first["name"] == "养老服务"
        assert first["escalation_days"]["community"] == 7

    def test_another_tenant_sees_only_its_own(self, world, client_for, categories):
        rows = client_for(world.other_admin).get("/api/categories/").json()
        assert categories["other"].pk in {row["id"] for row in rows}
        assert categories["elderly"].pk not in {row["id"] for row in rows}

    def test_it_is_read_only(self, world, client_for, categories):
        client = client_for(world.tenant_admin)
        assert client.post("/api/categories/", {"name": "x"}).status_code == 405
        assert Category.objects.filter(name="x").count() == 0

    def test_filter_by_active(self, world, client_for, categories):
        Category.objects.filter(pk=categories["elderly"].pk).update(is_active=False)
        rows = client_for(world.street_staff).get("/api/categories/?is_active=false").json()
        assert [row["name"] for row in rows] == ["养老服务"]
