"""The project list as an Excel workbook (the same columns the import will read)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import excel

from .models import ProjectSource, ProjectStatus

EXPORT_COLUMNS = [
    excel.Column(gettext_lazy("编号"), "id", width=8),
    excel.Column(gettext_lazy("年度"), "year", width=8),
    excel.Column(gettext_lazy("项目名称"), "title", width=30),
    excel.Column(gettext_lazy("牵头协调委员会"), "committee__name", width=20),
    excel.Column(gettext_lazy("区划代码"), "committee__division_code", width=14),
    excel.Column(gettext_lazy("牵头单位"), "lead_unit__name", width=24),
    excel.Column(gettext_lazy("类别"), "category__name", width=12),
    excel.Column(gettext_lazy("预算（元）"), "budget", width=12),
    excel.Column(gettext_lazy("开始日期"), "start_on", width=12),
    excel.Column(gettext_lazy("完成期限"), "due_on", width=12),
    excel.Column(gettext_lazy("状态"), "status", choices=ProjectStatus.choices, width=10),
    excel.Column(gettext_lazy("立项方式"), "source", choices=ProjectSource.choices, width=10),
    excel.Column(gettext_lazy("逾期时间"), "overdue_at", width=18),
    excel.Column(gettext_lazy("立项时间"), "created_at", width=18),
    excel.Column(gettext_lazy("项目内容"), "description", width=50),
]


def project_workbook(projects: QuerySet) -> bytes:
    rows = projects.values(*(c.field for c in EXPORT_COLUMNS)).iterator(chunk_size=2000)
    return excel.write_workbook(EXPORT_COLUMNS, rows, sheet_title=_("项目清单"))
