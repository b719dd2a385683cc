from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm, date_input

from .models import AllianceKind, PartyOrgType, SeatRole, SubcommitteeField, UnitKind


class UnitForm(StyledForm):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        required=False,
        help_text=_("18位；部队单位可不填。"),
    )
    kind = forms.ChoiceField(label=_("单位类型"), choices=UnitKind.choices)
    committee = forms.CharField(
        label=_("所在地"), max_length=100, help_text=_("所在街道或社区的区划代码或完整名称。")
    )
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    party_org_type = forms.ChoiceField(label=_("党组织类型"), choices=PartyOrgType.choices)
    party_member_count = forms.IntegerField(label=_("党员人数"), min_value=0, initial=0)


class UnitContactForm(StyledForm):
    """What a unit's own contact keeps up to date."""

    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    party_org_type = forms.ChoiceField(label=_("党组织类型"), choices=PartyOrgType.choices)
    party_member_count = forms.IntegerField(label=_("党员人数"), min_value=0)


class SeatForm(StyledForm):
    role = forms.ChoiceField(label=_("职务"), choices=SeatRole.choices)
    person_name = forms.CharField(label=_("姓名"), max_length=64)
    title = forms.CharField(label=_("本单位职务"), max_length=100, required=False)
    unit = forms.IntegerField(label=_("所在单位"), required=False, widget=forms.Select)
    term_start = forms.DateField(label=_("任期开始"), widget=date_input())
    term_end = forms.DateField(label=_("任期结束"), required=False, widget=date_input())


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
    name = forms.CharField(label=_("联盟名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=AllianceKind.choices)
    committees = forms.CharField(
        label=_("覆盖的其他协调委员会"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("跨区域联盟填写：每行一个区划代码或名称。"),
    )
    units = forms.CharField(
        label=_("成员单位"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个单位名称。"),
    )
    description = forms.CharField(
        label=_("简介"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
