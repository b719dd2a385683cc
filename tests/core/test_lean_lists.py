"""The lean paths of the lists give what Django's and DRF's own paths give: `ChoiceLabels`'
`get_FOO_display`, `LeanListSerializer`'s rows, `pk_urls`' links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import models
from django.urls import reverse
from django.utils import translation
from rest_framework import serializers

from core.api import LeanListSerializer, value_keys, value_keys_of
from core.views import pk_urls
from demands.api import DemandSerializer
from demands.models import Demand, DemandStatus
from party_members.api import PartyMemberSerializer
from resources.api import ResourceSerializer
from resources.models import Resource

from ..demands import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    """Two resources offered by committees (no unit: a null on the way to a name) and a demand."""
    return {
        "resources": [
            f.resource(world.street, world.street_staff, title="助餐场地"),
            f.resource(world.community, world.community_staff, title="活动室"),
        ],
        "demand": f.demand(world.community, world.community_staff, title="楼道灯坏了"),
    }


def drf_rows(serializer_class, instances):
    """The rows as DRF's own ListSerializer builds them."""
    return serializers.ListSerializer(child=serializer_class(), instance=instances).data


class TestChoiceLabels:
    def test_a_label_is_djangos_own(self, rows):
        demand = rows["demand"]
        field = Demand._meta.get_field("status")
        expected = dict(field.flatchoices)[demand.status]
        assert demand.get_status_display() == str(expected)
        assert demand.get_status_display() == models.Model._get_FIELD_display(demand, field)

    def test_an_unknown_value_is_shown_as_it_is(self, rows):
        demand = rows["demand"]
        demand.status = "no-such-state"
        assert demand.get_status_display() == "no-such-state"

    def test_each_language_has_its_own_labels(self, rows):
        demand = rows["demand"]
        demand.status = DemandStatus.PUBLISHED
        for language in ("zh-hans", "en"):
            with translation.override(language):
                field = Demand._meta.get_field("status")
                assert demand.get_status_display() == str(dict(field.flatchoices)["published"])


class TestLeanListSerializer:
    def test_resources_as_drf_gives_them(self, rows):
        resources = list(
            Resource.objects.filter(pk__in=[r.pk for r in rows["resources"]])
            .select_related("committee", "category", "offered_by")
            .order_by("pk")
        )
        lean = ResourceSerializer(resources, many=True)
        assert isinstance(lean, LeanListSerializer)
        assert lean.data == drf_rows(ResourceSerializer, resources)
        assert {row["offered_by_name"] for row in lean.data} == {None}

    def test_demands_with_method_fields_and_nested_lists_as_drf_gives_them(self, rows):
        demands = list(
            Demand.objects.filter(pk=rows["demand"].pk)
            .select_related("category", "committee", "handling_committee", "raised_by_unit")
            .prefetch_related("attachments")
        )
        assert DemandSerializer(demands, many=True).data == drf_rows(DemandSerializer, demands)

    def test_value_rows_as_drf_gives_the_instances(self, rows):
        keys = value_keys(ResourceSerializer())
        assert "offered_by__name" in keys  # a null foreign key whose name field shows None
        chosen = Resource.objects.filter(pk__in=[r.pk for r in rows["resources"]]).order_by("pk")
        values = list(chosen.values(*keys))
        instances = list(chosen.select_related("committee", "category", "offered_by"))
        assert ResourceSerializer(values, many=True).data == drf_rows(ResourceSerializer, instances)

    def test_matches_with_their_reasons_as_drf_gives_them(self, rows, world, client_for):
        from demands.api import MatchSerializer
        from demands.models import Match

        from ..members import factories as mf

        unit = mf.unit(world.street, name="东华门社区卫生服务中心")
        offered = f.resource(world.street, world.street_staff, title="义诊", unit=unit)
        for rank, resource in enumerate([*rows["resources"], offered], start=1):
            Match.objects.update_or_create(
                demand=rows["demand"], resource=resource,
                defaults={"tenant_id": world.street.tenant_id, "score": 0.5 + rank / 10,
                          "rank": rank, "reason": "同类" if rank == 1 else "同类，{capacity}",
                          "components": {"category": 1.0}},
            )  # fmt: skip
        listed = client_for(world.street_staff).get("/api/matches/").json()["results"]
        matches = Match.objects.select_related("demand", "resource", "resource__offered_by")
        instances = list(matches.filter(pk__in=[m["id"] for m in listed]).order_by("rank"))
        assert isinstance(MatchSerializer(instances, many=True), LeanListSerializer)
        assert listed == drf_rows(MatchSerializer, instances)
        assert {m["unit_name"] for m in listed} == {None, "东华门社区卫生服务中心"}
        worded = {m["resource_title"]: m["reason"] for m in listed}
        assert worded["义诊"] == "同类，剩余100人"  # the capacity as it is now

    def test_a_serializer_reading_more_than_columns_reads_instances(self):
        class Worded(serializers.ModelSerializer):
            worded = serializers.SerializerMethodField()  # Python with no value expression

            class Meta:
                model = Resource
                fields = ["id", "title", "worded"]

            def get_worded(self, resource) -> str:
                return f"《{resource.title}》"

        assert value_keys(Worded()) is None
        assert value_keys_of(Worded) is None

    def test_a_masked_phone_is_a_field_of_the_column_so_members_read_values(self):
        keys = value_keys(PartyMemberSerializer())
        assert keys is not None and "phone" in keys

    def test_the_keys_of_a_class_are_worked_out_once(self, monkeypatch):
        keys = value_keys_of(ResourceSerializer)
        assert keys == tuple(value_keys(ResourceSerializer()))

        def build(self):
            raise AssertionError("the fields were built again")

        monkeypatch.setattr(ResourceSerializer, "get_fields", build)
        assert value_keys_of(ResourceSerializer) == keys

    def test_a_missing_object_callables_and_skipped_fields_as_drf_gives_them(self, rows):
        class Odd(serializers.ModelSerializer):
            unit = serializers.CharField(source="offered_by.name", default="—")
            kind_label = serializers.CharField(source="get_kind_display")
            nothing = serializers.CharField(source="no_such_attribute", required=False)
            stamp = serializers.DateTimeField(source="created_at")
            left = serializers.DecimalField(source="remaining", max_digits=12, decimal_places=2)

            class Meta:
                model = Resource
                list_serializer_class = LeanListSerializer
                fields = ["id", "unit", "kind_label", "nothing", "stamp", "left", "committee"]

        resources = list(Resource.objects.order_by("pk"))
        lean = Odd(resources, many=True).data
        assert lean == drf_rows(Odd, resources)
        assert lean[0]["unit"] == "—"
        assert "nothing" not in lean[0]


