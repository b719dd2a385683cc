"""People are told what happened to them: community staff when a registration arrives, a
party member when it is confirmed or sent back and when their service is verified."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from party_members import services
from party_members.models import RegistrationStatus

from .factories import party_member, service

pytestmark = pytest.mark.django_db


def test_staff_hear_of_a_registration_and_the_member_of_the_decision(world):
    member = party_member(world.community, confirmed=False)
    arrived = Notification.objects.get(recipient=world.community_staff, event="registration")
    assert member.name in arrived.title and "已转至" not in arrived.body
    registration = member.registrations.get(status=RegistrationStatus.PENDING)
    services.registration_decide(
        registration=registration, actor=world.community_staff, confirm=False, reason="住址不符"
    )
    told = Notification.objects.get(recipient=member.user, event="registration")
    assert "被退回" in told.title and "住址不符" in told.body


def test_a_registration_at_a_community_without_staff_reaches_the_street(world):
    party_member(world.community2, confirmed=False)
    arrived = Notification.objects.get(recipient=world.street_staff, event="registration")
    assert "银闸社区尚无工作人员账号，已转至上级东华门街道" in arrived.body


def test_member_hears_of_confirmation_and_verified_service(world):
    member = party_member(world.community, actor=world.community_staff)
    assert "已确认" in Notification.objects.get(recipient=member.user).title
    record = service(member, member.user)
    services.service_record_verify(record=record, actor=world.community_staff)
    verified = Notification.objects.filter(recipient=member.user, title__contains="已核实")
    assert verified.count() == 1
