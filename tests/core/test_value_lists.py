"""The lists read as value rows (demands, committees, claims, whistles, summons, meetings,
tasks, milestones, evaluations) give exactly what
DRF gives for the instances, the properties computed as SQL (`Meta.value_expressions`) and the
list's own annotations (`Meta.annotated`) included, and build no serializer fields to do it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder

from committees.api import CommitteeSerializer, CommitteeViewSet
from committees.models import Committee
from core.api import ScopedViewSetMixin, value_keys_of, value_plan_of
from demands import services as demand_services
from demands.api import (
    AttachmentSerializer,
    ClaimSerializer,
    ClaimViewSet,
    DemandSerializer,
    DemandViewSet,
)
from demands.models import DemandAttachment
from projects import evaluations
from projects.api import (
    MeetingSerializer,
    MeetingViewSet,
    MilestoneSerializer,
    MilestoneViewSet,
    TaskSerializer,
    TaskViewSet,
)
from projects.models import Task
from projects.whistle_api import (
    EvaluationSerializer,
    EvaluationViewSet,
    SummonsSerializer,
    SummonsViewSet,
    WhistleSerializer,
    WhistleViewSet,
)

from ..demands import factories as df
from ..members import factories as mf
from ..party_members import factories as pmf
from ..projects import factories as pf
from ..projects.test_meetings import board, schedule  # noqa: F401  (board: a fixture)
from ..whistles import factories as wf
from ..whistles.test_evaluation import completed

pytestmark = pytest.mark.django_db


def instance_rows(viewset_class: type[ScopedViewSetMixin], user, ids: list[int]) -> list[dict]:
    """The rows as DRF's own ListSerializer gives them for the instances the viewset reads, in
    the list's order, as JSON."""
    view = viewset_class()
    view.request = Request(RequestFactory().get("/"))
    view.request.user = user
    # The list's queryset, not filtered into value rows (that is `filter_queryset`'s step).
    view.action, view.format_kwarg, view.kwargs = "list", None, {}
    by_pk = {row.pk: row for row in view.get_queryset().filter(pk__in=ids)}
    rows = serializers.ListSerializer(
        child=view.get_serializer_class()(), instance=[by_pk[pk] for pk in ids]
    ).data
    return json.loads(json.dumps(rows, cls=JSONEncoder))


def listed(client, path: str) -> list[dict]:
    response = client.get(path, {"page_size": 200})
    assert response.status_code == 200, response.content
    return response.json()["results"]


@contextlib.contextmanager
def no_fields_built(serializer_class):
    """Building the serializer's fields fails inside: a value list must not need them."""

    def build(self):
        raise AssertionError(f"{type(self).__name__}'s fields were built")

    assert value_plan_of(serializer_class) is not None  # worked out once, before
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(serializer_class, "get_fields", build)
        yield


def test_committees_with_their_properties_as_sql(world, client_for):
    Committee.objects.filter(pk=world.community2.pk).update(closed_at=timezone.now())
    client = client_for(world.street_staff)
    with no_fields_built(CommitteeSerializer):
        rows = listed(client, "/api/committees/")
    assert {row["id"] for row in rows} >= {world.street.pk, world.community2.pk}
    by_id = {row["id"]: row for row in rows}
    assert by_id[world.community2.pk]["is_open"] is False
    assert by_id[world.community.pk]["is_open"] is True
    assert by_id[world.street.pk]["subtree_size"] == world.street.get_descendant_count()
    assert rows == instance_rows(CommitteeViewSet, world.street_staff, [r["id"] for r in rows])


def test_claims_name_the_unit_or_the_committee_offering_its_own(world, client_for):
    demand = df.demand(world.community, world.community_staff, title="楼道灯坏了")
    unit = mf.unit(world.community, name="王府井百货")
    by_unit = df.unit_claim(demand, unit, quantity="2", message="周末可来")
    own = df.resource(world.street, world.street_staff, title="街道活动室", capacity="10")
    other = df.demand(world.community, world.community_staff, title="活动场地")
    committed = demand_services.resource_commit(
        actor=world.street_staff, demand=other, resource=own, quantity="1"
    )
    client = client_for(world.street_staff)
    with no_fields_built(ClaimSerializer):
        rows = listed(client, "/api/claims/")
    by_id = {row["id"]: row for row in rows}
    assert by_id[by_unit.pk]["party_name"] == "王府井百货"
    assert by_id[committed.pk]["party_name"] == world.street.name
    assert by_id[committed.pk]["unit"] is None and by_id[committed.pk]["unit_name"] is None
    assert rows == instance_rows(ClaimViewSet, world.street_staff, [r["id"] for r in rows])


