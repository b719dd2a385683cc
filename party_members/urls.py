"""Pages of party members under /party-members/: self-registration, my service, the roster,
verification and rankings."""

from django.urls import path

from core.throttling import posted, throttle

from . import views

app_name = "party_members"

urlpatterns = [
    path("committees/<int:pk>/roster/", views.RosterView.as_view(), name="roster"),
    path(
        "registrations/<int:pk>/confirm/",
        views.RegistrationDecideView.as_view(confirm=True),
        name="registration_confirm",
    ),
    path(
        "registrations/<int:pk>/reject/",
        views.RegistrationDecideView.as_view(confirm=False),
        name="registration_reject",
    ),
    path(
        "join/",
        throttle("join", account=posted("username"), methods=("POST",))(views.JoinView.as_view()),
        name="join",
    ),
    path(
        "join/communities/",
        throttle("join_search")(views.JoinCommunitySearchView.as_view()),
        name="join_communities",
    ),
    path("committees/<int:pk>/teams/", views.TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/join/", views.TeamJoinView.as_view(), name="team_join"),
    path("me/", views.MyServiceView.as_view(), name="me"),
    path("me/certificate.pdf", views.CertificateView.as_view(), name="certificate"),
    path("", views.PartyMemberListView.as_view(), name="party_member_list"),
    path("<int:pk>/", views.PartyMemberDetailView.as_view(), name="party_member_detail"),
    path(
        "<int:pk>/services/",
        views.StaffServiceCreateView.as_view(),
        name="staff_service_create",
    ),
    path("services/pending/", views.PendingServiceListView.as_view(), name="pending_services"),
    path(
        "services/<int:pk>/verify/",
        views.ServiceDecideView.as_view(verify=True),
        name="service_verify",
    ),
    path(
        "services/<int:pk>/reject/",
        views.ServiceDecideView.as_view(verify=False),
        name="service_reject",
    ),
    path("rankings/", views.RankingView.as_view(), name="ranking"),
]
