"""The party members' rules, asked of the services themselves: each write called by the wrong
actor is refused with a reason and changes nothing; a write that would leave its object outside
the writer's scope rolls back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from party_members import policies
from party_members import services as party_services
from party_members.models import (
    PartyMember,
    PointsEntry,
    RecordStatus,
    Registration,
    RegistrationStatus,
    ServiceRecord,
    ServiceTeam,
)

from ..demands.factories import contact_of
from ..members import factories as mf
from . import factories as f

pytestmark = pytest.mark.django_db


def state():
    return (
        list(Registration.objects.order_by("pk").values_list("pk", "status", "community_id")),
        list(ServiceRecord.objects.order_by("pk").values_list("pk", "status")),
        list(PartyMember.objects.order_by("pk").values_list("pk", "points", "registration_status")),
        PointsEntry.objects.count(),
        list(ServiceTeam.objects.order_by("pk").values_list("pk", "name")),
        list(ServiceTeam.members.through.objects.order_by("pk").values_list("pk")),
    )


def refused(call) -> str:
    before = state()
    with pytest.raises(PermissionDenied) as error:
        call()
    assert state() == before
    return str(error.value)


def data(hours="2"):
    return party_services.ServiceData(
        served_on=timezone.localdate() - dt.timedelta(days=1),
        hours=hours,
        kind="volunteer",
        description="楼道清扫",
    )


@pytest.fixture
def people(world):
    return {
        "pending": f.party_member(world.community, confirmed=False, name="王芳"),
        "member": f.party_member(world.community, name="李强"),
        "neighbour": f.party_member(world.community, name="赵敏"),
    }


def test_only_staff_of_the_community_decide_a_registration(world, people):
    registration = people["pending"].registrations.get()
    for actor in (
        world.sibling_staff,
        world.district_leader,
        world.other_admin,
        people["pending"].user,
        people["member"].user,
    ):
        assert "报到社区的工作人员" in refused(
            lambda actor=actor: party_services.registration_decide(
                registration=registration, actor=actor, confirm=True
            )
        )
    party_services.registration_decide(
        registration=registration, actor=world.street_staff, confirm=True
    )
    assert PartyMember.objects.get(pk=people["pending"].pk).registration_status == "confirmed"


def test_staff_record_service_only_where_they_work(world, people):
    member = people["member"]
    for actor in (world.sibling_staff, world.district_leader, member.user):
        assert "服务所在社区的工作人员" in refused(
            lambda actor=actor: party_services.service_record_log(
                actor=actor, community=world.community, member=member, data=data(), certified=True
            )
        )


def test_a_member_logs_their_own_service_once_confirmed(world, people):
    member = people["member"]
    for actor in (people["neighbour"].user, world.community_staff):
        assert "本人" in refused(
            lambda actor=actor: party_services.service_record_log(
                actor=actor, community=world.community, member=member, data=data()
            )
        )
    pending = people["pending"]
    before = state()
    with pytest.raises(ValidationError) as error:
        party_services.service_record_log(
            actor=pending.user, community=world.community, member=pending, data=data()
        )
    assert "报到经社区确认后才能记录服务" in error.value.messages[0]
    assert state() == before
    record = party_services.service_record_log(
        actor=member.user, community=world.community, member=member, data=data()
    )
    assert record.status == RecordStatus.PENDING


def test_only_staff_where_the_service_was_done_verify_or_reject_it(world, people):
    member = people["member"]
    record = f.service(member, actor=member.user)
    for actor in (world.sibling_staff, world.district_leader, member.user, world.other_admin):
        for decide in (party_services.service_record_verify, party_services.service_record_reject):
            refused(lambda actor=actor, decide=decide: decide(record=record, actor=actor))
    party_services.service_record_verify(record=record, actor=world.community_staff)
    assert PointsEntry.objects.filter(record=record).exists()


def test_teams_are_founded_by_staff_and_joined_by_members_themselves(world, people):
    for actor in (world.sibling_staff, world.district_leader, people["member"].user):
        assert "社区工作人员" in refused(
            lambda actor=actor: party_services.team_create(
                actor=actor, community=world.community, name="先锋队", kind="vanguard"
            )
        )
    team = party_services.team_create(
        actor=world.community_staff, community=world.community, name="先锋队", kind="vanguard"
    )
    for actor in (world.community_staff, world.district_leader):
        assert "只有在职党员" in refused(
            lambda actor=actor: party_services.team_join(actor=actor, team=team)
        )
    party_services.team_join(actor=people["member"].user, team=team)
    assert list(team.members.all()) == [people["member"]]


def test_a_units_registration_is_asked_by_its_contact_or_the_communitys_staff(world):
    unit = mf.unit(world.street, name="国网东城供电公司")
    other_contact = contact_of(mf.unit(world.street, name="另一家单位"))
    for actor in (other_contact, world.sibling_staff, world.district_leader):
        assert "联络员或社区工作人员" in refused(
            lambda actor=actor: party_services.unit_registration_request(
                actor=actor, unit=unit, community=world.community
            )
        )
    registration = party_services.unit_registration_request(
        actor=world.community_staff, unit=unit, community=world.community
    )
    assert registration.status == RegistrationStatus.PENDING


def test_only_a_member_moves_their_registration(world, people):
    refused(
        lambda: party_services.member_registration_request(
            actor=world.street_staff, community=world.community2
        )
    )
    party_services.member_registration_request(
        actor=people["member"].user, community=world.community2
    )
    member = PartyMember.objects.get(pk=people["member"].pk)
    assert (member.community, member.registration_status) == (world.community2, "pending")


def test_a_verification_out_of_scope_rolls_back_with_its_points(world, people, monkeypatch):
    """A policy that let the wrong staff through by mistake: the after-write check refuses the
    verification, and the points it credited go with it."""
    record = f.service(people["member"], actor=people["member"].user)
    monkeypatch.setattr(policies, "require_staff_of", lambda user, community, message: None)
    refused(lambda: party_services.service_record_verify(record=record, actor=world.sibling_staff))
    assert ServiceRecord.objects.get(pk=record.pk).status == RecordStatus.PENDING
    assert PartyMember.objects.get(pk=people["member"].pk).points == 0
