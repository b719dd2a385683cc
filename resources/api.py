"""The resources API: resources (list with filters, detail, create, partial update) and bulk
create with per-item results.

Thin: reads go through the scoped base viewset; input through the page's row form
(`resources.forms.ResourceForm`), so the API refuses what the page refuses in the same words;
writes through `resources.services`, which enforce `resources.policies`. A unit contact's token
offers resources for the contact's own unit only.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from core.api import (
    LeanListSerializer,
    ScopedReadOnlyViewSet,
    bulk_failures,
    bulk_payload,
    form_serializer,
)
from core.bulk import BulkRejected, row_data

from . import services
from .filtersets import ResourceFilterSet
from .forms import ResourceContext, ResourceForm, resource_values
from .imports import RESOURCE_ROWS
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
        list_serializer_class = LeanListSerializer
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


RESOURCE_INPUT = form_serializer(ResourceForm, "ResourceInput")
BULK_CREATED = inline_serializer(
    "ResourceBulkCreated",
    fields={"created": serializers.ListField(child=serializers.IntegerField())},
)


def valid_form(form: ResourceForm) -> ResourceForm:
    if not form.is_valid():
        raise serializers.ValidationError(form.error_dict())
    return form


class ResourceViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """Resources in the caller's reach. Staff offer resources to the committees they act on (for
    the committee itself, or on behalf of a unit they can see); a unit's contact offers their own
    unit's resources where the unit stands or belongs. Input is the page's form
    (`resources.forms.ResourceForm`): `committee` by id, 12-digit code or exact name, `offered_by`
    by id, credit code or exact name, `category` by id or name. Filters: kind, category, status,
    offered_by ("committee", "unit" or a unit's id), committee (its subtree), q, sort (title,
    remaining, created; "-" for descending)."""

    model = Resource
    serializer_class = ResourceSerializer
    filterset_class = ResourceFilterSet
    list_values = True
    list_columns = (
        *("title", "kind", "description", "capacity", "capacity_unit", "remaining"),
        *("available_from", "available_until", "status", "created_at", "updated_at"),
        *("category__name", "committee__name", "offered_by__name"),
    )
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("committee", "category", "offered_by")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(request=RESOURCE_INPUT, responses={201: ResourceSerializer})
    def create(self, request, *args, **kwargs):
        context = ResourceContext(request.user)
        offer = valid_form(ResourceForm(row_data(request.data), context=context)).item
        resource = services.resource_create(
            actor=request.user,
            committee=offer.committee,
            offered_by=offer.offered_by,
            data=offer.data,
        )
        return Response(self.get_serializer(resource).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RESOURCE_INPUT, responses=ResourceSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the fields given (the others stay), the status among them, in one go."""
        resource = self.get_object()
        changes = {**resource_values(resource), **row_data(request.data)}
        context = ResourceContext(request.user, instance=resource)
        form = valid_form(ResourceForm(changes, context=context, with_status=True))
        services.resource_update(
            actor=request.user,
            resource=resource,
            data=form.item.data,
            committee=form.item.committee,
            status=form.cleaned_data.get("status") or None,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=resource.pk)).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        request=form_serializer(ResourceForm, "ResourceBulkInput", many=True),
        description=(
            "Create up to 10,000 resources at once: the body is a JSON array of items (or "
            '{"items": [...]}), each as for a single create. All or nothing: if any item is bad, '
            'the answer is 400 with [{"index": i, "errors": {field: [...]}}] for the bad items '
            'and nothing is created; otherwise 201 with {"created": [ids in the order given]}.'
        ),
        responses={
            201: BULK_CREATED,
            400: bulk_failures(),
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk", parser_classes=[JSONParser])
    def bulk(self, request):
        try:
            resources = RESOURCE_ROWS.bulk(
                context=ResourceContext(request.user),
                payload=bulk_payload(request),
                save=lambda offers: services.resources_bulk_create(
                    actor=request.user, offers=offers
                ),
                max_items=MAX_BULK_ITEMS,
            )
        except BulkRejected as rejected:
            return Response(rejected.failures, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": [resource.pk for resource in resources]}, status=status.HTTP_201_CREATED
        )
