"""The scope of a big table is written as an array on PostgreSQL (`key = ANY(ARRAY(...))`), so
the two halves of an escalated demand's scope are index conditions, and it selects exactly the
rows the plain `IN (subquery)` selects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q

from core.scoping import Action, keys_on_one_table, scope_q, user_scopes
from demands.models import Claim, Demand

from ..demands import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def demands(world):
    here = f.demand(world.community, world.community_staff, title="楼道灯坏了")
    sibling = f.demand(world.sibling_community, world.sibling_staff, title="楼道堆物")
    rose = f.demand(world.sibling_community, world.sibling_staff, title="加装电梯协调")
    # Escalated to the district: seen where it arose and where it rose to.
    Demand.objects.filter(pk=rose.pk).update(handling_committee=world.district)
    return {"here": here, "sibling": sibling, "rose": rose}


def plain_in(user, action=Action.VIEW):
    """The same scope written as plain IN (subquery): what the array form must equal."""
    from committees.models import Committee

    ids = Committee.objects.filter(scope_q(user_scopes(user, action))).values("pk")
    return set(Demand.objects.filter(committee_id__in=ids).values_list("pk", flat=True)) | set(
        Demand.objects.filter(handling_committee_id__in=ids).values_list("pk", flat=True)
    )


def test_the_scope_is_an_array_condition_on_postgresql(world, demands):
    sql = str(Demand.objects.visible_to(world.street_staff).query)
    assert sql.count("= ANY(ARRAY(SELECT") == 2
    assert " IN (SELECT" not in sql.split("WHERE", 1)[1]


@pytest.mark.parametrize(
    "persona", ["street_staff", "sibling_staff", "district_leader", "community_staff"]
)
def test_the_array_form_selects_what_in_selects(world, demands, persona):
    user = getattr(world, persona)
    got = set(Demand.objects.visible_to(user).values_list("pk", flat=True))
    assert got == plain_in(user)


def test_the_district_sees_what_rose_to_it_and_the_street_does_not(world, demands):
    street = set(Demand.objects.visible_to(world.street_staff).values_list("pk", flat=True))
    district = set(Demand.objects.visible_to(world.district_leader).values_list("pk", flat=True))
    assert street == {demands["here"].pk}
    assert district == {d.pk for d in demands.values()}


def test_the_planner_can_use_both_indexes(world, demands):
    # Without sequential scans allowed, the plan must still reach the rows through the indexes
    # of both keys; with IN (subquery) OR IN (subquery) it could only filter a full scan.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Demand.objects.visible_to(world.street_staff).query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on demands_demand" not in plan
    assert "Index" in plan


def test_keys_on_one_table_are_arrays_and_keys_on_two_tables_hashed_subqueries(world):
    from projects.models_whistles import Summons

    assert keys_on_one_table(["committee", "handling_committee"])
    assert keys_on_one_table(["demand__committee", "demand__handling_committee"])
    assert not keys_on_one_table(["whistle__committee", "escalated_to"])
    assert not keys_on_one_table(["committee"])
    claims = str(Claim.objects.visible_to(world.street_staff).query)
    assert claims.count("= ANY(ARRAY(SELECT") == 2
    summons = str(Summons.objects.visible_to(world.street_staff).query).split("WHERE", 1)[1]
    assert "ANY(ARRAY" not in summons and summons.count(" IN (SELECT") == 2


@pytest.mark.parametrize(
    "persona", ["street_staff", "sibling_staff", "district_leader", "community_staff"]
)
def test_a_scope_is_its_subtree_read_off_a_range_bounded_on_both_sides(world, persona):
    from committees.models import Committee

    user = getattr(world, persona)
    subtree = set()
    for grant in user.grants.select_related("committee"):
        subtree |= set(
            grant.committee.get_descendants(include_self=True).values_list("pk", flat=True)
        )
    assert set(Committee.objects.visible_to(user).values_list("pk", flat=True)) == subtree
    assert subtree
    sql = str(Demand.objects.visible_to(user).query)
    assert '"lft" BETWEEN' in sql


@pytest.fixture
def city_leader(world):
    from members.models import Role

    from ..factories import user_with_role

    return user_with_role(Role.LEADER, world.city, username="bj_city_leader")


def by_committee(model, user):
    """What the committee ranges select, as every scope was written before a whole tree became
    the row's tenant."""
    from core.scoping import any_of, scope_ids_q

    scopes = user_scopes(user, Action.VIEW)
    paths = [path for path in model.objects.none().committee_paths if path]
    if not paths:
        return set(model.objects.filter(scope_q(scopes)).values_list("pk", flat=True))
    condition = any_of([scope_ids_q(scopes, path, model) for path in paths])
    return set(model.objects.filter(condition).values_list("pk", flat=True))


