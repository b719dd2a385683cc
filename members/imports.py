"""Member units in Excel: the template, the import and the export.

The import is the bulk-input pipeline of `core.bulk` with `forms.UnitForm` as its row form: every
row is checked by the same form (and so the same service validation) as single entry, with the
places (所在地) and the tenant's taken credit codes read once for the whole file, and all rows are
created by `services.member_units_create_many` in one transaction: the whole file or nothing. The
uploaded file is kept with its `ImportBatch` whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import Committee, Level
from core.bulk import Column, RowType
from core.models import ImportBatch
from core.scoping import Action, subtree_q

from . import policies, services
from .forms import UnitContext, UnitForm
from .models import MemberUnit, User
from .selectors import change_committees, unit_contact_phone

KIND_MEMBER_UNITS = "member_units"

UNIT_ROWS = RowType(
    form_class=UnitForm,
    kind=KIND_MEMBER_UNITS,
    sheet_title=gettext_lazy("成员单位"),
    columns_spec=[
        Column("name", width=32),
        Column(
            "credit_code",
            width=24,
            requirement=gettext_lazy("除部队单位外必填"),
            help=gettext_lazy("18位，末位为校验位"),
        ),
        Column("kind"),
        Column(
            "committee",
            width=22,
            help=gettext_lazy(
                "所在协调委员会的12位区划代码或完整名称（见“可填所在地”表）；留空则为导入时选择的协调委员会"
            ),
        ),
        Column("address", width=36),
        Column("contact_name"),
        Column("contact_phone", help=gettext_lazy("手机号11位，或座机如010-12345678")),
        Column("party_org_type"),
        Column("party_member_count", width=12, help=gettext_lazy("不小于0的整数，不填为0")),
    ],
    conflict_message=gettext_lazy(
        "保存时发现统一社会信用代码已被他人登记，整个文件未导入，请重新上传。"
    ),
)


def import_context(user: User, committee: Committee) -> UnitContext:
    """Rows imported at `committee`: placed in its subtree, a blank place meaning itself."""
    return UnitContext(user, within=committee, default=committee, batch=True)


def member_units_import(*, actor: User, committee: Committee, uploaded_file) -> ImportBatch:
    """Staff upload a filled-in template of member units for their committee's area.

    The file is stored with the batch whatever happens. If the workbook cannot be read, or any row
    is bad, the batch is rejected with every problem listed by row and column, and no unit is
    created. Otherwise every row becomes a unit (joined to the committee where it stands) in one
    transaction. Raises ValidationError only for a file too big to be kept at all, NotAllowed for
    a committee the actor may not register units at."""
    policies.ensure_may_register_at(actor, committee)
    return UNIT_ROWS.import_workbook(
        actor=actor,
        committee=committee,
        uploaded_file=uploaded_file,
        context=import_context(actor, committee),
        save=lambda entries: services.member_units_create_many(actor=actor, entries=entries),
    )


def template_reference_rows(*, user: User, committee: Committee | None = None) -> list[tuple]:
    """The committees the user may import into, for the template's reference sheet."""
    queryset = Committee.objects.visible_to(user, Action.CHANGE).open()
    if committee is not None:
        queryset = queryset.filter(subtree_q(committee, path=""))
    return [
        (code, name, Level(level).label)
        for code, name, level in queryset.order_by("tree_id", "lft").values_list(
            "division_code", "name", "level"
        )[:20_000]
    ]


def unit_template(*, user: User, committee: Committee | None = None) -> bytes:
    """The member-unit template with drop-downs and the list of places the user may fill in."""
    # The sheet's rows will be imported at a committee: a blank place is no must.
    place = committee or next(iter(change_committees(user)), None)
    return UNIT_ROWS.template(
        context=UnitContext(user, within=committee, default=place),
        instructions=[
            _("本模板用于批量登记成员单位（驻区单位）。"),
            _(
                "统一社会信用代码按GB 32100校验末位；同一文件中同一代码只能出现一次，已登记的代码不能重复登记。"
            ),
            _("“所在地”填写“可填所在地”表中的区划代码或名称；名称重复时请填区划代码。"),
            _("导入的单位同时加入其所在地的协调委员会。"),
        ],
        reference_sheets={
            _("可填所在地"): (
                [_("区划代码"), _("名称"), _("层级")],
                template_reference_rows(user=user, committee=committee),
            )
        },
    )


def unit_export_rows(*, user: User, units: Iterable[MemberUnit]) -> Iterator[dict[str, Any]]:
    """The rows of an export, with the contact phone masked for a viewer who does not need it."""
    for unit in units:
        yield {
            "name": unit.name,
            "credit_code": unit.credit_code,
            "kind": unit.kind,
            "committee": unit.committee.name,
            "address": unit.address,
            "contact_name": unit.contact_name,
            "contact_phone": unit_contact_phone(user, unit),
            "party_org_type": unit.party_org_type,
            "party_member_count": unit.party_member_count,
        }


def unit_export(*, user: User, units: Iterable[MemberUnit]) -> bytes:
    """The member units the user filtered, as a workbook in the template's columns."""
    return UNIT_ROWS.export(unit_export_rows(user=user, units=units))
