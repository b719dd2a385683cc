from django.urls import include, path

from . import views

app_name = "members"

urlpatterns = [
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/lookup/", views.UnitLookupView.as_view(), name="unit_lookup"),
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
]
