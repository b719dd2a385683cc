"""Party members' pages through the Django test client: joining, confirming, logging and
verifying service, points and the certificate, the ranking, the member list's filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from members.models import Role, RoleGrant, User
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
        page = staff.get(reverse("party_members:pending_services"))
        html = page.content.decode()
        assert "胡同周末大扫除（多福巷）" in html and "2小时" in html
        token = page.context["csrf_token"]
        for name in ("service_verify", "service_reject"):
            action = reverse(f"party_members:{name}", args=[record.pk])
            assert (
                f'<form method="post" action="{action}"><input type="hidden" '
                f'name="csrfmiddlewaretoken" value="{token}">' in html
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


@pytest.mark.django_db
class TestLists:
    @pytest.fixture
    def members(self, world):
        return [
            f.party_member(world.community, name="李强"),
            f.party_member(world.community2, name="赵敏"),
            f.party_member(world.community, name="王芳", confirmed=False),
            f.party_member(world.sibling_community, name="景山党员"),
        ]

    def page_names(self, client, params):
        response = client.get(reverse("party_members:party_member_list"), params)
        assert response.status_code == 200
        return sorted(row["name"] for row in response.context["rows"])

    def api_names(self, client, params):
        response = client.get("/api/party-members/", params)
        assert response.status_code == 200, response.json()
        return sorted(row["name"] for row in response.json()["results"])

    def test_the_page_and_the_api_filter_alike(self, world, client_for, members):
        client = client_for(world.street_staff)
        for params in (
            {},
            {"registration_status": "pending"},
            {"registration_status": "confirmed", "community": world.community.pk},
            {"community": world.street.pk},  # the street's communities
            {"community": world.sibling_street.pk},  # not the user's: nobody
        ):
            assert self.page_names(client, params) == self.api_names(client, params), params
        assert self.page_names(client, {"community": world.street.pk}) == ["李强", "王芳", "赵敏"]
        assert self.page_names(client, {"community": world.sibling_street.pk}) == []
        # Not understood: dropped on the page, a 400 from the API.
        assert self.page_names(client, {"registration_status": "bogus"}) == ["李强", "王芳", "赵敏"]
        assert client.get("/api/party-members/", {"registration_status": "x"}).status_code == 400

    def test_the_api_rows_mask_phones_and_page_by_cursor(self, world, client_for, members):
        client = client_for(world.street_staff)
        li = members[0]
        first = client.get("/api/party-members/", {"page_size": 1}).json()
        assert first["results"] == [
            {
                "id": li.pk,
                "name": "李强",
                "phone": f"{li.phone[:3]}****{li.phone[-4:]}",
                "employer_name": li.employer_name,
                "community": world.community.pk,
                "registration_status": "confirmed",
                "points": "0.0",
            }
        ]
        rest = client.get(first["next"]).json()
        assert [r["name"] for r in rest["results"]] == ["赵敏"]
        assert sorted(r["name"] for r in client.get(rest["next"]).json()["results"]) == ["王芳"]
        # The record itself shows the phone masked too.
        assert (
            client.get(f"/api/party-members/{li.pk}/").json()["phone"]
            == first["results"][0]["phone"]
        )

    def test_the_page_is_in_tree_order_without_the_readers_own_record(
        self, world, client_for, members
    ):
        reader = f.party_member(world.community2, name="阿明")
        RoleGrant.objects.create(
            user=reader.user, tenant=world.street.tenant, role=Role.STAFF, committee=world.street
        )
        response = client_for(reader.user).get(reverse("party_members:party_member_list"))
        rows = response.context["rows"]
        assert world.community.lft < world.community2.lft
        # The communities in tree order, each one's members by name.
        assert [(r["community_name"], r["name"]) for r in rows] == [
            (world.community.name, "李强"),
            (world.community.name, "王芳"),
            (world.community2.name, "赵敏"),
        ]
        assert response.context["page"].paginator.count == 3
        # The reader still finds their own record through the API (their own-record scope).
        api = client_for(reader.user).get("/api/party-members/").json()
        assert "阿明" in [row["name"] for row in api["results"]]

    def test_service_records_filter_by_place_below_it(self, world, client_for, members):
        f.service(members[0], actor=members[0].user)
        f.service(members[1], actor=world.street_staff, certified=True)
        client = client_for(world.street_staff)

        def rows(**params):
            return [
                r["member"] for r in client.get("/api/service-records/", params).json()["results"]
            ]

        assert sorted(rows(community=world.street.pk)) == sorted([members[0].pk, members[1].pk])
        assert rows(community=world.community2.pk) == [members[1].pk]
        assert rows(status="pending") == [members[0].pk]

    @pytest.mark.parametrize(
        "url",
        [
            reverse_lazy("party_members:party_member_list"),
            reverse_lazy("party_members:pending_services"),
            "/api/party-members/",
            "/api/service-records/",
        ],
    )
    def test_lists_take_the_same_queries_for_few_or_many(self, world, client_for, url):
        client = client_for(world.street_staff)
        params = {"community": world.street.pk} if "api" in str(url) else {}

        def grow(n):
            for _i in range(n):
                member = f.party_member(world.community2)
                f.service(member, actor=member.user)

        grow(2)
        client.get(url, params)
        with CaptureQueriesContext(connection) as few:
            client.get(url, params)
        grow(8)
        with CaptureQueriesContext(connection) as many:
            assert client.get(url, params).status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)
