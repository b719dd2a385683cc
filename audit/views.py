"""/audit/: the tenant's audit log, read by its audit administrator only."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views import View

from .forms import AuditFilterForm
from .policies import is_auditor
from .selectors import audited_kinds, describe, entries_visible_to

PAGE_SIZE = 50


class AuditLogView(LoginRequiredMixin, View):
    """/audit/: the tenant's audit log, for its audit administrator. Anyone else gets a 404, the
    same answer as a page that does not exist."""

    def get(self, request):
        if not is_auditor(request.user):
            raise Http404
        form = AuditFilterForm(request.GET or None, kinds=audited_kinds())
        filters = {}
        if form.is_bound:
            form.is_valid()  # the valid filters apply even when another one is not
            filters = form.cleaned_data
        page = Paginator(entries_visible_to(request.user, filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        query = {key: value for key, value in request.GET.items() if key != "page" and value}
        context = {
            "form": form,
            "page": page,
            "rows": describe(page.object_list),
            "query_string": urlencode(query),
        }
        return render(request, "audit/audit_log.html", context)
