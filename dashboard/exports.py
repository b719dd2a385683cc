"""The dashboard as a workbook, exactly as on screen: the same rows in the same order, each
value written with `selectors.display` as the page writes it, each figure with its definition."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.excel import escape_formula

from . import selectors


def _text(value):
    return escape_formula(str(value)) if isinstance(value, str) else value


def _sheet(workbook, title: str, header: list, rows: list[list]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append([_text(str(h)) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_text(v) for v in row])
    sheet.freeze_panes = "A2"
    for index, column in enumerate("ABCDEFGHIJKL"):
        sheet.column_dimensions[column].width = 24 if index == 0 else 16


def summary_rows(board: selectors.Dashboard) -> list[list]:
    return [[str(fig.label), shown, fig.definition] for fig, shown in board.summary]


def ranking_rows(board: selectors.Dashboard) -> list[list]:
    return [
        [row.committee.name, *(row.shown(f.key) for f in board.ranking_figures)]
        for row in board.ranking
    ]


def trend_rows(board: selectors.Dashboard) -> list[list]:
    keys = ("demands", "resources", "projects", "projects_completed", "whistles")
    return [
        [f"{month:%Y-%m}", *(board.series[k][i] for k in keys)]
        for i, month in enumerate(board.months)
    ]


def workbook(board: selectors.Dashboard) -> bytes:
    book = Workbook()
    book.remove(book.active)
    period = f"{board.months[0]:%Y-%m} — {board.months[-1]:%Y-%m}"
    refreshed = (
        f"{timezone.localtime(board.refreshed_at):%Y-%m-%d %H:%M}" if board.refreshed_at else "—"
    )
    _sheet(
        book,
        _("概览"),
        [_("指标"), _("数值"), _("口径")],
        [
            [_("委员会"), " › ".join(c.name for c in board.breadcrumb), ""],
            [_("统计期"), period, ""],
            [_("数据更新于"), refreshed, ""],
            *summary_rows(board),
        ],
    )
    _sheet(
        book,
        _("月度趋势"),
        [_("月份"), _("需求数"), _("资源数"), _("项目数"), _("完成项目数"), _("吹哨数")],
        trend_rows(board),
    )
    _sheet(
        book,
        _("下级排名"),
        [_("委员会"), *(str(f.label) for f in board.ranking_figures)],
        ranking_rows(board),
    )
    _sheet(
        book,
        _("需求构成"),
        [_("维度"), _("类别/来源"), _("需求数")],
        [[_("类别"), n, v] for n, v in board.category_mix]
        + [[_("来源"), n, v] for n, v in board.source_mix],
    )
    _sheet(
        book,
        _("逾期项目"),
        [_("项目"), _("牵头协调委员会"), _("牵头单位"), _("完成期限")],
        [
            [p.title, p.committee.name, p.lead_unit.name if p.lead_unit else "—", f"{p.due_on}"]
            for p in board.overdue
        ],
    )
    _sheet(
        book,
        _("单位负荷"),
        [_("成员单位"), _("所属委员会"), _("牵头在办项目数")],
        [[u.name, u.committee.name, u.load] for u in board.loaded_units],
    )
    _sheet(
        book,
        _("报到最差部门"),
        [_("部门"), _("召集次数"), _("按时报到"), _("逾期上报"), _("按时报到率")],
        [
            [d["name"], d["summoned"], d["on_time"], d["escalated"], d["rate_shown"]]
            for d in board.worst_departments
        ],
    )
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
