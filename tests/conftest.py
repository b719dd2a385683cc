"""Personas over a small real-shaped tree, shared by every test module.

Tenant A (北京市): 东城区 with two streets, 东华门街道 (two communities) and 景山街道 (one).
Tenant B (上海市): 黄浦区 with one street. The personas are the ones every page and endpoint is
tested against: street staff, a sibling street's staff, the district's leader, the tenant
administrator, and an administrator of the other tenant.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import time_machine

from committees.models import Committee, Level
from members.models import Role, User

from .factories import CommitteeFactory, TenantFactory, user_with_role


@pytest.fixture(autouse=True, scope="session")
def moved_clock():
    """`TEST_CLOCK=2026-12-01T17:00:00Z make test` runs the whole suite with the clock moved there
    (and ticking on), to show that no test depends on the hour or the date it runs at: 17:00 UTC
    is already the next day in Beijing, and the second day of a quarter splits "yesterday" from
    "two days ago". `make test-clock` runs both. Worker processes keep the real clock."""
    when = os.environ.get("TEST_CLOCK")
    if not when:
        yield None
        return
    with time_machine.travel(when, tick=True) as traveller:
        yield traveller


@dataclass
class World:
    city: Committee
    district: Committee
    street: Committee
    community: Committee
    community2: Committee
    sibling_street: Committee
    sibling_community: Committee
    other_city: Committee
    other_street: Committee
    tenant_admin: User
    district_leader: User
    street_staff: User
    sibling_staff: User
    community_staff: User
    other_admin: User


def build_world() -> World:
    beijing = TenantFactory(name="北京市", slug="bj", division_code="110000000000")
    city = beijing.committees.get(parent__isnull=True)
    district = CommitteeFactory(
        parent=city, name="东城区", level=Level.DISTRICT, division_code="110101000000"
    )
    street = CommitteeFactory(
        parent=district, name="东华门街道", level=Level.STREET, division_code="110101001000"
    )
    community = CommitteeFactory(
        parent=street, name="多福巷社区", level=Level.COMMUNITY, division_code="110101001001"
    )
    community2 = CommitteeFactory(
        parent=street, name="银闸社区", level=Level.COMMUNITY, division_code="110101001002"
    )
    sibling_street = CommitteeFactory(
        parent=district, name="景山街道", level=Level.STREET, division_code="110101002000"
    )
    sibling_community = CommitteeFactory(
        parent=sibling_street,
        name="黄化门社区",
        level=Level.COMMUNITY,
        division_code="110101002001",
    )
    shanghai = TenantFactory(name="上海市", slug="sh", division_code="310000000000")
    other_city = shanghai.committees.get(parent__isnull=True)
    other_district = CommitteeFactory(
        parent=other_city, name="黄浦区", level=Level.DISTRICT, division_code="310101000000"
    )
    other_street = CommitteeFactory(
        parent=other_district, name="南京东路街道", level=Level.STREET, division_code="310101002000"
    )
    city.refresh_from_db()
    district.refresh_from_db()
    street.refresh_from_db()
    return World(
        city=city,
        district=district,
        street=street,
        community=community,
        community2=community2,
        sibling_street=sibling_street,
        sibling_community=sibling_community,
        other_city=other_city,
        other_street=other_street,
        tenant_admin=user_with_role(Role.TENANT_ADMIN, city, username="bj_admin"),
        district_leader=user_with_role(Role.LEADER, district, username="dc_leader"),
        street_staff=user_with_role(Role.STAFF, street, username="dhm_staff"),
        sibling_staff=user_with_role(Role.STAFF, sibling_street, username="js_staff"),
        community_staff=user_with_role(Role.STAFF, community, username="dfx_staff"),
        other_admin=user_with_role(Role.TENANT_ADMIN, other_city, username="sh_admin"),
    )


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no rate-limit counts (core.throttling keeps them in the cache)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing is deliberately slow; tests that create accounts need it fast, not strong."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def client_for(client):
    """Log the test client in as a persona: `client_for(world.street_staff)`."""

    def login(user: User):
        client.force_login(user)
        return client

    return login
