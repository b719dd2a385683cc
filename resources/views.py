"""Pages of the resource list (资源清单): list, detail, entry and editing, pause and withdrawal,
and the Excel template, import (with its past uploads) and export.

Thin: reads go through `Resource.objects.visible_to(user)` (a resource outside the user's reach is
a 404, like one that does not exist; one the user may read but not change is a 403), and writes go
through `demands.services`. Who may offer what, where, is asked of `demands.resource_imports`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View

from categories.services import categories_for
from committees.models import Committee
from core import excel
from core.errors import Errors
from core.forms import add_service_errors
from core.models import ImportBatch
from core.scoping import Action, can
from core.views import ScopedPageMixin
from demands.models import Claim, Match
from members.models import ROLES_FOR_ACTION
from resources import imports as offers
from resources.forms import (
    SORT_CHOICES,
    ResourceFilterSet,
    ResourceForm,
    ResourceImportForm,
    StatusForm,
)

from . import services
from .models import Resource, ResourceKind, ResourceStatus

PAGE_SIZE = 50
RESOURCE_FIELDS = (
    "title",
    "kind",
    "category",
    "capacity",
    "capacity_unit",
    "description",
    "available_from",
    "available_until",
)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def visible_resources(user) -> QuerySet[Resource]:
    return (
        Resource.objects.visible_to(user)
        .select_related("committee", "category", "offered_by")
        .order_by("-created_at", "-pk")
    )


def filtered_resources(request) -> tuple[ResourceFilterSet, QuerySet[Resource]]:
    """The resource list as the user filtered it: the page, its export and the API agree."""
    filterset = ResourceFilterSet(
        request.GET, queryset=visible_resources(request.user), request=request
    )
    return filterset, filterset.qs


def filter_committees(user) -> list[Committee]:
    """The committees offered in the list's filter: the user's own and one level below."""
    scope = user.scope_committees if getattr(user, "is_authenticated", False) else []
    if not scope:
        return []
    deepest = max(c.depth for c in scope) + 1
    return list(
        Committee.objects.visible_to(user)
        .open()
        .filter(depth__lte=deepest)
        .order_by("tree_id", "lft")
        .only("id", "name", "depth", "tree_id", "lft")[:500]
    )


def resource_data(values: dict, categories) -> services.ResourceData:
    return services.ResourceData(
        title=values.get("title", ""),
        kind=values.get("kind", ""),
        category=offers.category_lookup(categories)(values.get("category")),
        capacity=values.get("capacity") or None,
        capacity_unit=values.get("capacity_unit", ""),
        description=values.get("description", ""),
        available_from=values.get("available_from"),
        available_until=values.get("available_until"),
    )


# --- the list and one resource ---------------------------------------------------------------------


class ResourceListView(LoginRequiredMixin, View):
    def get(self, request):
        filterset, resources = filtered_resources(request)
        page = Paginator(resources, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        values = {name: request.GET.get(name, "") for name in filterset.filters}
        context = {
            "page": page,
            "resources": page.object_list,
            "filters": values,
            "kinds": ResourceKind.choices,
            "statuses": ResourceStatus.choices,
            "sorts": SORT_CHOICES,
            "categories": list(categories_for(request.user)),
            "committees": filter_committees(request.user),
            "query_string": query.urlencode(),
            "can_create": offers.can_offer(request.user),
        }
        return render(request, "resources/list.html", context)


class ResourceDetailView(ScopedPageMixin, View):
    model = Resource

    def get_scoped_queryset(self):
        return visible_resources(self.request.user)

    def get(self, request, pk):
        resource = self.get_scoped_object()
        claims = (
            Claim.objects.visible_to(request.user)
            .filter(resource=resource)
            .select_related("demand", "unit")
            .order_by("-created_at", "-pk")[:100]
        )
        matches = (
            Match.objects.visible_to(request.user)
            .filter(resource=resource)
            .select_related("demand")
            .order_by("-score", "pk")[:50]
        )
        mode = offers.write_mode(request.user, resource)
        context = {
            "resource": resource,
            "committed": resource.capacity - resource.remaining,
            "percent_left": int(resource.remaining * 100 / resource.capacity)
            if resource.capacity
            else 0,
            "claims": claims,
            "matches": matches,
            "can_edit": mode is not None and resource.status != ResourceStatus.WITHDRAWN,
            "status_actions": status_actions(resource) if mode else [],
        }
        return render(request, "resources/detail.html", context)


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


# --- entering and editing ----------------------------------------------------------------------------


class ResourceFormMixin:
    """The form's choices for the user's way of offering, and turning the posted committee and
    unit into objects, every problem reported at once with the fields' own."""

    def form_context(self, *, unit=None):
        """(form kwargs, units, committees by unit); units is None for staff."""
        user = self.request.user
        categories = list(categories_for(user).filter(is_active=True))
        if unit is None and offers.is_staff_writer(user):
            return {"categories": categories, "mode": offers.STAFF}, None, None
        units = [unit] if unit is not None else offers.contact_units(user)
        committees = offers.unit_committees(units)
        choices = {c.pk: offers.committee_label(c) for cs in committees.values() for c in cs}
        kwargs = {
            "categories": categories,
            "mode": offers.CONTACT,
            "committee_choices": list(choices.items()),
            "unit_choices": [(u.pk, u.name) for u in units],
        }
        return kwargs, units, committees

    def resolve(self, form, units, committees, *, fixed_unit=None, editing=False):
        """(committee, unit, problems) from the posted form."""
        user = self.request.user
        data = form.cleaned_data
        problems: dict[str, list[str]] = {}
        committee, unit = None, fixed_unit
        try:
            if units is None:
                committee = offers.staff_committee_by_reference(user, data["committee"])
            else:
                unit = fixed_unit or offers.contact_unit(units, data.get("offered_by"))
                committee = offers.contact_committee(unit, committees, data["committee"])
        except ValidationError as error:
            problems.update(error.message_dict)
        if units is None and not editing:
            try:
                unit = offers.staff_unit_by_reference(user, data.get("offered_by", ""))
            except ValidationError as error:
                problems.update(error.message_dict)
        return committee, unit, problems