def test_pk_urls_are_the_reversed_urls():
    url = pk_urls("resources:resource_detail")
    for pk in (1, 7, 918273645, 10**12):
        assert url(pk) == reverse("resources:resource_detail", args=[pk])


class TestListRowsReadAsTheirTemplatesDid:
    """The pages' rows, now worked out in Python, on the rows the Beijing-scale seed lacks."""

    def test_a_wish_raised_by_a_unit_escalated_and_late(self, world, client_for):
        from django.utils import timezone

        from ..members import factories as mf

        wish = f.demand(world.community, world.community_staff, title="一辆轮椅")
        unit = mf.unit(world.street, name="东华门老年餐桌")
        late = timezone.localdate() - dt.timedelta(days=3)
        Demand.objects.filter(pk=wish.pk).update(
            kind="wish", raised_by_unit=unit, handling_committee=world.district, needed_by=late
        )
        html = client_for(world.district_leader).get(reverse("demands:demand_list")).content
        html = html.decode()
        assert '一辆轮椅</a> <span class="badge text-bg-light border">微心愿</span>' in html
        assert '<div class="small text-muted">东华门老年餐桌提出</div>' in html
        assert '<div class="small text-danger">已上报至东城区</div>' in html
        assert f'<td class="d-none d-sm-table-cell text-danger">{late:%Y-%m-%d}</td>' in html

    def test_an_overdue_project_with_its_lead_unit(self, world, client_for):
        from django.utils import timezone

        from projects.models import Project

        from ..projects import factories as pf

        project, _contact = pf.project(world, title="多福巷老年餐桌")
        Project.objects.filter(pk=project.pk).update(overdue_at=timezone.now())
        project.refresh_from_db()
        html = client_for(world.street_staff).get(reverse("projects:project_list")).content
        html = html.decode()
        line = (
            f"{project.year} · 东华门街道 · 牵头{project.lead_unit.name}"
            f"{' · ' + project.category.name if project.category else ''}"
            f" · 预算50000元 · 期限{project.due_on:%Y-%m-%d}"
            ' <span class="text-danger">已逾期</span></div>'
        )
        assert line in html
