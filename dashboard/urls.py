"""The leaders' dashboard, under /dashboard/."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("<int:pk>/", views.CommitteeDashboardView.as_view(), name="committee"),
    path("<int:pk>/wall/", views.WallView.as_view(), name="wall"),
    path("<int:pk>/assessment/", views.AssessmentView.as_view(), name="assessment"),
    path("<int:pk>/export.xlsx", views.ExportView.as_view(), name="export"),
]
