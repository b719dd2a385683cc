"""Home is a to-do list; what needs an answer goes to the nearest committee up the tree that has
staff, says so, and waits on that committee's to-do list."""

from __future__ import annotations

import pytest

from demands import services as demand_services
from demands.models import Claim
from members.models import Role
from members.selectors import answered_here_q, answering_committee, answering_committees
from notifications.models import Notification

from ..demands.factories import committed, contact_of, demand, resource
from ..factories import user_with_role
from ..members.factories import unit
from ..party_members.factories import party_member, service
from ..query_counts import query_counts
from ..security.conftest import as_user

pytestmark = pytest.mark.django_db


# --- routing ------------------------------------------------------------------------------------


def test_answering_committee_is_the_nearest_staffed_one_up(world):
    # community has staff; community2 has none, so its street answers; the sibling street's
    # community answers at the sibling street.
    assert answering_committee(world.community) == world.community
    assert answering_committee(world.community2) == world.street
    assert answering_committee(world.sibling_community) == world.sibling_street
    world.street_staff.is_active = False
    world.street_staff.save()
    # No active staff at the street: up to the city, where the tenant administrator answers.
    assert answering_committee(world.community2) == world.city


def test_answering_committee_agrees_with_the_many_in_one_query(world, django_assert_num_queries):
    from committees.models import Committee

    committees = list(Committee.objects.all())  # both tenants: each is answered in its own tree
    many = answering_committees(committees)
    world.street_staff.is_active = False
    world.street_staff.save()
    without_street = answering_committees(committees)
    world.street_staff.is_active = True
    world.street_staff.save()
    assert many != without_street  # the street's staff decide some of them
    for committee in committees:
        with django_assert_num_queries(1):
            assert answering_committee(committee) == many[committee.pk], committee.name


def test_answering_committees_costs_two_queries_for_many(world, django_assert_num_queries):
    committees = [world.community, world.community2, world.sibling_community, world.district]
    with django_assert_num_queries(2):
        answers = answering_committees(committees)
    assert answers[world.district.pk] == world.city


def test_claim_at_a_community_without_staff_reaches_the_street(world):
    plant = unit(world.community2, name="北京公交集团客车厂")
    contact = contact_of(plant)
    need = demand(world.community2, world.street_staff, title="停车位")
    committed(lambda: demand_services.claim_by_unit(actor=contact, demand=need, unit=plant))
    note = Notification.objects.get(recipient=world.street_staff, event="claim")
    assert "银闸社区尚无工作人员账号，已转至上级东华门街道" in note.body
    assert not Notification.objects.filter(recipient=world.tenant_admin, event="claim").exists()


def test_claim_at_a_staffed_community_stays_there(world):
    plant = unit(world.community, name="审计局")
    contact = contact_of(plant)
    need = demand(world.community, world.community_staff, title="法律咨询")
    committed(lambda: demand_services.claim_by_unit(actor=contact, demand=need, unit=plant))
    note = Notification.objects.get(recipient=world.community_staff, event="claim")
    assert "已转至" not in note.body
    assert not Notification.objects.filter(recipient=world.street_staff, event="claim").exists()


# --- the to-do list -----------------------------------------------------------------------------


def claim_at(committee, actor, title):
    plant = unit(committee, name=f"{title}单位")
    contact = contact_of(plant)
    need = demand(committee, actor, title=title)
    return committed(lambda: demand_services.claim_by_unit(actor=contact, demand=need, unit=plant))


def test_staff_see_claims_they_answer(world, client_for):
    routed = claim_at(world.community2, world.street_staff, "无人社区的需求")
    own = claim_at(world.community, world.community_staff, "有人社区的需求")
    street_page = client_for(world.street_staff).get("/")
    rows = street_page.context["todo"]["claims"].rows
    assert routed in rows and own not in rows
    community_page = as_user(world.community_staff).get("/")
    assert [c.pk for c in community_page.context["todo"]["claims"].rows] == [own.pk]
    assert "无人社区的需求" in street_page.content.decode()
    # The sibling street sees neither.
    sibling = as_user(world.sibling_staff).get("/")
    assert sibling.context["todo"]["claims"].count == 0


def test_staff_see_registrations_and_service_records_to_confirm(world):
    member = party_member(world.community2, confirmed=False)
    page = as_user(world.street_staff).get("/")
    assert [r.member_id for r in page.context["todo"]["registrations"].rows] == [member.pk]
    confirmed = party_member(world.community, actor=world.community_staff)
    service(confirmed, confirmed.user)
    page = as_user(world.community_staff).get("/")
    assert page.context["todo"]["services"].count == 1


def test_contact_sees_requests_claims_demands_and_resources(world):
    plant = unit(world.community, name="解放军总医院")
    contact = contact_of(plant)
    offer = resource(world.community, contact, unit=plant, title="义诊")
    page = as_user(contact).get("/")
    assert page.status_code == 200
    todo = page.context["todo"]
    assert [r.pk for r in todo["resources"].rows] == [offer.pk]
    assert todo["requests"] is not None and todo["unit_demands"] is not None
    assert todo["claims"] is None  # no staff sections


def test_party_member_lands_on_wishes_and_service(world):
    member = party_member(world.community, actor=world.community_staff)
    page = as_user(member.user).get("/")
    assert page.status_code == 200
    assert page.context["todo"]["my_services"] is not None


def test_leader_lands_on_the_dashboard_and_admins_on_their_work(world, admins):
    assert as_user(world.district_leader).get("/").url == "/dashboard/"
    assert as_user(admins.security_admin).get("/").url == "/accounts/locked/"
    assert as_user(admins.auditor).get("/").url == "/audit/"
    assert as_user(admins.system_admin).get("/").url == "/accounts/manage/"


def test_an_account_without_roles_lands_on_its_profile(world):
    from ..factories import UserFactory

    nobody = UserFactory(tenant=world.city.tenant)
    response = as_user(nobody).get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    assert "尚未授予角色" in response.content.decode()


def test_todo_query_count_is_fixed(world, client_for):
    client = client_for(world.street_staff)
    claim_at(world.community2, world.street_staff, "需求0")
    few = query_counts(client, ["/"])
    for n in range(1, 13):  # past the ten rows a section shows
        claim_at(world.community2, world.street_staff, f"需求{n}")
        party_member(world.community2, confirmed=False)
    assert query_counts(client, ["/"]) == few
    assert Claim.objects.count() == 13
    page = client.get("/")
    assert (
        page.context["todo"]["claims"].count == 13
        and len(page.context["todo"]["claims"].rows) == 10
    )


def test_answered_here_needs_an_answering_grant(world):
    assert answered_here_q(world.district_leader, "community") is None
    leader_admin = user_with_role(Role.STAFF, world.district)
    assert answered_here_q(leader_admin, "community") is not None


def test_a_match_at_a_community_without_staff_reaches_the_street(world):
    resource(
        world.street, world.street_staff, title="街道老年餐桌助餐", description="老年人助餐送餐"
    )
    need = demand(
        world.community2,
        world.street_staff,
        title="银闸社区老人助餐",
        description="独居老人助餐送餐",
    )
    note = Notification.objects.filter(recipient=world.street_staff, event="new_match").first()
    assert note is not None, need
    assert "已转至上级东华门街道" in note.body
