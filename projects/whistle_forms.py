"""Forms of the whistle pages, evaluations, satisfaction and bulletins: they parse; the services
validate and say what is wrong, on the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm

from .forms import MultipleFileField, MultipleFileInput, committee_picker
from .models import BulletinKind, RhythmKind, SatisfactionMode, WhistleKind

SCORES = [(str(n), str(n)) for n in range(5, 0, -1)]


class WhistleForm(StyledForm):
    committee = forms.TypedChoiceField(label=_("吹哨街乡"), coerce=int)
    kind = forms.ChoiceField(label=_("哨型"), choices=WhistleKind.choices)
    title = forms.CharField(label=_("事项"), max_length=120)
    place = forms.CharField(label=_("地点"), max_length=200)
    request = forms.CharField(
        label=_("需要部门做什么"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    description = forms.CharField(
        label=_("问题描述"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = [(c.pk, c.name) for c in committees]
        committee_picker(self.fields["committee"])


class ReportForm(StyledForm):
    to = forms.CharField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("情况说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultipleFileField(
        label=_("现场照片"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class EntryForm(StyledForm):
    kind = forms.ChoiceField(label=_("类型"), choices=RhythmKind.choices)
    text = forms.CharField(
        label=_("内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(StyledForm):
    reason = forms.CharField(label=_("撤销原因"), max_length=300)


class LinkForm(StyledForm):
    mode = forms.ChoiceField(label=_("评价方式"), choices=SatisfactionMode.choices)
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=90, initial=30)


class RateForm(StyledForm):
    score = forms.ChoiceField(
        label=_("满意程度"),
        choices=[
            ("5", _("非常满意")),
            ("4", _("满意")),
            ("3", _("一般")),
            ("2", _("不满意")),
            ("1", _("非常不满意")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见建议（选填）"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BulletinForm(StyledForm):
    committee = forms.TypedChoiceField(label=_("发布单位"), coerce=int)
    kind = forms.ChoiceField(label=_("类型"), choices=BulletinKind.choices)
    title = forms.CharField(label=_("标题"), max_length=120)
    period = forms.CharField(label=_("期间"), max_length=40, required=False)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = [(c.pk, c.name) for c in committees]
        committee_picker(self.fields["committee"])
        committee_picker(self.fields["committee"])
