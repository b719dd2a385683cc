"""Party members' pages through the Django test client: joining, confirming, logging and
verifying service, points and the certificate, the ranking, the member list's filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import User
from party_members.models import PartyMember, RecordStatus, RegistrationStatus, ServiceRecord

from . import factories as f


@pytest.mark.django_db
class TestRegistrationJourney:
    def join(self, client, world, **overrides):
        data = {
            "tenant": world.city.tenant.pk,
            "name": "刘洋",
            "phone": "13811112222",
            "employer_name": "市审计局",
            "community": "多福巷社区",
            "username": "liuyang",
            "password": "Dangyuan@2026",
        }
        return client.post(reverse("party_members:join"), {**data, **overrides})

    def test_join_confirm_log_verify_points_certificate(self, world, client, client_for):
        response = self.join(client, world)
        assert response.status_code == 302 and response.url == reverse("party_members:me")
        member = PartyMember.objects.get(name="刘洋")
        assert (member.community, member.registration_status) == (
            world.community,
            RegistrationStatus.PENDING,
        )
        me = client.get(reverse("party_members:me")).content.decode()
        assert "待确认" in me and "报到经社区确认后即可记录服务" in me

        staff = client_for(world.community_staff)
        roster = staff.get(
            reverse("party_members:roster", args=[world.community.pk])
        ).content.decode()
        assert "刘洋" in roster
        registration = member.registrations.get()
        staff.post(reverse("party_members:registration_confirm", args=[registration.pk]))

        client.force_login(member.user)
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        response = client.post(
            reverse("party_members:me"),
            {
                "served_on": yesterday,
                "hours": "2",
                "kind": "environment",
                "description": "胡同周末大扫除",
                "location": "多福巷",
            },
        )
        assert response.status_code == 302
        record = ServiceRecord.objects.get(member=member)
        assert record.status == RecordStatus.PENDING

        staff = client_for(world.community_staff)
        assert (
            "胡同周末大扫除"
            in staff.get(reverse("party_members:pending_services")).content.decode()
        )
        staff.post(reverse("party_members:service_verify", args=[record.pk]))
        member.refresh_from_db()
        assert member.points == 20

        client.force_login(member.user)
        pdf = client.get(reverse("party_members:certificate"))
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    def test_a_bad_phone_and_another_citys_community(self, world, client):
        response = self.join(client, world, phone="1381111222", community="310101002001")
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "不是有效的电话号码" in errors["phone"][0]
        assert "找不到" in errors["community"][0] or "不属于北京市" in errors["community"][0]
        assert not User.objects.filter(username="liuyang").exists()

    def test_a_weak_password_is_refused(self, world, client):
        response = self.join(client, world, password="123456")
        assert response.status_code == 400 and response.context["form"].errors["password"]
        assert not PartyMember.objects.exists()

    def test_hours_over_24_are_refused_on_the_form(self, world, client_for):
        member = f.party_member(world.community)
        response = client_for(member.user).post(
            reverse("party_members:me"),
            {
                "served_on": timezone.localdate(),
                "hours": "25",
                "kind": "other",
                "description": "值守",
            },
        )
        assert response.status_code == 400
        assert response.context["form"].errors["hours"]
        assert not ServiceRecord.objects.exists()


@pytest.mark.django_db
class TestRanking:
    def test_ranking_page(self, world, client_for):
        member = f.party_member(world.community, name="赵敏")
        f.service(member, world.community_staff, hours="2", days_ago=0, certified=True)
        response = client_for(world.district_leader).get(
            reverse("party_members:ranking"), {"committee": world.street.pk}
        )
        assert [row["name"] for row in response.context["ranking"]] == ["赵敏"]
