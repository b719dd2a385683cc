"""直接对接: a committee's own resource committed to a demand by the offering committee's staff,
with the capacity rules, race safety and record of an accepted claim (issue 8, item 2)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.errors import NotAllowed
from demands import services
from demands.models import Claim, ClaimDirection, ClaimStatus, DemandStatus
from projects.models import Project, ProjectSource

from ..members import factories as mf
from . import factories as f


def street_venue(world, capacity="15", **fields):
    return f.resource(
        world.street,
        world.street_staff,
        title=fields.pop("title", "街道党群服务中心活动室"),
        capacity=capacity,
        capacity_unit=fields.pop("capacity_unit", "places"),
        **fields,
    )


def commit(world, demand, resource, quantity="5", actor=None, **kwargs):
    return f.committed(
        lambda: services.resource_commit(
            actor=actor or world.street_staff,
            demand=demand,
            resource=resource,
            quantity=quantity,
            **kwargs,
        )
    )


@pytest.mark.django_db
class TestService:
    def test_street_staff_commit_the_streets_resource_to_a_communitys_demand(self, world):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        claim = commit(world, demand, resource, quantity="5", message="周六上午可用")
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert resource.remaining == Decimal("10")
        assert claim.status == ClaimStatus.ACCEPTED
        assert claim.direction == ClaimDirection.COMMITTEE_COMMITS
        assert claim.unit_id is None and claim.resource_id == resource.pk
        assert claim.decided_by == world.street_staff and claim.decided_at is not None
        assert claim.party_name == "东华门街道"
        assert demand.status == DemandStatus.MATCHED
        assert demand.escalation_due_at is None
        last = demand.transitions.last()
        assert "东华门街道" in last.reason and "活动室" in last.reason

    def test_a_level_above_may_commit_it_too(self, world):
        from members.models import Role

        from ..factories import user_with_role

        district_staff = user_with_role(Role.STAFF, world.district, username="dc_staff")
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        commit(world, demand, resource, actor=district_staff)
        resource.refresh_from_db()
        assert resource.remaining == 10

    def test_the_communitys_staff_may_not_commit_the_streets_resource(self, world):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        with pytest.raises(NotAllowed):
            commit(world, demand, resource, actor=world.community_staff)

    def test_a_demand_outside_the_resources_reach_is_refused(self, world):
        resource = street_venue(world)
        demand = f.demand(world.sibling_community, world.sibling_staff)
        with pytest.raises(NotAllowed):
            commit(world, demand, resource, actor=world.tenant_admin)

    def test_a_leader_may_not_commit(self, world):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        with pytest.raises(NotAllowed):
            commit(world, demand, resource, actor=world.district_leader)

    def test_a_units_resource_is_claimed_not_committed(self, world):
        unit = mf.unit(world.street, name="公交集团保修三厂")
        resource = f.resource(world.street, world.street_staff, title="三层楼", unit=unit)
        demand = f.demand(world.community, world.community_staff)
        with pytest.raises(ValidationError) as error:
            commit(world, demand, resource)
        assert "认领或申请" in str(error.value)

    def test_more_than_remains_is_refused_and_nothing_moves(self, world):
        resource = street_venue(world, capacity="15")
        demand = f.demand(world.community, world.community_staff)
        with pytest.raises(ValidationError) as error:
            commit(world, demand, resource, quantity="16")
        assert error.value.message_dict["quantity"] == [
            "对接数量16超过“街道党群服务中心活动室”剩余15个。"
        ]
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert resource.remaining == 15 and demand.status == DemandStatus.PUBLISHED
        assert not Claim.objects.exists()

    def test_every_problem_at_once(self, world):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        commit(world, demand, resource, quantity="1")
        with pytest.raises(ValidationError) as error:
            commit(world, demand, resource, quantity="0")
        assert set(error.value.message_dict) == {"quantity", "resource"}

    def test_the_demands_quantity_bounds_it_when_both_count_alike(self, world):
        resource = street_venue(world, capacity="50")
        demand = f.demand(
            world.community, world.community_staff, quantity="8", quantity_unit="places"
        )
        with pytest.raises(ValidationError) as error:
            commit(world, demand, resource, quantity="9")
        assert "需求只差8个" in error.value.message_dict["quantity"][0]

    def test_a_draft_or_fulfilled_demand_takes_nothing(self, world):
        resource = street_venue(world)
        draft = f.demand(world.community, world.community_staff, publish=False)
        with pytest.raises(ValidationError, match="草稿"):
            commit(world, draft, resource)

    def test_release_gives_the_capacity_back_and_reopens_the_demand(self, world):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        claim = commit(world, demand, resource, quantity="5")
        f.committed(
            lambda: services.claim_release(claim=claim, actor=world.street_staff, reason="改期")
        )
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert resource.remaining == 15
        assert demand.status == DemandStatus.PUBLISHED

    def test_the_api_direction_commits_through_the_same_service(self, world):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        claim = f.committed(
            lambda: services.claim_open(
                actor=world.street_staff,
                direction=ClaimDirection.COMMITTEE_COMMITS,
                demand=demand,
                resource=resource,
                quantity="3",
            )
        )
        assert claim.status == ClaimStatus.ACCEPTED


@pytest.mark.django_db
class TestProjectFromTheCommitment:
    def test_the_commitment_forms_a_direct_project(self, world):
        import datetime as dt

        from django.utils import timezone

        from projects import services as project_services

        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        claim = commit(world, demand, resource, quantity="5")
        today = timezone.localdate()
        project = f.committed(
            lambda: project_services.project_from_claim(
                actor=world.street_staff,
                claim=claim,
                data=project_services.ProjectData(
                    title="活动室助餐",
                    description="",
                    committee=world.street,
                    start_on=today,
                    due_on=today + dt.timedelta(days=30),
                ),
            )
        )
        assert project.source == ProjectSource.RESOURCE
        assert project.claim_id == claim.pk
        assert list(project.resources.all()) == [resource]
        demand.refresh_from_db()
        assert demand.status == DemandStatus.IN_PROJECT

    def test_the_form_button_on_the_demand_page_leads_to_it(self, world, client_for):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        claim = commit(world, demand, resource, quantity="5")
        page = client_for(world.street_staff).get(
            reverse("demands:demand_detail", args=[demand.pk])
        )
        assert f"/projects/new/?claim={claim.pk}" in page.content.decode()
        form = client_for(world.street_staff).get(f"/projects/new/?claim={claim.pk}")
        assert form.status_code == 200
        assert "协调委员会资源直接对接立项" in form.content.decode()
        by_pair = client_for(world.street_staff).get(
            f"/projects/new/?demand={demand.pk}&resource={resource.pk}"
        )
        assert by_pair.status_code == 200
        # Without a commitment, the pair names nothing to form a project from.
        other = street_venue(world, title="街道会议室")
        missing = client_for(world.street_staff).get(
            f"/projects/new/?demand={demand.pk}&resource={other.pk}"
        )
        assert missing.status_code == 404
        assert Project.objects.count() == 0


@pytest.mark.django_db
class TestPages:
    def test_the_demand_page_offers_the_streets_resource_with_a_confirmation(
        self, world, client_for
    ):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        client = client_for(world.street_staff)
        page = client.get(reverse("demands:demand_detail", args=[demand.pk])).content.decode()
        assert 'data-testid="committable"' in page and "剩余15个" in page
        url = reverse("demands:demand_commit", args=[demand.pk])
        confirm = client.get(url, {"resource": resource.pk, "quantity": "5"})
        assert confirm.status_code == 200
        text = confirm.content.decode()
        assert "资源剩余将由15个变为10个" in text and "已对接" in text
        resource.refresh_from_db()
        assert resource.remaining == 15  # asking first changes nothing
        done = client.post(url, {"resource": resource.pk, "quantity": "5", "message": ""})
        assert done.status_code == 302
        resource.refresh_from_db()
        assert resource.remaining == 10
        page = client.get(reverse("demands:demand_detail", args=[demand.pk])).content.decode()
        assert "协调委员会直接对接" in page and "5个" in page
        assert "只有已发布的需求参与匹配" not in page

    def test_the_community_sees_no_commit_action_and_is_refused(self, world, client_for):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        client = client_for(world.community_staff)
        page = client.get(reverse("demands:demand_detail", args=[demand.pk])).content.decode()
        assert 'data-testid="committable"' not in page
        url = reverse("demands:demand_commit", args=[demand.pk])
        assert client.get(url, {"resource": resource.pk, "quantity": "5"}).status_code == 404
        client.post(url, {"resource": resource.pk, "quantity": "5"})
        resource.refresh_from_db()
        assert resource.remaining == 15

    def test_another_tenant_cannot_reach_the_commit_page(self, world, client_for):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        client = client_for(world.other_admin)
        url = reverse("demands:demand_commit", args=[demand.pk])
        assert client.get(url, {"resource": resource.pk, "quantity": "1"}).status_code == 404
        assert client.post(url, {"resource": resource.pk, "quantity": "1"}).status_code == 404
        resource.refresh_from_db()
        assert resource.remaining == 15


@pytest.mark.django_db
class TestApi:
    def test_post_a_committee_commitment(self, world, client_for):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        client = client_for(world.street_staff)
        response = client.post(
            "/api/claims/",
            {
                "direction": "committee_commits",
                "demand": demand.pk,
                "resource": resource.pk,
                "quantity": "4",
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "accepted" and body["unit"] is None
        assert body["party_name"] == "东华门街道"
        resource.refresh_from_db()
        assert resource.remaining == 11
        too_much = client.post(
            "/api/claims/",
            {
                "direction": "committee_commits",
                "demand": demand.pk,
                "resource": resource.pk,
                "quantity": "40",
            },
            content_type="application/json",
        )
        assert too_much.status_code == 400

    def test_the_community_is_refused_by_the_api(self, world, client_for):
        resource = street_venue(world)
        demand = f.demand(world.community, world.community_staff)
        response = client_for(world.community_staff).post(
            "/api/claims/",
            {
                "direction": "committee_commits",
                "demand": demand.pk,
                "resource": resource.pk,
                "quantity": "4",
            },
            content_type="application/json",
        )
        assert response.status_code in (403, 404)
        resource.refresh_from_db()
        assert resource.remaining == 15


def commit_in_process(demand_id, resource_id, actor_id, barrier, results) -> None:
    import os

    from django.db import connections

    from demands.models import Demand
    from members.models import User
    from resources.models import Resource

    connections.close_all()
    try:
        barrier.wait(timeout=30)
        services.resource_commit(
            actor=User.objects.get(pk=actor_id),
            demand=Demand(pk=demand_id),
            resource=Resource(pk=resource_id),
            quantity="10",
        )
        results.put(("won", ""))
    except ValidationError as error:
        results.put(("lost", error.messages[0]))
    except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put(("error", repr(error)))
    finally:
        connections.close_all()
        results.close()
        results.join_thread()
        os._exit(0)


@pytest.mark.django_db(transaction=True)
def test_two_commitments_racing_for_the_last_capacity_one_wins():
    import multiprocessing

    from django.db import connections

    from ..conftest import build_world

    world = build_world()
    resource = street_venue(world, capacity="10")
    demands = [
        f.demand(community, world.street_staff, title=f"活动场地{i}")
        for i, community in enumerate([world.community, world.community2])
    ]
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    connections.close_all()
    processes = [
        context.Process(
            target=commit_in_process,
            args=(demand.pk, resource.pk, world.street_staff.pk, barrier, results),
        )
        for demand in demands
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    outcomes = sorted(results.get(timeout=60) for _ in processes)
    assert [o[0] for o in outcomes] == ["lost", "won"], outcomes
    # The loser is refused on the locked row ("剩余0个，不足10：已被其他认领占用") or, when the
    # winner committed before the loser read the resource at all, by the form's own check
    # ("对接数量10超过…剩余0个"): either way with the capacity now, and nothing committed.
    assert "剩余0个" in outcomes[0][1]
    resource.refresh_from_db()
    assert resource.remaining == 0
    assert Claim.objects.filter(status=ClaimStatus.ACCEPTED).count() == 1


@pytest.mark.django_db
class TestReasonsReadNow:
    """Item 13: a reason names the kind, gives the same words every time, and says how much the
    resource has left now, not when the engine wrote it."""

    def test_the_remaining_capacity_in_a_reason_is_current(self, world, client_for):
        from demands.models import Match

        resource = street_venue(
            world, capacity="15", title="老年餐桌", description="为老年人提供助餐服务"
        )
        demand = f.demand(world.community, world.community_staff)
        match = Match.objects.select_related("resource", "demand").get(demand=demand)
        assert match.reason.startswith("场地，由东华门街道提供")
        assert "剩余15个" in match.reason_text
        other = f.demand(world.community2, world.street_staff, title="银闸老年助餐")
        commit(world, other, resource, quantity="6")
        match = Match.objects.select_related("resource", "demand").get(demand=demand)
        assert "剩余9个" in match.reason_text and "剩余15个" not in match.reason_text
        page = client_for(world.street_staff).get(f"/demands/{demand.pk}/").content.decode()
        assert "剩余9个" in page and "剩余15个" not in page
        api = client_for(world.street_staff).get(f"/api/matches/?demand={demand.pk}").json()
        assert "剩余9个" in api["results"][0]["reason"]

    def test_the_same_texts_give_the_same_keywords_every_time(self, world):
        from demands import matching

        f.resource(
            world.street,
            world.street_staff,
            title="助餐助浴志愿服务",
            description="助餐、助浴、理发、血压测量，上门服务",
            kind="volunteers",
        )
        demand = f.demand(
            world.community,
            world.community_staff,
            title="独居老人上门服务",
            description="需要助浴、理发和血压测量，助餐",
        )
        reasons = {
            matching.explain(user=world.street_staff, demand=demand).candidates[0].reason
            for _ in range(5)
        }
        assert len(reasons) == 1
        assert next(iter(reasons)).startswith("人员，")

    def test_a_matched_demand_says_why_it_has_no_proposals(self, world, client_for):
        resource = street_venue(world, title="街道停车位", category_name="交通停车")
        demand = f.demand(world.community, world.community_staff)
        commit(world, demand, resource, quantity="1")
        page = client_for(world.community_staff).get(f"/demands/{demand.pk}/").content.decode()
        assert "只有已发布的需求参与匹配" not in page
        assert "需求已对接" in page
        assert "标记办结" in page


@pytest.mark.django_db
class TestUnitsSide:
    """Item 4: a unit's claim for more than remains is refused at once; the unit that raised a
    demand sees its matches."""

    def test_a_claim_for_more_than_remains_is_refused_at_once(self, world):
        unit = mf.unit(world.street, name="公交集团保修三厂")
        resource = f.resource(
            world.street,
            world.street_staff,
            title="三层楼",
            unit=unit,
            capacity="15",
            capacity_unit="places",
        )
        demand = f.demand(world.community, world.community_staff)
        with pytest.raises(ValidationError) as error:
            f.unit_claim(demand, unit, resource=resource, quantity="20")
        assert error.value.message_dict["quantity"] == ["认领数量20超过“三层楼”剩余15个。"]
        assert not Claim.objects.exists()
        claim = f.unit_claim(demand, unit, resource=resource, quantity="15")
        assert claim.status == ClaimStatus.PENDING

    def test_the_page_says_so_on_the_claim(self, world, client_for):
        from demands.models import Match

        unit = mf.unit(world.street, name="公交集团保修三厂")
        contact = f.contact_of(unit)
        resource = f.resource(
            world.street,
            world.street_staff,
            title="老年餐桌",
            unit=unit,
            capacity="15",
            capacity_unit="places",
            description="为老年人提供助餐服务",
        )
        demand = f.demand(world.community, world.community_staff)
        match = Match.objects.get(demand=demand, resource=resource)
        response = client_for(contact).post(
            reverse("demands:match_claim", args=[match.pk]), {"quantity": "20"}, follow=True
        )
        assert "认领数量20超过“老年餐桌”剩余15个。" in response.content.decode()
        assert not Claim.objects.exists()

    def test_the_unit_that_raised_a_demand_sees_its_matches(self, world, client_for):
        from demands.models import Match

        unit = mf.unit(world.community, name="多福巷小学")
        contact = f.contact_of(unit)
        f.resource(
            world.street, world.street_staff, title="老年餐桌", description="为老年人提供助餐服务"
        )
        demand = f.committed(
            lambda: services.demand_create(
                actor=contact,
                raised_by_unit=unit,
                data=services.DemandData(
                    title="学校周边老人助餐",
                    description="学校周边独居老人需要助餐",
                    category=f.category(world.city.tenant),
                ),
                publish=True,
            )
        )
        assert Match.objects.filter(demand=demand).exists()
        assert Match.objects.visible_to(contact).filter(demand=demand).count() == 1
        page = client_for(contact).get(f"/demands/{demand.pk}/").content.decode()
        assert "老年餐桌" in page and "匹配度" in page
        api = client_for(contact).get(f"/api/matches/?demand={demand.pk}").json()
        assert [row["resource_title"] for row in api["results"]] == ["老年餐桌"]
        # Another unit's contact sees none of them.
        stranger = f.contact_of(mf.unit(world.community, name="另一单位"))
        assert not Match.objects.visible_to(stranger).filter(demand=demand).exists()
        assert client_for(stranger).get(f"/demands/{demand.pk}/").status_code == 404
