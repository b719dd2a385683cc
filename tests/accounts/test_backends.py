"""The signed-in user is read back with their tenant, which every page's header names."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_a_page_reads_the_tenant_with_the_user_not_on_its_own(world, client):
    client.force_login(world.street_staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/profile/")
    assert response.status_code == 200
    assert world.street_staff.tenant.name in response.content.decode()
    statements = [q["sql"] for q in queries.captured_queries]
    user_reads = [sql for sql in statements if 'FROM "members_user"' in sql]
    assert user_reads and 'JOIN "committees_tenant"' in user_reads[0]
    assert not [sql for sql in statements if sql.startswith('SELECT "committees_tenant"')]


def test_an_inactive_user_is_not_read_back(world, client):
    client.force_login(world.street_staff)
    type(world.street_staff).objects.filter(pk=world.street_staff.pk).update(is_active=False)
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
