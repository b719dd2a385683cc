from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("units/", views.UnitListView.as_view(), name="unit_list"),
]
