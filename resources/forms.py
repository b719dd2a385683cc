"""Forms of the resource pages. `ResourceForm` is the row form of resources (`core.bulk`): the page's
form, each row of an Excel import, the API's create and change and each item of the bulk API are
the same form, so the same bad input gets the same words everywhere. It holds no rule: it parses,
resolves the committee and the offering unit with the context's resolvers, and asks the services'
validation, which asks `policies`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from categories.models import Category
from committees.models import Committee
from committees.selectors import (
    CommitteeResolver,
    committee_label,
    committee_picker,
    committee_resolver,
)
from core.bulk import ChoiceField, DateField, ReferenceField, RowContext, RowForm, TextField
from core.errors import Errors
from core.widgets import pick_from_choices
from members.models import MemberUnit
from members.selectors import change_committees, unit_picker, unit_resolver

from . import policies, services
from .models import CapacityUnit, Resource, ResourceKind, ResourceStatus

PICK = gettext_lazy("请选择")


class ResourceContext(RowContext):
    """How one user offers or changes resources: as staff or as a unit's contact (the policy
    refuses everyone else), the tenant's active categories, and the resolvers of the committee
    served (among those the user may offer at; within `within` for an import, a blank meaning
    `default`) and of the offering unit (fixed as `unit` for a whole file, or by the resource
    being changed)."""

    def __init__(
        self,
        user,
        *,
        within: Committee | None = None,
        default: Committee | None = None,
        unit: MemberUnit | None = None,
        instance: Resource | None = None,
    ) -> None:
        super().__init__(user)
        self.instance = instance
        if instance is not None:
            self.mode = policies.ensure_may_edit(user, instance)
            unit = instance.offered_by
        self.rule = policies.OfferRule(user, units=[unit] if unit is not None else None)
        if instance is None:
            self.mode = self.rule.mode
        self.fixed_unit = unit
        self.fixes_unit = unit is not None or instance is not None
        self.categories = list(
            Category.objects.filter(tenant_id=user.tenant_id, is_active=True).order_by(
                "position", "pk"
            )
        )
        self.category_by_key = {str(c.pk): c for c in self.categories}
        label = _("服务范围")
        if self.acts_as_staff:
            committees = committee_resolver(user=user, within=within, label=label, default=default)
        else:
            committees = CommitteeResolver(
                Committee.objects.filter(pk__in=self.rule.place_ids()),
                field="committee",
                label=label,
                scope=_("本单位所在或已加入的协调委员会"),
                default=default,
            )
        if instance is not None:
            committees.include(instance.committee)
        self.resolvers["committee"] = committees
        self.resolvers["offered_by"] = unit_resolver(
            user=user,
            field="offered_by",
            label=_("提供单位"),
            scope="" if self.acts_as_staff else _("本单位"),
        )

    @property
    def acts_as_staff(self) -> bool:
        return self.mode == policies.STAFF

    def prefetch(self, rows) -> None:
        super().prefetch(rows)
        self.rule.know_units(self.resolvers["offered_by"].found())

    def places(self) -> list[Committee]:
        """A contact's choice of committees, outermost first."""
        found = {c.pk: c for committees in self.rule.places.values() for c in committees}
        if self.instance is not None:
            found.setdefault(self.instance.committee_id, self.instance.committee)
        return sorted(found.values(), key=lambda c: (c.tree_id, c.lft))

    def offering_unit(self, reference: str) -> MemberUnit | None:
        """The unit offering: fixed, named, the contact's only unit, or none (staff: the
        committee itself offers)."""
        if self.fixes_unit:
            return self.fixed_unit
        if reference:
            return self.resolve("offered_by", reference)
        if self.acts_as_staff:
            return None
        if len(self.rule.units) == 1:
            return self.rule.units[0]
        raise ValidationError({"offered_by": _("请选择提供资源的本单位。")})

    def served_committee(self, reference: str, unit: MemberUnit | None) -> Committee:
        """The committee served; a contact leaving it blank means where their unit stands."""
        blank_means_standing = (
            not self.acts_as_staff and self.resolvers["committee"].default is None
        )
        if not reference and blank_means_standing and unit is not None:
            reference = str(unit.committee_id)
        return self.resolve("committee", reference)

    def initial(self) -> dict[str, Any]:
        """Where a new resource's form starts: staff at their first committee, a contact of one
        unit for that unit where it stands."""
        if self.acts_as_staff:
            scope = self.user.scope_committees
            return {"committee": scope[0].division_code or scope[0].name} if scope else {}
        units = self.rule.units
        if len(units) == 1:
            return {"offered_by": units[0].pk, "committee": units[0].committee_id}
        return {}


