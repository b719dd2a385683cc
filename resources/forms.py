"""Forms of the resource pages and the category pages, and the resource list's filters.

The forms only collect text: every business rule (a known category, a positive capacity, a window
in order, a committee in reach) is checked by the services, so the page, the Excel import and the
API give the same answer in the same words. The filters are shared by the list page, its Excel
export and the API, so the three read a list the same way.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from categories.services import ESCALATION_LEVELS, escalation_field
from committees.models import Committee
from core.forms import StyledForm

from .models import CapacityUnit, Resource, ResourceKind, ResourceStatus


def date_input() -> forms.DateInput:
    # A browser date box only accepts ISO dates, whatever the page's language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def select(choices, blank: str | None = None) -> forms.Select:
    options = list(choices)
    if blank is not None:
        options.insert(0, ("", blank))
    return forms.Select(choices=options)


class ResourceForm(StyledForm):
    """One resource. Staff name the committee (and optionally the unit) by code or name; a unit's
    contact picks from the committees their unit stands in or belongs to."""

    title = forms.CharField(label=_("资源名称"), max_length=200)
    kind = forms.CharField(label=_("资源类型"))
    category = forms.CharField(label=_("类别"))
    capacity = forms.CharField(
        label=_("总量"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("大于0的数字，最多一位小数。"),
    )
    capacity_unit = forms.CharField(label=_("单位"))
    available_from = forms.DateField(
        label=_("可用开始"), required=False, widget=date_input(), help_text=_("留空表示即日起。")
    )
    available_until = forms.DateField(
        label=_("可用截止"), required=False, widget=date_input(), help_text=_("留空表示长期。")
    )
    committee = forms.CharField(label=_("服务范围"), max_length=100)
    offered_by = forms.CharField(label=_("提供单位"), max_length=200, required=False)
    description = forms.CharField(
        label=_("描述"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args,
        categories=(),
        mode: str = "staff",
        committee_choices=(),
        unit_choices=(),
        editing: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["kind"].widget = select(ResourceKind.choices, _("请选择"))
        fields["category"].widget = select(((c.pk, c.name) for c in categories), _("请选择"))
        fields["capacity_unit"].widget = select(CapacityUnit.choices, _("请选择"))
        if mode == "staff":
            fields["committee"].help_text = _(
                "资源服务的协调委员会（及其下级）的12位区划代码或完整名称。"
            )
            fields["offered_by"].help_text = _(
                "由成员单位提供时填写单位名称或统一社会信用代码；由协调委员会自身提供请留空。"
            )
        else:
            fields["committee"].widget = select(committee_choices, _("请选择"))
            fields["committee"].help_text = _("本单位所在或已加入的协调委员会。")
            units = list(unit_choices)
            if len(units) > 1:
                fields["offered_by"].widget = select(units)
                fields["offered_by"].required = True
            else:
                fields["offered_by"].widget = forms.HiddenInput()
        if editing:
            # Who offers a resource is fixed once it is offered.
            del fields["offered_by"]
        # The widgets were replaced after StyledForm styled them: style the new ones.
        for field in fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)


class StatusForm(StyledForm):
    status = forms.ChoiceField(choices=ResourceStatus.choices)


class ResourceImportForm(StyledForm):
    committee = forms.CharField(label=_("导入到"))
    offered_by = forms.CharField(label=_("提供单位"), max_length=200, required=False)
    file = forms.FileField(
        label=_("Excel文件（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, mode: str = "staff", committee_choices=(), unit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].widget = select(committee_choices)
        self.fields["committee"].widget.attrs["class"] = "form-select"
        if mode == "staff":
            self.fields["committee"].help_text = _(
                "“服务范围”留空的行记在这里；填写的服务范围须在它的范围内。"
            )
            self.fields["offered_by"].help_text = _(
                "整份清单由一家成员单位提供时填写单位名称或统一社会信用代码；"
                "由协调委员会自身提供请留空。"
            )
        else:
            self.fields["committee"].help_text = _(
                "“服务范围”留空的行记在这里；填写的服务范围须是本单位所在或已加入的协调委员会。"
            )
            units = list(unit_choices)
            if len(units) > 1:
                self.fields["offered_by"].widget = select(units)
                self.fields["offered_by"].widget.attrs["class"] = "form-select"
                self.fields["offered_by"].required = True
            else:
                self.fields["offered_by"].widget = forms.HiddenInput()


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


# --- the list's filters ---------------------------------------------------------------------------

SORTS = {
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "remaining": ("remaining", "pk"),
    "-remaining": ("-remaining", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}
SORT_CHOICES = [
    ("-created", _("最新登记")),
    ("created", _("最早登记")),
    ("title", _("名称")),
    ("-remaining", _("剩余从多到少")),
    ("remaining", _("剩余从少到多")),
]
OFFERED_BY_COMMITTEE = "committee"
OFFERED_BY_UNIT = "unit"


class ResourceFilterSet(django_filters.FilterSet):
    """kind, category, status; offered_by ("committee": by a committee itself, "unit": by any
    member unit, or a unit's id); committee (a committee's id: resources serving its subtree; one
    out of reach filters to nothing); q (name, description or unit); sort."""

    kind = django_filters.ChoiceFilter(choices=ResourceKind.choices)
    category = django_filters.NumberFilter(field_name="category_id")
    status = django_filters.ChoiceFilter(choices=ResourceStatus.choices)
    offered_by = django_filters.CharFilter(method="filter_offered_by")
    committee = django_filters.NumberFilter(method="filter_committee")
    q = django_filters.CharFilter(method="filter_q")
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort", empty_label=None)

    class Meta:
        model = Resource
        fields = ["kind", "category", "status", "offered_by", "committee", "q", "sort"]

    def filter_offered_by(self, queryset, name, value):
        value = value.strip()
        if value == OFFERED_BY_COMMITTEE:
            return queryset.filter(offered_by__isnull=True)
        if value == OFFERED_BY_UNIT:
            return queryset.filter(offered_by__isnull=False)
        if value.isascii() and value.isdigit():
            return queryset.filter(offered_by_id=int(value))
        return queryset.none()

    def filter_committee(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        committee = Committee.objects.visible_to(user).filter(pk=int(value)).first()
        if committee is None:
            return queryset.none()
        return queryset.filter(
            committee__tree_id=committee.tree_id,
            committee__lft__gte=committee.lft,
            committee__rght__lte=committee.rght,
        )

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(offered_by__name__icontains=value)
        )

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["-created"]))
