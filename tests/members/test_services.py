"""Members services: identifiers, units, structure, dual registration, service and points.
Bad input is rejected with a field-specific message and saves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts import services as account_services
from core import identifiers
from members import selectors, services
from members.models import Alliance, AllianceKind, MemberUnit, SubcommitteeField, UnitKind

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
