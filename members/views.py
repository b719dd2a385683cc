"""Pages of the members domain. Thin: scoping through `visible_to`, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from committees.models import Committee
from core.forms import add_service_errors
from core.lookups import LookupView
from core.scoping import Action, can
from core.views import ScopedPageMixin
from members import policies, selectors, services
from members.filtersets import filtered_units
from members.models import (
    Alliance,
    Membership,
    MemberUnit,
    RotationSlot,
    Seat,
    Subcommittee,
    UnitKind,
)

from .forms import (
    AllianceForm,
    RotationForm,
    SeatForm,
    SubcommitteeForm,
    UnitContext,
    UnitForm,
    unit_initial,
)

PAGE_SIZE = 50


# --- member units ---------------------------------------------------------------------------------


class UnitLookupView(LookupView):
    """The unit picker's search: active units the user can see, by name or credit code."""

    model = MemberUnit

    def search(self, rows, query):
        found = rows.filter(is_active=True)
        if query.isascii() and query.isalnum() and len(query) >= 4:
            found = found.filter(credit_code__istartswith=query) | found.filter(
                name__icontains=query
            )
        else:
            found = found.filter(name__icontains=query)
        return found.select_related("committee").order_by("name", "pk")

    def option(self, unit):
        return {"value": unit.pk, "label": unit.name, "hint": unit.committee.name}


class UnitListView(ScopedPageMixin, View):
    model = MemberUnit

    def get(self, request):
        _filterset, units = filtered_units(request)
        page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [(unit, selectors.unit_contact_phone(request.user, unit)) for unit in page]
        context = {
            "page": page,
            "rows": rows,
            "kinds": UnitKind.choices,
            "filters": {name: request.GET.get(name, "") for name in ("kind", "q", "committee")},
            "query_string": request.GET.urlencode(),
            "can_create": policies.may_register_units(request.user),
        }
        return render(request, "members/unit_list.html", context)


class UnitDetailView(ScopedPageMixin, View):
    model = MemberUnit

    def get(self, request, pk):
        unit = self.get_scoped_object()
        memberships = (
            Membership.objects.visible_to(request.user)
            .filter(unit=unit)
            .select_related("committee", "subcommittee")
        )
        context = {
            "unit": unit,
            "contact_phone": selectors.unit_contact_phone(request.user, unit),
            "memberships": memberships,
            "registrations": unit.registrations.select_related("community").order_by(
                "-requested_at"
            ),
            "seats": Seat.objects.visible_to(request.user)
            .filter(unit=unit)
            .select_related("committee"),
            "can_edit": policies.unit_edit_mode(request.user, unit) is not None,
        }
        return render(request, "members/unit_detail.html", context)


