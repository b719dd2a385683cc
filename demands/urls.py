"""Pages of the demand list (需求清单), two-way claims and wishes, under /demands/."""

from django.urls import path

from . import views

app_name = "demands"

urlpatterns = [
    path(
        "resources/<int:pk>/pairings/",
        views.ResourcePairingsView.as_view(),
        name="resource_pairings",
    ),
    path(
        "resources/<int:pk>/commit/",
        views.ResourceCommitView.as_view(),
        name="resource_commit",
    ),
    path("", views.DemandListView.as_view(), name="demand_list"),
    path("export.xlsx", views.DemandExportView.as_view(), name="demand_export"),
    path("new/", views.DemandCreateView.as_view(), name="demand_create"),
    path("raise/", views.DemandRaiseView.as_view(), name="demand_raise"),
    path("<int:pk>/", views.DemandDetailView.as_view(), name="demand_detail"),
    path("<int:pk>/edit/", views.DemandEditView.as_view(), name="demand_edit"),
    path("<int:pk>/transition/", views.DemandTransitionView.as_view(), name="demand_transition"),
    path("<int:pk>/commit/", views.CommitView.as_view(), name="demand_commit"),
    path("<int:pk>/explain/", views.DemandExplainView.as_view(), name="demand_explain"),
    path("attachments/<int:pk>/", views.AttachmentView.as_view(), name="attachment"),
    path(
        "matches/<int:pk>/request/",
        views.MatchActionView.as_view(claim=False),
        name="match_request",
    ),
    path("matches/<int:pk>/claim/", views.MatchActionView.as_view(claim=True), name="match_claim"),
    path(
        "claims/<int:pk>/accept/",
        views.ClaimDecideView.as_view(decision="accept"),
        name="claim_accept",
    ),
    path(
        "claims/<int:pk>/decline/",
        views.ClaimDecideView.as_view(decision="decline"),
        name="claim_decline",
    ),
    path(
        "claims/<int:pk>/release/",
        views.ClaimDecideView.as_view(decision="release"),
        name="claim_release",
    ),
    path("wishes/", views.WishListView.as_view(), name="wish_list"),
    path("wishes/<int:pk>/claim/", views.WishClaimView.as_view(), name="wish_claim"),
]
