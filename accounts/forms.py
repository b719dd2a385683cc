"""Forms of the account pages. `AccountForm` is the row form of accounts (`core.bulk`): the page
that opens one account, each row of an Excel import and an item of the API are the same form, so
they refuse the same input in the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.bulk import ChoiceField, ReferenceField, RowContext, RowForm, TextField
from core.errors import Errors
from core.forms import StyledForm
from core.widgets import resolver_picker

from . import policies, selectors, services


class AccountContext(RowContext):
    """How one manager opens accounts: the roles they may grant (the policy's table), committees
    and units resolved within the subtrees they manage, and for a batch the usernames taken."""

    def __init__(self, user, *, batch: bool = False) -> None:
        super().__init__(user)
        policies.require_account_manager(user)
        self.rules = policies.grantable_rules(user)
        self.resolvers["committee"] = selectors.grant_committee_resolver(user)
        self.resolvers["member_unit"] = selectors.grant_unit_resolver(user)
        self.batch = batch
        self.taken: set[str] | None = None
        self.seen: dict[str, str] = {}

    def prefetch(self, rows) -> None:
        super().prefetch(rows)
        if self.batch:
            self.taken = services.usernames_taken(str(row.get("username") or "") for row in rows)

    def role_choices(self) -> list[tuple[str, str]]:
        return [(rule.role, rule.label) for rule in self.rules]

    def role_help(self) -> str:
        return "；".join(f"{rule.label}：{rule.scope_words()}" for rule in self.rules)


def role_field(required: bool) -> ChoiceField:
    return ChoiceField(label=_("角色"), choices=[], required=required, blank=_("请选择"))


def use_pickers(form, context: AccountContext) -> None:
    """The committee and the unit of a grant are searched by name or code among those the
    manager may grant at; the resolvers check the choice again in that same scope."""
    pickers = {
        "committee": ("accounts:lookup_committees", _("输入协调委员会名称或区划代码搜索")),
        "member_unit": ("accounts:lookup_units", _("输入单位名称或统一社会信用代码搜索")),
    }
    for name, (url, placeholder) in pickers.items():
        form.fields[name].widget = resolver_picker(
            context.resolvers[name], reverse(url), placeholder=placeholder
        )


class AccountForm(RowForm):
    """One new account and its first role."""

    username = TextField(
        label=_("用户名"), max_length=150, help_text=_("登录用，字母、数字或 @ . + - _")
    )
    display_name = TextField(label=_("姓名"), max_length=64, required=False)
    phone = TextField(label=_("手机号"), max_length=20, required=False)
    email = TextField(label=_("电子邮箱"), max_length=254, required=False)
    role = role_field(required=False)
    committee = ReferenceField(
        label=_("协调委员会"),
        max_length=100,
        required=False,
        help_text=_("角色授予的协调委员会（含其下级）：输入名称或12位区划代码搜索。"),
    )
    member_unit = ReferenceField(
        label=_("成员单位"),
        max_length=200,
        required=False,
        help_text=_("联络员等角色所属的成员单位：输入名称或统一社会信用代码搜索。"),
    )

    check_password = False

    def __init__(self, *args, context: AccountContext, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        self.fields["role"].choices = context.role_choices()
        self.fields["role"].help_text = context.role_help()
        use_pickers(self, context)

    def clean_row(self, values: dict[str, Any]) -> services.AccountData:
        problems = Errors()
        rule = policies.grant_rule(values.get("role") or "")
        committee = unit = None
        if values.get("role") and rule is not None:
            if rule.scope == policies.UNIT and values.get("member_unit"):
                unit = self.checked(
                    problems, lambda: self.context.resolve("member_unit", values["member_unit"])
                )
            elif rule.scope == policies.COMMITTEE and values.get("committee"):
                committee = self.checked(
                    problems, lambda: self.context.resolve("committee", values["committee"])
                )
        data = services.AccountData(
            username=values.get("username") or "",
            display_name=values.get("display_name") or "",
            phone=values.get("phone") or "",
            email=values.get("email") or "",
            password=values.get("password") or "",
            role=values.get("role") or "",
            committee=committee,
            member_unit=unit,
        )
        context: AccountContext = self.context
        self.checked(
            problems,
            lambda: services.account_validate(
                actor=context.user, data=data, taken=context.taken, check_pw=self.check_password
            ),
        )
        key = data.username.lower()
        if key and context.batch:
            earlier = context.seen.get(key)
            if earlier and earlier != self.position:
                problems.add("username", _("用户名与%(row)s重复。") % {"row": earlier})
            else:
                context.seen[key] = self.position
        problems.raise_if_any()
        return data


class AccountCreateForm(AccountForm):
    """The page's form: a row and the one-time password."""

    password = forms.CharField(
        label=_("初始密码（一次性）"),
        help_text=_("首次登录后须修改。请通过安全渠道告知本人。"),
        error_messages={"required": _("请填写“初始密码（一次性）”。")},
    )
    check_password = True


class GrantForm(StyledForm):
    role = forms.ChoiceField(label=_("角色"), choices=[])
    committee = forms.CharField(label=_("协调委员会"), required=False, max_length=100)
    member_unit = forms.CharField(label=_("成员单位"), required=False, max_length=200)

    def __init__(self, *args, context: AccountContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = context
        self.fields["role"].choices = [("", _("请选择")), *context.role_choices()]
        self.fields["role"].help_text = context.role_help()
        self.fields["committee"].help_text = _("输入名称或12位区划代码搜索")
        self.fields["member_unit"].help_text = _("输入名称或统一社会信用代码搜索")
        use_pickers(self, context)

    def clean(self):
        cleaned = super().clean()
        rule = policies.grant_rule(cleaned.get("role") or "")
        cleaned["committee_obj"] = cleaned["unit_obj"] = None
        if rule is None:
            return cleaned
        name, key = (
            ("member_unit", "unit_obj")
            if rule.scope == policies.UNIT
            else ("committee", "committee_obj")
        )
        if cleaned.get(name):
            try:
                cleaned[key] = self.context.resolve(name, cleaned[name])
            except forms.ValidationError as error:
                self.add_service_errors(error)
        return cleaned


class PasswordResetForm(StyledForm):
    password = forms.CharField(
        label=_("新的初始密码（一次性）"),
        help_text=_("该账号下次登录时须修改。"),
        error_messages={"required": _("请填写新的初始密码。")},
    )


class AccountImportForm(StyledForm):
    file = forms.FileField(
        label=_("账号表格（.xlsx）"), error_messages={"required": _("请选择要上传的文件。")}
    )
    password = forms.CharField(
        label=_("初始密码（一次性）"),
        help_text=_("本次导入的所有账号使用此初始密码，首次登录后须修改。"),
        error_messages={"required": _("请填写“初始密码（一次性）”。")},
    )


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(
        label=_("当前密码"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("请填写当前密码。")},
    )
    new_password = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少10位，包含大写字母、小写字母、数字、符号中的三种。"),
        error_messages={"required": _("请填写新密码。")},
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("请再次输入新密码。")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        """Every problem at once: the service's checks run whatever else is wrong."""
        cleaned = super().clean()
        new, again = cleaned.get("new_password"), cleaned.get("new_password2")
        if new and again and new != again:
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        problems = Errors()
        services.password_change_check(
            problems,
            user=self.user,
            old_password=self.data.get("old_password", ""),
            new_password=cleaned.get("new_password") or "",
        )
        for name, messages in problems.by_field.items():
            if name not in self.errors:
                self.add_error(name, messages)
        return cleaned


class ProfileForm(StyledForm):
    display_name = forms.CharField(label=_("姓名"), required=False, max_length=64)
    email = forms.CharField(
        label=_("电子邮箱"), required=False, max_length=254, help_text=_("接收通知邮件。")
    )
    phone = forms.CharField(label=_("手机号"), required=False, max_length=20)
