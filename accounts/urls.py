"""Account pages under /accounts/: management, the profile, the password, locked accounts."""

from django.urls import path

from . import manage_views as views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("locked/", views.LockedAccountsView.as_view(), name="locked"),
    path("manage/", views.AccountListView.as_view(), name="account_list"),
    path(
        "manage/lookup/committees/",
        views.GrantCommitteeLookupView.as_view(),
        name="lookup_committees",
    ),
    path("manage/lookup/units/", views.GrantUnitLookupView.as_view(), name="lookup_units"),
    path("manage/new/", views.AccountCreateView.as_view(), name="account_create"),
    path("manage/<int:pk>/", views.AccountDetailView.as_view(), name="account_detail"),
    path("manage/<int:pk>/grant/", views.AccountGrantView.as_view(), name="account_grant"),
    path("manage/<int:pk>/active/", views.AccountActiveView.as_view(), name="account_active"),
    path("manage/<int:pk>/password/", views.AccountPasswordView.as_view(), name="account_password"),
    path("manage/grants/<int:pk>/revoke/", views.GrantRevokeView.as_view(), name="grant_revoke"),
    path("manage/excel/template/", views.AccountTemplateView.as_view(), name="import_template"),
    path("manage/excel/import/", views.AccountImportView.as_view(), name="import"),
    path("manage/excel/imports/", views.ImportListView.as_view(), name="import_list"),
    path("manage/excel/imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("manage/excel/imports/<int:pk>/file/", views.ImportFileView.as_view(), name="import_file"),
]
