"""Forms of the category and thesaurus pages: text only, the services check every value."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm

from .services import ESCALATION_LEVELS, escalation_field


class CategoryForm(StyledForm):
    """A category and its deadlines per level: text only, the service checks every value."""

    name = forms.CharField(label=_("名称"), max_length=100)
    keywords = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=600,
        help_text=_("用空格分隔，帮助匹配，如：助餐 老年 独居老人。"),
    )
    position = forms.CharField(
        label=_("顺序"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("数字小的排在前面。"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for level, label in ESCALATION_LEVELS:
            self.fields[escalation_field(level)] = forms.CharField(
                label=_("%(level)s上报期限（天）") % {"level": label},
                required=False,
                max_length=10,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "form-control"}),
            )
        self.fields[escalation_field(ESCALATION_LEVELS[0][0])].help_text = _(
            "需求在该层级超过这些天数仍未对接，就上报上一级；留空表示不上报。"
        )

    def escalation_fields(self):
        return [self[escalation_field(level)] for level, _label in ESCALATION_LEVELS]

    def main_fields(self):
        return [self[name] for name in ("name", "keywords", "position", "is_active")]


class ThesaurusForm(StyledForm):
    """A thesaurus entry: text only, the service checks every word."""

    headword = forms.CharField(
        label=_("词条"), max_length=40, help_text=_("一个词，如：助浴。匹配时同义词都按它计算。")
    )
    synonyms = forms.CharField(
        label=_("同义词"),
        required=False,
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("意思相同的说法，用空格分隔，如：洗澡 洗浴 擦身。"),
    )
    related = forms.CharField(
        label=_("相关词"),
        required=False,
        max_length=600,
        help_text=_("相关但不相同的词条，用空格分隔，计分减半，如：失能老人。"),
    )
    category = forms.TypedChoiceField(
        label=_("适用类别"), required=False, coerce=int, empty_value=None
    )
    is_target = forms.BooleanField(
        label=_("服务对象词"),
        required=False,
        help_text=_("如“老人”“孩子”：说明为谁服务，而不是需要什么，计分较低。"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("所有类别"))] + [
            (c.pk, c.name) for c in categories
        ]
