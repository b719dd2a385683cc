"""Excel pages of the member-unit list. A plain list of patterns, without an app_name, so that
`path("units/excel/", include("members.excel_urls"))` in members/urls.py puts them in the
"members" namespace."""

from django.urls import path

from . import excel_views

urlpatterns = [
    path("template/", excel_views.UnitTemplateView.as_view(), name="unit_excel_template"),
    path("import/", excel_views.UnitImportView.as_view(), name="unit_excel_import"),
    path("imports/", excel_views.ImportListView.as_view(), name="unit_excel_import_list"),
    path(
        "imports/<int:pk>/",
        excel_views.ImportDetailView.as_view(),
        name="unit_excel_import_detail",
    ),
    path(
        "imports/<int:pk>/file/",
        excel_views.ImportFileView.as_view(),
        name="unit_excel_import_file",
    ),
    path("export/", excel_views.UnitExportView.as_view(), name="unit_excel_export"),
]
