"""The record every bulk input keeps: the uploaded workbook, who sent it, and what became of it.

This room holds no business rules; the batch points at a committee and a user by name only
("committees.Committee", the user model), so nothing here imports the floors above.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySetMixin


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", _("已导入")
    REJECTED = "rejected", _("未导入")


def import_upload_path(instance: ImportBatch, filename: str) -> str:
    return f"imports/{instance.tenant_id}/{timezone.now():%Y/%m}/{filename}"


class ImportBatchQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Uploads of committees in the user's reach, and always the user's own uploads."""

    committee_paths = ("committee",)

    def extra_terms(self, user, action):
        return [Q(uploaded_by_id=user.pk, tenant_id=user.tenant_id)]


class ImportBatch(models.Model):
    """One uploaded workbook. The file is kept whatever happens to it; a rejected workbook keeps
    the list of its bad rows and why, and nothing from it was imported."""

    tenant = models.ForeignKey(
        "committees.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    kind = models.CharField(_("导入类型"), max_length=32)  # "member_units", later "resources", ...
    committee = models.ForeignKey(
        "committees.Committee",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("协调委员会"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    file = models.FileField(_("文件"), upload_to=import_upload_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    status = models.CharField(_("结果"), max_length=16, choices=ImportStatus.choices)
    row_count = models.PositiveIntegerField(_("数据行数"), default=0)
    created_count = models.PositiveIntegerField(_("导入条数"), default=0)
    errors = models.JSONField(
        _("错误"), default=list
    )  # [{"row": 7, "field": "...", "message": "..."}]

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"
