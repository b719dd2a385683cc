from __future__ import annotations

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .services import ACTION_LABELS

_DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})
_SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=_DATE)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=_DATE)
    actor = forms.CharField(
        label=_("操作人"),
        required=False,
        max_length=150,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("用户名或姓名")}
        ),
    )
    model = forms.TypedChoiceField(
        label=_("对象类型"), required=False, coerce=int, empty_value=None, widget=_SELECT
    )
    action = forms.TypedChoiceField(
        label=_("操作"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("全部操作")), *ACTION_LABELS.items()],
        widget=_SELECT,
    )

    def __init__(self, *args, model_types: list[tuple[ContentType, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("全部类型"))] + [
            (content_type.pk, label) for content_type, label in model_types
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data