class ResourceForm(RowForm):
    """One resource. Staff name the committee (and optionally the unit) by code or name; a unit's
    contact picks from the committees their unit stands in or belongs to. `status` is taken only
    where a change may also set it (the API's PATCH)."""

    title = TextField(label=gettext_lazy("资源名称"), max_length=120)
    kind = ChoiceField(label=gettext_lazy("资源类型"), choices=ResourceKind.choices, blank=PICK)
    category = ChoiceField(label=gettext_lazy("类别"), blank=PICK)
    capacity = TextField(
        label=gettext_lazy("总量"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=gettext_lazy("大于0的数字，最多一位小数。"),
    )
    capacity_unit = ChoiceField(
        label=gettext_lazy("单位"), choices=CapacityUnit.choices, blank=PICK
    )
    available_from = DateField(
        label=gettext_lazy("可用开始"), required=False, help_text=gettext_lazy("留空表示即日起。")
    )
    available_until = DateField(
        label=gettext_lazy("可用截止"), required=False, help_text=gettext_lazy("留空表示长期。")
    )
    committee = ReferenceField(label=gettext_lazy("服务范围"), max_length=100)
    offered_by = ReferenceField(label=gettext_lazy("提供单位"), max_length=200, required=False)
    description = TextField(
        label=gettext_lazy("描述"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    status = ChoiceField(label=gettext_lazy("状态"), choices=ResourceStatus.choices, required=False)

    def __init__(self, *args, with_status: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_status:
            del self.fields["status"]
        context: ResourceContext | None = self.context
        if context is None:
            return
        fields = self.fields
        fields["category"].choices = [(c.pk, c.name) for c in context.categories]
        committee = fields["committee"]
        # A blank committee means the import's, or for a contact where their unit stands.
        committee.required = (
            context.acts_as_staff and context.resolvers["committee"].default is None
        )
        if context.acts_as_staff:
            committee.help_text = _("资源服务的协调委员会（及其下级）：输入名称或区划代码搜索。")
            committee.widget = committee_picker(context.user)
            fields["offered_by"].help_text = _(
                "由成员单位提供时搜索选择该单位；由协调委员会自身提供请留空。"
            )
            fields["offered_by"].widget = unit_picker(context.user)
        else:
            committee.widget = forms.Select(
                choices=[("", PICK), *((c.pk, committee_label(c)) for c in context.places())],
                attrs={"class": "form-select"},
            )
            committee.help_text = _("本单位所在或已加入的协调委员会。")
            units = context.rule.units
            if len(units) > 1:
                fields["offered_by"].widget = forms.Select(
                    choices=[(u.pk, u.name) for u in units], attrs={"class": "form-select"}
                )
            else:
                fields["offered_by"].widget = forms.HiddenInput()
        if context.fixes_unit:
            # Who offers a resource is fixed once it is offered (and for a whole file).
            del fields["offered_by"]

    def clean_row(self, values):
        context: ResourceContext = self.context
        problems = Errors()
        unit = self.checked(problems, lambda: context.offering_unit(values.get("offered_by")))
        committee = None
        if context.acts_as_staff or unit is not None or "offered_by" not in problems.by_field:
            # A contact's blank committee means the unit's: a unit that is no good says it all.
            committee = self.checked(
                problems, lambda: context.served_committee(values.get("committee"), unit)
            )
        data = services.ResourceData(
            title=values.get("title") or "",
            kind=values.get("kind") or "",
            category=context.category_by_key.get(values.get("category") or ""),
            capacity=values.get("capacity") or None,
            capacity_unit=values.get("capacity_unit") or "",
            description=values.get("description") or "",
            available_from=values.get("available_from"),
            available_until=values.get("available_until"),
        )
        offer = services.ResourceOffer(committee=committee, offered_by=unit, data=data)
        # Without a committee, what stood in its way is said already.
        quiet = {"committee"} if committee is None else set()
        if context.instance is None:
            self.checked(
                problems,
                lambda: services.validate_offer(rule=context.rule, offer=offer),
                quiet=quiet,
            )
        else:
            change = services.validate_change
            self.checked(
                problems,
                lambda: change(
                    actor=context.user,
                    resource=context.instance,
                    data=data,
                    committee=committee,
                    status=values.get("status") or None,
                ),
                quiet=quiet,
            )
        problems.raise_if_any()
        return offer


def resource_values(resource: Resource) -> dict[str, Any]:
    """A resource as the form's data (references by id), for a change naming only some fields."""
    return {
        "title": resource.title,
        "kind": resource.kind,
        "category": str(resource.category_id),
        "capacity": f"{resource.capacity.normalize():f}",
        "capacity_unit": resource.capacity_unit,
        "available_from": resource.available_from,
        "available_until": resource.available_until,
        "committee": str(resource.committee_id),
        "description": resource.description,
    }


def resource_initial(resource: Resource, context: ResourceContext) -> dict[str, Any]:
    """A resource as the page's form shows it: staff see the committee by code or name."""
    values = resource_values(resource)
    if context.acts_as_staff:
        values["committee"] = resource.committee.division_code or resource.committee.name
    return values


class ResourceImportForm(RowForm):
    """Which committee a workbook of resources goes to, for which unit, and the file. Staff pick
    among their committees (the page has read the chosen one in their scope); a contact among
    their unit's committees."""

    committee = ReferenceField(label=gettext_lazy("导入到"))
    offered_by = ReferenceField(label=gettext_lazy("提供单位"), max_length=200, required=False)
    file = forms.FileField(
        label=gettext_lazy("Excel文件（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, chosen: Committee | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        context: ResourceContext = self.context
        self.chosen = chosen
        committee, offered_by = self.fields["committee"], self.fields["offered_by"]
        if context.acts_as_staff:
            places = change_committees(context.user, chosen)
            committee.help_text = _("“服务范围”留空的行记在这里；填写的服务范围须在它的范围内。")
            offered_by.help_text = _(
                "整份清单由一家成员单位提供时填写单位名称或统一社会信用代码；"
                "由协调委员会自身提供请留空。"
            )
        else:
            places = context.places()
            committee.help_text = _(
                "“服务范围”留空的行记在这里；填写的服务范围须是本单位所在或已加入的协调委员会。"
            )
            units = context.rule.units
            offered_by.widget = (
                forms.Select(choices=[(u.pk, u.name) for u in units])
                if len(units) > 1
                else forms.HiddenInput()
            )
            offered_by.widget.attrs["class"] = "form-select"
        if context.acts_as_staff:
            # Staff search their committees by name or code; the page reads the choice in their
            # change scope (`chosen`).
            committee.widget = forms.Select(choices=[(c.pk, c.name) for c in places])
            pick_from_choices(
                committee,
                reverse("committees:lookup"),
                action="change",
                placeholder=_("输入协调委员会名称或区划代码搜索"),
            )
        else:
            # A contact's few committees (their unit's), listed by name.
            committee.widget = forms.Select(
                choices=[(c.pk, committee_label(c)) for c in places],
                attrs={"class": "form-select"},
            )
        if not self.is_bound:
            self.initial = {**self.starting_values(places), **self.initial}

    def starting_values(self, places: list[Committee]) -> dict[str, Any]:
        """The chosen committee, else the first; a contact's first unit where it stands."""
        context: ResourceContext = self.context
        if not context.acts_as_staff and context.rule.units:
            first = context.rule.units[0]
            return {"offered_by": first.pk, "committee": first.committee_id}
        chosen = self.chosen or next(iter(places), None)
        return {"committee": chosen.pk if chosen is not None else None}

    def clean_row(self, values):
        context: ResourceContext = self.context
        problems = Errors()
        unit = self.checked(problems, lambda: context.offering_unit(values.get("offered_by")))
        if context.acts_as_staff:
            committee = self.chosen
        else:
            committee = self.checked(
                problems, lambda: context.resolve("committee", values.get("committee"))
            )
        problems.raise_if_any()
        return services.ResourceOffer(committee=committee, offered_by=unit, data=None)


def import_context(user, *, committee: Committee, unit: MemberUnit | None) -> ResourceContext:
    """The rows of a file imported at `committee` for `unit` (None: the committee itself): a
    blank 服务范围 means that committee; staff may name only committees of its subtree."""
    return ResourceContext(user, within=committee, default=committee, unit=unit)
