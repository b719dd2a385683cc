"""The one resolver of committee and unit references (`core.references`, with its committee and
unit rules in `committees.selectors` and `members.selectors`): its rules once, for every way in
(single entry, Excel rows, bulk items and filters all call it)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from committees import services as committee_services
from committees.models import Level
from committees.selectors import committee_resolver
from core.scoping import Action
from members.models import MemberUnit, Role
from members.selectors import unit_resolver

from .factories import CommitteeFactory, UserFactory
from .members import factories as mf

pytestmark = pytest.mark.django_db


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def refusal(resolver, reference) -> str:
    with pytest.raises(ValidationError) as error:
        resolver.resolve(reference)
    [(field, [message])] = error.value.message_dict.items()
    assert field == resolver.field
    return message


class TestCommittees:
    def test_by_code_name_or_id(self, world):
        resolver = committee_resolver(user=world.street_staff, label="服务范围")
        assert resolver.resolve("110101001001") == world.community
        assert resolver.resolve(" 银闸社区 ") == world.community2
        assert resolver.resolve(world.street.pk) == world.street
        assert resolver.resolve(str(world.community.pk)) == world.community

    def test_out_of_scope_is_not_found_whatever_the_reason(self, world):
        resolver = committee_resolver(user=world.street_staff, label="服务范围")
        for reference in (
            "景山街道",
            "110101002000",
            world.sibling_street.pk,
            "南京东路街道",
            "无此地",
        ):
            assert refusal(resolver, reference) == (
                f"找不到服务范围“{reference}”：只能选择您工作范围内的协调委员会。"
            )
        # A reader may name what they read, not what they would change.
        leader = committee_resolver(user=world.district_leader, label="服务范围")
        assert "您工作范围内" in refusal(leader, "东华门街道")
        assert (
            committee_resolver(user=world.district_leader, action=Action.VIEW).resolve("东华门街道")
            == world.street
        )

    def test_within_a_committee(self, world):
        district_staff = UserFactory(
            tenant=world.city.tenant, role=Role.STAFF, committee=world.district
        )
        resolver = committee_resolver(user=district_staff, within=world.street, label="所在地")
        assert resolver.resolve("多福巷社区") == world.community
        assert refusal(resolver, "景山街道") == (
            "找不到所在地“景山街道”：只能选择“东华门街道”范围内的协调委员会。"
        )
        # Within the user's whole scope, the words are those of the whole scope.
        own = committee_resolver(user=world.street_staff, within=world.street, label="所在地")
        assert "您工作范围内" in refusal(own, "景山街道")

    def test_an_ambiguous_name_asks_for_the_code(self, world):
        for street, code in (
            (world.street, "110101001003"),
            (world.sibling_street, "110101002002"),
        ):
            CommitteeFactory(
                parent=street, name="新村社区", level=Level.COMMUNITY, division_code=code
            )
        district_staff = UserFactory(
            tenant=world.city.tenant, role=Role.STAFF, committee=world.district
        )
        assert refusal(committee_resolver(user=district_staff), "新村社区") == (
            "有2个名为“新村社区”的协调委员会，请改填12位区划代码以区分。"
        )
        # Street staff see one of them only: no ambiguity for them.
        found = committee_resolver(user=fresh(world.street_staff)).resolve("新村社区")
        assert found.parent_id == world.street.pk

    def test_a_closed_committee_is_named_but_refused_and_the_open_one_wins(self, world):
        committee_services.committee_close(committee=world.community2)
        resolver = committee_resolver(user=world.street_staff, label="服务范围")
        assert refusal(resolver, "银闸社区") == "协调委员会“银闸社区”已撤销，不能再选。"
        assert refusal(resolver, world.community2.pk) == (
            f"协调委员会“{world.community2.pk}”已撤销，不能再选。"
        )
        reborn = CommitteeFactory(
            parent=world.street,
            name="银闸社区",
            level=Level.COMMUNITY,
            division_code="110101001002",
        )
        # (The tree grew: the grants' ranges are read again.)
        resolver = committee_resolver(user=fresh(world.street_staff), label="服务范围")
        assert resolver.resolve("银闸社区") == reborn
        assert resolver.resolve("110101001002") == reborn

    def test_blank_is_the_default_or_asked_for(self, world):
        assert committee_resolver(user=world.street_staff, default=world.street).resolve("") == (
            world.street
        )
        assert refusal(committee_resolver(user=world.street_staff, label="服务范围"), " ") == (
            "请填写“服务范围”。"
        )

    def test_a_batch_is_read_in_one_query(self, world, django_assert_num_queries):
        references = ["110101001001", "银闸社区", str(world.street.pk), "景山街道", "无此地"] * 40
        resolver = committee_resolver(user=world.street_staff)
        with django_assert_num_queries(1):
            resolver.prefetch(references)
        with django_assert_num_queries(0):
            found = [resolver.find(reference) for reference in references]
        assert found[:5] == [world.community, world.community2, world.street, None, None]

    def test_a_filter_finds_nothing_for_a_name_it_cannot_tell_apart(self, world):
        resolver = committee_resolver(user=world.street_staff, action=Action.VIEW)
        assert resolver.find("景山街道") is None
        assert resolver.find("") is None


class TestUnits:
    @pytest.fixture
    def units(self, world):
        return {
            "hospital": mf.unit(world.community, name="东华门医院"),
            "twin_a": mf.unit(world.community, name="顺丰速运"),
            "twin_b": mf.unit(world.community2, name="顺丰速运"),
            "sibling": mf.unit(world.sibling_community, name="景山单位"),
        }

    def test_by_credit_code_name_or_id(self, world, units):
        resolver = unit_resolver(user=world.street_staff, label="提供单位")
        hospital = units["hospital"]
        assert resolver.resolve(hospital.credit_code) == hospital
        assert resolver.resolve(hospital.credit_code.lower()) == hospital
        assert resolver.resolve("东华门医院") == hospital
        assert resolver.resolve(hospital.pk) == hospital

    def test_ambiguous_out_of_scope_and_inactive(self, world, units):
        resolver = unit_resolver(user=world.street_staff, label="提供单位")
        assert refusal(resolver, "顺丰速运") == (
            "有2个名为“顺丰速运”的成员单位，请改填统一社会信用代码以区分。"
        )
        assert resolver.resolve(units["twin_b"].credit_code) == units["twin_b"]
        assert refusal(resolver, "景山单位") == (
            "找不到提供单位“景山单位”：只能选择您工作范围内的成员单位。"
        )
        MemberUnit.objects.filter(pk=units["hospital"].pk).update(is_active=False)
        resolver = unit_resolver(user=world.street_staff, label="提供单位")
        assert refusal(resolver, "东华门医院") == "成员单位“东华门医院”已停用，不能再选。"

    def test_a_contact_names_only_their_own_unit(self, world, units):
        contact = mf.contact_for(units["hospital"])
        resolver = unit_resolver(user=contact, label="提供单位", scope="本单位")
        assert resolver.resolve("东华门医院") == units["hospital"]
        assert refusal(resolver, units["twin_a"].pk) == (
            f"找不到提供单位“{units['twin_a'].pk}”：只能选择本单位。"
        )