def report_problems(form, problems, data: services.ResourceData, tenant_id, committee) -> None:
    """The committee or unit problem together with every other field's own problem."""
    found = Errors()
    services.clean_resource(tenant_id=tenant_id, committee=committee, data=data, errors=found)
    if committee is None:
        # The committee or unit problem says more than the service's "choose a committee".
        found.by_field.pop("committee", None)
    add_service_errors(form, ValidationError({**found.by_field, **problems}))


class ResourceCreateView(ResourceFormMixin, LoginRequiredMixin, View):
    """Staff offer a resource to a committee in their reach (their own, or a unit's on its
    behalf); a unit's contact offers their unit's resource where the unit stands or belongs."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not offers.can_offer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        kwargs, units, _committees = self.form_context()
        initial = {}
        if units is None and request.user.scope_committees:
            first = request.user.scope_committees[0]
            initial["committee"] = first.division_code or first.name
        elif units and len(units) == 1:
            initial["offered_by"] = units[0].pk
            initial["committee"] = units[0].committee_id
        return self.render_form(ResourceForm(initial=initial, **kwargs))

    def post(self, request):
        kwargs, units, committees = self.form_context()
        form = ResourceForm(request.POST, **kwargs)
        if form.is_valid():
            committee, unit, problems = self.resolve(form, units, committees)
            data = resource_data(form.cleaned_data, kwargs["categories"])
            if problems:
                report_problems(form, problems, data, request.user.tenant_id, committee)
            else:
                try:
                    resource = services.resource_create(
                        actor=request.user, committee=committee, data=data, offered_by=unit
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
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


class ResourceEditView(ResourceFormMixin, ScopedPageMixin, View):
    """The resource's own staff, or its unit's contact, change what is offered and where."""

    model = Resource

    def get_scoped_queryset(self):
        return visible_resources(self.request.user)

    def get_resource(self) -> Resource:
        resource = self.get_scoped_object()
        self.mode = offers.write_mode(self.request.user, resource)
        if self.mode is None:
            raise PermissionDenied
        return resource

    def context_for(self, resource):
        unit = resource.offered_by if self.mode == offers.CONTACT else None
        kwargs, units, committees = self.form_context(unit=unit)
        return {**kwargs, "editing": True}, units, committees

    def get(self, request, pk):
        resource = self.get_resource()
        if resource.status == ResourceStatus.WITHDRAWN:
            messages.error(request, _("已撤回的资源不能再修改。"))
            return redirect("resources:resource_detail", pk=resource.pk)
        kwargs, units, _committees = self.context_for(resource)
        initial = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
        initial["category"] = resource.category_id
        initial["capacity"] = f"{resource.capacity.normalize():f}"
        initial["committee"] = (
            resource.committee_id
            if units is not None
            else resource.committee.division_code or resource.committee.name
        )
        return self.render_form(resource, ResourceForm(initial=initial, **kwargs))

    def post(self, request, pk):
        resource = self.get_resource()
        kwargs, units, committees = self.context_for(resource)
        form = ResourceForm(request.POST, **kwargs)
        if form.is_valid():
            committee, _unit, problems = self.resolve(
                form, units, committees, fixed_unit=resource.offered_by, editing=True
            )
            data = resource_data(form.cleaned_data, kwargs["categories"])
            if problems:
                report_problems(form, problems, data, resource.tenant_id, committee)
            else:
                try:
                    services.resource_update(resource=resource, data=data, committee=committee)
                except ValidationError as error:
                    add_service_errors(form, error)
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
        if offers.write_mode(request.user, resource) is None:
            raise PermissionDenied
        form = StatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("未知的状态。"))
            return redirect("resources:resource_detail", pk=resource.pk)
        try:
            resource = services.resource_set_status(
                resource=resource, status=form.cleaned_data["status"]
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(
                request,
                _("资源“%(t)s”现为“%(s)s”。")
                % {"t": resource.title, "s": resource.get_status_display()},
            )
        return redirect("resources:resource_detail", pk=resource.pk)


# --- Excel ----------------------------------------------------------------------------------------


def import_committee(user, pk) -> Committee:
    """The committee a staff import goes to: 404 out of reach, 403 where the user only reads."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as error:
        raise Http404 from error
    committee = get_object_or_404(Committee.objects.visible_to(user), pk=pk)
    if not can(user, Action.CHANGE, committee):
        raise PermissionDenied
    return committee


