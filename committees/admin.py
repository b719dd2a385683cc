from django.contrib import admin
from django.core.exceptions import ValidationError
from mptt.admin import MPTTModelAdmin

from . import services
from .models import Committee, Tenant, TreeCheck


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "division_code", "is_active", "created_at"]
    search_fields = ["name", "slug"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new tenant opens with the root committee of its tree, through the tree service.
        try:
            created = services.tenant_create(
                name=obj.name, slug=obj.slug, division_code=obj.division_code
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        obj.pk = created.pk


@admin.register(Committee)
class CommitteeAdmin(MPTTModelAdmin):
    """Read-only here: structural writes go through the tree pages, which hold the tree lock."""

    list_display = ["name", "level", "kind", "division_code", "tenant", "closed_at"]
    list_filter = ["tenant", "level", "kind"]
    search_fields = ["name", "division_code"]
    mptt_level_indent = 16

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TreeCheck)
class TreeCheckAdmin(admin.ModelAdmin):
    list_display = ["tenant", "checked_at", "node_count", "is_consistent"]
    list_filter = ["tenant"]
    readonly_fields = ["tenant", "checked_at", "node_count", "faults"]
