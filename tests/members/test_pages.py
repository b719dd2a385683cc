"""Members pages through the Django test client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from members import services
from members.models import MemberUnit

from . import factories as f


@pytest.mark.django_db
class TestUnitPages:
    def test_staff_register_a_unit(self, world, client_for):
        code = f.credit_code()
        response = client_for(world.street_staff).post(
            reverse("members:unit_create"),
            {
                "name": "北京公交集团保修三厂",
                "credit_code": code,
                "kind": "state_owned",
                "committee": "110101001001",
                "contact_name": "王厂长",
                "contact_phone": "13800138000",
                "party_org_type": "committee",
                "party_member_count": 120,
            },
        )
        unit = MemberUnit.objects.get(credit_code=code)
        assert response.status_code == 302 and unit.committee == world.community

    def test_a_wrong_check_character_is_shown_on_its_field_and_saves_nothing(
        self, world, client_for
    ):
        response = client_for(world.street_staff).post(
            reverse("members:unit_create"),
            {
                "name": "某公司",
                "credit_code": "91350100M000100Y44",
                "kind": "private",
                "committee": "110101001001",
                "contact_phone": "1380013800",
                "party_org_type": "branch",
                "party_member_count": 3,
            },
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "校验位错误" in errors["credit_code"][0]
        assert "不是有效的电话号码" in errors["contact_phone"][0]
        assert 'class="form-control is-invalid"' in response.content.decode()
        assert not MemberUnit.objects.exists()

    def test_a_committee_outside_the_scope_is_refused(self, world, client_for):
        response = client_for(world.street_staff).post(
            reverse("members:unit_create"),
            {
                "name": "某公司",
                "credit_code": f.credit_code(),
                "kind": "private",
                "committee": "110101002001",
                "party_org_type": "branch",
                "party_member_count": 0,
            },
        )
        assert response.context["form"].errors["committee"] == [
            "找不到所在地“110101002001”：只能选择您工作范围内的协调委员会。"
        ]
        assert not MemberUnit.objects.exists()

    def test_a_leader_cannot_open_the_form(self, world, client_for):
        assert (
            client_for(world.district_leader).get(reverse("members:unit_create")).status_code == 403
        )

    def test_phones_are_masked_for_readers_and_shown_to_staff(self, world, client_for):
        f.unit(world.street, name="华熙LIVE", contact_phone="13912345678")
        leader_page = (
            client_for(world.district_leader).get(reverse("members:unit_list")).content.decode()
        )
        assert "139****5678" in leader_page and "13912345678" not in leader_page
        staff_page = (
            client_for(world.street_staff).get(reverse("members:unit_list")).content.decode()
        )
        assert "13912345678" in staff_page
        api = client_for(world.district_leader).get("/api/member-units/").json()["results"][0]
        assert api["contact_phone"] == "139****5678"

    def test_the_list_takes_the_same_queries_for_2_or_30_units(
        self, world, client_for, django_assert_num_queries
    ):
        client = client_for(world.district_leader)
        for _ in range(2):
            f.unit(world.street)
        client.get(reverse("members:unit_list"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("members:unit_list"))
        for _ in range(28):
            f.unit(world.community)
        with django_assert_num_queries(len(few.captured_queries)):
            response = client.get(reverse("members:unit_list"))
        assert response.context["page"].paginator.count == 30

    def test_filters(self, world, client_for):
        f.unit(world.street, name="解放军总医院", kind="hospital")
        f.unit(world.community, name="美团", kind="new_economy")
        client = client_for(world.district_leader)

        def names(**q):
            return [u.name for u in client.get(reverse("members:unit_list"), q).context["page"]]  # noqa: E731

        assert names(kind="hospital") == ["解放军总医院"]
        assert names(q="美") == ["美团"]
        assert names(committee=world.community.pk) == ["美团"]


@pytest.mark.django_db
class TestStructure:
    def test_the_structure_page_shows_who_chairs_now(self, world, client_for):
        a, b = f.unit(world.street, name="公交集团保修三厂"), f.unit(world.street, name="市审计局")
        sub = services.subcommittee_create(committee=world.street, field="livelihood")
        services.rotation_set(
            subcommittee=sub,
            start=timezone.localdate() - dt.timedelta(days=100),
            months=3,
            chairs=[(a, "王昆"), (b, "李华")],
        )
        page = (
            client_for(world.district_leader)
            .get(reverse("members:structure", args=[world.street.pk]))
            .content.decode()
        )
        assert "本期轮值代理主任" in page and "李华" in page


@pytest.mark.django_db
class TestUnitApiWrites:
    def payload(self, **overrides):
        return {
            "name": "中国科学院大学",
            "credit_code": f.credit_code(prefix="12"),
            "kind": "university",
            "contact_phone": "010-69671234",
            "party_org_type": "committee",
            "party_member_count": 800,
            **overrides,
        }

    def test_staff_create_through_the_api(self, world, client_for):
        response = client_for(world.street_staff).post(
            "/api/member-units/",
            self.payload(committee=world.community.pk),
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
        assert MemberUnit.objects.get(pk=response.json()["id"]).committee == world.community

    def test_bad_input_gets_field_errors_and_saves_nothing(self, world, client_for):
        response = client_for(world.street_staff).post(
            "/api/member-units/",
            self.payload(
                committee=world.community.pk, credit_code="91350100M000100Y44", contact_phone="12"
            ),
            content_type="application/json",
        )
        assert response.status_code == 400
        assert set(response.json()) == {"credit_code", "contact_phone"}
        assert not MemberUnit.objects.exists()

    def test_a_committee_outside_the_scope_is_a_field_error(self, world, client_for):
        response = client_for(world.street_staff).post(
            "/api/member-units/",
            self.payload(committee=world.sibling_street.pk),
            content_type="application/json",
        )
        assert response.status_code == 400 and "committee" in response.json()

    def test_a_contact_patches_only_their_fields(self, world, client_for):
        from members.models import Role

        from ..factories import UserFactory

        unit = f.unit(world.community, name="美团")
        contact = UserFactory(tenant=world.city.tenant)
        account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=unit)
        client = client_for(contact)
        url = f"/api/member-units/{unit.pk}/"
        assert (
            client.patch(
                url, {"contact_name": "外卖站长"}, content_type="application/json"
            ).status_code
            == 200
        )
        refused = client.patch(url, {"name": "改名"}, content_type="application/json")
        assert refused.status_code == 400 and "name" in refused.json()
        unit.refresh_from_db()
        assert (unit.name, unit.contact_name) == ("美团", "外卖站长")

    def test_a_leader_cannot_patch(self, world, client_for):
        unit = f.unit(world.community, name="美团")
        response = client_for(world.district_leader).patch(
            f"/api/member-units/{unit.pk}/", {"address": "x"}, content_type="application/json"
        )
        assert response.status_code == 403


@pytest.mark.django_db
def test_staff_set_a_rotation_and_found_an_alliance_through_the_structure_page(world, client_for):
    a, b = f.unit(world.street, name="公交集团保修三厂"), f.unit(world.street, name="市审计局")
    sub = services.subcommittee_create(committee=world.street, field="livelihood")
    client = client_for(world.street_staff)
    client.post(
        reverse("members:rotation_set", args=[sub.pk]),
        {
            "start": timezone.localdate(),
            "months": 3,
            "chairs": "公交集团保修三厂，王昆\n市审计局,李华",
        },
    )
    assert [(s.unit, s.chair_name) for s in sub.rotation.all()] == [(a, "王昆"), (b, "李华")]
    response = client.post(
        reverse("members:rotation_set", args=[sub.pk]),
        {
            "start": timezone.localdate(),
            "months": 3,
            "chairs": "不存在的单位，某某\n市审计局，李华",
        },
    )
    assert "不是该协调委员会的成员单位：不存在的单位" in client.get(response.url).content.decode()
    assert sub.rotation.count() == 2

    client.post(
        reverse("members:alliance_create", args=[world.street.pk]),
        {"name": "民生服务联盟", "kind": "work", "units": [a.pk, b.pk]},
    )
    from members.models import Alliance

    alliance = Alliance.objects.get(name="民生服务联盟")
    assert set(alliance.units.all()) == {a, b}
