"""The audit trail: every write to the business models, and every read of a party member's record.

What is recorded is listed here (`AUDITED_MODELS`, registered when the app is ready);
django-auditlog writes an entry on each save and delete, with the actor and address from
`members.middleware`. Entries are append-only: PostgreSQL refuses to change them and to delete them
before the retention period is over (members migration 0004), and `refuse_changing_entries` says
the same in Python. They are read by the tenant's audit administrator (安全审计员) only, on one
page; to everyone else the page does not exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import pre_save
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from .middleware import client_ip, current_request
from .models import Role

# Network logs are kept at least six months (网络安全法 art. 21); migration 0004 holds the same number.
RETENTION_FLOOR_DAYS = 180
PAGE_SIZE = 50

ACTION_LABELS = {
    LogEntry.Action.CREATE: _("新增"),
    LogEntry.Action.UPDATE: _("修改"),
    LogEntry.Action.DELETE: _("删除"),
    LogEntry.Action.ACCESS: _("查阅"),
}


# Names for the audited models whose verbose_name is not (yet) Chinese.
MODEL_LABELS = {
    "members.AllianceSpan": _("联盟覆盖范围"),
    "members.RotationSlot": _("轮值安排"),
}


class AuditLogIsAppendOnly(PermissionDenied):
    """An audit entry was about to be changed."""


# --- recording ----------------------------------------------------------------------------------

# The business models, with the fields left out of their entries and the many-to-many fields
# recorded as well. Only a model's own columns are compared: auditlog would otherwise list every
# reverse relation (a tenant's committees, a user's grants) in each creation entry.
AUDITED_MODELS: dict[str, dict[str, set[str]]] = {
    "committees.Tenant": {},
    # MPTT's bookkeeping changes with every neighbour's move; the parent change says what happened.
    "committees.Committee": {"exclude": {"lft", "rght", "tree_id", "depth"}},
    "members.User": {
        "exclude": {"password", "last_login"},
        "m2m": {"groups", "user_permissions"},
    },
    "members.RoleGrant": {},
    "members.MemberUnit": {},
    "members.Membership": {},
    "members.Seat": {},
    "members.Subcommittee": {},
    "members.RotationSlot": {},
    "members.Alliance": {"m2m": {"units"}},
    "members.AllianceSpan": {},
    "members.PartyMember": {},
    "members.Registration": {},
    "members.ServiceTeam": {"m2m": {"members"}},
    "members.ServiceRecord": {},
    "members.PointsRule": {},
    "members.PointsEntry": {},
    "members.ImportBatch": {},
    "demands.Category": {},
    "demands.Demand": {},
    "demands.DemandAttachment": {},
    "demands.Resource": {},
    "demands.Claim": {},
    "notifications.WebhookEndpoint": {"exclude": {"secret"}},
    "notifications.Preference": {},
}


def register_audited_models() -> None:
    for label, options in AUDITED_MODELS.items():
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
        (
            (content_type, str(MODEL_LABELS.get(model._meta.label, model._meta.verbose_name)))
            for model, content_type in by_model.items()
        ),
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


_DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})
_SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=_DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=_DATE)
    actor = forms.CharField(
        label=_("操作人"),
        required=False,
        max_length=150,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("用户名或姓名")}
        ),
    )
    model = forms.TypedChoiceField(
        label=_("对象类型"), required=False, coerce=int, empty_value=None, widget=_SELECT
    )
    action = forms.TypedChoiceField(
        label=_("操作"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("全部操作")), *ACTION_LABELS.items()],
        widget=_SELECT,
    )

    def __init__(self, *args, model_types: list[tuple[ContentType, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("全部类型"))] + [
            (content_type.pk, label) for content_type, label in model_types
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_entries(entries: QuerySet[LogEntry], data: dict) -> QuerySet[LogEntry]:
    if data.get("date_from"):
        entries = entries.filter(timestamp__gte=_start_of(data["date_from"]))
    if data.get("date_to"):
        entries = entries.filter(timestamp__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
    if data.get("actor"):
        name = data["actor"].strip()
        entries = entries.filter(Q(actor__username=name) | Q(actor__display_name__contains=name))
    if data.get("model") is not None:
        entries = entries.filter(content_type_id=data["model"])
    if data.get("action") is not None:
        entries = entries.filter(action=data["action"])
    return entries


class AuditLogView(LoginRequiredMixin, View):
    """/audit/: the tenant's audit log, for its audit administrator. Anyone else gets a 404, the
    same answer as a page that does not exist."""

    def get(self, request):
        if not is_auditor(request.user):
            raise Http404
        model_types = audited_model_types()
        form = AuditFilterForm(request.GET or None, model_types=model_types)
        data = {}
        if form.is_bound:
            form.is_valid()  # the valid filters apply even when another one is not
            data = form.cleaned_data
        entries = filter_entries(
            entries_visible_to(request.user).select_related("actor", "content_type"), data
        ).order_by("-timestamp", "-pk")
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        labels = {content_type.pk: label for content_type, label in model_types}
        rows = [
            {
                "entry": entry,
                "model": labels.get(entry.content_type_id, entry.content_type.model),
                "action": ACTION_LABELS.get(entry.action, entry.action),
                "changes": describe_changes(entry),
            }
            for entry in page
        ]
        query = {key: value for key, value in request.GET.items() if key != "page" and value}
        context = {"form": form, "page": page, "rows": rows, "query_string": urlencode(query)}
        return render(request, "security/audit_log.html", context)
