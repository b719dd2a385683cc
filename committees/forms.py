from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm

from .models import Kind, Level
from .selectors import committee_picker


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
        help_text=_("输入新上级的名称或区划代码，从搜索结果中选择。"),
    )
    division_code = forms.CharField(
        label=_("新区划代码"),
        max_length=20,
        required=False,
        help_text=_("留空则保留原代码。"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            # Searched among the committees the user may rearrange; the view resolves the
            # choice (an id, or a typed code or name) in the same scope.
            self.fields["parent"].widget = committee_picker(user, action="manage_tree")


class CommitteeCloseForm(StyledForm):
    confirm = forms.BooleanField(label=_("确认撤销该协调委员会"), required=True)
