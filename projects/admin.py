from django.contrib import admin

from . import supervision
from .models import DepartmentRobot, SupervisionPolicy


@admin.register(SupervisionPolicy)
class SupervisionPolicyAdmin(admin.ModelAdmin):
    """A tenant's supervision rhythm, set by platform administrators; saving moves every open
    row's next look (the service does it for tenant administrators' own changes)."""

    list_display = ["tenant", "remind_days_before", "escalate_after_days"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        supervision.reschedule_tenant(obj.tenant_id)


@admin.register(DepartmentRobot)
class DepartmentRobotAdmin(admin.ModelAdmin):
    """A department's own group robot: a webhook endpoint (with "仅接收定向消息" set) that gets
    each summons of the department. Set by platform administrators."""

    list_display = ["department", "endpoint", "tenant"]
    raw_id_fields = ["department", "endpoint"]
