from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from committees.models import Level

from ..factories import CommitteeFactory


@pytest.mark.django_db
class TestCommitteeApi:
    def test_filters(self, world, client_for):
        client = client_for(world.tenant_admin)

        def names(**params):
            return {row["name"] for row in client.get("/api/committees/", params).json()["results"]}

        assert names(level="street") == {"东华门街道", "景山街道"}
        assert names(level=["street", "district"]) == {"东城区", "东华门街道", "景山街道"}
        assert names(parent=world.street.pk) == {"多福巷社区", "银闸社区"}
        assert names(code="110101002") == {"景山街道", "黄化门社区"}
        assert names(name="社区") == {"多福巷社区", "银闸社区", "黄化门社区"}

    def test_bad_filter_value_is_a_field_error(self, world, client_for):
        response = client_for(world.tenant_admin).get("/api/committees/", {"level": "province"})
        assert response.status_code == 400
        assert "level" in response.json()

    def test_detail_and_subtree(self, world, client_for):
        client = client_for(world.street_staff)
        detail = client.get(reverse("committee-detail", args=[world.street.pk])).json()
        assert detail["division_code"] == "110101001000"
        assert detail["subtree_size"] == 2
        subtree = client.get(reverse("committee-subtree", args=[world.street.pk])).json()
        assert [row["name"] for row in subtree["results"]] == [
            "东华门街道",
            "多福巷社区",
            "银闸社区",
        ]

    def test_list_takes_the_same_queries_whatever_its_size(
        self, world, client_for, django_assert_num_queries
    ):
        client = client_for(world.tenant_admin)
        client.get("/api/committees/")
        with django_assert_num_queries(5) as few:
            client.get("/api/committees/")
        for i in range(20):
            CommitteeFactory(
                parent=world.street,
                name=f"社区{i}",
                level=Level.COMMUNITY,
                division_code=f"1101010011{i + 10}",
            )
        with django_assert_num_queries(len(few.captured_queries)):
            client.get("/api/committees/")

    def test_token_auth_for_programs(self, world, client):
        token = Token.objects.create(user=world.street_staff)
        response = client.get("/api/committees/", HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 200
        assert {row["name"] for row in response.json()["results"]} == {
            "东华门街道",
            "多福巷社区",
            "银闸社区",
        }

    def test_token_is_issued_for_username_and_password(self, world, client):
        from ..factories import TEST_PASSWORD

        response = client.post("/api/token/", {"username": "dhm_staff", "password": TEST_PASSWORD})
        assert response.status_code == 200 and response.json()["token"]

    def test_schema_and_docs_are_served_locally(self, world, client_for):
        client = client_for(world.street_staff)
        schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert schema.status_code == 200
        assert "/api/committees/{id}/subtree/" in schema.json()["paths"]
        docs = client.get("/api/docs/").content.decode()
        assert "swagger-ui" in docs
        assert "https://" not in docs and "http://" not in docs
