from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from core.api import LeanListSerializer, ScopedReadOnlyViewSet
from core.scoping import subtree_q

from .models import Committee, Kind, Level


class CommitteeSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)
    subtree_size = serializers.IntegerField(read_only=True)

    class Meta:
        model = Committee
        fields = [
            "id",
            "name",
            "level",
            "kind",
            "division_code",
            "parent",
            "depth",
            "is_open",
            "closed_at",
            "subtree_size",
        ]
        read_only_fields = fields
        list_serializer_class = LeanListSerializer
        # The list reads value rows: the two properties, as SQL of the row.
        value_expressions = {
            "is_open": ExpressionWrapper(Q(closed_at__isnull=True), output_field=BooleanField()),
            "subtree_size": (F("rght") - F("lft") - 1) / 2,
        }


class CommitteeFilter(filters.FilterSet):
    level = filters.MultipleChoiceFilter(choices=Level.choices)
    kind = filters.ChoiceFilter(choices=Kind.choices)
    parent = filters.NumberFilter(field_name="parent_id")
    code = filters.CharFilter(
        field_name="division_code",
        lookup_expr="startswith",
        label=_("区划代码（前缀匹配）"),
    )
    name = filters.CharFilter(lookup_expr="icontains", label=_("名称包含"))
    is_open = filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull")

    class Meta:
        model = Committee
        fields = ["level", "kind", "parent", "code", "name", "is_open"]


class CommitteeViewSet(ScopedReadOnlyViewSet):
    """Committees in the caller's scope: list with filters, detail, and a node's subtree."""

    model = Committee
    serializer_class = CommitteeSerializer
    filterset_class = CommitteeFilter

    list_values = True

    def get_queryset(self):
        return super().get_queryset().order_by("tree_id", "lft")

    @extend_schema(responses=CommitteeSerializer(many=True), filters=True)
    @action(detail=True, methods=["get"])
    def subtree(self, request, pk=None):
        """The committee and everything below it, in tree order."""
        committee = self.get_object()
        queryset = self.filter_queryset(self.get_queryset().filter(subtree_q(committee, path="")))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
