"""Members services: identifiers, units, structure, dual registration, service and points.
Bad input is rejected with a field-specific message and saves nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from committees.models import Level
from core import identifiers
from members import selectors, services
from members.models import Alliance, AllianceKind, MemberUnit, SubcommitteeField, UnitKind, User
from party_members import selectors as party_selectors
from party_members import services as party_services
from party_members.models import (
    PartyMember,
    PointsEntry,
    RecordStatus,
    Registration,
    RegistrationStatus,
    ServiceRecord,
)

from ..factories import CommitteeFactory
from . import factories as f


class TestIdentifiers:
    @pytest.mark.parametrize(
        "code",
        ["91350100M000100Y43", "91110108551385082Q", "12100000400010398P", "91350100m000100y43"],
    )
    def test_real_credit_codes_pass(self, code):
        assert identifiers.validate_credit_code(code) == code.upper()

    @pytest.mark.parametrize("prefix", ["N2", "A1", "Y1", "51", "11"])
    def test_codes_beginning_with_a_letter_or_digit_pass(self, prefix):
        body = f"{prefix}110101123456789"
        code = body + identifiers.credit_code_check_character(body)
        assert identifiers.validate_credit_code(code) == code

    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("91350100M000100Y44", "校验位错误：最后一位应为3"),
            ("91350100M000100Y4", "应为18位"),
            ("91350100M000100I43", "不允许的字符：I"),
            ("9135010OM000100Y43", "不允许的字符：O"),
            ("913501A0M000100Y43", "第3至8位"),
        ],
    )
    def test_bad_credit_codes_say_what_is_wrong(self, code, message):
        with pytest.raises(ValidationError) as error:
            identifiers.validate_credit_code(code)
        assert message in error.value.messages[0]

    @pytest.mark.parametrize(
        "phone", ["13812341234", "+86 138 1234 1234", "010-65123456", "01065123456"]
    )
    def test_phones(self, phone):
        assert identifiers.validate_phone(phone)

    @pytest.mark.parametrize("phone", ["1381234123", "23812341234", "138-1234-12345", "abc"])
    def test_malformed_phones(self, phone):
        with pytest.raises(ValidationError):
            identifiers.validate_phone(phone)

    def test_masking(self):
        assert identifiers.mask_phone("13812341234") == "138****1234"
        assert identifiers.mask_phone("010-65123456") == "010-****3456"


@pytest.mark.django_db
class TestUnits:
    def test_create_joins_the_committee(self, world):
        unit = f.unit(world.street, name="解放军总医院", kind=UnitKind.HOSPITAL)
        assert [m.committee for m in unit.memberships.all()] == [world.street]

    def test_bad_input_names_every_field_and_saves_nothing(self, world):
        data = services.UnitData(
            name="",
            kind="bank",
            credit_code="91350100M000100Y44",
            contact_phone="12345",
            party_member_count="-3",
        )
        with pytest.raises(ValidationError) as error:
            services.member_unit_create(actor=world.street_staff, committee=world.street, data=data)
        assert set(error.value.message_dict) == {
            "name",
            "kind",
            "credit_code",
            "contact_phone",
            "party_member_count",
        }
        assert not MemberUnit.objects.exists()

    def test_duplicate_code_in_the_same_tenant_is_rejected_but_fine_in_another(self, world):
        code = f.credit_code()
        f.unit(world.street, name="美团", credit_code=code)
        with pytest.raises(ValidationError) as error:
            f.unit(world.sibling_street, name="美团二", credit_code=code.lower())
        assert "已由“美团”登记" in error.value.message_dict["credit_code"][0]
        assert MemberUnit.objects.count() == 1
        f.unit(world.other_street, name="美团上海", credit_code=code)
        assert MemberUnit.objects.count() == 2

    def test_military_units_may_have_no_credit_code(self, world):
        assert f.unit(world.street, kind=UnitKind.MILITARY, credit_code="").credit_code == ""
        with pytest.raises(ValidationError):
            f.unit(world.street, kind=UnitKind.PRIVATE, credit_code="")

    def test_a_contact_changes_only_their_fields(self, world):
        from django.core.exceptions import PermissionDenied

        unit = f.unit(world.street, name="顺丰速运")
        contact = f.contact_for(unit)
        theirs = services.UnitData.of(unit)
        theirs.contact_name, theirs.contact_phone = "李四", "13900001111"
        services.member_unit_update(actor=contact, unit=unit, data=theirs)
        unit.refresh_from_db()
        assert (unit.name, unit.kind, unit.contact_name, unit.contact_phone) == (
            "顺丰速运",
            UnitKind.PRIVATE,
            "李四",
            "13900001111",
        )
        # The rest is the staff's: a contact changing it is refused by name, and nothing changes.
        data = services.UnitData(
            name="改名",
            kind=UnitKind.OTHER,
            credit_code=unit.credit_code,
            contact_name="王五",
            contact_phone="13900001111",
        )
        with pytest.raises(ValidationError) as error:
            services.member_unit_update(actor=contact, unit=unit, data=data)
        assert error.value.message_dict == {
            "kind": ["单位联络员不能修改此项。"],
            "name": ["单位联络员不能修改此项。"],
        }
        unit.refresh_from_db()
        assert (unit.name, unit.kind, unit.contact_name) == ("顺丰速运", UnitKind.PRIVATE, "李四")
        with pytest.raises(PermissionDenied):
            services.member_unit_update(
                actor=world.district_leader, unit=unit, data=services.UnitData.of(unit)
            )

    def test_visibility_follows_location_membership_and_contact(self, world):
        from members.models import Role

        from ..factories import UserFactory

        unit = f.unit(world.community, name="饿了么")
        elsewhere = f.unit(world.sibling_community, name="华熙LIVE")
        services.membership_add(unit=elsewhere, committee=world.street)
        contact = UserFactory(tenant=world.city.tenant)
        account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=unit)
        assert set(MemberUnit.objects.visible_to(world.street_staff)) == {unit, elsewhere}
        assert set(MemberUnit.objects.visible_to(world.sibling_staff)) == {elsewhere}
        assert set(MemberUnit.objects.visible_to(contact)) == {unit}
        assert not MemberUnit.objects.visible_to(world.other_admin).exists()


@pytest.mark.django_db
class TestStructure:
    def test_rotation_advances_by_itself(self, world):
        units = [f.unit(world.street, name=n) for n in ("公交集团保修三厂", "市审计局", "国科大")]
        sub = services.subcommittee_create(
            committee=world.street, field=SubcommitteeField.LIVELIHOOD
        )
        services.rotation_set(
            subcommittee=sub,
            start=dt.date(2026, 1, 1),
            months=3,
            chairs=[(units[0], "王昆"), (units[1], "李华"), (units[2], "何裕建")],
        )
        slots = list(sub.rotation.select_related("unit"))
        chair = lambda day: selectors.current_chair(sub, slots, day)  # noqa: E731
        assert chair(dt.date(2025, 12, 31)) is None
        assert chair(dt.date(2026, 1, 1)).slot.chair_name == "王昆"
        assert chair(dt.date(2026, 3, 31)).slot.chair_name == "王昆"
        april = chair(dt.date(2026, 4, 1))
        assert (april.slot.chair_name, april.since, april.until) == (
            "李华",
            dt.date(2026, 4, 1),
            dt.date(2026, 6, 30),
        )
        assert chair(dt.date(2026, 11, 22)).slot.chair_name == "王昆"  # the fourth term starts over

    def test_rotation_needs_member_units(self, world):
        outsider = f.unit(world.sibling_street)
        member = f.unit(world.street)
        sub = services.subcommittee_create(committee=world.street, field=SubcommitteeField.SAFETY)
        with pytest.raises(ValidationError) as error:
            services.rotation_set(
                subcommittee=sub,
                start=dt.date(2026, 1, 1),
                months=3,
                chairs=[(member, "甲"), (outsider, "乙")],
            )
        assert "不是该协调委员会的成员单位" in error.value.message_dict["chairs"][0]
        assert not sub.rotation.exists()

    def test_a_cross_region_alliance_is_visible_to_each_committee_it_spans(self, world):
        alliance = services.alliance_create(
            home_committee=world.street,
            name="滨江党建联盟",
            kind=AllianceKind.CROSS_REGION,
            committees=[world.sibling_street],
        )
        assert list(Alliance.objects.visible_to(world.street_staff)) == [alliance]
        assert list(Alliance.objects.visible_to(world.sibling_staff)) == [alliance]
        assert not Alliance.objects.visible_to(world.community_staff).exists()
        assert not Alliance.objects.visible_to(world.other_admin).exists()

    def test_a_seat_term_cannot_end_before_it_starts(self, world):
        with pytest.raises(ValidationError) as error:
            services.seat_create(
                committee=world.street,
                role="director",
                person_name="张书记",
                term_start=dt.date(2026, 1, 1),
                term_end=dt.date(2025, 1, 1),
            )
        assert "term_end" in error.value.message_dict


@pytest.mark.django_db
class TestDualRegistration:
    def test_a_member_registers_and_staff_confirm(self, world):
        member = f.party_member(world.community, confirmed=False)
        assert member.registration_status == RegistrationStatus.PENDING
        registration = Registration.objects.get(member=member)
        assert list(Registration.objects.visible_to(world.street_staff)) == [registration]
        party_services.registration_decide(
            registration=registration, actor=world.community_staff, confirm=True
        )
        member.refresh_from_db()
        assert member.registration_status == RegistrationStatus.CONFIRMED
        roster = party_selectors.committee_roster(
            user=world.community_staff, community=world.community
        )
        assert [r.member for r in roster["members"]] == [member]

    def test_registering_in_another_tenants_community_is_rejected(self, world):
        shanghai_community = CommitteeFactory(
            parent=world.other_street,
            name="某社区",
            level=Level.COMMUNITY,
            division_code="310101002001",
        )
        with pytest.raises(ValidationError) as error:
            party_services.member_self_register(
                tenant=world.city.tenant,
                username="zhang",
                password="Dangyuan@2026",
                name="张三",
                phone="13812345678",
                community=shanghai_community,
            )
        assert "不属于北京市" in error.value.message_dict["community"][0]
        assert not User.objects.filter(username="zhang").exists()
        assert not PartyMember.objects.exists()

    def test_a_street_is_not_a_community(self, world):
        with pytest.raises(ValidationError) as error:
            f.party_member(world.street)
        assert "不是可报到的社区" in error.value.message_dict["community"][0]

    def test_rejecting_needs_a_reason(self, world):
        member = f.party_member(world.community, confirmed=False)
        registration = member.registrations.get()
        with pytest.raises(ValidationError):
            party_services.registration_decide(
                registration=registration, actor=world.community_staff, confirm=False
            )
        party_services.registration_decide(
            registration=registration,
            actor=world.community_staff,
            confirm=False,
            reason="不在本社区居住",
        )
        member.refresh_from_db()
        assert member.registration_status == RegistrationStatus.REJECTED

    def test_a_unit_registers_with_a_community_where_it_stands(self, world):
        unit = f.unit(world.street)
        with pytest.raises(ValidationError) as error:
            party_services.unit_registration_request(unit=unit, community=world.sibling_community)
        assert "辖内的社区报到" in error.value.message_dict["community"][0]
        registration = party_services.unit_registration_request(
            unit=unit, community=world.community
        )
        assert registration.status == RegistrationStatus.PENDING


@pytest.mark.django_db
class TestServiceAndPoints:
    def test_a_members_log_waits_for_verification_and_then_earns_points_once(self, world):
        member = f.party_member(world.community)
        record = f.service(member, actor=member.user, hours="2.5")
        assert record.status == RecordStatus.PENDING
        assert not PointsEntry.objects.exists()
        party_services.service_record_verify(record=record, actor=world.community_staff)
        member.refresh_from_db()
        assert member.points == Decimal("25.0")
        with pytest.raises(ValidationError):
            party_services.service_record_verify(record=record, actor=world.community_staff)
        party_services.points_award(record=record)  # a repeated award changes nothing
        member.refresh_from_db()
        assert member.points == Decimal("25.0")
        assert PointsEntry.objects.count() == 1

    def test_whoever_records_it_certifies_it(self, world):
        member = f.party_member(world.community)
        record = f.service(member, actor=world.community_staff, hours="3", certified=True)
        assert (
            record.status == RecordStatus.VERIFIED and record.verified_by == world.community_staff
        )
        member.refresh_from_db()
        assert member.points == Decimal("30.0")

    @pytest.mark.parametrize(
        ("hours", "days_ago", "field", "message"),
        [
            ("25", 1, "hours", "不能超过24小时"),
            ("0", 1, "hours", "应大于0"),
            ("-1", 1, "hours", "应大于0"),
            ("abc", 1, "hours", "应为数字"),
            ("2", -1, "served_on", "不能晚于今天"),
        ],
    )
    def test_bad_service_input(self, world, hours, days_ago, field, message):
        member = f.party_member(world.community)
        with pytest.raises(ValidationError) as error:
            f.service(member, actor=member.user, hours=hours, days_ago=days_ago)
        assert message in error.value.message_dict[field][0]
        assert not ServiceRecord.objects.exists()

    def test_a_day_holds_at_most_24_hours(self, world):
        member = f.party_member(world.community)
        f.service(member, actor=member.user, hours="20")
        with pytest.raises(ValidationError) as error:
            f.service(member, actor=member.user, hours="5")
        assert "超过一天24小时" in error.value.message_dict["hours"][0]
        assert ServiceRecord.objects.count() == 1

    def test_points_follow_the_tenant_rule_and_rankings(self, world):
        from party_members.models import PointsRule

        PointsRule.objects.create(tenant=world.city.tenant, points_per_hour=5, max_hours_per_day=4)
        a = f.party_member(world.community, name="甲")
        b = f.party_member(world.community2, name="乙")
        c = f.party_member(world.sibling_community, name="丙")
        f.service(a, world.street_staff, hours="6", certified=True)  # capped at 4 hours → 20
        f.service(b, world.street_staff, hours="3", certified=True)  # 15
        f.service(b, world.street_staff, hours="2", days_ago=2, certified=True)  # 10
        f.service(c, world.sibling_staff, hours="8", certified=True)
        quarter = party_services.quarter_of(timezone.localdate() - dt.timedelta(days=1))
        ranking = party_selectors.points_ranking(
            user=world.district_leader, committee=world.street, quarter=quarter
        )
        assert [(r["name"], r["points"]) for r in ranking] == [
            ("乙", Decimal("25.0")),
            ("甲", Decimal("20.0")),
        ]
        assert (
            party_selectors.points_ranking(
                user=world.sibling_staff, committee=world.street, quarter=quarter
            )
            == []
        )


@pytest.mark.django_db
def test_a_member_sees_the_teams_of_their_confirmed_community_only(world):
    from party_members.models import ServiceTeam

    here = party_services.team_create(
        community=world.community, name="心愿认领队", kind="wish_claiming"
    )
    party_services.team_create(community=world.community2, name="先锋队", kind="vanguard")
    pending = f.party_member(world.community, confirmed=False)
    assert not ServiceTeam.objects.visible_to(pending.user).exists()
    confirmed = f.party_member(world.community)
    assert list(ServiceTeam.objects.visible_to(confirmed.user)) == [here]
    assert not ServiceTeam.objects.visible_to(confirmed.user, "change").exists()


@pytest.mark.django_db
def test_an_uploader_sees_their_own_import_batches_and_nobody_elses(world):
    from django.core.files.base import ContentFile

    from core.models import ImportBatch
    from members.models import Role

    from ..factories import UserFactory

    contact = UserFactory(tenant=world.city.tenant)
    account_services.role_grant(
        user=contact, role=Role.UNIT_CONTACT, member_unit=f.unit(world.street)
    )
    batch = ImportBatch(
        tenant=world.city.tenant,
        kind="resources",
        committee=world.street,
        uploaded_by=contact,
        original_name="a.xlsx",
        status="rejected",
    )
    batch.file.save("a.xlsx", ContentFile(b"x"), save=True)
    assert list(ImportBatch.objects.visible_to(contact)) == [batch]
    assert list(ImportBatch.objects.visible_to(world.street_staff)) == [batch]
    assert not ImportBatch.objects.visible_to(world.sibling_staff).exists()
    assert not ImportBatch.objects.visible_to(world.other_admin).exists()
