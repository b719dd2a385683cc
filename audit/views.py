"""/audit/: the tenant's audit log, read by its audit administrator only."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from auditlog.models import LogEntry
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from .forms import AuditFilterForm
from .services import (
    ACTION_LABELS,
    audited_model_types,
    describe_changes,
    entries_visible_to,
    is_auditor,
)

PAGE_SIZE = 50


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
