"""Pages of the resource list and of the categories. A plain list of patterns, without an
app_name: demands/urls.py includes it at "resources/" in the "demands" namespace."""

from django.urls import path

from . import category_views, resource_views

urlpatterns = [
    path("", resource_views.ResourceListView.as_view(), name="resource_list"),
    path("new/", resource_views.ResourceCreateView.as_view(), name="resource_create"),
    path("<int:pk>/", resource_views.ResourceDetailView.as_view(), name="resource_detail"),
    path("<int:pk>/edit/", resource_views.ResourceEditView.as_view(), name="resource_edit"),
    path("<int:pk>/status/", resource_views.ResourceStatusView.as_view(), name="resource_status"),
    path(
        "excel/template/",
        resource_views.ResourceTemplateView.as_view(),
        name="resource_excel_template",
    ),
    path(
        "excel/import/", resource_views.ResourceImportView.as_view(), name="resource_excel_import"
    ),
    path(
        "excel/imports/",
        resource_views.ImportListView.as_view(),
        name="resource_excel_import_list",
    ),
    path(
        "excel/imports/<int:pk>/",
        resource_views.ImportDetailView.as_view(),
        name="resource_excel_import_detail",
    ),
    path(
        "excel/imports/<int:pk>/file/",
        resource_views.ImportFileView.as_view(),
        name="resource_excel_import_file",
    ),
    path(
        "excel/export/", resource_views.ResourceExportView.as_view(), name="resource_excel_export"
    ),
    path("categories/", category_views.CategoryListView.as_view(), name="category_list"),
    path("categories/new/", category_views.CategoryCreateView.as_view(), name="category_create"),
    path(
        "categories/<int:pk>/edit/",
        category_views.CategoryEditView.as_view(),
        name="category_edit",
    ),
]
