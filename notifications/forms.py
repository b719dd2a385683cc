"""Forms of the notification pages: input shape only; the rules are in the services."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from .models import Event, Mode, WebhookFormat


class PreferencesForm(forms.Form):
    """One email mode per event (the inbox column is always on and has no field)."""

    def __init__(self, *args, initial_modes: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for event, label in Event.choices:
            self.fields[f"email_{event}"] = forms.ChoiceField(
                label=label,
                choices=Mode.choices,
                initial=initial_modes.get(event, Mode.IMMEDIATE),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def rows(self):
        """(event label, its email field) for the grid."""
        return [(label, self[f"email_{event}"]) for event, label in Event.choices]

    def email_modes(self) -> dict[str, str]:
        return {event: self.cleaned_data[f"email_{event}"] for event in Event.values}


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("如：街道值班群")}),
    )
    committee = forms.CharField(
        label=_("协调委员会"),
        required=False,
        max_length=100,
        help_text=_("名称或12位区划代码；该委员会及其下级的事件都会推送。留空为您管理的最上级。"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    format = forms.ChoiceField(
        label=_("格式"),
        choices=WebhookFormat.choices,
        widget=forms.RadioSelect,
    )
    url = forms.URLField(
        label=_("地址"),
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("企业微信：…/cgi-bin/webhook/send?key=…；钉钉：…/robot/send?access_token=…"),
        widget=forms.URLInput(attrs={"class": "form-control", "inputmode": "url"}),
    )
    secret = forms.CharField(
        label=_("钉钉加签密钥"),
        required=False,
        max_length=200,
        help_text=_("仅钉钉机器人：安全设置“加签”中以SEC开头的密钥。标准Webhook的密钥由平台生成。"),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    events = forms.MultipleChoiceField(
        label=_("事件"),
        required=False,
        choices=Event.choices,
        help_text=_("不选表示全部事件。"),
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"].strip()
        if secret and not secret.startswith("SEC"):
            raise forms.ValidationError(_("钉钉加签密钥以SEC开头，请从机器人安全设置中复制。"))
        return secret
