"""Pages of the resource list (资源清单) under /resources/."""

from django.urls import path

from . import views

app_name = "resources"


urlpatterns = [
    path("", views.ResourceListView.as_view(), name="resource_list"),
    path("new/", views.ResourceCreateView.as_view(), name="resource_create"),
    path("<int:pk>/", views.ResourceDetailView.as_view(), name="resource_detail"),
    path("<int:pk>/edit/", views.ResourceEditView.as_view(), name="resource_edit"),
    path("<int:pk>/status/", views.ResourceStatusView.as_view(), name="resource_status"),
    path(
        "excel/template/",
        views.ResourceTemplateView.as_view(),
        name="resource_excel_template",
    ),
    path("excel/import/", views.ResourceImportView.as_view(), name="resource_excel_import"),
    path(
        "excel/imports/",
        views.ImportListView.as_view(),
        name="resource_excel_import_list",
    ),
    path(
        "excel/imports/<int:pk>/",
        views.ImportDetailView.as_view(),
        name="resource_excel_import_detail",
    ),
    path(
        "excel/imports/<int:pk>/file/",
        views.ImportFileView.as_view(),
        name="resource_excel_import_file",
    ),
    path("excel/export/", views.ResourceExportView.as_view(), name="resource_excel_export"),
]
