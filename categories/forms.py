"""Forms of the thesaurus pages (the category form lives with the resources' forms)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm


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
