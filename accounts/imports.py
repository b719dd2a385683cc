"""Accounts in Excel: the template and the import, through the one bulk-input pipeline.

Every row goes through `forms.AccountForm`, the same form as the page that opens one account, with
the committees and units named resolved once for the whole file and the usernames taken read once;
all rows are opened by `services.accounts_create_many` in one transaction (the whole file or
nothing), each with the one-time password given for the upload. The file is kept in an
`ImportBatch` (kind "accounts") whatever the outcome, every bad row listed by row, column and
reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Level
from core.bulk import Column, RowType
from core.errors import Errors
from core.models import ImportBatch
from members.models import UnitKind

from . import policies, selectors, services
from .forms import AccountContext, AccountForm

KIND_ACCOUNTS = "accounts"

ACCOUNT_ROWS = RowType(
    form_class=AccountForm,
    kind=KIND_ACCOUNTS,
    sheet_title=gettext_lazy("账号"),
    columns_spec=[
        Column("username", width=18, help=gettext_lazy("登录用，字母、数字或 @ . + - _")),
        Column("display_name", width=14),
        Column("phone", width=16, help=gettext_lazy("手机号11位")),
        Column("email", width=24),
        Column("role", width=18, help=gettext_lazy("从下拉列表选择；留空则只开账号不授权")),
        Column(
            "committee",
            width=24,
            help=gettext_lazy("工作人员、领导等：协调委员会的12位区划代码或完整名称"),
        ),
        Column(
            "member_unit",
            width=30,
            help=gettext_lazy("成员单位联络员：单位的统一社会信用代码或完整名称"),
        ),
    ],
    conflict_message=gettext_lazy("保存时发现用户名已被他人使用，整个文件未导入，请重新上传。"),
)


def accounts_import(*, actor, uploaded_file, password: str) -> ImportBatch:
    """A manager uploads a filled-in account template; every account gets `password`, to be
    changed at first sign-in. Raises ValidationError for a bad password (nothing is kept) or a
    file too big to be kept."""
    policies.require_account_manager(actor)
    errors = Errors()
    services.check_password(errors, password, user=None)
    errors.raise_if_any()
    committee = selectors.root_committee(actor)
    if committee is None:
        raise ValidationError(_("您没有可导入账号的范围。"))
    return ACCOUNT_ROWS.import_workbook(
        actor=actor,
        committee=committee,
        uploaded_file=uploaded_file,
        context=AccountContext(actor, batch=True),
        save=lambda items: services.accounts_create_many(
            actor=actor, items=items, password=password
        ),
    )


def account_template(*, user) -> bytes:
    context = AccountContext(user)
    committees = list(
        selectors.grantable_committees(user)
        .open()
        .filter(level__in=[Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY])
        .order_by("tree_id", "lft")
        .values_list("division_code", "name", "level")[:20_000]
    )
    units = list(
        selectors.grantable_units(user)
        .filter(is_active=True)
        .order_by("name")
        .values_list("credit_code", "name", "kind")[:20_000]
    )
    kinds = dict(UnitKind.choices)
    return ACCOUNT_ROWS.template(
        context=context,
        instructions=[
            _("本模板用于批量开设账号。每行一个账号，可同时授予一个角色。"),
            _("角色与授权范围：%(help)s。") % {"help": context.role_help()},
            _("“协调委员会”“成员单位”填写参考表中的代码或名称。"),
            _(
                "上传时填写一次性初始密码，所有账号首次登录后须修改。有任何一行错误，整个文件不导入。"
            ),
        ],
        reference_sheets={
            _("可授权协调委员会"): (
                [_("区划代码"), _("名称"), _("层级")],
                [(code, name, Level(level).label) for code, name, level in committees],
            ),
            _("可授权成员单位"): (
                [_("统一社会信用代码"), _("名称"), _("类型")],
                [(code, name, kinds.get(kind, kind)) for code, name, kind in units],
            ),
        },
    )
