"""The resource list in Excel: the template, the import and the export.

The import is the bulk-input pipeline of `core.bulk` with `forms.ResourceForm` as its row form:
every row gets the same checks (and so the same words) as single entry and the bulk API, with the
committees named and the offering unit resolved once for the whole file, and all rows are created
by `services.resources_bulk_create` in one transaction: the whole file or nothing. The uploaded
file is kept in an `ImportBatch` (kind "resources") whatever the outcome, with every bad row listed
by row, column and reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Committee, Level
from core import excel
from core.bulk import Column, RowType
from core.models import ImportBatch
from core.scoping import Action, subtree_q
from members.models import MemberUnit

from . import policies, services
from .forms import ResourceContext, ResourceForm, import_context
from .models import Resource, ResourceStatus

KIND_RESOURCES = "resources"

RESOURCE_ROWS = RowType(
    form_class=ResourceForm,
    kind=KIND_RESOURCES,
    sheet_title=gettext_lazy("资源清单"),
    columns_spec=[
        Column("title", width=30),
        Column("kind"),
        Column("category"),
        Column("capacity", width=12, help=gettext_lazy("大于0的数字，最多一位小数")),
        Column("capacity_unit", width=10, help=gettext_lazy("总量的计量单位")),
        Column("available_from", width=14, help=gettext_lazy("日期，如2026-05-01；留空表示即日起")),
        Column(
            "available_until", width=14, help=gettext_lazy("日期，不能早于可用开始；留空表示长期")
        ),
        Column(
            "committee",
            width=22,
            help=gettext_lazy(
                "资源服务的协调委员会的12位区划代码或完整名称（见“可填服务范围”表）；"
                "留空则为导入时选择的协调委员会"
            ),
        ),
        Column("description", width=40),
    ],
    conflict_message=gettext_lazy("保存时数据发生了变化，整个文件未导入，请重新上传。"),
)

EXTRA_EXPORT_COLUMNS = [
    excel.Column(gettext_lazy("剩余"), "remaining", width=12),
    excel.Column(gettext_lazy("状态"), "status", choices=ResourceStatus.choices, width=10),
    excel.Column(gettext_lazy("提供单位"), "offered_by", width=30),
    excel.Column(gettext_lazy("登记时间"), "created_at", width=18),
]


def resources_import(
    *, actor, committee: Committee, unit: MemberUnit | None, uploaded_file
) -> ImportBatch:
    """Staff, or a member unit's contact, upload a filled-in resource template.

    The file is kept with the batch whatever happens. If the workbook cannot be read, or any row
    is bad, the batch is rejected with every problem listed by row and column, and no resource is
    created. Otherwise every row becomes a resource in one transaction. Raises ValidationError only
    for a file too big to be kept at all, NotAllowed for a committee or unit out of reach.
    """
    policies.ensure_may_import(actor, committee, unit)
    return RESOURCE_ROWS.import_workbook(
        actor=actor,
        committee=committee,
        uploaded_file=uploaded_file,
        context=import_context(actor, committee=committee, unit=unit),
        save=lambda offers: services.resources_bulk_create(actor=actor, offers=offers),
    )


# --- the template -------------------------------------------------------------------------------


def reference_committees(context: ResourceContext, committee: Committee | None) -> list:
    """The committees the user may fill in as 服务范围: staff those of their change scope (in
    `committee`'s subtree when one is chosen), a contact their unit's."""
    if not context.acts_as_staff:
        return context.places()
    queryset = Committee.objects.visible_to(context.user, Action.CHANGE).open()
    if committee is not None:
        queryset = queryset.filter(subtree_q(committee, path=""))
    return list(
        queryset.order_by("tree_id", "lft").only(
            "id", "name", "division_code", "level", "tree_id", "lft"
        )[:20_000]
    )


def resource_template(*, user, committee: Committee | None = None) -> bytes:
    """The resource template with drop-downs (资源类型, 类别, 单位) and the committees the user
    may fill in as 服务范围 on a sheet of its own."""
    context = ResourceContext(user, within=committee, default=committee)
    committees = reference_committees(context, committee)
    # The sheet's rows are imported at a committee: a blank 服务范围 is no must.
    context.resolvers["committee"].default = committee or next(iter(committees), None)
    return RESOURCE_ROWS.template(
        context=context,
        instructions=[
            _("本模板用于批量登记资源清单（场地、人员、专业技能、资金、物资、设备）。"),
            _("资源类型、类别、单位从下拉列表选择；总量须大于0。"),
            _("“服务范围”填写“可填服务范围”表中的区划代码或名称，资源服务该协调委员会及其下级。"),
            _("日期填写如2026-05-01；可用截止不能早于可用开始。"),
        ],
        reference_sheets={
            _("可填服务范围"): (
                [_("区划代码"), _("名称"), _("层级")],
                [(c.division_code, c.name, Level(c.level).label) for c in committees],
            )
        },
    )


# --- export -------------------------------------------------------------------------------------


def export_rows(resources: Iterable[Resource]) -> Iterator[dict[str, Any]]:
    for resource in resources:
        yield {
            "title": resource.title,
            "kind": resource.kind,
            "category": resource.category.name,
            "capacity": resource.capacity,
            "capacity_unit": resource.capacity_unit,
            "available_from": resource.available_from,
            "available_until": resource.available_until,
            "committee": resource.committee.name,
            "description": resource.description,
            "remaining": resource.remaining,
            "status": resource.status,
            "offered_by": resource.offered_by.name if resource.offered_by else "",
            "created_at": resource.created_at,
        }


def resource_export(*, resources: Iterable[Resource]) -> bytes:
    """The resources the user filtered, in the template's columns followed by what only the
    system knows (remaining, status, offering unit, when entered)."""
    return RESOURCE_ROWS.export(export_rows(resources), extra=EXTRA_EXPORT_COLUMNS)
