from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["committee"]
    fields = ["tenant", "role", "committee"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "tenant", "is_active", "is_superuser"]
    list_filter = ["tenant", "is_active", "is_superuser"]
    search_fields = ["username", "display_name"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("租户"), {"fields": ["tenant", "display_name", "phone"]}),
    )
    inlines = [RoleGrantInline]
