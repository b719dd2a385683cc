"""The audit trail: every write to the business models, and every read of a party member's record.

What is recorded is declared by each app, in its own AppConfig (`audited_models`), and
registered when this app is ready: this floor never imports the apps whose models it records.
django-auditlog writes an entry on each save and delete, with the actor and address from
`audit.middleware`. Entries are append-only: PostgreSQL refuses to change them and to delete them
before the retention period is over (audit migration 0002), and `refuse_changing_entries` says
the same in Python. They are read by the tenant's audit administrator (安全审计员) only, on one
page; to everyone else the page does not exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.db.models.signals import pre_save
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.http import client_ip
from members.models import Role

from .middleware import current_request

# Network logs are kept at least six months (网络安全法 art. 21); migration 0004 holds the same number.
RETENTION_FLOOR_DAYS = 180
ACTION_LABELS = {
    LogEntry.Action.CREATE: _("新增"),
    LogEntry.Action.UPDATE: _("修改"),
    LogEntry.Action.DELETE: _("删除"),
    LogEntry.Action.ACCESS: _("查阅"),
}


class AuditLogIsAppendOnly(PermissionDenied):
    """An audit entry was about to be changed."""


# --- recording ----------------------------------------------------------------------------------


def audited_model_options() -> dict[str, dict[str, set[str]]]:
    """Every app's declaration of the models it wants recorded: {"app.Model": options}, where the
    options name the fields left out ("exclude") and the many-to-many fields recorded ("m2m").
    Only a model's own columns are compared: auditlog would otherwise list every reverse
    relation (a tenant's committees, a user's grants) in each creation entry."""
    declared: dict[str, dict[str, set[str]]] = {}
    for config in apps.get_app_configs():
        for name, options in getattr(config, "audited_models", {}).items():
            declared[f"{config.label}.{name}"] = options
    return declared


def register_audited_models() -> None:
    for label, options in audited_model_options().items():
        model = apps.get_model(label)
        exclude = options.get("exclude", set())
        auditlog.register(
            model,
            include_fields=[
                field.name for field in model._meta.fields if field.name not in exclude
            ],
            exclude_fields=sorted(exclude),
            m2m_fields=options.get("m2m", set()),
        )


def set_actor_from_request(sender, instance: LogEntry, **kwargs) -> None:
    """pre_save of an entry: the actor is the request's user as it is now, so that a user
    authenticated by the API (token) is known, not only one who came with a session."""
    if instance.actor_id is not None or not instance._state.adding:
        return
    request = current_request()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        instance.actor_id = user.pk
        instance.actor_email = user.email or None


def refuse_changing_entries(sender, instance: LogEntry, **kwargs) -> None:
    """pre_save of an entry: an entry is written once. (In PostgreSQL a trigger also refuses
    UPDATE statements that send no signal.)"""
    if not instance._state.adding:
        raise AuditLogIsAppendOnly(_("审计日志只能追加，不能修改。"))


def connect_signals() -> None:
    pre_save.connect(refuse_changing_entries, sender=LogEntry, dispatch_uid="audit_append_only")
    pre_save.connect(set_actor_from_request, sender=LogEntry, dispatch_uid="audit_actor")


def record_personal_data_access(user, obj: Model, request: HttpRequest | None = None) -> LogEntry:
    """Record that `user` read `obj` in full: a party member's record, or any record of personal
    data (PIPL). Pages that show such a record call this on every read."""
    actor = user if getattr(user, "is_authenticated", False) else None
    return LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        actor_id=actor.pk if actor else None,
        actor_email=(actor.email or None) if actor else None,
        remote_addr=client_ip(request) if request is not None else None,
    )


# --- retention ----------------------------------------------------------------------------------


def retention_days() -> int:
    return max(RETENTION_FLOOR_DAYS, settings.AUDIT_LOG_RETENTION_DAYS)


def audit_log_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the entries older than the retention period (180 days, or longer if configured);
    run daily by Celery beat. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days())
    deleted, _by_model = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    return deleted


# --- reading: the audit administrator's page --------------------------------------------------


def is_auditor(user) -> bool:
    """Holds the audit administrator's role in their own tenant."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.tenant_id is not None
        and user.has_role(Role.AUDIT_ADMIN)
    )


def entries_visible_to(user) -> QuerySet[LogEntry]:
    """The entries an auditor reads: those whose actor is an account of the auditor's tenant.
    Everyone else reads none."""
    if not is_auditor(user):
        return LogEntry.objects.none()
    return LogEntry.objects.filter(actor__tenant_id=user.tenant_id)


def audited_model_types() -> list[tuple[ContentType, str]]:
    """The content types of the audited models with their names, sorted by name. The content
    types come from Django's cache, so this costs no query after the first."""
    by_model = ContentType.objects.get_for_models(*auditlog.get_models())
    return sorted(
        ((content_type, str(model._meta.verbose_name)) for model, content_type in by_model.items()),
        key=lambda pair: pair[1],
    )


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def _shown(value, choices: dict) -> str:
    if value in (None, "None"):
        return ""
    return str(choices.get(value, value))


def describe_changes(entry: LogEntry) -> list[Change]:
    """An entry's changes by field name, with choices shown by their labels."""
    model = entry.content_type.model_class()
    rows = []
    for name, values in (entry.changes or {}).items():
        label, choices = name, {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                pass
            else:
                label = str(getattr(field, "verbose_name", name))
                choices = {str(key): value for key, value in getattr(field, "flatchoices", [])}
        if isinstance(values, dict) and values.get("type") == "m2m":
            verb = _("加入") if values.get("operation") == "add" else _("移除")
            rows.append(Change(label, "", f"{verb}：{'、'.join(values.get('objects', []))}"))
        elif isinstance(values, list | tuple) and len(values) == 2:
            rows.append(Change(label, _shown(values[0], choices), _shown(values[1], choices)))
    return rows