def test_demands_with_their_attachments_and_whether_a_wish_is_claimed(
    world, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    need = df.demand(world.community, world.community_staff, title="楼道灯坏了")
    wish = df.demand(world.community, world.community_staff, title="想要一台收音机", kind="wish")
    df.demand(world.community2, world.street_staff, title="错时停车")
    demand_services.wish_claim(actor=pmf.party_member(world.community).user, demand=wish)
    for name in ("现场照片.jpg", "居民联名信.pdf"):
        DemandAttachment.objects.create(
            tenant=need.tenant, demand=need, file=ContentFile(b"x", name=name), original_name=name
        )
    client = client_for(world.street_staff)
    with no_fields_built(DemandSerializer), no_fields_built(AttachmentSerializer):
        rows = listed(client, "/api/demands/")
    by_id = {row["id"]: row for row in rows}
    assert [a["name"] for a in by_id[need.pk]["attachments"]] == ["现场照片.jpg", "居民联名信.pdf"]
    assert by_id[need.pk]["attachments"][0]["url"].startswith("/demands/attachments/")
    assert by_id[wish.pk]["wish_claimed"] is True and by_id[need.pk]["wish_claimed"] is False
    assert all(row["attachments"] == [] for row in rows if row["id"] != need.pk)
    assert rows == instance_rows(DemandViewSet, world.street_staff, [r["id"] for r in rows])


def test_whistles_with_their_counts(world, client_for):
    departments = [
        wf.department(world.district, "区水务局"),
        wf.department(world.district, "区城管委"),
    ]
    wf.blow(world, departments, hours=[24, 48])
    wf.blow(world, departments[:1], title="胡同里的违章建筑")
    client = client_for(world.street_staff)
    with no_fields_built(WhistleSerializer):
        rows = listed(client, "/api/whistles/")
    assert sorted(row["summons_count"] for row in rows) == [1, 2]
    assert rows == instance_rows(WhistleViewSet, world.street_staff, [r["id"] for r in rows])


def test_evaluations(world, client_for):
    project, _contact = completed(world)
    evaluations.providers_rate(
        actor=world.street_staff,
        project=project,
        scores={project.lead_unit_id: evaluations.Score(5, "按时送餐")},
    )
    client = client_for(world.street_staff)
    with no_fields_built(EvaluationSerializer):
        rows = listed(client, "/api/evaluations/")
    assert [row["comment"] for row in rows] == ["按时送餐"]
    assert rows == instance_rows(EvaluationViewSet, world.street_staff, [r["id"] for r in rows])


def test_meetings_with_their_calendar_links(world, client_for, board):  # noqa: F811
    meeting = schedule(world, board)
    client = client_for(world.street_staff)
    with no_fields_built(MeetingSerializer):
        rows = listed(client, "/api/meetings/")
    assert [row["ics"] for row in rows] == [reverse("projects:meeting_ics", args=[meeting.pk])]
    assert rows == instance_rows(MeetingViewSet, world.street_staff, [r["id"] for r in rows])


def test_milestones_tasks_and_summons(world, client_for):
    project, _contact = pf.project(world)
    Task.objects.create(
        tenant=project.tenant,
        committee=world.street,
        title="摸排辖区独居老人",
        owner_committee=world.community,
        due_on=dt.date(2026, 12, 31),
    )
    wf.blow(world, [wf.department(world.district, "区水务局")])
    client = client_for(world.street_staff)
    for path, viewset, serializer_class, count in (
        ("/api/milestones/", MilestoneViewSet, MilestoneSerializer, 2),
        ("/api/tasks/", TaskViewSet, TaskSerializer, 1),
        ("/api/summons/", SummonsViewSet, SummonsSerializer, 1),
    ):
        with no_fields_built(serializer_class):
            rows = listed(client, path)
        assert len(rows) == count, path
        assert rows == instance_rows(viewset, world.street_staff, [r["id"] for r in rows]), path


def test_a_field_that_may_read_the_request_is_worked_out_per_request():
    class Plain(serializers.ModelSerializer):
        class Meta:
            model = Committee
            fields = ["id", "name"]
            list_serializer_class = ClaimSerializer.Meta.list_serializer_class

    class OurOwnCharField(serializers.CharField):
        pass

    class WithOwnField(Plain):
        name = OurOwnCharField()

    assert value_keys_of(Plain) == ("id", "name")
    assert value_plan_of(Plain) is not None
    assert value_keys_of(WithOwnField) == ("id", "name")
    assert value_plan_of(WithOwnField) is None  # a class of ours may read the context


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/St_Johns"])
def test_a_lists_datetimes_read_the_time_zone_once_and_give_what_drf_gives(zone):
    from zoneinfo import ZoneInfo

    from core.api import LocalDateTimes

    field = serializers.DateTimeField()
    values = [
        dt.datetime(2026, 12, 1, 16, 30, 5, 123456, tzinfo=dt.UTC),  # the next day in Beijing
        dt.datetime(2026, 3, 8, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        dt.datetime(2026, 11, 1, 4, 30, tzinfo=ZoneInfo("America/St_Johns")),
        dt.datetime(2026, 6, 1, 8, 0),  # naive: made aware, as DRF does
    ]
    with timezone.override(zone):
        convert = LocalDateTimes(field).bind()
        assert [convert(value) for value in values] == [
            field.to_representation(value) for value in values
        ]
    assert convert(values[0]).endswith("Z") == (zone == "UTC")


def test_a_party_member_lists_masked_phone_builds_no_fields():
    from party_members.api import PartyMemberSerializer

    assert value_plan_of(PartyMemberSerializer) is not None
