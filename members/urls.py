from django.urls import include, path

from . import views

app_name = "members"

urlpatterns = [
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/new/", views.UnitCreateView.as_view(), name="unit_create"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/excel/", include("members.excel_urls")),
    path("units/<int:pk>/edit/", views.UnitEditView.as_view(), name="unit_edit"),
    path("committees/<int:pk>/", views.CommitteeStructureView.as_view(), name="structure"),
    path("committees/<int:pk>/seats/", views.SeatCreateView.as_view(), name="seat_create"),
    path(
        "committees/<int:pk>/subcommittees/",
        views.SubcommitteeCreateView.as_view(),
        name="subcommittee_create",
    ),
    path(
        "committees/<int:pk>/alliances/", views.AllianceCreateView.as_view(), name="alliance_create"
    ),
    path("subcommittees/<int:pk>/rotation/", views.RotationSetView.as_view(), name="rotation_set"),
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
    path("join/", views.JoinView.as_view(), name="join"),
    path("join/communities/", views.JoinCommunitySearchView.as_view(), name="join_communities"),
    path("committees/<int:pk>/teams/", views.TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/join/", views.TeamJoinView.as_view(), name="team_join"),
    path("me/", views.MyServiceView.as_view(), name="me"),
    path("me/certificate.pdf", views.CertificateView.as_view(), name="certificate"),
    path("party-members/", views.PartyMemberListView.as_view(), name="party_member_list"),
    path(
        "party-members/<int:pk>/", views.PartyMemberDetailView.as_view(), name="party_member_detail"
    ),
    path(
        "party-members/<int:pk>/services/",
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