def staff_committee_choices(user, selected: Committee | None = None) -> list[tuple[int, str]]:
    """The committees where the user holds a grant to change things, outermost first."""
    committees = {
        grant.committee.pk: grant.committee
        for grant in user.role_grants()
        if grant.committee is not None
        and grant.role in ROLES_FOR_ACTION[Action.CHANGE]
        and grant.committee.tenant_id == user.tenant_id
    }
    if selected is not None:
        committees.setdefault(selected.pk, selected)
    ordered = sorted(committees.values(), key=lambda c: (c.tree_id, c.lft))
    return [(c.pk, offers.committee_label(c)) for c in ordered]


class ResourceTemplateView(LoginRequiredMixin, View):
    """The blank template, with the committees this user may fill in as 服务范围."""

    def get(self, request):
        user = request.user
        if offers.is_staff_writer(user):
            committee = None
            if request.GET.get("committee"):
                committee = import_committee(user, request.GET["committee"])
            committees = offers.staff_reference_committees(user, committee)
        elif offers.can_offer(user):
            by_unit = offers.unit_committees(offers.contact_units(user))
            committees = list({c.pk: c for cs in by_unit.values() for c in cs}.values())
        else:
            raise PermissionDenied
        content = offers.resource_template(tenant_id=user.tenant_id, committees=committees)
        return xlsx_response(content, _("资源清单导入模板.xlsx"))


