"""The leaders' dashboard, under /dashboard/."""

from django.urls import path

from . import assessment_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("<int:pk>/", views.CommitteeDashboardView.as_view(), name="committee"),
    path("<int:pk>/wall/", views.WallView.as_view(), name="wall"),
    path("<int:pk>/assessment/", views.AssessmentView.as_view(), name="assessment"),
    path("assessment/setup/", assessment_views.SetupView.as_view(), name="assessment_setup"),
    path(
        "<int:pk>/assessment/scores/",
        assessment_views.ScoresView.as_view(),
        name="assessment_scores",
    ),
    path(
        "assessment/evidence/<int:pk>/",
        assessment_views.EvidenceView.as_view(),
        name="assessment_evidence",
    ),
    path(
        "<int:pk>/assessment/stars/", assessment_views.StarsView.as_view(), name="assessment_stars"
    ),
    path("<int:pk>/assessment/weak/", assessment_views.WeakListView.as_view(), name="weak_list"),
    path(
        "assessment/weak/<int:pk>/", assessment_views.WeakDetailView.as_view(), name="weak_detail"
    ),
    path(
        "<int:pk>/assessment/feedback/",
        assessment_views.FeedbackView.as_view(),
        name="assessment_feedback",
    ),
    path("<int:pk>/export.xlsx", views.ExportView.as_view(), name="export"),
]
