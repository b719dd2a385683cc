"""The tenant's categories, read-only in the API (edited on the category pages)."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from .models import Category
from .services import categories_for


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "keywords", "escalation_days", "position", "is_active"]
        read_only_fields = fields


class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The tenant's categories, for everyone in the tenant; edited on the category pages."""

    serializer_class = CategorySerializer
    filterset_fields = ["is_active"]
    pagination_class = None

    def get_queryset(self):
        return categories_for(self.request.user).order_by("position", "pk")
