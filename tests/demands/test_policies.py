"""The demands' rules, asked of the services themselves (not of the pages): each write called by
the wrong actor is refused with a reason and changes nothing; a write that would leave its
object outside the writer's scope rolls back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import NotAllowed
from demands import policies, services
from demands.models import Claim, ClaimStatus, Demand, DemandStatus, DemandTransition
from notifications.models import Notification
from resources.models import Resource

from ..members import factories as mf
from ..party_members import factories as pf
from . import factories as f
from .factories import contact_of

pytestmark = pytest.mark.django_db


def state():
    return (
        list(Demand.objects.order_by("pk").values_list("pk", "status", "title", "kind", "source")),
        list(Claim.objects.order_by("pk").values_list("pk", "status", "reason")),
        list(Resource.objects.order_by("pk").values_list("pk", "remaining")),
        DemandTransition.objects.count(),
        Notification.objects.count(),
    )


def refused(call) -> str:
    """The call is refused as a permission, with a reason, and changes nothing."""
    before = state()
    with pytest.raises(PermissionDenied) as error:
        call()
    assert state() == before
    return str(error.value)


@pytest.fixture
def setting(world):
    """A unit matched with a demand at 多福巷社区, another unit with its own contact, a unit
    that raised a draft of its own, and a party member of the community."""
    unit = mf.unit(world.street, name="公交集团保修三厂")
    contact = contact_of(unit)
    resource = f.resource(world.street, contact, title="老年餐桌", unit=unit, capacity="50")
    demand = f.demand(world.community, world.community_staff)
    other = mf.unit(world.street, name="另一家单位")
    raiser_unit = mf.unit(world.community, name="多福巷小学")
    raiser = contact_of(raiser_unit)
    raised = services.demand_create(
        actor=raiser,
        raised_by_unit=raiser_unit,
        data=services.DemandData(title="校门口停车", description="接送拥堵", category="交通停车"),
    )
    return {
        "unit": unit,
        "contact": contact,
        "resource": resource,
        "demand": demand,
        "other": other,
        "other_contact": contact_of(other),
        "raised": raised,
        "raiser": raiser,
        "member": pf.party_member(world.community),
    }


def persona(world, setting, who: str):
    if who == "member":
        return setting["member"].user
    return getattr(world, who) if hasattr(world, who) else setting[who]


def data_of(demand, **changes):
    values = {
        "title": demand.title,
        "description": demand.description,
        "category": demand.category,
        "source": demand.source,
        "kind": demand.kind,
    }
    return services.DemandData(**{**values, **changes})


class TestDemands:
    @pytest.mark.parametrize("who", ["sibling_staff", "district_leader", "contact", "member"])
    def test_only_staff_of_its_subtree_move_a_demand(self, world, setting, who):
        actor = persona(world, setting, who)
        demand = setting["demand"]
        for to in (DemandStatus.FULFILLED, DemandStatus.REJECTED, DemandStatus.WITHDRAWN):
            refused(
                lambda to=to: services.demand_transition(
                    demand=demand, to=to, actor=actor, reason="越权"
                )
            )

    def test_the_raising_unit_publishes_and_withdraws_but_does_not_reject_or_fulfil(
        self, world, setting
    ):
        raised, raiser = setting["raised"], setting["raiser"]
        assert "不能将该需求变为“已办结”" in refused(
            lambda: services.demand_transition(
                demand=raised, to=DemandStatus.FULFILLED, actor=raiser
            )
        )
        refused(lambda: services.demand_publish(demand=raised, actor=setting["other_contact"]))
        services.demand_publish(demand=raised, actor=raiser)
        refused(
            lambda: services.demand_transition(
                demand=raised, to=DemandStatus.REJECTED, actor=raiser, reason="x"
            )
        )
        services.demand_transition(
            demand=raised, to=DemandStatus.WITHDRAWN, actor=raiser, reason="已解决"
        )
        assert Demand.objects.get(pk=raised.pk).status == DemandStatus.WITHDRAWN

    @pytest.mark.parametrize("who", ["sibling_staff", "district_leader", "contact", "other_admin"])
    def test_only_staff_or_the_raiser_correct_a_demand(self, world, setting, who):
        actor = persona(world, setting, who)
        demand = setting["demand"]
        assert "修改" in refused(
            lambda: services.demand_update(
                actor=actor, demand=demand, data=data_of(demand, title="越权")
            )
        )

    def test_the_raising_unit_keeps_the_kind_and_source_it_cannot_choose(self, world, setting):
        raised = setting["raised"]
        services.demand_update(
            actor=setting["raiser"],
            demand=raised,
            data=data_of(raised, title="校门口接送停车", kind="wish", source="hotline"),
        )
        raised.refresh_from_db()
        assert (raised.title, raised.kind, raised.source) == (
            "校门口接送停车",
            "need",
            "member_unit",
        )

    def test_who_may_enter_a_demand_where(self, world, setting):
        data = services.DemandData(title="越权", description="越权", category="养老服务")
        for actor in (world.district_leader, setting["member"].user):
            refused(
                lambda actor=actor: services.demand_create(
                    actor=actor, committee=world.community, data=data
                )
            )
        # Staff elsewhere: the place is a field error, with the demand's other problems.
        with pytest.raises(ValidationError) as error:
            services.demand_create(
                actor=world.sibling_staff,
                committee=world.community,
                data=services.DemandData(title="", description="x", category="养老服务"),
            )
        assert set(error.value.message_dict) == {"committee", "title"}
        # A contact raises for their own unit only, where it stands.
        with pytest.raises(ValidationError) as error:
            services.demand_create(
                actor=setting["contact"], raised_by_unit=setting["other"], data=data
            )
        assert "raised_by_unit" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.demand_create(
                actor=setting["contact"],
                raised_by_unit=setting["unit"],
                committee=world.community,
                data=data,
            )
        assert "所在地" in error.value.message_dict["committee"][0]
        assert not Demand.objects.filter(title="越权").exists()


class TestClaims:
    def test_a_unit_is_claimed_for_by_its_own_contact_only(self, world, setting):
        demand, resource = setting["demand"], setting["resource"]
        for actor in (world.street_staff, world.district_leader, setting["member"].user):
            refused(
                lambda actor=actor: services.claim_by_unit(
                    actor=actor, demand=demand, unit=setting["unit"]
                )
            )
        assert "联络的单位" in refused(
            lambda: services.claim_by_unit(
                actor=setting["other_contact"], demand=demand, unit=setting["unit"]
            )
        )
        refused(
            lambda: services.claim_by_unit(
                actor=setting["other_contact"], demand=demand, resource=resource
            )
        )
        claim = services.claim_by_unit(actor=setting["contact"], demand=demand, resource=resource)
        assert claim.unit == setting["unit"]  # the resource's unit, one of the contact's own

    @pytest.mark.parametrize("who", ["contact", "district_leader", "sibling_staff"])
    def test_only_staff_of_the_demand_request_a_resource(self, world, setting, who):
        actor = persona(world, setting, who)
        assert refused(
            lambda: services.claim_request_resource(
                actor=actor, demand=setting["demand"], resource=setting["resource"]
            )
        )

    def test_the_other_side_answers(self, world, setting):
        demand, resource, contact = setting["demand"], setting["resource"], setting["contact"]
        request = services.claim_request_resource(
            actor=world.community_staff, demand=demand, resource=resource, quantity="10"
        )
        # Staff asked: staff, leaders, another unit do not answer; the unit does.
        for actor in (
            world.community_staff,
            world.street_staff,
            world.district_leader,
            setting["other_contact"],
        ):
            assert "提供资源的单位" in refused(
                lambda actor=actor: services.claim_accept(claim=request, actor=actor)
            )
            refused(
                lambda actor=actor: services.claim_decline(claim=request, actor=actor, reason="x")
            )
        services.claim_accept(claim=request, actor=contact)
        # Either side releases it; nobody else.
        for actor in (world.sibling_staff, world.district_leader, setting["other_contact"]):
            refused(lambda actor=actor: services.claim_release(claim=request, actor=actor))
        services.claim_release(claim=request, actor=contact, reason="场地检修")
        assert Resource.objects.get(pk=resource.pk).remaining == Decimal("50.0")

    def test_a_units_claim_is_answered_by_staff_of_the_demand(self, world, setting):
        claim = services.claim_by_unit(
            actor=setting["contact"], demand=setting["demand"], resource=setting["resource"]
        )
        for actor in (
            setting["contact"],
            world.sibling_staff,
            world.district_leader,
            setting["other_contact"],
        ):
            assert "工作人员回应" in refused(
                lambda actor=actor: services.claim_accept(claim=claim, actor=actor)
            )
        services.claim_decline(claim=claim, actor=world.street_staff, reason="已由街道解决")
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DECLINED


class TestWishes:
    def test_only_a_confirmed_member_of_the_community_claims_its_wishes(self, world, setting):
        wish = f.demand(world.community, world.community_staff, kind="wish", title="收音机")
        pending = pf.party_member(world.community, confirmed=False)
        elsewhere = pf.party_member(world.sibling_community)
        for actor, reason in (
            (world.community_staff, "只有在职党员"),
            (pending.user, "报到经社区确认后"),
            (elsewhere.user, "只能认领报到社区的心愿"),
        ):
            assert reason in refused(
                lambda actor=actor: services.wish_claim(actor=actor, demand=wish)
            )
        services.wish_claim(actor=setting["member"].user, demand=wish)
        assert Demand.objects.get(pk=wish.pk).claimed_by_member == setting["member"]


class TestScopeAfterTheWrite:
    """The last guard: a policy that let a write through by mistake does not let its result
    out of the writer's scope; the whole write rolls back."""

    def test_a_demand_placed_outside_the_writers_scope_is_not_saved(
        self, world, setting, monkeypatch
    ):
        monkeypatch.setattr(
            policies, "demand_place", lambda user, **kw: (world.sibling_community, None)
        )
        refused(
            lambda: services.demand_create(
                actor=world.community_staff,
                committee=world.community,
                data=services.DemandData(title="越界", description="越界", category="养老服务"),
                publish=True,
            )
        )
        assert not Demand.objects.filter(title="越界").exists()

    def test_an_acceptance_by_someone_out_of_scope_gives_the_capacity_back(
        self, world, setting, monkeypatch
    ):
        claim = services.claim_by_unit(
            actor=setting["contact"],
            demand=setting["demand"],
            resource=setting["resource"],
            quantity="20",
        )
        monkeypatch.setattr(policies, "require_answer", lambda user, claim: None)
        # The capacity was taken by an UPDATE before the check: it is rolled back with the rest.
        refused(lambda: services.claim_accept(claim=claim, actor=world.sibling_staff))
        assert Resource.objects.get(pk=setting["resource"].pk).remaining == Decimal("50.0")
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PENDING


def test_refusals_are_not_allowed_errors_with_a_reason(world):
    demand = f.demand(world.community, world.community_staff)
    with pytest.raises(NotAllowed) as error:
        services.demand_transition(
            demand=demand, to=DemandStatus.FULFILLED, actor=world.district_leader
        )
    assert error.value.message == "您不能将该需求变为“已办结”。"
