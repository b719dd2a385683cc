"""Excel pages for member units: the template, the upload with its result, past uploads, export.

Scoping follows the rest of the site: a committee or batch outside the user's reach is a 404, the
same as one that does not exist; a user who may read but not change (a leader, a unit contact) gets
403 on the import. The work itself is done by `members.imports`.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from committees.models import Committee
from core import excel
from core.forms import StyledForm, add_service_errors
from core.models import ImportBatch
from core.scoping import Action, can, user_scopes
from core.views import ScopedPageMixin
from members import imports, selectors
from members.models import ROLES_FOR_ACTION, MemberUnit, UnitKind, User


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Workbooks carry contact details: keep them out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def import_committee(user: User, pk) -> Committee:
    """The committee an import goes to: 403 for a user who may change nothing anywhere (a leader,
    a unit contact), 404 for a committee out of reach, 403 for one the user may only read."""
    if not user_scopes(user, Action.CHANGE):
        raise PermissionDenied
    try:
        pk = int(pk)
    except (TypeError, ValueError) as error:
        raise Http404 from error
    committee = get_object_or_404(Committee.objects.visible_to(user), pk=pk)
    if not can(user, Action.CHANGE, committee):
        raise PermissionDenied
    return committee


def committee_choices(user: User, selected: Committee | None = None) -> list[tuple[int, str]]:
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
    return [
        (c.pk, f"{c.name}（{c.division_code}）" if c.division_code else c.name) for c in ordered
    ]


class UnitImportForm(StyledForm):
    committee = forms.IntegerField(
        label=gettext_lazy("导入到"),
        widget=forms.Select,
        help_text=gettext_lazy("“所在地”留空的行登记在这里；填写的所在地须在它的范围内。"),
    )
    file = forms.FileField(
        label=gettext_lazy("Excel文件（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].widget.choices = list(choices)
        self.fields["file"].help_text = _(
            "请使用下载的模板填写；每次最多%(rows)d行，文件不超过%(size)s。"
        ) % {
            "rows": excel.max_rows_setting(),
            "size": excel.human_size(excel.max_bytes_setting()),
        }


class UnitTemplateView(LoginRequiredMixin, View):
    """The blank template, with the places this user may fill in listed on a sheet of its own."""

    def get(self, request):
        committee = None
        if request.GET.get("committee"):
            committee = import_committee(request.user, request.GET["committee"])
        elif not user_scopes(request.user, Action.CHANGE):
            raise PermissionDenied
        content = imports.unit_template(user=request.user, committee=committee)
        return xlsx_response(content, _("成员单位导入模板.xlsx"))


class UnitImportView(LoginRequiredMixin, View):
    template_name = "members/excel/import_form.html"

    def get(self, request):
        committee = None
        if request.GET.get("committee"):
            committee = import_committee(request.user, request.GET["committee"])
        elif not user_scopes(request.user, Action.CHANGE):
            raise PermissionDenied
        choices = committee_choices(request.user, committee)
        initial = {"committee": committee.pk if committee else choices[0][0] if choices else None}
        form = UnitImportForm(initial=initial, choices=choices)
        return self.render_form(form, committee)

    def post(self, request):
        committee = import_committee(request.user, request.POST.get("committee"))
        form = UnitImportForm(
            request.POST, request.FILES, choices=committee_choices(request.user, committee)
        )
        if form.is_valid():
            try:
                batch = imports.member_units_import(
                    user=request.user,
                    committee=committee,
                    uploaded_file=form.cleaned_data["file"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                # The result page says what happened; a flash message would only repeat it.
                return redirect("members:unit_excel_import_detail", pk=batch.pk)
        return self.render_form(form, committee, status=400)

    def render_form(self, form, committee, status=200):
        context = {
            "form": form,
            "committee": committee,
            "max_rows": excel.max_rows_setting(),
        }
        return render(self.request, self.template_name, context, status=status)


class ImportBatchMixin(ScopedPageMixin):
    model = ImportBatch

    def get_scoped_queryset(self):
        return (
            ImportBatch.objects.visible_to(self.request.user)
            .filter(kind=imports.KIND_MEMBER_UNITS)
            .select_related("committee", "uploaded_by")
        )


class ImportListView(ImportBatchMixin, View):
    """Past uploads of member units in the user's area, newest first."""

    def get(self, request):
        page = Paginator(self.get_scoped_queryset().order_by("-uploaded_at", "-pk"), 50).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "members/excel/import_list.html",
            {
                "page": page,
                "batches": page.object_list,
                "can_import": bool(user_scopes(request.user, Action.CHANGE)),
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
        bad_rows = len({e["row"] for e in errors if e.get("row") is not None})
        return render(
            request,
            "members/excel/import_result.html",
            {
                "batch": batch,
                "errors": errors,
                "bad_rows": bad_rows,
                "workbook_errors": [e for e in errors if e.get("row") is None],
                "row_errors": [e for e in errors if e.get("row") is not None],
                "can_reimport": can(request.user, Action.CHANGE, batch.committee),
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


def filtered_units(user: User, params) -> QuerySet[MemberUnit]:
    """The member-unit list as the list page (members.views.UnitListView) filters it: kind, q
    (name contains) and committee (a committee's pk: the units standing in its subtree; one out
    of reach filters to nothing)."""
    units = selectors.member_units(user=user)
    kind = params.get("kind", "")
    query = params.get("q", "").strip()
    committee_id = params.get("committee", "")
    if kind in UnitKind.values:
        units = units.filter(kind=kind)
    if query:
        units = units.filter(name__icontains=query)
    if committee_id.isdigit():
        committee = Committee.objects.visible_to(user).filter(pk=committee_id).first()
        units = units.filter(**selectors.subtree_filter(committee)) if committee else units.none()
    return units


class UnitExportView(LoginRequiredMixin, View):
    """The member-unit list as the user filtered it, with phones masked where the list masks them."""

    def get(self, request):
        units = filtered_units(request.user, request.GET)
        content = imports.unit_export(user=request.user, units=units.iterator(chunk_size=2000))
        filename = _("成员单位_%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
        return xlsx_response(content, filename)
