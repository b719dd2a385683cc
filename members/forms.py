"""Forms of the members pages. `UnitForm` is the row form of member units (`core.bulk`): the page's
form, each row of an Excel import and the API's input are the same form, so they refuse the same
input in the same words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from committees.models import Committee
from committees.selectors import committee_picker, committee_resolver
from core import excel
from core.bulk import ChoiceField, ReferenceField, RowContext, RowForm, TextField
from core.errors import Errors
from core.forms import ReferencesField, StyledForm, date_input
from core.identifiers import normalize_credit_code
from core.widgets import pick_from_choices

from . import policies, services
from .models import (
    AllianceKind,
    MemberUnit,
    PartyOrgType,
    SeatRole,
    SubcommitteeField,
    UnitKind,
)
from .selectors import change_committees, unit_picker, unit_resolver


class UnitContext(RowContext):
    """How one user enters member units: where they may place them (`committee` resolved among
    the committees of their change scope, within `within` for an import), the unit being edited,
    and for a batch the credit codes already taken and those seen in earlier rows."""

    def __init__(
        self,
        user,
        *,
        within: Committee | None = None,
        default: Committee | None = None,
        instance: MemberUnit | None = None,
        batch: bool = False,
    ) -> None:
        super().__init__(user)
        if instance is None:
            policies.ensure_may_register_units(user)
            self.mode = policies.STAFF
        else:
            self.mode = policies.ensure_may_edit_unit(user, instance)
        self.instance = instance
        self.tenant = instance.tenant if instance is not None else user.tenant
        resolver = committee_resolver(user=user, within=within, label=_("所在地"), default=default)
        if instance is not None:
            resolver.include(instance.committee)
        self.resolvers["committee"] = resolver
        self.taken = services.taken_credit_codes(self.tenant) if batch else None
        self.seen: dict[str, str] = {}

    @property
    def shown_fields(self) -> frozenset[str] | None:
        """What the page shows: all of it to staff, their part to the unit's contact."""
        return None if self.mode == policies.STAFF else policies.CONTACT_EDITABLE_FIELDS


