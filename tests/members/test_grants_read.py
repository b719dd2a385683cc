"""What every signed-in request reads first: the user's grants (one hand-written statement) and,
with the session's user, the id of their own party-member record (no query of its own)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts import services as account_services
from accounts.backends import UserWithTenantBackend
from members.models import Role, RoleGrant, read_role_grants

from ..factories import UserFactory
from ..party_members.factories import party_member
from .factories import unit

pytestmark = pytest.mark.django_db


def orm_grants(user):
    return list(
        RoleGrant.objects.filter(user=user, tenant_id=user.tenant_id)
        .select_related("committee", "member_unit")
        .order_by("pk")
    )


def shown(grant):
    """What the readers of a grant use: its role, its committee's place and its unit's name."""
    committee, unit_ = grant.committee, grant.member_unit
    return (
        grant.pk,
        grant.role,
        committee
        and (
            committee.pk,
            committee.name,
            committee.lft,
            committee.rght,
            committee.depth,
            committee.level,
            committee.tenant_id,
            committee.parent_id,
        ),
        unit_ and (unit_.pk, unit_.name),
    )


def test_grants_read_as_the_orm_reads_them_with_both_relations(world, django_assert_num_queries):
    user = world.street_staff
    account_services.role_grant(user=user, role=Role.LEADER, committee=world.district)
    contact_unit = unit(world.community, name="东华门社区卫生服务中心")
    account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=contact_unit)

    with django_assert_num_queries(1):
        grants = read_role_grants(user.pk, user.tenant_id)
        seen = [shown(g) for g in grants]

    expected = [shown(g) for g in orm_grants(user)]
    assert seen == expected
    assert {g[1] for g in seen} == {Role.STAFF, Role.LEADER, Role.UNIT_CONTACT}
    assert [g[3][1] for g in seen if g[1] == Role.UNIT_CONTACT] == ["东华门社区卫生服务中心"]
    # Instances as the ORM makes them: saved rows of their database, comparable by pk.
    assert all(not g._state.adding and g._state.db == "default" for g in grants)
    assert grants == orm_grants(user)


def test_grants_of_another_user_or_no_tenant_are_not_read(world):
    assert read_role_grants(world.street_staff.pk, world.other_city.tenant_id) == []
    assert read_role_grants(world.street_staff.pk, None) == []
    loner = UserFactory(tenant=world.city.tenant)
    assert read_role_grants(loner.pk, loner.tenant_id) == []
    assert [g.role for g in read_role_grants(world.sibling_staff.pk, world.city.tenant_id)] == [
        Role.STAFF
    ]


def test_the_session_user_brings_their_own_party_member_id(world, django_assert_num_queries):
    member = party_member(world.community)
    backend = UserWithTenantBackend()

    with django_assert_num_queries(1):
        user = backend.get_user(member.user_id)
        assert user.tenant.name == world.city.tenant.name
        assert user.own_party_member_id() == member.pk

    staff = backend.get_user(world.street_staff.pk)
    with django_assert_num_queries(0):
        assert staff.own_party_member_id() is None


def test_a_user_read_elsewhere_still_finds_their_record(world):
    member = party_member(world.community)
    user = get_user_model().objects.get(pk=member.user_id)
    assert user.own_party_member_id() == member.pk


def test_the_layout_links_a_members_own_services_without_reading_them(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    me = reverse("party_members:me")
    member = party_member(world.community)
    assert me in client_for(member.user).get(reverse("accounts:profile")).content.decode()

    staff = client_for(world.street_staff)
    staff.get(reverse("accounts:profile"))
    with CaptureQueriesContext(connection) as seen:
        page = staff.get(reverse("accounts:profile")).content.decode()
    assert me not in page
    assert not [q for q in seen.captured_queries if 'FROM "party_members_partymember"' in q["sql"]]
    assert len(seen.captured_queries) == 3  # the session, the user with their record id, grants
