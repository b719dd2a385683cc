"""The resources API: resources (list with filters, detail, create, partial update), bulk create
with per-item results, and the tenant's categories (read-only).

Thin: reads go through `Resource.objects.visible_to(user)`; writes through `demands.services`,
with who may offer what, where, asked of `demands.resource_imports`. A unit contact's token offers
resources for the contact's own unit only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from categories.services import categories_for
from committees.models import Committee
from core.api import ScopedReadOnlyViewSet
from core.errors import Errors
from core.scoping import Action
from members.models import MemberUnit
from resources import imports as offers
from resources.forms import ResourceFilterSet

from . import services
from .models import Resource

MAX_BULK_ITEMS = 10_000


class ResourceSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    offered_by_name = serializers.CharField(
        source="offered_by.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Resource
        fields = [
            "id",
            "title",
            "kind",
            "category",
            "category_name",
            "description",
            "capacity",
            "capacity_unit",
            "remaining",
            "available_from",
            "available_until",
            "status",
            "committee",
            "committee_name",
            "offered_by",
            "offered_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ResourceWriteSerializer(serializers.Serializer):
    """Input only: the business rules live in `services.clean_resource`, so a bad category, a
    negative capacity or a window out of order get the same words as on the page."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.CharField(max_length=32, required=False, allow_blank=True)
    category = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="类别的id或名称"
    )
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    capacity = serializers.CharField(max_length=30, required=False, allow_blank=True)
    capacity_unit = serializers.CharField(max_length=16, required=False, allow_blank=True)
    available_from = serializers.DateField(required=False, allow_null=True)
    available_until = serializers.DateField(required=False, allow_null=True)
    committee = serializers.IntegerField(
        required=False, allow_null=True, help_text="服务范围：协调委员会的id"
    )
    offered_by = serializers.IntegerField(
        required=False, allow_null=True, help_text="提供单位的id；单位联络员可不填"
    )


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=16)


class ResourceUpdateSerializer(ResourceWriteSerializer):
    status = serializers.CharField(max_length=16, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Who offers a resource is fixed once it is offered.
        self.fields.pop("offered_by")


def resource_data(values: dict, current: Resource | None = None) -> services.ResourceData:
    def pick(name, default):
        if name in values:
            return values[name]
        return getattr(current, name) if current is not None else default

    category = values.get("category") if "category" in values else None
    if category is None and current is not None:
        category = current.category
    return services.ResourceData(
        title=pick("title", ""),
        kind=pick("kind", ""),
        category=category,
        capacity=pick("capacity", None),
        capacity_unit=pick("capacity_unit", ""),
        description=pick("description", ""),
        available_from=pick("available_from", None),
        available_until=pick("available_until", None),
    )


def field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"non_field_errors": list(error.messages)}


def check_can_offer(user) -> None:
    """A leader (read-only) or an account without a role offers nothing: 403."""
    if not offers.can_offer(user):
        raise PermissionDenied(_("您没有登记资源的权限。"))


class Writer:
    """Resolves the committee and the offering unit of items for one caller, once for a whole
    request: a handful of queries whatever the number of items."""

    def __init__(self, user, items: list[dict]):
        check_can_offer(user)
        self.user = user
        self.staff = offers.is_staff_writer(user)
        self.units = [] if self.staff else offers.contact_units(user)
        self.unit_committees = offers.unit_committees(self.units)
        if self.staff:
            ids = {i["committee"] for i in items if isinstance(i.get("committee"), int)}
            self.committees = {
                c.pk: c
                for c in Committee.objects.visible_to(user, Action.CHANGE).open().filter(pk__in=ids)
            }
            unit_ids = {i["offered_by"] for i in items if isinstance(i.get("offered_by"), int)}
            self.staff_units = {
                u.pk: u
                for u in MemberUnit.objects.visible_to(user).filter(pk__in=unit_ids, is_active=True)
            }
        self.category = offers.category_lookup(categories_for(user).filter(is_active=True))

    def target(self, values: dict, problems: dict[str, list[str]]):
        """(committee, unit) for one item, adding what is wrong to `problems`."""
        committee = unit = None
        if self.staff:
            committee = self.committees.get(values.get("committee"))
            if committee is None:
                problems.setdefault("committee", []).append(_("请选择您工作范围内的协调委员会。"))
            if values.get("offered_by") is not None:
                unit = self.staff_units.get(values["offered_by"])
                if unit is None:
                    problems.setdefault("offered_by", []).append(
                        _("在您的工作范围内找不到该成员单位。")
                    )
            return committee, unit
        try:
            unit = offers.contact_unit(self.units, values.get("offered_by"))
            committee = offers.contact_committee(
                unit, self.unit_committees, values.get("committee")
            )
        except DjangoValidationError as error:
            for field, messages in error.message_dict.items():
                problems.setdefault(field, []).extend(messages)
        return committee, unit

    def clean(self, values: dict) -> tuple[tuple | None, dict[str, list[str]]]:
        """((committee, unit, clean values), {}) or (None, {field: [messages]})."""
        problems: dict[str, list[str]] = {}
        committee, unit = self.target(values, problems)
        data = resource_data({**values, "category": self.category(values.get("category"))})
        found = Errors()
        clean = services.clean_resource(
            tenant_id=self.user.tenant_id, committee=committee, data=data, errors=found
        )
        if committee is None and problems:
            # The committee or unit problem says more than the service's "choose a committee".
            found.by_field.pop("committee", None)
        merged = {**found.by_field, **problems}
        if merged:
            return None, merged
        return (committee, unit, clean), {}


