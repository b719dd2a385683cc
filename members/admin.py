from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import RoleGrant, User

# The audit log is read by each tenant's audit administrator on /audit/, and by no one else: not
# even a platform superuser reads it in the admin site. (auditlog is installed before members, so
# its admin module has registered LogEntry by now.)
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


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
