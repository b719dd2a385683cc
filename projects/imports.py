"""The project list in Excel: the template and the import, through the one bulk-input pipeline.

`ProjectRowForm` is the row form of `core.bulk`: every row gets the checks of single entry (the
owner committee named by code or name among those the user works in, below the import's; the
lead unit by name or credit code; the dates, the budget; the policy), all references of the file
resolved at once, and all rows formed by `services.projects_bulk_create` in one transaction: the
whole file or nothing. The upload is kept in an `ImportBatch` (kind "projects") whatever happens,
with every bad row listed by row, column and reason.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from categories.models import Category
from committees.models import Committee, Level
from committees.selectors import committee_resolver
from core.bulk import (
    ChoiceField,
    Column,
    DateField,
    ReferenceField,
    RowContext,
    RowForm,
    RowType,
    TextField,
)
from core.errors import Errors
from core.models import ImportBatch
from core.scoping import Action, subtree_q
from demands.models import Demand
from members.selectors import unit_resolver

from . import policies, services

KIND_PROJECTS = "projects"


class ProjectRowContext(RowContext):
    """Rows imported at `committee`: a blank 牵头协调委员会 means it, a named one must lie in its
    subtree; the tenant's categories; the lead units and demands the user can see."""

    def __init__(self, user, *, committee: Committee | None) -> None:
        super().__init__(user)
        self.committee = committee
        self.categories = list(
            Category.objects.filter(tenant_id=user.tenant_id, is_active=True).order_by(
                "position", "pk"
            )
        )
        self.category_by_key = {str(c.pk): c for c in self.categories}
        self.resolvers["committee"] = committee_resolver(
            user=user, within=committee, label=_("牵头协调委员会"), default=committee
        )
        self.resolvers["lead_unit"] = unit_resolver(
            user=user, field="lead_unit", label=_("牵头单位")
        )
        self.demands: dict[str, Demand] = {}

    def prefetch(self, rows) -> None:
        super().prefetch(rows)
        ids = {str(row.get("demand") or "").strip() for row in rows} - {""}
        wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) < 18]
        self.demands = {
            str(d.pk): d
            for d in Demand.objects.visible_to(self.user)
            .filter(pk__in=wanted)
            .select_related("committee", "handling_committee")
        }

    def demand(self, reference: str) -> Demand | None:
        reference = (reference or "").strip()
        if not reference:
            return None
        if reference not in self.demands:
            raise ValidationError({"demand": _("找不到编号为%(n)s的需求。") % {"n": reference}})
        return self.demands[reference]


class ProjectRowForm(RowForm):
    title = TextField(label=gettext_lazy("项目名称"), max_length=120)
    committee = ReferenceField(label=gettext_lazy("牵头协调委员会"), max_length=100, required=False)
    lead_unit = ReferenceField(label=gettext_lazy("牵头单位"), max_length=200, required=False)
    category = ChoiceField(label=gettext_lazy("类别"), required=False)
    budget = TextField(label=gettext_lazy("预算（元）"), max_length=20, required=False)
    start_on = DateField(label=gettext_lazy("开始日期"))
    due_on = DateField(label=gettext_lazy("完成期限"))
    demand = TextField(label=gettext_lazy("对接需求编号"), max_length=20, required=False)
    description = TextField(
        label=gettext_lazy("项目内容"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        context: ProjectRowContext | None = self.context
        if context is not None:
            self.fields["category"].choices = [(c.pk, c.name) for c in context.categories]

    def clean_row(self, values):
        context: ProjectRowContext = self.context
        problems = Errors()
        committee = self.checked(
            problems, lambda: context.resolve("committee", values.get("committee") or "")
        )
        lead = None
        if values.get("lead_unit"):
            lead = self.checked(problems, lambda: context.resolve("lead_unit", values["lead_unit"]))
        demand = self.checked(problems, lambda: context.demand(values.get("demand")))
        item = services.ProjectItem(
            data=services.ProjectData(
                title=values.get("title") or "",
                description=values.get("description") or "",
                committee=committee,
                category=context.category_by_key.get(values.get("category") or ""),
                lead_unit=lead,
                budget=values.get("budget") or 0,
                start_on=values.get("start_on"),
                due_on=values.get("due_on"),
            ),
            demands=[demand] if demand else [],
        )
        quiet = {"committee"} if committee is None else set()
        self.checked(
            problems, lambda: services.validate_project(actor=context.user, item=item), quiet=quiet
        )
        problems.raise_if_any()
        return item


PROJECT_ROWS = RowType(
    form_class=ProjectRowForm,
    kind=KIND_PROJECTS,
    sheet_title=gettext_lazy("项目清单"),
    columns_spec=[
        Column("title", width=30),
        Column(
            "committee",
            width=22,
            help=gettext_lazy(
                "牵头协调委员会的12位区划代码或完整名称（见“可填协调委员会”表）；"
                "留空则为导入时选择的协调委员会"
            ),
        ),
        Column("lead_unit", width=26, help=gettext_lazy("成员单位名称或统一社会信用代码；可留空")),
        Column("category", width=12),
        Column("budget", width=12, help=gettext_lazy("金额（元），如50000")),
        Column("start_on", width=14, help=gettext_lazy("日期，如2026-03-01")),
        Column("due_on", width=14, help=gettext_lazy("日期，不能早于开始日期")),
        Column("demand", width=12, help=gettext_lazy("需求清单中的需求编号；可留空")),
        Column("description", width=40),
    ],
    conflict_message=gettext_lazy("保存时数据发生了变化，整个文件未导入，请重新上传。"),
)


def projects_import(*, actor, committee: Committee, uploaded_file) -> ImportBatch:
    """Staff upload a year's project list at a committee: the whole file or nothing."""
    policies.require_create_project(actor, committee)
    return PROJECT_ROWS.import_workbook(
        actor=actor,
        committee=committee,
        uploaded_file=uploaded_file,
        context=ProjectRowContext(actor, committee=committee),
        save=lambda items: services.projects_bulk_create(actor=actor, items=items),
    )


def project_template(*, user, committee: Committee | None) -> bytes:
    context = ProjectRowContext(user, committee=committee)
    committees = Committee.objects.visible_to(user, Action.CHANGE).open()
    if committee is not None:
        committees = committees.filter(subtree_q(committee, path=""))
    committees = committees.order_by("tree_id", "lft").only("id", "name", "division_code", "level")[
        :20_000
    ]
    return PROJECT_ROWS.template(
        context=context,
        instructions=[
            _("本模板用于批量导入年度项目清单；每行一个项目。"),
            _("“牵头协调委员会”填写“可填协调委员会”表中的区划代码或名称，留空则为导入时选择的。"),
            _("日期填写如2026-03-01；完成期限不能早于开始日期；预算以元为单位。"),
            _("填写“对接需求编号”的，该需求随项目转为“已立项”。"),
        ],
        reference_sheets={
            _("可填协调委员会"): (
                [_("区划代码"), _("名称"), _("层级")],
                [(c.division_code, c.name, Level(c.level).label) for c in committees],
            )
        },
    )
