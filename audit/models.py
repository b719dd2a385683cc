"""The audit trail: one append-only table of entries, written by PostgreSQL triggers on every
audited table (see `audit.recording`) and by `audit.services.record_personal_data_access`."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from committees.models import Tenant
from core.scoping import Action

from .policies import is_auditor


class Operation(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    ACCESS = "access", _("查阅")


class AuditLogIsAppendOnly(PermissionDenied):
    """An audit entry was about to be changed."""


class EntryQuerySet(models.QuerySet):
    def visible_to(self, user, action: Action | str = Action.VIEW) -> EntryQuerySet:
        """The audit administrator of a tenant reads every entry of that tenant; nobody reads
        anything else, and nobody changes an entry."""
        if action != Action.VIEW or not is_auditor(user):
            return self.none()
        return self.filter(tenant_id=user.tenant_id)


class Entry(models.Model):
    """One write to an audited row (its new state, or the old one for a deletion, and what
    changed), or one read of a record of personal data; with who did it (a user, or a background
    task), from which address, and the tenant whose data it was.

    The actor and the tenant are kept without a database constraint, so that removing an account
    never touches the trail."""

    # The triggers take the database's clock (the transaction's start); Python writes its own.
    at = models.DateTimeField(_("时间"), default=timezone.now, db_default=Now())
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("租户"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    task = models.CharField(_("后台任务"), max_length=200, blank=True, default="")
    remote_addr = models.GenericIPAddressField(_("来源地址"), null=True)
    # The rest of the request or task: address path, method, the actor's username at the time.
    context = models.JSONField(_("上下文"), null=True)
    operation = models.CharField(_("操作"), max_length=8, choices=Operation.choices)
    model = models.CharField(_("对象类型"), max_length=100)  # the model's label_lower
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=300, blank=True, default="")
    # The row by column: the new state, or the last one for a deletion.
    data = models.JSONField(_("数据"), null=True)
    # {column: [before, after]} for an update.
    changes = models.JSONField(_("变更"), null=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "-at", "-id"], name="audit_entry_tenant_at"),
            models.Index(fields=["model", "object_id"], name="audit_entry_object"),
            models.Index(fields=["at"], name="audit_entry_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_operation_display()} {self.model}#{self.object_id}"

    def save(self, *args, **kwargs) -> None:
        # An entry is written once. (PostgreSQL also refuses any UPDATE of the table.)
        if not self._state.adding:
            raise AuditLogIsAppendOnly(_("审计日志只能追加，不能修改。"))
        super().save(*args, **kwargs)
