"""Pages of the resource list (资源清单): list, detail, entry and editing, pause and withdrawal,
and the Excel template, import (with its past uploads) and export.

Thin: every page reads through `ScopedPageMixin` (a resource outside the user's reach is a 404,
like one that does not exist; one the user may read but not change is a 403), parses with the row
form of `resources.forms`, calls one service of `resources.services` or `resources.imports`, and
renders. Who may offer what, where, is `resources.policies`' to say, enforced by the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from categories.services import categories_for
from committees.models import Committee
from committees.selectors import committee_filter_choices
from core import bulk_views, excel
from core.choices import choice_label
from core.forms import add_service_errors
from core.numbers import number
from core.pagination import RowPaginator, sorted_on
from core.scoping import Action
from core.views import ScopedPageMixin, pk_urls, run_service, xlsx_response

from . import imports, policies, services
from .filtersets import SORT_CHOICES, filtered_resources
from .forms import ResourceContext, ResourceForm, ResourceImportForm, resource_initial
from .models import Resource, ResourceKind, ResourceStatus
from .selectors import visible_resources

PAGE_SIZE = 50


def capacity_shown(remaining, capacity, unit: str, line: str) -> tuple[str, str]:
    """What `resources/_capacity.html` shows beside the numbers: the line "剩余15/30人次" (`line`
    is its translation, fetched once for a list; `unit` the unit's label) and the bar's width,
    as `{% widthratio %}` gives it."""
    text = line % {"left": number(remaining), "total": number(capacity), "unit": unit}
    try:
        percent = str(round(float(remaining) / float(capacity) * 100))
    except ZeroDivisionError:
        percent = "0"
    return text, percent


def capacity_line() -> str:
    return _("剩余%(left)s/%(total)s%(unit)s")


# What `resource_rows` reads: the page loads these values alone, no model instances.
ROW_COLUMNS = (
    *("pk", "title", "kind", "capacity", "capacity_unit", "remaining", "status"),
    *("category__name", "committee__name", "offered_by__name"),
)


def resource_rows(values) -> list[dict]:
    """The list's rows (`ROW_COLUMNS` values) as the plain values they show, worked out once in
    Python: the template engine reads a dict's key at once, where a model instance costs it a
    failed subscript and an attribute lookup for every dotted name of every row. The keys are
    what `resources/list.html` and the includes it shares with the detail page
    (`_capacity.html`, `_status.html`) read."""
    line = capacity_line()
    detail_url = pk_urls("resources:resource_detail")
    field = Resource._meta.get_field
    kind, unit, status = field("kind"), field("capacity_unit"), field("status")
    rows = []
    for value in values:
        text, percent = capacity_shown(
            value["remaining"], value["capacity"], choice_label(unit, value["capacity_unit"]), line
        )
        rows.append(
            {
                "pk": value["pk"],
                "url": detail_url(value["pk"]),
                "title": value["title"],
                "kind_label": choice_label(kind, value["kind"]),
                "category_name": value["category__name"],
                "committee_name": value["committee__name"],
                "offered_by_name": value["offered_by__name"],
                "capacity": value["capacity"],
                "remaining": value["remaining"],
                "capacity_line": text,
                "capacity_percent": percent,
                "status": value["status"],
                "get_status_display": choice_label(status, value["status"]),
            }
        )
    return rows


# --- the list and one resource ---------------------------------------------------------------------


class ResourceListView(ScopedPageMixin, View):
    model = Resource

    def get(self, request):
        filterset, resources = filtered_resources(request)
        rows = sorted_on(resources.values(*ROW_COLUMNS), resources)
        page = RowPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "page": page,
            "rows": resource_rows(page.object_list),
            "filters": {name: request.GET.get(name, "") for name in filterset.filters},
            "kinds": ResourceKind.choices,
            "statuses": ResourceStatus.choices,
            "sorts": SORT_CHOICES,
            "categories": list(categories_for(request.user)),
            "committees": committee_filter_choices(request.user),
            "query_string": query.urlencode(),
            "can_create": policies.can_offer(request.user),
        }
        return render(request, "resources/list.html", context)


def status_actions(resource: Resource) -> list[tuple[str, str, str]]:
    """(status, button label, style) for the moves open to the resource now."""
    labels = {
        ResourceStatus.ACTIVE: (_("恢复可用"), "outline-success"),
        ResourceStatus.PAUSED: (_("暂停"), "outline-secondary"),
        ResourceStatus.WITHDRAWN: (_("撤回"), "outline-danger"),
    }
    return [
        (status, *labels[ResourceStatus(status)])
        for status in ResourceStatus.values
        if status in services.RESOURCE_TRANSITIONS[resource.status]
    ]


class ResourceDetailView(ScopedPageMixin, View):
    model = Resource

    def get(self, request, pk):
        resource = self.get_scoped_object(queryset=visible_resources(request.user))
        resource.capacity_line, resource.capacity_percent = capacity_shown(
            resource.remaining,
            resource.capacity,
            resource.get_capacity_unit_display(),
            capacity_line(),
        )
        mode = policies.edit_mode(request.user, resource)
        context = {
            "resource": resource,
            "committed": resource.capacity - resource.remaining,
            "percent_left": int(resource.remaining * 100 / resource.capacity)
            if resource.capacity
            else 0,
            "can_edit": mode is not None and resource.status != ResourceStatus.WITHDRAWN,
            "status_actions": status_actions(resource) if mode else [],
        }
        return render(request, "resources/detail.html", context)


# --- entering and editing ----------------------------------------------------------------------------


class ResourceCreateView(ScopedPageMixin, View):
    """Staff offer a resource to a committee in their reach (their own, or a unit's on its
    behalf); a unit's contact offers their unit's resource where the unit stands or belongs."""

    model = Resource

    def get(self, request):
        context = ResourceContext(request.user)
        return self.render_form(ResourceForm(initial=context.initial(), context=context))

    def post(self, request):
        form = ResourceForm(request.POST, context=ResourceContext(request.user))
        if form.is_valid():
            offer = form.item
            try:
                resource = services.resource_create(
                    actor=request.user,
                    committee=offer.committee,
                    offered_by=offer.offered_by,
                    data=offer.data,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已登记资源“%(t)s”。") % {"t": resource.title})
                return redirect("resources:resource_detail", pk=resource.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        return render(
            self.request,
            "resources/form.html",
            {"form": form, "title": _("登记资源"), "submit_label": _("登记")},
            status=status,
        )


class ResourceEditView(ScopedPageMixin, View):
    """The resource's own staff, or its unit's contact, change what is offered and where."""

    model = Resource

    def edit_context(self, resource) -> ResourceContext | None:
        """How the user changes the resource; None, said in a message, once it is withdrawn."""
        try:
            return ResourceContext(self.request.user, instance=resource)
        except ValidationError as error:
            messages.error(self.request, "；".join(error.messages))
            return None

    def get(self, request, pk):
        resource = self.get_scoped_object(queryset=visible_resources(request.user))
        context = self.edit_context(resource)
        if context is None:
            return redirect("resources:resource_detail", pk=resource.pk)
        form = ResourceForm(initial=resource_initial(resource, context), context=context)
        return self.render_form(resource, form)

    def post(self, request, pk):
        resource = self.get_scoped_object(queryset=visible_resources(request.user))
        context = self.edit_context(resource)
        if context is None:
            return redirect("resources:resource_detail", pk=resource.pk)
        form = ResourceForm(request.POST, context=context)
        if form.is_valid():
            try:
                services.resource_update(
                    actor=request.user,
                    resource=resource,
                    data=form.item.data,
                    committee=form.item.committee,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已保存。"))
                return redirect("resources:resource_detail", pk=resource.pk)
        return self.render_form(resource, form, status=400)

    def render_form(self, resource, form, status=200):
        return render(
            self.request,
            "resources/form.html",
            {
                "form": form,
                "title": _("编辑 %(t)s") % {"t": resource.title},
                "submit_label": _("保存"),
                "object": resource,
            },
            status=status,
        )


class ResourceStatusView(ScopedPageMixin, View):
    """Pause, offer again, or withdraw a resource."""

    model = Resource

    def post(self, request, pk):
        resource = self.get_scoped_object()
        changed = run_service(
            request,
            lambda: services.resource_set_status(
                actor=request.user, resource=resource, status=request.POST.get("status", "")
            ),
        )
        if changed:
            messages.success(
                request,
                _("资源“%(t)s”现为“%(s)s”。")
                % {"t": changed.title, "s": changed.get_status_display()},
            )
        return redirect("resources:resource_detail", pk=resource.pk)


# --- Excel ----------------------------------------------------------------------------------------


class ResourceImportPage(ScopedPageMixin, View):
    """A page of the import, for those who may offer resources. Staff name the committee by
    its id, read in their change scope (404 out of reach, 403 where they only read)."""

    model = Committee
    action = Action.CHANGE

    def staff_committee(self, context: ResourceContext, pk) -> Committee | None:
        if not context.acts_as_staff or pk in (None, ""):
            return None
        return self.get_scoped_object(pk=pk)


class ResourceTemplateView(ResourceImportPage):
    """The blank template, with the committees this user may fill in as 服务范围."""

    def get(self, request):
        context = ResourceContext(request.user)
        committee = self.staff_committee(context, request.GET.get("committee"))
        content = imports.resource_template(user=request.user, committee=committee)
        return xlsx_response(content, _("资源清单导入模板.xlsx"))


class ResourceImportView(ResourceImportPage):
    template_name = "resources/import_form.html"

    def get(self, request):
        context = ResourceContext(request.user)
        committee = self.staff_committee(context, request.GET.get("committee"))
        return self.render_form(ResourceImportForm(context=context, chosen=committee), committee)

    def post(self, request):
        context = ResourceContext(request.user)
        committee = self.staff_committee(context, request.POST.get("committee") or "x")
        form = ResourceImportForm(request.POST, request.FILES, context=context, chosen=committee)
        if form.is_valid():
            try:
                batch = imports.resources_import(
                    actor=request.user,
                    committee=form.item.committee,
                    unit=form.item.offered_by,
                    uploaded_file=form.cleaned_data["file"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                # The result page says what happened; a flash message would only repeat it.
                return redirect("resources:resource_excel_import_detail", pk=batch.pk)
        return self.render_form(form, committee, status=400)

    def render_form(self, form, committee, status=200):
        context = {"form": form, "committee": committee, "max_rows": excel.max_rows_setting()}
        return render(self.request, self.template_name, context, status=status)


class ResourceBatchPages:
    kind = imports.KIND_RESOURCES

    def may_import(self, batch=None) -> bool:
        return policies.can_offer(self.request.user)


class ImportListView(ResourceBatchPages, bulk_views.ImportListView):
    template_name = "resources/import_list.html"


class ImportDetailView(ResourceBatchPages, bulk_views.ImportDetailView):
    template_name = "resources/import_result.html"


class ImportFileView(ResourceBatchPages, bulk_views.ImportFileView):
    pass


class ResourceExportView(ScopedPageMixin, View):
    """The resource list as the user filtered it, as a workbook."""

    model = Resource

    def get(self, request):
        _filterset, resources = filtered_resources(request)
        content = imports.resource_export(resources=resources.iterator(chunk_size=2000))
        filename = _("资源清单_%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
        return xlsx_response(content, filename)