BULK_ERROR = inline_serializer(
    "ResourceBulkError",
    fields={
        "index": serializers.IntegerField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
    many=True,
)
BULK_CREATED = inline_serializer(
    "ResourceBulkCreated",
    fields={"created": serializers.ListField(child=serializers.IntegerField())},
)


class ResourceViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """Resources in the caller's reach. Staff offer resources to the committees they act on (for
    the committee itself, or on behalf of a unit they can see); a unit's contact offers their own
    unit's resources where the unit stands or belongs. Filters: kind, category, status,
    offered_by ("committee", "unit" or a unit's id), committee (its subtree), q, sort
    (title, remaining, created; "-" for descending)."""

    model = Resource
    serializer_class = ResourceSerializer
    filterset_class = ResourceFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("committee", "category", "offered_by")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(request=ResourceWriteSerializer, responses={201: ResourceSerializer})
    def create(self, request, *args, **kwargs):
        check_can_offer(request.user)
        payload = ResourceWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        writer = Writer(request.user, [values])
        prepared, problems = writer.clean(values)
        if problems:
            raise serializers.ValidationError(problems)
        committee, unit, _clean = prepared
        try:
            resource = services.resource_create(
                actor=request.user,
                committee=committee,
                offered_by=unit,
                data=resource_data({**values, "category": writer.category(values.get("category"))}),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(field_errors(error)) from error
        return Response(self.get_serializer(resource).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResourceUpdateSerializer, responses=ResourceSerializer)
    def partial_update(self, request, *args, **kwargs):
        resource = self.get_object()
        mode = offers.write_mode(request.user, resource)
        if mode is None:
            raise PermissionDenied
        payload = ResourceUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        new_status = changes.pop("status", None)
        try:
            committee = None
            if "committee" in changes:
                committee = self.committee_for(mode, resource, changes.pop("committee"))
            if "category" in changes:
                lookup = offers.category_lookup(categories_for(request.user).filter(is_active=True))
                changes["category"] = lookup(changes["category"])
            if changes or committee is not None:
                services.resource_update(
                    resource=resource,
                    data=resource_data(changes, current=resource),
                    committee=committee,
                )
            if new_status is not None:
                services.resource_set_status(resource=resource, status=new_status)
        except DjangoValidationError as error:
            raise serializers.ValidationError(field_errors(error)) from error
        resource = self.get_queryset().get(pk=resource.pk)
        return Response(self.get_serializer(resource).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def committee_for(self, mode: str, resource: Resource, committee_id):
        if mode == offers.STAFF:
            return offers.staff_committee_by_id(self.request.user, committee_id)
        unit = resource.offered_by
        return offers.contact_committee(unit, offers.unit_committees([unit]), committee_id)

    @extend_schema(
        request=ResourceWriteSerializer(many=True),
        description=(
            "Create up to 10,000 resources at once: the body is a JSON array of items (or "
            '{"items": [...]}). All or nothing: if any item is bad, the answer is 400 with '
            '[{"index": i, "errors": {field: [...]}}] for the bad items and nothing is created; '
            'otherwise 201 with {"created": [ids in the order given]}.'
        ),
        responses={
            201: BULK_CREATED,
            400: OpenApiResponse(BULK_ERROR, description="per-item errors; nothing created"),
            403: OpenApiResponse(OpenApiTypes.OBJECT),
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk", parser_classes=[JSONParser])
    def bulk(self, request):
        check_can_offer(request.user)
        items = request.data
        if isinstance(items, dict) and "items" in items:
            items = items["items"]
        if not isinstance(items, list):
            raise serializers.ValidationError(
                {"non_field_errors": [_("请提交资源的列表（JSON数组）。")]}
            )
        if not items:
            raise serializers.ValidationError({"non_field_errors": [_("列表为空。")]})
        if len(items) > MAX_BULK_ITEMS:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _("一次最多提交%(max)d项，本次为%(n)d项，请分批提交。")
                        % {"max": MAX_BULK_ITEMS, "n": len(items)}
                    ]
                }
            )
        parsed: list[dict | None] = []
        failures: list[dict] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                failures.append(
                    {"index": index, "errors": {"non_field_errors": [_("每一项应为一个对象。")]}}
                )
                parsed.append(None)
                continue
            payload = ResourceWriteSerializer(data=item)
            if payload.is_valid():
                parsed.append(dict(payload.validated_data))
            else:
                failures.append({"index": index, "errors": payload.errors})
                parsed.append(None)
        writer = Writer(request.user, [values for values in parsed if values is not None])
        rows = []
        for index, values in enumerate(parsed):
            if values is None:
                continue
            prepared, problems = writer.clean(values)
            if problems:
                failures.append({"index": index, "errors": problems})
            else:
                rows.append(prepared)
        if failures:
            failures.sort(key=lambda failure: failure["index"])
            return Response(failures, status=status.HTTP_400_BAD_REQUEST)
        resources = services.resources_bulk_create(actor=request.user, rows=rows)
        return Response(
            {"created": [resource.pk for resource in resources]}, status=status.HTTP_201_CREATED
        )
