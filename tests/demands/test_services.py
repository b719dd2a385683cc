"""Demands, resources, claims, matching and escalation, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from demands import matching, services
from demands.models import Claim, ClaimStatus, Demand, DemandStatus, Match
from members.models import Role
from notifications.models import Delivery, Notification
from resources import services as resource_services
from resources.models import Resource

from ..factories import UserFactory
from ..members import factories as mf
from . import factories as f


@pytest.mark.django_db
class TestCoverage:
    def test_a_streets_resource_serves_its_communities_not_the_next_streets(self, world):
        own = f.resource(world.street, world.street_staff, title="街道助餐场地")
        city = f.resource(
            world.city, world.tenant_admin, title="全市助餐资金", kind="funds", capacity_unit="yuan"
        )
        f.resource(world.sibling_street, world.sibling_staff, title="景山助餐场地")
        f.resource(world.community2, world.street_staff, title="银闸社区场地")
        demand = f.demand(world.community, world.community_staff)
        assert {r.title for r in matching.candidates_for(demand)} == {own.title, city.title}

    def test_another_category_is_no_candidate(self, world):
        f.resource(world.street, world.street_staff, title="停车位", category_name="交通停车")
        demand = f.demand(world.community, world.community_staff)
        assert matching.candidates_for(demand) == []

    def test_a_member_units_resource_serves_where_the_unit_is_a_member(self, world):
        from members import services as member_services

        unit = mf.unit(world.sibling_street, name="公交集团保修三厂")
        resource = f.resource(
            world.sibling_street, world.sibling_staff, title="保修三厂三层楼", unit=unit
        )
        demand = f.demand(world.community, world.community_staff)
        assert matching.candidates_for(demand) == []
        member_services.membership_add(unit=unit, committee=world.street)
        assert matching.candidates_for(demand) == [resource]

    def test_matches_are_scored_explained_and_stored(self, world):
        f.resource(
            world.street,
            world.street_staff,
            title="老年餐桌",
            description="为老年人提供助餐服务",
            capacity="60",
        )
        f.resource(
            world.city,
            world.tenant_admin,
            title="文化活动经费",
            description="文化活动",
            kind="funds",
            capacity_unit="yuan",
        )
        demand = f.demand(
            world.community, world.community_staff, quantity="40", quantity_unit="people"
        )
        matches = list(Match.objects.filter(demand=demand).order_by("rank"))
        # The culture fund shares the category, not the content: it is not proposed.
        assert [m.resource.title for m in matches] == ["老年餐桌"]
        best = matches[0]
        assert set(best.components) == {"text", "distance", "capacity", "window", "record"}
        assert best.reason.startswith("场地，由东华门街道提供，覆盖多福巷社区")
        assert "助餐" in best.reason and "够所需40人" in best.reason_text


@pytest.mark.django_db
class TestBadInputChangesNothing:
    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"category": "不存在的类别"}, "category", "未知的需求类别"),
            ({"needed_by": dt.date(2020, 1, 1)}, "needed_by", "不能早于今天"),
            ({"title": ""}, "title", "请填写标题"),
            ({"people_affected": 0}, "people_affected", "不小于1"),
            ({"quantity": "-5", "quantity_unit": "people"}, "quantity", "应大于0"),
        ],
    )
    def test_bad_demands(self, world, overrides, field, message):
        f.category(world.city.tenant)
        data = {"title": "助餐", "description": "描述", "category": "养老服务", **overrides}
        with pytest.raises(ValidationError) as error:
            services.demand_create(
                actor=world.community_staff,
                committee=world.community,
                data=services.DemandData(**data),
            )
        assert message in " ".join(error.value.message_dict[field])
        assert not Demand.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"capacity": "-10"}, "capacity", "应大于0"),
            ({"capacity": "abc"}, "capacity", "应为数字"),
            ({"capacity_unit": "斤"}, "capacity_unit", "未知的容量单位"),
            ({"category": "无此类"}, "category", "未知的需求类别"),
            (
                {"available_from": dt.date(2026, 5, 1), "available_until": dt.date(2026, 4, 1)},
                "available_until",
                "不能早于",
            ),
        ],
    )
    def test_bad_resources(self, world, overrides, field, message):
        f.category(world.city.tenant)
        data = {
            "title": "场地",
            "kind": "venue",
            "category": "养老服务",
            "capacity": "10",
            "capacity_unit": "m2",
            **overrides,
        }
        with pytest.raises(ValidationError) as error:
            resource_services.resource_create(
                actor=world.street_staff,
                committee=world.street,
                data=resource_services.ResourceData(**data),
            )
        assert message in " ".join(error.value.message_dict[field])
        assert not Resource.objects.exists()


@pytest.mark.django_db
class TestLifecycle:
    def test_every_transition_is_recorded(self, world):
        demand = f.demand(world.community, world.community_staff)
        services.demand_transition(
            demand=demand,
            to=DemandStatus.WITHDRAWN,
            actor=world.community_staff,
            reason="居民已自行解决",
        )
        steps = [(t.from_status, t.to_status, t.actor) for t in demand.transitions.all()]
        assert steps == [
            ("", "draft", world.community_staff),
            ("draft", "published", world.community_staff),
            ("published", "withdrawn", world.community_staff),
        ]

    def test_rejecting_needs_a_reason_and_fulfilled_is_final(self, world):
        demand = f.demand(world.community, world.community_staff)
        with pytest.raises(ValidationError):
            services.demand_transition(
                demand=demand, to=DemandStatus.REJECTED, actor=world.community_staff
            )
        services.demand_transition(
            demand=demand, to=DemandStatus.FULFILLED, actor=world.community_staff
        )
        with pytest.raises(ValidationError) as error:
            services.demand_transition(
                demand=demand, to=DemandStatus.PUBLISHED, actor=world.community_staff
            )
        assert "不能从“已办结”变为“已发布”" in error.value.messages[0]


@pytest.mark.django_db
class TestEscalation:
    def test_an_unmatched_demand_rises_one_level_after_its_deadline(self, world):
        demand = f.demand(world.community, world.community_staff, category_name="交通停车")
        # The deadline is an instant; its day is the local (Beijing) day, whatever the server clock.
        assert timezone.localdate(demand.escalation_due_at) == timezone.localdate() + dt.timedelta(
            days=7
        )
        assert services.escalations_run() == 0
        Demand.objects.filter(pk=demand.pk).update(
            escalation_due_at=timezone.now() - dt.timedelta(minutes=1)
        )
        assert services.escalations_run() == 1
        demand.refresh_from_db()
        assert demand.handling_committee == world.street
        assert timezone.localdate(demand.escalation_due_at) == timezone.localdate() + dt.timedelta(
            days=14
        )
        note = Notification.objects.get(recipient=world.street_staff, event="escalation")
        assert "超过7天未对接，已上报至东华门街道" in note.body
        assert not Notification.objects.filter(recipient=world.sibling_staff).exists()
        assert demand in Demand.objects.visible_to(world.street_staff)
        assert services.escalations_run() == 0  # once per deadline

    def test_a_matched_demand_does_not_escalate(self, world):
        demand = f.demand(world.community, world.community_staff)
        unit = mf.unit(world.street)
        claim = f.unit_claim(demand, unit)
        services.claim_accept(claim=claim, actor=world.community_staff)
        Demand.objects.filter(pk=demand.pk).update(
            escalation_due_at=timezone.now() - dt.timedelta(minutes=1)
        )
        assert services.escalations_run() == 0


@pytest.mark.django_db
class TestClaims:
    def setup_unit(self, world):
        unit = mf.unit(world.street, name="公交集团保修三厂")
        contact = UserFactory(tenant=world.city.tenant, email="contact@example.org")

        account_services.role_grant(user=contact, role=Role.UNIT_CONTACT, member_unit=unit)
        return unit, contact

    def test_staff_request_a_resource_the_unit_accepts_and_capacity_falls_and_returns(self, world):
        unit, contact = self.setup_unit(world)
        resource = f.resource(world.street, contact, title="三层楼助餐", unit=unit, capacity="50")
        demand = f.demand(world.community, world.community_staff)
        claim = services.claim_request_resource(
            actor=world.community_staff, demand=demand, resource=resource, quantity="30"
        )
        assert Notification.objects.filter(recipient=contact, event="claim").exists()
        services.claim_accept(claim=claim, actor=contact)
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert resource.remaining == Decimal("20.0") and demand.status == DemandStatus.MATCHED
        services.claim_release(claim=claim, actor=world.community_staff, reason="场地改作他用")
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert resource.remaining == Decimal("50.0") and demand.status == DemandStatus.PUBLISHED

    def test_a_unit_claims_and_staff_decline_with_a_reason(self, world):
        unit, contact = self.setup_unit(world)
        demand = f.demand(world.community, world.community_staff)
        claim = services.claim_by_unit(
            actor=contact, unit=unit, demand=demand, message="我们有场地"
        )
        with pytest.raises(ValidationError):
            services.claim_by_unit(actor=contact, unit=unit, demand=demand)
        with pytest.raises(ValidationError):
            services.claim_decline(claim=claim, actor=world.community_staff, reason="")
        services.claim_decline(claim=claim, actor=world.community_staff, reason="已由街道解决")
        assert Notification.objects.filter(recipient=contact, event="claim_decided").exists()

    def test_negative_quantity_is_refused(self, world):
        unit, contact = self.setup_unit(world)
        demand = f.demand(world.community, world.community_staff)
        with pytest.raises(ValidationError) as error:
            services.claim_by_unit(actor=contact, unit=unit, demand=demand, quantity="-1")
        assert "不能为负数" in error.value.message_dict["quantity"][0]
        assert not Claim.objects.exists()

    def test_emails_wait_in_the_outbox_until_commit(self, world):
        from django.core import mail
        from django.test import TestCase

        from members.models import User
        from notifications.models import DeliveryStatus

        User.objects.filter(pk=world.community_staff.pk).update(email="dhm@example.org")
        unit, contact = self.setup_unit(world)
        demand = f.demand(world.community, world.community_staff)
        with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
            services.claim_by_unit(actor=contact, unit=unit, demand=demand)
        delivery = Delivery.objects.get(channel="email", payload__to="dhm@example.org")
        # Written with the claim, in its transaction; nothing sent before the commit.
        assert delivery.status == DeliveryStatus.PENDING and mail.outbox == []
        for callback in callbacks:
            callback()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT
        assert [m.to for m in mail.outbox] == [["dhm@example.org"]]


def accept_in_process(claim_id: int, actor_id: int, barrier, results) -> None:
    import os

    from django.db import connections

    from members.models import User

    connections.close_all()
    try:
        barrier.wait(timeout=30)
        services.claim_accept(claim=Claim(pk=claim_id), actor=User.objects.get(pk=actor_id))
        results.put(("won", claim_id))
    except ValidationError as error:
        results.put(("lost", error.messages[0]))
    except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put(("error", repr(error)))
    finally:
        connections.close_all()
        results.close()
        results.join_thread()  # os._exit would otherwise drop what the queue has not yet sent
        os._exit(0)


@pytest.mark.django_db(transaction=True)
def test_two_units_racing_for_the_last_capacity_one_wins():
    import multiprocessing

    from django.db import connections

    from ..conftest import build_world

    world = build_world()
    resource = f.resource(world.street, world.street_staff, title="最后10个助餐名额", capacity="10")
    claims = []
    for i, community in enumerate([world.community, world.community2]):
        demand = f.demand(community, world.street_staff, title=f"助餐需求{i}")
        unit = mf.unit(world.street, name=f"认领单位{i}")
        claims.append(
            Claim.objects.create(
                tenant_id=demand.tenant_id,
                demand=demand,
                resource=resource,
                unit=unit,
                quantity=10,
                direction="unit_claims",
                created_by=world.street_staff,
            )
        )
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    connections.close_all()
    processes = [
        context.Process(
            target=accept_in_process, args=(claim.pk, world.street_staff.pk, barrier, results)
        )
        for claim in claims
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    outcomes = sorted(results.get(timeout=60) for _ in processes)
    assert [o[0] for o in outcomes] == ["lost", "won"]
    assert "剩余0人，不足10：已被其他认领占用" in outcomes[0][1]
    resource.refresh_from_db()
    assert resource.remaining == 0
    assert Claim.objects.filter(status=ClaimStatus.ACCEPTED).count() == 1