def test_a_scope_over_the_whole_tree_reads_the_rows_own_tenant(world, demands, city_leader):
    from committees.models import Committee
    from members.models import MemberUnit, RoleGrant, UnitKind
    from party_members.models import PartyMember

    from ..factories import CommitteeFactory
    from ..party_members import factories as pf

    pf.party_member(world.community, name="李强")
    shanghai_community = CommitteeFactory(
        parent=world.other_street,
        name="贵州路社区",
        level="community",
        division_code="310101002001",
    )
    pf.party_member(shanghai_community, name="沪上党员")  # another tenant's
    MemberUnit.objects.create(
        tenant=world.city.tenant, committee=world.street, name="东城医院", kind=UnitKind.DEPARTMENT
    )
    sql = str(Demand.objects.visible_to(city_leader).query).split("WHERE", 1)[1]
    assert '"tenant_id" IN' in sql and "committees_committee" not in sql
    for model in (Demand, Claim, RoleGrant, PartyMember, Committee, MemberUnit):
        seen = set(model.objects.visible_to(city_leader).values_list("pk", flat=True))
        assert seen == by_committee(model, city_leader), model
        assert seen or model is Claim, model
    names = set(PartyMember.objects.visible_to(city_leader).values_list("name", flat=True))
    assert names == {"李强"}


def test_a_whole_tree_keeps_rows_that_hang_on_no_committee_out(world, city_leader):
    from django.utils import timezone

    from core.scoping import attached_q
    from projects.models import Evaluation

    from ..projects import factories as projects

    project, contact = projects.project(world)
    unit = project.lead_unit
    common = {"tenant": project.tenant, "project": project, "score": 4, "rated_at": timezone.now()}
    by_street = Evaluation.objects.create(
        direction="demand_to_provider",
        rater_committee=world.street,
        subject_unit=unit,
        rated_by=world.street_staff,
        **common,
    )
    Evaluation.objects.create(  # the unit's rating of the committee: no rating committee
        direction="provider_to_committee",
        rater_unit=unit,
        subject_committee=world.street,
        rated_by=contact,
        **common,
    )
    seen = list(Evaluation.objects.visible_to(city_leader).values_list("pk", flat=True))
    assert seen == [by_street.pk] and set(seen) == by_committee(Evaluation, city_leader)
    assert str(attached_q(Demand, Demand.objects.none().committee_paths)) == str(Q())


def test_units_are_found_by_their_own_keys_as_arrays(world):
    """Where a unit stands, and its id among a committee's members: one OR on the unit table's
    own keys, both arrays, so the planner combines two index scans instead of testing every
    unit against two hashed subqueries."""
    from members import services
    from members.models import MemberUnit

    from ..members import factories as mf

    standing = mf.unit(world.community, name="东华门社区卫生服务站")
    elsewhere = mf.unit(world.sibling_community, name="隔壁街道物业公司")
    services.membership_add(unit=elsewhere, committee=world.street)
    units = MemberUnit.objects.visible_to(world.street_staff)
    where = str(units.query).split("WHERE", 1)[1]
    assert where.count("= ANY(ARRAY(SELECT") >= 3  # the standing scope, the members, their scope
    assert " IN (SELECT" not in where
    assert {standing, elsewhere} <= set(units)


def test_a_city_reads_its_unit_list_walking_the_tree(world, city_leader):
    """A whole tree's unit list states the tree on the joined committee (so the planner walks
    the committees in tree order): the same units in the same order as without it. A narrower
    scope keeps the units that are members of its committees but stand elsewhere."""
    from members import selectors, services
    from members.models import MemberUnit

    from ..members import factories as mf

    mf.unit(world.community, name="乙单位")
    mf.unit(world.community, name="甲单位")
    elsewhere = mf.unit(world.sibling_community, name="隔壁街道物业公司")
    mf.unit(world.street, name="街道单位")
    services.membership_add(unit=elsewhere, committee=world.street)

    listed = selectors.member_units(user=city_leader)
    assert '"committees_committee"."lft" BETWEEN' in str(listed.query)
    plain = MemberUnit.objects.visible_to(city_leader).order_by("committee__lft", "name")
    assert list(listed) == list(plain) and len(plain) >= 4

    street = selectors.member_units(user=world.street_staff)
    assert '"committees_committee"."lft" BETWEEN' not in str(street.query)
    assert elsewhere in set(street)
