"""The tenant's categories, read-only in the API (edited on the category pages)."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from core.api import ScopedViewSetMixin

from .models import Category


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "keywords", "escalation_days", "position", "is_active"]
        read_only_fields = fields


class CategoryViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The tenant's categories, for everyone in the tenant; edited on the category pages."""

    model = Category
    serializer_class = CategorySerializer
    filterset_fields = ["is_active"]
    pagination_class = None

    def get_queryset(self):
        return super().get_queryset().order_by("position", "pk")
