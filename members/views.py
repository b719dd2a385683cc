"""Pages of the members domain. Thin: scoping through `visible_to`, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from committees import selectors as selectors_committees
from committees.models import Committee
from core.forms import add_service_errors
from core.scoping import Action, can
from core.views import ScopedPageMixin
from members import selectors, services
from members.models import (
    Alliance,
    Membership,
    MemberUnit,
    RotationSlot,
    Seat,
    Subcommittee,
    UnitKind,
)

from .forms import AllianceForm, RotationForm, SeatForm, SubcommitteeForm, UnitContactForm, UnitForm

PAGE_SIZE = 50


def resolve_committee(user, reference: str, action: Action) -> Committee:
    """A committee the user may act on, named by exact division code or exact name."""
    matches = selectors_committees.committee_by_reference(
        user=user, reference=reference, action=action
    )
    if not matches:
        raise ValidationError(
            {"committee": _("在您的工作范围内找不到“%(ref)s”。") % {"ref": reference}}
        )
    if len(matches) > 1:
        raise ValidationError(
            {
                "committee": _("有多个名为“%(ref)s”的协调委员会，请改填区划代码。")
                % {"ref": reference}
            }
        )
    return matches[0]


# --- member units ---------------------------------------------------------------------------------


class UnitListView(ScopedPageMixin, View):
    model = MemberUnit

    def get(self, request):
        units = selectors.member_units(user=request.user)
        kind = request.GET.get("kind", "")
        query = request.GET.get("q", "").strip()
        committee_id = request.GET.get("committee", "")
        if kind in UnitKind.values:
            units = units.filter(kind=kind)
        if query:
            units = units.filter(name__icontains=query)
        if committee_id.isdigit():
            committee = Committee.objects.visible_to(request.user).filter(pk=committee_id).first()
            units = (
                units.filter(**selectors.subtree_filter(committee)) if committee else units.none()
            )
        page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [(unit, selectors.unit_contact_phone(request.user, unit)) for unit in page]
        context = {
            "page": page,
            "rows": rows,
            "kinds": UnitKind.choices,
            "filters": {"kind": kind, "q": query, "committee": committee_id},
            "query_string": request.GET.urlencode(),
            "can_create": bool(request.user.committee_scopes(Action.CHANGE)),
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
            "can_edit": can(request.user, Action.CHANGE, unit.committee)
            or unit.pk in request.user.unit_ids(),
        }
        return render(request, "members/unit_detail.html", context)


class UnitCreateView(ScopedPageMixin, View):
    model = MemberUnit

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.committee_scopes(Action.CHANGE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_form(UnitForm())

    def post(self, request):
        form = UnitForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                committee = resolve_committee(request.user, data["committee"], Action.CHANGE)
                unit = services.member_unit_create(
                    tenant=committee.tenant,
                    committee=committee,
                    data=services.UnitData(**_unit_fields(data)),
                )
            except ValidationError as error:
                add_service_errors(form, error)
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


def _unit_fields(data: dict) -> dict:
    return {name: data.get(name, "") for name in services.UNIT_FIELDS}


class UnitEditView(ScopedPageMixin, View):
    """Staff edit the whole profile; the unit's own contact keeps its contact and party details."""

    model = MemberUnit

    def get_unit_and_mode(self):
        unit = self.get_scoped_object()
        if can(self.request.user, Action.CHANGE, unit.committee):
            return unit, "staff"
        if unit.pk in self.request.user.unit_ids():
            return unit, "contact"
        raise PermissionDenied

    def get(self, request, pk):
        unit, mode = self.get_unit_and_mode()
        initial = {name: getattr(unit, name) for name in services.UNIT_FIELDS}
        initial["committee"] = unit.committee.division_code or unit.committee.name
        form = (UnitForm if mode == "staff" else UnitContactForm)(initial=initial)
        return self.render_form(unit, form)

    def post(self, request, pk):
        unit, mode = self.get_unit_and_mode()
        form = (UnitForm if mode == "staff" else UnitContactForm)(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if mode == "staff":
                    committee = resolve_committee(request.user, data["committee"], Action.CHANGE)
                    services.member_unit_update(
                        unit=unit, data=services.UnitData(**_unit_fields(data)), committee=committee
                    )
                else:
                    fields = {**{n: getattr(unit, n) for n in services.UNIT_FIELDS}, **data}
                    services.member_unit_update(
                        unit=unit,
                        data=services.UnitData(**_unit_fields(fields)),
                        fields=services.CONTACT_EDITABLE_FIELDS,
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已保存。"))
                return redirect("members:unit_detail", pk=unit.pk)
        return self.render_form(unit, form, status=400)

    def render_form(self, unit, form, status=200):
        return render(
            self.request,
            "members/form.html",
            {
                "form": form,
                "title": _("编辑 %(name)s") % {"name": unit.name},
                "submit_label": _("保存"),
                "object": unit,
            },
            status=status,
        )


# --- the committee's structure and roster -------------------------------------------------------------


class CommitteeStructureView(ScopedPageMixin, View):
    model = Committee

    def get(self, request, pk):
        committee = self.get_scoped_object()
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
            "seat_form": SeatForm(),
            "subcommittee_form": SubcommitteeForm(),
            "rotation_form": RotationForm(initial={"start": today, "months": 3}),
            "alliance_form": AllianceForm(),
        }
        return render(request, "members/structure.html", context)


class SeatCreateView(ScopedPageMixin, View):
    model = Committee
    action = Action.CHANGE

    def post(self, request, pk):
        committee = self.get_scoped_object()
        form = SeatForm(request.POST)
        unit_choices = MemberUnit.objects.visible_to(request.user).filter(
            memberships__committee=committee
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = unit_choices.filter(pk=data["unit"]).first() if data.get("unit") else None
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
    model = Committee
    action = Action.CHANGE

    def post(self, request, pk):
        committee = self.get_scoped_object()
        form = AllianceForm(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
            return redirect("members:structure", pk=committee.pk)
        data = form.cleaned_data
        try:
            others = [
                resolve_committee(request.user, ref, Action.VIEW)
                for ref in _lines(data["committees"])
            ]
            unit_names = _lines(data["units"])
            units = list(MemberUnit.objects.visible_to(request.user).filter(name__in=unit_names))
            missing = set(unit_names) - {u.name for u in units}
            if missing:
                raise ValidationError(
                    {"units": _("找不到单位：%(names)s") % {"names": "、".join(sorted(missing))}}
                )
            services.alliance_create(
                home_committee=committee,
                name=data["name"],
                kind=data["kind"],
                committees=others,
                units=units,
                description=data["description"],
            )
        except ValidationError as error:
            messages.error(
                request,
                "；".join(m for ms in error.message_dict.values() for m in ms)
                if hasattr(error, "error_dict")
                else "；".join(error.messages),
            )
        else:
            messages.success(request, _("已成立“%(name)s”。") % {"name": data["name"]})
        return redirect("members:structure", pk=committee.pk)
