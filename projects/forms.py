"""Forms of the project pages: they parse and show errors; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm, date_input
from core.widgets import pick_from_choices

from .models import DecisionKind, ProjectStatus, Response

MILESTONE_ROWS = 3


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def committee_picker(field) -> None:
    """A committee field searched by name or code; its choices (the user's scope) stay what the
    server accepts."""
    pick_from_choices(
        field,
        reverse("committees:lookup"),
        action="change",
        placeholder=_("输入协调委员会名称或区划代码搜索"),
    )
    field.error_messages["invalid_choice"] = _("请从搜索结果中选择您工作范围内的协调委员会。")


def unit_picker(field) -> None:
    """A member-unit field searched by name or credit code, within the user's units."""
    pick_from_choices(
        field,
        reverse("members:unit_lookup"),
        placeholder=_("输入单位名称或统一社会信用代码搜索"),
    )
    field.error_messages["invalid_choice"] = _("请从搜索结果中选择您工作范围内的成员单位。")


def datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProjectForm(StyledForm):
    title = forms.CharField(label=_("项目名称"), max_length=120)
    description = forms.CharField(
        label=_("项目内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    committee = forms.TypedChoiceField(label=_("牵头协调委员会"), coerce=int)
    lead_unit = forms.TypedChoiceField(
        label=_("牵头单位"), coerce=int, required=False, empty_value=None
    )
    units = forms.TypedMultipleChoiceField(
        label=_("参与单位"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    budget = forms.CharField(
        label=_("预算（元）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    start_on = forms.DateField(label=_("开始日期"), widget=date_input())
    due_on = forms.DateField(label=_("完成期限"), widget=date_input())

    def __init__(self, *args, committees=(), units=(), milestones=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = list(committees)
        self.fields["lead_unit"].choices = [("", _("（协调委员会自行牵头）")), *units]
        self.fields["units"].choices = list(units)
        committee_picker(self.fields["committee"])
        unit_picker(self.fields["lead_unit"])
        if milestones:
            for n in range(1, MILESTONE_ROWS + 1):
                self.fields[f"milestone_{n}_title"] = forms.CharField(
                    label=_("里程碑%(n)d") % {"n": n}, max_length=120, required=False
                )
                self.fields[f"milestone_{n}_due"] = forms.DateField(
                    label=_("里程碑%(n)d期限") % {"n": n}, required=False, widget=date_input()
                )
            # StyledForm styled the fields it had; these came after.
            for name in self.fields:
                if name.startswith("milestone_"):
                    self.fields[name].widget.attrs.setdefault("class", "form-control")

    def service_check(self, data: dict) -> None:
        """The service's rules over what the form could read (`StyledForm`): with a title
        missing, a negative budget or a deadline before the start is still said. What names a
        committee or a unit the view checks in the user's scope."""
        from core.errors import NON_FIELD, Errors

        from .services import MilestoneData, ProjectData, clean_project

        milestones = [
            MilestoneData(data.get(f"milestone_{n}_title") or "", data.get(f"milestone_{n}_due"))
            for n in range(1, MILESTONE_ROWS + 1)
            if data.get(f"milestone_{n}_title") or data.get(f"milestone_{n}_due")
        ]
        errors = Errors()
        clean_project(
            ProjectData(
                title=data.get("title") or "",
                budget=data.get("budget") or None,
                start_on=data.get("start_on"),
                due_on=data.get("due_on"),
                milestones=milestones,
            ),
            tenant_id=None,
            errors=errors,
        )
        for name in ("committee", "category", "lead_unit", "units"):
            errors.by_field.pop(name, None)
        # The milestones' problems belong to no one field: above the form, as the view says them.
        for message in errors.by_field.pop("milestones", []):
            errors.add(NON_FIELD, message)
        errors.raise_if_any()

    def milestone_rows(self):
        return [
            (self[f"milestone_{n}_title"], self[f"milestone_{n}_due"])
            for n in range(1, MILESTONE_ROWS + 1)
            if f"milestone_{n}_title" in self.fields
        ]


class TransitionForm(StyledForm):
    to = forms.ChoiceField(choices=ProjectStatus.choices)
    reason = forms.CharField(max_length=300, required=False)


class MilestoneForm(StyledForm):
    title = forms.CharField(label=_("里程碑"), max_length=120)
    due_on = forms.DateField(label=_("完成期限"), widget=date_input())


class ProgressForm(StyledForm):
    text = forms.CharField(
        label=_("进展情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    milestone = forms.TypedChoiceField(
        label=_("关于里程碑"), coerce=int, required=False, empty_value=None
    )
    finish_milestone = forms.BooleanField(label=_("该里程碑已完成"), required=False)
    photos = MultipleFileField(
        label=_("现场照片"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].choices = [("", _("（不涉及）")), *milestones]


class MeetingForm(StyledForm):
    committee = forms.TypedChoiceField(label=_("协调委员会"), coerce=int)
    subcommittee = forms.TypedChoiceField(
        label=_("专业委员会"), coerce=int, required=False, empty_value=None
    )
    title = forms.CharField(label=_("会议名称"), max_length=120)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=datetime_input())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=datetime_input())
    location = forms.CharField(label=_("地点"), max_length=200)
    agenda = forms.CharField(
        label=_("议题（每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    seats = forms.TypedMultipleChoiceField(
        label=_("委员"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    units = forms.TypedMultipleChoiceField(
        label=_("成员单位"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    invite = forms.BooleanField(label=_("立即发出会议通知"), required=False, initial=True)

    def __init__(self, *args, committees=(), subcommittees=(), seats=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = list(committees)
        self.fields["subcommittee"].choices = [("", _("（全体会议）")), *subcommittees]
        self.fields["seats"].choices = list(seats)
        self.fields["units"].choices = list(units)
        for name in ("seats", "units"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def service_check(self, data: dict) -> None:
        """The service's rules over what the form could read: an end before the start is said
        even while the title is missing."""
        from core.errors import Errors

        from .services import MeetingData, clean_meeting

        errors = Errors()
        clean_meeting(
            MeetingData(
                title=data.get("title") or "",
                starts_at=data.get("starts_at"),
                ends_at=data.get("ends_at"),
                location=data.get("location") or "",
            ),
            errors,
        )
        errors.raise_if_any()


class AgendaForm(StyledForm):
    title = forms.CharField(label=_("议题"), max_length=200)
    notes = forms.CharField(label=_("说明"), required=False)
    demand = forms.IntegerField(label=_("需求编号"), required=False)
    resource = forms.IntegerField(label=_("资源编号"), required=False)
    project = forms.IntegerField(label=_("项目编号"), required=False)


class AnswerForm(StyledForm):
    response = forms.ChoiceField(
        label=_("回复"),
        choices=[c for c in Response.choices if c[0] != Response.PENDING],
    )
    deputy_name = forms.CharField(label=_("代表姓名"), max_length=64, required=False)


class MinutesForm(StyledForm):
    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 6}))


class RescheduleForm(StyledForm):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=datetime_input())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=datetime_input())
    location = forms.CharField(label=_("地点"), max_length=200)


class DecisionForm(StyledForm):
    kind = forms.ChoiceField(label=_("类型"), choices=DecisionKind.choices)
    text = forms.CharField(label=_("决定事项"), max_length=300)
    agenda_item = forms.TypedChoiceField(
        label=_("议题"), coerce=int, required=False, empty_value=None
    )
    owner_unit = forms.TypedChoiceField(
        label=_("责任单位"), coerce=int, required=False, empty_value=None
    )
    owner_committee = forms.TypedChoiceField(
        label=_("责任协调委员会"), coerce=int, required=False, empty_value=None
    )
    due_on = forms.DateField(label=_("完成期限"), widget=date_input())
    budget = forms.CharField(label=_("预算（元）"), required=False)

    def __init__(self, *args, agenda=(), units=(), committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].choices = [("", "—"), *agenda]
        self.fields["owner_unit"].choices = [("", "—"), *units]
        self.fields["owner_committee"].choices = [("", "—"), *committees]
        unit_picker(self.fields["owner_unit"])
        committee_picker(self.fields["owner_committee"])


class ReasonForm(StyledForm):
    reason = forms.CharField(max_length=300, required=False)
    note = forms.CharField(max_length=300, required=False)


class ImportForm(StyledForm):
    committee = forms.TypedChoiceField(label=_("导入到"), coerce=int)
    file = forms.FileField(
        label=_("Excel文件（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = list(committees)
        committee_picker(self.fields["committee"])
        self.fields["committee"].help_text = _(
            "“牵头协调委员会”留空的行记在这里；填写的须在它的范围内。"
        )
