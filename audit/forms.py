from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Operation

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
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("用户名、姓名或后台任务"),
            }
        ),
    )
    model = forms.ChoiceField(label=_("对象类型"), required=False, widget=_SELECT)
    operation = forms.ChoiceField(
        label=_("操作"),
        required=False,
        choices=[("", _("全部操作")), *Operation.choices],
        widget=_SELECT,
    )

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("全部类型")), *kinds]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data
