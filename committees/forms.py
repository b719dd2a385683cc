from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm

from .models import Kind, Level


class CommitteeCreateForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=Kind.choices, initial=Kind.TERRITORIAL)
    division_code = forms.CharField(
        label=_("区划代码"),
        max_length=20,
        required=False,
        help_text=_("12位统计用区划代码；功能区、网格、楼栋可不填。"),
    )


class CommitteeRenameForm(StyledForm):
    name = forms.CharField(label=_("新名称"), max_length=100)


class CommitteeMoveForm(StyledForm):
    parent = forms.CharField(
        label=_("新上级"),
        max_length=100,
        help_text=_("填写新上级的区划代码或完整名称。"),
    )
    division_code = forms.CharField(
        label=_("新区划代码"),
        max_length=20,
        required=False,
        help_text=_("留空则保留原代码。"),
    )


class CommitteeCloseForm(StyledForm):
    confirm = forms.BooleanField(label=_("确认撤销该协调委员会"), required=True)