class UnitForm(RowForm):
    """One member unit: the page's form, an Excel row, an API item. `fields` limits what the page
    shows (a unit's contact keeps only their part); the rest stays as the unit has it."""

    name = TextField(label=_("单位名称"), max_length=200)
    credit_code = TextField(
        label=_("统一社会信用代码"), required=False, help_text=_("18位；部队单位可不填。")
    )
    kind = ChoiceField(label=_("单位类型"), choices=UnitKind.choices)
    committee = ReferenceField(
        label=_("所在地"), max_length=100, help_text=_("所在街道或社区的区划代码或完整名称。")
    )
    address = TextField(label=_("地址"), max_length=255, required=False)
    contact_name = TextField(label=_("联系人"), max_length=64, required=False)
    contact_phone = TextField(label=_("联系电话"), required=False)
    party_org_type = ChoiceField(label=_("党组织类型"), choices=PartyOrgType.choices)
    party_member_count = TextField(
        label=_("党员人数"),
        required=False,
        initial=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, fields: Iterable[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.context is not None:
            # Where a blank place means the committee of the import, it is no must.
            self.fields["committee"].required = self.context.resolvers["committee"].default is None
            # Searched among the committees the user may register units at, shown by name.
            self.fields["committee"].widget = committee_picker(self.context.user)
            self.fields["committee"].help_text = _("所在街道或社区：输入名称或区划代码搜索。")
        if fields is not None:
            for name in [name for name in self.fields if name not in fields]:
                del self.fields[name]

    def clean_row(self, values):
        context: UnitContext = self.context
        problems = Errors()
        kept = services.UnitData.of(context.instance) if context.instance is not None else None
        if "committee" in self.fields:
            committee = self.checked(
                problems, lambda: context.resolve("committee", values.get("committee"))
            )
        else:
            committee = context.instance.committee
        data = services.UnitData(
            **{
                name: values.get(name) if name in self.fields else getattr(kept, name)
                for name in services.UNIT_FIELDS
            }
        )
        self.check_repeated_code(data.credit_code, problems)
        clean = self.checked(
            problems,
            lambda: services.clean_unit_data(
                tenant=context.tenant,
                committee=committee,
                data=data,
                exclude_id=context.instance.pk if context.instance is not None else None,
                taken_codes=context.taken,
            ),
        )
        problems.raise_if_any()
        return services.UnitEntry(committee=committee, data=clean)

    def check_repeated_code(self, credit_code, problems: Errors) -> None:
        """In a batch, one unit is one row: a code seen in an earlier row is named with it."""
        code = normalize_credit_code(credit_code)
        if not code or self.context.taken is None:
            return
        first = self.context.seen.setdefault(code, self.position)
        if first != self.position:
            problems.add(
                "credit_code",
                _("与%(row)s的统一社会信用代码%(code)s重复：同一单位只应填写一行。")
                % {"row": first, "code": code},
            )


def unit_values(unit: MemberUnit) -> dict[str, Any]:
    """A unit as the form's data (the committee by id), for a change that names only some fields."""
    return {**vars(services.UnitData.of(unit)), "committee": str(unit.committee_id)}


def unit_initial(unit: MemberUnit) -> dict[str, Any]:
    """A unit as the page's form shows it (the committee by code or name, as people write it)."""
    committee = unit.committee
    return {**unit_values(unit), "committee": committee.division_code or committee.name}


class SeatForm(StyledForm):
    role = forms.ChoiceField(label=_("职务"), choices=SeatRole.choices)
    person_name = forms.CharField(label=_("姓名"), max_length=64)
    title = forms.CharField(label=_("本单位职务"), max_length=100, required=False)
    unit = forms.IntegerField(label=_("所在单位"), required=False, widget=forms.Select)
    term_start = forms.DateField(label=_("任期开始"), widget=date_input())
    term_end = forms.DateField(label=_("任期结束"), required=False, widget=date_input())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        unit.error_messages["invalid"] = _("请从搜索结果中选择所在单位。")
        if user is not None:
            # The view accepts only a member unit of the committee, among the user's units.
            unit.widget = unit_picker(user)


class SubcommitteeForm(StyledForm):
    field = forms.ChoiceField(label=_("领域"), choices=SubcommitteeField.choices)
    name = forms.CharField(label=_("名称"), max_length=100, required=False)


class RotationForm(StyledForm):
    start = forms.DateField(label=_("轮值起始日"), widget=date_input())
    months = forms.IntegerField(label=_("每任月数"), min_value=1, max_value=24, initial=3)
    chairs = forms.CharField(
        label=_("轮值顺序"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一家：单位名称，代理主任姓名（按轮值顺序）。"),
    )


class AllianceForm(StyledForm):
    """An alliance founded at a committee: the other committees it spans and its units are
    picked, several each, among what the user can see (`visible_to`); every problem, the
    service's too (a duplicate name, a span out of the city), is said at once on its field."""

    name = forms.CharField(label=_("联盟名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=AllianceKind.choices)
    committees = ReferencesField(
        label=_("覆盖的其他协调委员会"),
        help_text=_("跨区域联盟选择：输入名称或区划代码搜索，可选多个。"),
    )
    units = ReferencesField(
        label=_("成员单位"),
        help_text=_("输入单位名称或统一社会信用代码搜索，可选多个。"),
    )
    description = forms.CharField(
        label=_("简介"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, committee: Committee, **kwargs):
        # Its own ids: the structure page holds other forms with a name field too.
        kwargs.setdefault("auto_id", "id_alliance_%s")
        super().__init__(*args, **kwargs)
        self.committee = committee
        self.fields["committees"].pick_with(
            committee_resolver(
                user=user, action="view", field="committees", label=_("覆盖的协调委员会")
            ),
            reverse("committees:lookup"),
            action="view",
            placeholder=_("输入协调委员会名称或区划代码搜索"),
        )
        self.fields["units"].pick_with(
            unit_resolver(user=user, field="units", label=_("成员单位")),
            reverse("members:unit_lookup"),
            placeholder=_("输入单位名称或统一社会信用代码搜索"),
        )

    def service_check(self, data: dict) -> None:
        """The service's rules over what the form could read: a duplicate name is said even
        while a unit is out of reach."""
        services.clean_alliance(
            home_committee=self.committee,
            name=data.get("name") or "",
            kind=data.get("kind") or "",
            committees=data.get("committees") or [],
            units=data.get("units") or [],
        ).raise_if_any()


class UnitImportForm(StyledForm):
    """Which committee a workbook of member units goes to, and the file."""

    committee = forms.IntegerField(
        label=_("导入到"),
        widget=forms.Select,
        help_text=_("“所在地”留空的行登记在这里；填写的所在地须在它的范围内。"),
    )
    file = forms.FileField(
        label=_("Excel文件（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, user, selected: Committee | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        committees = change_committees(user, selected)
        field = self.fields["committee"]
        field.widget.choices = [(c.pk, c.name) for c in committees]
        pick_from_choices(
            field,
            reverse("committees:lookup"),
            action="change",
            placeholder=_("输入协调委员会名称或区划代码搜索"),
        )
        field.error_messages["invalid"] = _("请从搜索结果中选择协调委员会。")
        first = selected or next(iter(committees), None)
        self.fields["committee"].initial = first.pk if first is not None else None
        self.fields["file"].help_text = _(
            "请使用下载的模板填写；每次最多%(rows)d行，文件不超过%(size)s。"
        ) % {
            "rows": excel.max_rows_setting(),
            "size": excel.human_size(excel.max_bytes_setting()),
        }
