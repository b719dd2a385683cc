"""Party members' services: the dual registration, service and points, teams; each refuses
the wrong actor with nothing changed, and bad input with a field-specific message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from committees.models import Level
from members.models import User
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

from ..demands.factories import contact_of
from ..factories import CommitteeFactory
from ..members import factories as mf
from . import factories as f


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
        unit = mf.unit(world.street)
        contact = contact_of(unit)
        with pytest.raises(ValidationError) as error:
            party_services.unit_registration_request(
                actor=contact, unit=unit, community=world.sibling_community
            )
        assert "辖内的社区报到" in error.value.message_dict["community"][0]
        registration = party_services.unit_registration_request(
            actor=contact, unit=unit, community=world.community
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

    # The ranking is per quarter and the services below happen one and two days ago: pinned to
    # the middle of a quarter, so the second day of a quarter cannot split them.
    @time_machine.travel(dt.datetime(2026, 11, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
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
        actor=world.community_staff,
        community=world.community,
        name="心愿认领队",
        kind="wish_claiming",
    )
    party_services.team_create(
        actor=world.street_staff, community=world.community2, name="先锋队", kind="vanguard"
    )
    pending = f.party_member(world.community, confirmed=False)
    assert not ServiceTeam.objects.visible_to(pending.user).exists()
    confirmed = f.party_member(world.community)
    assert list(ServiceTeam.objects.visible_to(confirmed.user)) == [here]
    assert not ServiceTeam.objects.visible_to(confirmed.user, "change").exists()