class UnitCreateView(ScopedPageMixin, View):
    """Staff register a unit where it stands (the policy refuses everyone else: 403)."""

    model = MemberUnit

    def get(self, request):
        return self.render_form(UnitForm(context=UnitContext(request.user)))

    def post(self, request):
        form = UnitForm(request.POST, context=UnitContext(request.user))
        if form.is_valid():
            try:
                unit = services.member_unit_create(
                    actor=request.user, committee=form.item.committee, data=form.item.data
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已登记“%(name)s”。") % {"name": unit.name})
                return redirect("members:unit_detail", pk=unit.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        return render(
            self.request,
            "members/form.html",
            {
                "form": form,
                "title": _("登记成员单位"),
                "submit_label": _("登记"),
                "back": "members:unit_list",
            },
            status=status,
        )


class UnitEditView(ScopedPageMixin, View):
    """Staff edit the whole profile; the unit's own contact keeps its contact and party details."""

    model = MemberUnit

    def get_form(self, data=None) -> UnitForm:
        self.unit = self.get_scoped_object()
        context = UnitContext(self.request.user, instance=self.unit)
        initial = unit_initial(self.unit) if data is None else None
        return UnitForm(data, initial=initial, context=context, fields=context.shown_fields)

    def get(self, request, pk):
        return self.render_form(self.get_form())

    def post(self, request, pk):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                services.member_unit_update(
                    actor=request.user,
                    unit=self.unit,
                    data=form.item.data,
                    committee=form.item.committee,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已保存。"))
                return redirect("members:unit_detail", pk=self.unit.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        return render(
            self.request,
            "members/form.html",
            {
                "form": form,
                "title": _("编辑 %(name)s") % {"name": self.unit.name},
                "submit_label": _("保存"),
                "object": self.unit,
            },
            status=status,
        )


# --- the committee's structure and roster -------------------------------------------------------------


def structure_page(request, committee: Committee, *, alliance_form=None, status: int = 200):
    """A committee's structure: its seats, subcommittees and their rotation, its alliances; a
    form sent back with its errors is shown in place of the empty one."""
    subcommittees = list(
        Subcommittee.objects.visible_to(request.user)
        .filter(committee=committee)
        .prefetch_related(
            Prefetch("rotation", queryset=RotationSlot.objects.select_related("unit"))
        )
        .order_by("field")
    )
    today = timezone.localdate()
    context = {
        "committee": committee,
        "seats": Seat.objects.visible_to(request.user)
        .filter(committee=committee)
        .select_related("unit"),
        "subcommittees": [
            (
                sub,
                list(sub.rotation.all()),
                selectors.current_chair(sub, list(sub.rotation.all()), today),
            )
            for sub in subcommittees
        ],
        "alliances": Alliance.objects.visible_to(request.user)
        .filter(spans__committee=committee)
        .prefetch_related("units", "committees")
        .distinct(),
        "membership_count": Membership.objects.visible_to(request.user)
        .filter(committee=committee)
        .count(),
        "can_change": can(request.user, Action.CHANGE, committee),
        "seat_form": SeatForm(user=request.user),
        "subcommittee_form": SubcommitteeForm(),
        "rotation_form": RotationForm(initial={"start": today, "months": 3}),
        "alliance_form": alliance_form or AllianceForm(user=request.user, committee=committee),
    }
    return render(request, "members/structure.html", context, status=status)


class CommitteeStructureView(ScopedPageMixin, View):
    model = Committee

    def get(self, request, pk):
        return structure_page(request, self.get_scoped_object())


class SeatCreateView(ScopedPageMixin, View):
    model = Committee
    action = Action.CHANGE

    def post(self, request, pk):
        committee = self.get_scoped_object()
        form = SeatForm(request.POST, user=request.user)
        unit_choices = MemberUnit.objects.visible_to(request.user).filter(
            memberships__committee=committee
        )
        unit = None
        if form.is_valid() and form.cleaned_data.get("unit"):
            unit = unit_choices.filter(pk=form.cleaned_data["unit"]).first()
            if unit is None:
                form.add_error("unit", _("所选单位不是本协调委员会的成员单位。"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.seat_create(
                    committee=committee,
                    role=data["role"],
                    person_name=data["person_name"],
                    title=data["title"],
                    unit=unit,
                    term_start=data["term_start"],
                    term_end=data["term_end"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已添加委员。"))
                return redirect("members:structure", pk=committee.pk)
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("members:structure", pk=committee.pk)


class SubcommitteeCreateView(ScopedPageMixin, View):
    model = Committee
    action = Action.CHANGE

    def post(self, request, pk):
        committee = self.get_scoped_object()
        form = SubcommitteeForm(request.POST)
        if form.is_valid():
            try:
                services.subcommittee_create(
                    committee=committee,
                    field=form.cleaned_data["field"],
                    name=form.cleaned_data["name"],
                )
            except ValidationError as error:
                messages.error(request, "；".join(error.messages))
            else:
                messages.success(request, _("已成立专委会。"))
        return redirect("members:structure", pk=committee.pk)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class RotationSetView(ScopedPageMixin, View):
    """Set a subcommittee's rotation once; who chairs then follows from the schedule."""

    model = Subcommittee
    action = Action.CHANGE

    def post(self, request, pk):
        subcommittee = self.get_scoped_object()
        form = RotationForm(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
            return redirect("members:structure", pk=subcommittee.committee_id)
        units = {
            unit.name: unit
            for unit in MemberUnit.objects.visible_to(request.user).filter(
                memberships__committee=subcommittee.committee_id
            )
        }
        chairs, unknown = [], []
        for line in _lines(form.cleaned_data["chairs"]):
            name, _sep, chair = line.replace(",", "，").partition("，")
            unit = units.get(name.strip())
            if unit is None:
                unknown.append(name.strip())
            else:
                chairs.append((unit, chair.strip()))
        try:
            if unknown:
                raise ValidationError(
                    _("不是该协调委员会的成员单位：%(names)s") % {"names": "、".join(unknown)}
                )
            services.rotation_set(
                subcommittee=subcommittee,
                start=form.cleaned_data["start"],
                months=form.cleaned_data["months"],
                chairs=chairs,
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已设置“%(name)s”的轮值。") % {"name": subcommittee.name})
        return redirect("members:structure", pk=subcommittee.committee_id)


class AllianceCreateView(ScopedPageMixin, View):
    """Found an alliance; a form with problems comes back on the structure page, every problem
    on its field and the choices kept, named."""

    model = Committee
    action = Action.CHANGE

    def post(self, request, pk):
        committee = self.get_scoped_object()
        form = AllianceForm(request.POST, user=request.user, committee=committee)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.alliance_create(
                    home_committee=committee,
                    name=data["name"],
                    kind=data["kind"],
                    committees=data["committees"],
                    units=data["units"],
                    description=data["description"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已成立“%(name)s”。") % {"name": data["name"]})
                return redirect("members:structure", pk=committee.pk)
        return structure_page(request, committee, alliance_form=form, status=400)