class ResourceImportView(LoginRequiredMixin, View):
    template_name = "resources/import_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not offers.can_offer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_kwargs(self, selected: Committee | None = None):
        user = self.request.user
        if offers.is_staff_writer(user):
            return (
                {
                    "mode": offers.STAFF,
                    "committee_choices": staff_committee_choices(user, selected),
                },
                None,
                None,
            )
        units = offers.contact_units(user)
        committees = offers.unit_committees(units)
        choices = {c.pk: offers.committee_label(c) for cs in committees.values() for c in cs}
        return (
            {
                "mode": offers.CONTACT,
                "committee_choices": list(choices.items()),
                "unit_choices": [(u.pk, u.name) for u in units],
            },
            units,
            committees,
        )

    def get(self, request):
        committee = None
        if request.GET.get("committee") and offers.is_staff_writer(request.user):
            committee = import_committee(request.user, request.GET["committee"])
        kwargs, units, _committees = self.form_kwargs(committee)
        choices = kwargs["committee_choices"]
        initial = {"committee": committee.pk if committee else choices[0][0] if choices else None}
        if units:
            initial["offered_by"] = units[0].pk
            initial["committee"] = units[0].committee_id
        return self.render_form(ResourceImportForm(initial=initial, **kwargs), committee)

    def post(self, request):
        user = request.user
        staff = offers.is_staff_writer(user)
        committee = import_committee(user, request.POST.get("committee")) if staff else None
        kwargs, units, committees = self.form_kwargs(committee)
        form = ResourceImportForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            try:
                if staff:
                    unit = offers.staff_unit_by_reference(user, form.cleaned_data["offered_by"])
                else:
                    unit = offers.contact_unit(units, form.cleaned_data["offered_by"])
                    committee = offers.contact_committee(
                        unit, committees, form.cleaned_data["committee"]
                    )
                batch = offers.resources_import(
                    user=user,
                    committee=committee,
                    unit=unit,
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


class ImportBatchMixin(ScopedPageMixin):
    """Resource uploads, read through `ImportBatch.objects.visible_to` (which includes the
    user's own: a unit's contact has no committee scope but sees what they uploaded)."""

    model = ImportBatch

    def get_scoped_queryset(self):
        return (
            ImportBatch.objects.visible_to(self.request.user)
            .filter(kind=offers.KIND_RESOURCES)
            .select_related("committee", "uploaded_by")
            .order_by("-uploaded_at", "-pk")
        )


class ImportListView(ImportBatchMixin, View):
    """Past uploads of resource lists, newest first."""

    def get(self, request):
        page = Paginator(self.get_scoped_queryset(), PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "resources/import_list.html",
            {
                "page": page,
                "batches": page.object_list,
                "can_import": offers.can_offer(request.user),
            },
        )


class ImportDetailView(ImportBatchMixin, View):
    """One upload's result: what was imported, or every bad row and why."""

    def get(self, request, pk):
        batch = self.get_scoped_object()
        errors = sorted(
            batch.errors or [],
            key=lambda e: (e.get("row") is not None, e.get("row") or 0),
        )
        return render(
            request,
            "resources/import_result.html",
            {
                "batch": batch,
                "bad_rows": len({e["row"] for e in errors if e.get("row") is not None}),
                "workbook_errors": [e for e in errors if e.get("row") is None],
                "row_errors": [e for e in errors if e.get("row") is not None],
                "can_reimport": offers.can_offer(request.user),
            },
        )


class ImportFileView(ImportBatchMixin, View):
    """The uploaded file as it was received, to those who can see the batch."""

    def get(self, request, pk):
        batch = self.get_scoped_object()
        try:
            handle = batch.file.open("rb")
        except (FileNotFoundError, ValueError) as error:
            raise Http404 from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=batch.original_name,
            content_type=excel.XLSX_CONTENT_TYPE,
        )
        response["Cache-Control"] = "private, no-store"
        return response


class ResourceExportView(LoginRequiredMixin, View):
    """The resource list as the user filtered it, as a workbook."""

    def get(self, request):
        _filterset, resources = filtered_resources(request)
        content = offers.resource_export(resources=resources.iterator(chunk_size=2000))
        filename = _("资源清单_%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
        return xlsx_response(content, filename)
