"""Forms of the assessment pages (考核评价): they parse and show errors; the rules are the
services' (dashboard.assessment), asked even when a field already failed so every error shows
at once."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from committees.selectors import committee_picker, committee_resolver
from core.forms import StyledForm, date_input
from members.selectors import unit_picker

from . import assessment, selectors
from .models import Indicator, Star, Subject

GRADES = [(g, str(g)) for g in range(1, 6)]


class CategoryForm(StyledForm):
    name = forms.CharField(label=_("指标类别"), max_length=60)
    position = forms.IntegerField(
        label=_("序号"), min_value=0, max_value=999, initial=0, required=False
    )


def source_choices():
    figures = [(fig.key, f"{fig.label}（{_('看板指标')}）") for fig in selectors.rate_figures()]
    return [(Indicator.MANUAL, _("手工录入（附佐证材料）")), *figures]


class IndicatorForm(StyledForm):
    category = forms.TypedChoiceField(label=_("指标类别"), coerce=int)
    name = forms.CharField(label=_("指标名称"), max_length=120)
    subject = forms.ChoiceField(label=_("考核对象"), choices=Subject.choices)
    source = forms.ChoiceField(
        label=_("数据来源"),
        help_text=_("选择看板上的一个比率指标（得分 = 比率 × 分值），或手工录入。"),
    )
    weight = forms.DecimalField(
        label=_("分值"), min_value=Decimal(0), max_digits=6, decimal_places=2
    )
    veto = forms.BooleanField(label=_("一票否优"), required=False)
    veto_below = forms.DecimalField(
        label=_("否优线（得分率）"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=4,
        decimal_places=3,
        initial=Decimal("0.6"),
        help_text=_("否优指标得分低于“分值 × 否优线”的，不能评为优秀。"),
    )
    position = forms.IntegerField(
        label=_("序号"), min_value=0, max_value=999, initial=0, required=False
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *((c.pk, c.name) for c in categories)]
        self.fields["source"].choices = source_choices()

    def clean(self):
        # Form.clean runs even when a field failed: the service's rules show at once.
        data = super().clean()
        if "source" in data and "subject" in data:
            try:
                assessment.check_indicator(source=data["source"], subject=data["subject"])
            except forms.ValidationError as error:
                self.add_service_errors(error)
        return data


class PeriodForm(StyledForm):
    name = forms.CharField(label=_("考核周期"), max_length=40, help_text=_("如：2026年上半年"))
    starts_on = forms.DateField(label=_("开始日期"), widget=date_input())
    ends_on = forms.DateField(label=_("结束日期"), widget=date_input())
    street_rating_weight = forms.DecimalField(
        label=_("街乡评价权重"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=4,
        decimal_places=3,
        initial=Decimal("0.3"),
        help_text=_("部门得分中街乡“吹哨报到”评价所占比重，0到1。"),
    )
    excellent_from = forms.DecimalField(
        label=_("优秀分数线"), max_digits=5, decimal_places=2, initial=90
    )
    good_from = forms.DecimalField(
        label=_("良好分数线"), max_digits=5, decimal_places=2, initial=75
    )
    pass_from = forms.DecimalField(
        label=_("合格分数线"), max_digits=5, decimal_places=2, initial=60
    )

    def __init__(self, *args, tenant_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id

    def clean(self):
        data = super().clean()
        try:
            assessment.check_period(
                self.tenant_id,
                name=data.get("name"),
                starts_on=data.get("starts_on"),
                ends_on=data.get("ends_on"),
                excellent_from=data.get("excellent_from"),
                good_from=data.get("good_from"),
                pass_from=data.get("pass_from"),
            )
        except forms.ValidationError as error:
            self.add_service_errors(error)
        return data


class ManualScoreForm(StyledForm):
    """One of `committee` (a committee directly below the assessing one, from a list) or `unit`
    (a unit of its subtree, searched with the picker: there may be thousands)."""

    indicator = forms.TypedChoiceField(label=_("考核指标"), coerce=int)
    committee = forms.TypedChoiceField(
        label=_("考核对象：协调委员会"), coerce=int, required=False, empty_value=None
    )
    unit = forms.CharField(label=_("或：成员单位、职能部门"), required=False, max_length=120)
    score = forms.DecimalField(label=_("得分"), max_digits=6, decimal_places=2)
    evidence = forms.CharField(
        label=_("佐证材料说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence_file = forms.FileField(label=_("佐证材料（文件）"), required=False)

    def __init__(self, *args, indicators=(), committees=(), units=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = {i.pk: i for i in indicators}
        self.committees = {c.pk: c for c in committees}
        self.units = units  # a UnitResolver over the subtree's units the user can see
        self.fields["indicator"].choices = [
            ("", "—"),
            *((i.pk, f"{i.name}（{i.get_subject_display()}，{i.weight}分）") for i in indicators),
        ]
        self.fields["committee"].choices = [("", "—"), *((c.pk, c.name) for c in committees)]
        if user is not None:
            self.fields["unit"].widget = unit_picker(user)
            self.fields["unit"].widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean()
        data["indicator_obj"] = self.indicators.get(data.get("indicator"))
        data["committee_obj"] = self.committees.get(data.get("committee"))
        data["unit_obj"] = None
        if data.get("unit") and "committee" not in self._errors:
            if data["committee_obj"] is not None:
                self.add_error("unit", _("协调委员会和单位只能选一个。"))
            else:
                try:
                    data["unit_obj"] = self.units.resolve(data["unit"])
                except forms.ValidationError as error:
                    self.add_service_errors(error)
        elif data["committee_obj"] is None and "committee" not in self._errors:
            self.add_error("committee", _("请选择一个协调委员会，或一个成员单位、职能部门。"))
        try:
            assessment.check_manual_score(
                indicator=data["indicator_obj"],
                score=data.get("score"),
                evidence=data.get("evidence"),
                evidence_file=data.get("evidence_file"),
                committee=data["committee_obj"],
                unit=data["unit_obj"],
            )
        except forms.ValidationError as error:
            target = "unit" if data["unit_obj"] is not None else "committee"
            self.add_service_errors(error, aliases={"target": target})
        return data


class StarsForm(StyledForm):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    note = forms.CharField(label=_("评定说明"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for star, label in Star.choices:
            self.fields[star] = forms.TypedChoiceField(
                label=label, choices=[("", "—"), *GRADES], coerce=int
            )
        # The note after the five stars.
        self.order_fields(["year", *Star.values, "note"])


class WeakFlagForm(StyledForm):
    """`committee` is searched with the picker among the committees below the page's one."""

    committee = forms.CharField(label=_("委员会"), max_length=120)
    reason = forms.CharField(label=_("认定原因"), widget=forms.Textarea(attrs={"rows": 2}))
    plan = forms.CharField(label=_("整顿方案"), widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label=_("整顿期限"), widget=date_input())

    def __init__(self, *args, within=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.within = within
        self.user = user
        if user is not None:
            self.fields["committee"].widget = committee_picker(user, action="view")
            self.fields["committee"].widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean()
        if data.get("committee"):
            resolver = committee_resolver(
                user=self.user, action="view", within=self.within, label=_("委员会")
            )
            try:
                found = resolver.resolve(data["committee"])
            except forms.ValidationError as error:
                self.add_service_errors(error)
            else:
                if found.pk == self.within.pk:
                    self.add_error("committee", _("请选择本级以下的委员会。"))
                data["committee_obj"] = found
        return data


class StepForm(StyledForm):
    text = forms.CharField(label=_("整改进展"), max_length=300)
    percent = forms.IntegerField(label=_("完成进度（%）"), min_value=0, max_value=100)


class FeedbackForm(StyledForm):
    period = forms.TypedChoiceField(label=_("考核周期"), coerce=int)
    score = forms.TypedChoiceField(label=_("评分（1-5）"), choices=[("", "—"), *GRADES], coerce=int)
    comment = forms.CharField(label=_("意见"), max_length=300, required=False)

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(p.pk, p.name) for p in periods]
