from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from committees.models import Committee, Tenant
from core.errors import Errors
from core.forms import StyledForm, date_input
from core.widgets import TypedPickerWidget

from . import selectors
from .models import ServiceKind


class JoinForm(StyledForm):
    tenant = forms.ModelChoiceField(
        label=_("所在城市"), queryset=Tenant.objects.filter(is_active=True), empty_label=None
    )
    name = forms.CharField(
        label=_("姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    employer_name = forms.CharField(
        label=_("工作单位"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    community = forms.CharField(
        label=_("居住地社区（村）"),
        max_length=100,
        required=False,
        help_text=_("输入社区名称或12位区划代码搜索，从结果中选择；也可直接填写完整名称。"),
    )
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=_("至少10位，包含大写字母、小写字母、数字、符号中的至少三种。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._community = None
        widget = TypedPickerWidget(
            reverse("party_members:join_communities"),
            include="#id_tenant",
            placeholder=_("输入社区名称或区划代码搜索"),
            attrs={"class": "form-control", "autocomplete": "off"},
        )
        self.fields["community"].widget = widget
        community = self.chosen_community()
        if isinstance(community, Committee):
            widget.chosen = (community.pk, community.name)

    def chosen_community(self) -> Committee | str | None:
        """Where the newcomer lives: the community picked from the search (its id, in the
        public directory, whichever city it is in, so that another city's is said as such), or
        else the name or code typed into the box (without JavaScript, or not picked)."""
        if self._community is None and self.is_bound:
            picked = (self.data.get("community_id") or "").strip()
            found = None
            if picked.isascii() and picked.isdigit() and len(picked) <= 18:
                found = selectors.community_by_id(int(picked))
            typed = (self.data.get("community") or "").strip()
            self._community = found or typed or ""
        return self._community or None

    def service_check(self, data: dict) -> None:
        """The registration's own checks (`StyledForm`): with a name missing, a weak password
        or an unknown community is still said."""
        from . import services

        errors = Errors()
        services.self_registration_check(
            errors,
            tenant=data.get("tenant"),
            username=self.data.get("username", ""),
            password=self.data.get("password", ""),
            name=self.data.get("name", ""),
            phone=self.data.get("phone", ""),
            community=self.chosen_community(),
        )
        errors.raise_if_any()


class ServiceForm(StyledForm):
    served_on = forms.DateField(label=_("服务日期"), widget=date_input())
    hours = forms.DecimalField(
        label=_("服务时长（小时，不含路程）"), max_digits=4, decimal_places=1
    )
    kind = forms.ChoiceField(label=_("服务类型"), choices=ServiceKind.choices)
    description = forms.CharField(
        label=_("服务内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.CharField(label=_("服务地点"), max_length=200, required=False)

    def service_check(self, data: dict) -> None:
        """The service's rules (a date after today, more than 24 hours) said with the form's."""
        from . import services

        errors = Errors()
        services.service_check(
            errors,
            services.ServiceData(
                served_on=data.get("served_on"),
                hours=data.get("hours"),
                kind=data.get("kind") or "",
                description=data.get("description") or "",
                location=data.get("location") or "",
            ),
        )
        errors.raise_if_any()


class StaffServiceForm(ServiceForm):
    member = forms.IntegerField(widget=forms.HiddenInput)


class RejectForm(StyledForm):
    reason = forms.CharField(label=_("退回原因"), max_length=200)
