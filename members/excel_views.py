"""Excel pages for member units: the template, the upload with its result, past uploads, export.

Scoping follows the rest of the site: a committee or batch outside the user's reach is a 404, the
same as one that does not exist; a user who may not register units (a leader, a unit contact)
gets 403 on the import, as the policy says. The work itself is done by `members.imports`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from committees.models import Committee
from core import bulk_views, excel
from core.forms import add_service_errors
from core.scoping import Action, can
from core.views import ScopedPageMixin, xlsx_response
from members import imports, policies
from members.filtersets import filtered_units
from members.forms import UnitImportForm
from members.models import MemberUnit


class UnitImportPage(ScopedPageMixin, View):
    """A page of the import, for those who may register units; a committee named in the query
    or the form is read in their change scope (404 out of reach, 403 where they only read)."""

    model = Committee
    action = Action.CHANGE

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            policies.ensure_may_register_units(request.user)
        return super().dispatch(request, *args, **kwargs)

    def chosen_committee(self, pk) -> Committee | None:
        return self.get_scoped_object(pk=pk) if pk not in (None, "") else None


class UnitTemplateView(UnitImportPage):
    """The blank template, with the places this user may fill in listed on a sheet of its own."""

    def get(self, request):
        committee = self.chosen_committee(request.GET.get("committee"))
        content = imports.unit_template(user=request.user, committee=committee)
        return xlsx_response(content, _("成员单位导入模板.xlsx"))


class UnitImportView(UnitImportPage):
    template_name = "members/excel/import_form.html"

    def get(self, request):
        committee = self.chosen_committee(request.GET.get("committee"))
        form = UnitImportForm(user=request.user, selected=committee)
        return self.render_form(form, committee)

    def post(self, request):
        committee = self.chosen_committee(request.POST.get("committee") or "x")
        form = UnitImportForm(request.POST, request.FILES, user=request.user, selected=committee)
        if form.is_valid():
            try:
                batch = imports.member_units_import(
                    actor=request.user, committee=committee, uploaded_file=form.cleaned_data["file"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                # The result page says what happened; a flash message would only repeat it.
                return redirect("members:unit_excel_import_detail", pk=batch.pk)
        return self.render_form(form, committee, status=400)

    def render_form(self, form, committee, status=200):
        context = {"form": form, "committee": committee, "max_rows": excel.max_rows_setting()}
        return render(self.request, self.template_name, context, status=status)


class UnitBatchPages:
    kind = imports.KIND_MEMBER_UNITS

    def may_import(self, batch=None) -> bool:
        user = self.request.user
        if batch is not None:
            return can(user, Action.CHANGE, batch.committee)
        return policies.may_register_units(user)


class ImportListView(UnitBatchPages, bulk_views.ImportListView):
    template_name = "members/excel/import_list.html"


class ImportDetailView(UnitBatchPages, bulk_views.ImportDetailView):
    template_name = "members/excel/import_result.html"


class ImportFileView(UnitBatchPages, bulk_views.ImportFileView):
    pass


class UnitExportView(ScopedPageMixin, View):
    """The member-unit list as the user filtered it, with phones masked where the list masks them."""

    model = MemberUnit

    def get(self, request):
        _filterset, units = filtered_units(request)
        content = imports.unit_export(user=request.user, units=units.iterator(chunk_size=2000))
        filename = _("成员单位_%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
        return xlsx_response(content, filename)
