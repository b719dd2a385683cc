"""Forms of the demand pages. They read what was typed; the rules live in `demands.services`,
whose errors are shown back on the fields (`add_service_errors`)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Errors
from core.forms import StyledForm, date_input
from core.widgets import pick_from_choices
from demands.models import DemandKind, Source, Urgency
from resources.models import CapacityUnit

from .services import ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_COUNT, REASON_MAX_LENGTH


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (type, size, count)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"multiple": True, "accept": "image/*,application/pdf"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class DemandForm(StyledForm):
    """The demand entry form, phone-sized: the fields a community worker fills in on the spot.

    `committees` (the places the user may enter demands for) adds the committee field; `units`
    (the units a contact acts for) adds the unit field; `staff` adds kind and source, which a
    unit raising its own demand does not choose."""

    committee = forms.IntegerField(label=_("提出地"), widget=forms.Select)
    unit = forms.IntegerField(label=_("提出单位"), widget=forms.Select)
    title = forms.CharField(
        label=_("标题"), max_length=120, error_messages={"required": _("请填写标题。")}
    )
    description = forms.CharField(
        label=_("描述"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请描述需求。")},
    )
    category = forms.CharField(
        label=_("类别"), widget=forms.Select, error_messages={"required": _("请选择类别。")}
    )
    kind = forms.ChoiceField(label=_("类型"), choices=DemandKind.choices, initial=DemandKind.NEED)
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial=Source.RESIDENT)
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL
    )
    people_affected = forms.IntegerField(
        label=_("涉及人数"),
        required=False,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    needed_by = forms.DateField(label=_("期望解决日期"), required=False, widget=date_input())
    quantity = forms.DecimalField(
        label=_("需求数量"),
        required=False,
        help_text=_("可不填；填写后请选择单位。"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    quantity_unit = forms.ChoiceField(
        label=_("数量单位"), required=False, choices=[("", "—"), *CapacityUnit.choices]
    )
    attachments = MultipleFileField(label=_("照片或附件"), required=False)

    def __init__(
        self,
        *args,
        categories=(),
        committees=None,
        units=None,
        staff=True,
        tenant_id=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id
        self.fields["attachments"].help_text = gettext(
            "图片或PDF，每个不超过%(size)d MB，最多%(n)d个。"
        ) % {
            "size": ATTACHMENT_MAX_BYTES // (1024 * 1024),
            "n": ATTACHMENT_MAX_COUNT,
        }
        self.fields["category"].widget.choices = [
            ("", _("请选择")),
            *((str(c.pk), c.name) for c in categories),
        ]
        if committees is None:
            del self.fields["committee"]
        else:
            field = self.fields["committee"]
            committees = list(committees)
            self.committee_ids = {str(key) for key, _label in committees}
            field.widget.choices = committees
            # Searched by name or code among the places the user may enter for (`entry_committees`,
            # which the service checks again), shown by name.
            pick_from_choices(
                field,
                reverse("committees:lookup"),
                action="change",
                placeholder=gettext("输入协调委员会名称或区划代码搜索"),
            )
            field.error_messages["required"] = _("请选择提出地。")
            field.error_messages["invalid"] = _("请从搜索结果中选择提出地。")
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].widget.choices = list(units)
        if not staff:
            del self.fields["kind"]
            del self.fields["source"]

    def clean_committee(self):
        """Only a place the user may enter demands for (the scoped list the page was given),
        said now, with the other fields' problems; the service checks it again."""
        value = self.cleaned_data.get("committee")
        if value is not None and str(value) not in self.committee_ids:
            raise forms.ValidationError(_("所选协调委员会不在您的工作范围内，请从搜索结果中选择。"))
        return value

    def service_check(self, data: dict) -> None:
        """The service's own rules over what the form could read (`StyledForm`): the fields that
        failed here are left out, so only the others' problems are added."""
        from .services import DEMAND_FIELDS, DemandData, clean_demand

        values = {name: data.get(name) for name in DEMAND_FIELDS if name in data}
        text = ("title", "description", "source", "kind", "urgency", "quantity_unit")
        values.update({k: values.get(k) or "" for k in text})
        for name, default in (("source", "resident"), ("kind", "need"), ("urgency", "normal")):
            values[name] = values[name] or default
        values.setdefault("category", None)
        errors = Errors()
        clean_demand(
            tenant_id=self.tenant_id, committee=None, data=DemandData(**values), errors=errors
        )
        errors.by_field.pop("committee", None)
        errors.raise_if_any()


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("原因"), max_length=REASON_MAX_LENGTH, required=False)


class CommitForm(StyledForm):
    """直接对接: which of the committee's own resources, how much of it, and a word."""

    resource = forms.IntegerField(label=_("资源"), widget=forms.HiddenInput)
    quantity = forms.DecimalField(label=_("数量"), min_value=0, decimal_places=1, max_digits=12)
    message = forms.CharField(label=_("留言"), max_length=REASON_MAX_LENGTH, required=False)


class ClaimForm(StyledForm):
    """One click on a match: how much of the resource, and a word to the other side."""

    quantity = forms.DecimalField(label=_("数量"), required=False)
    message = forms.CharField(label=_("留言"), max_length=REASON_MAX_LENGTH, required=False)
