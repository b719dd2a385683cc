from django.urls import path

from . import views

app_name = "committees"

urlpatterns = [
    path("", views.CommitteeTreeView.as_view(), name="tree"),
    path("lookup/", views.CommitteeLookupView.as_view(), name="lookup"),
    path("<int:pk>/", views.CommitteeDetailView.as_view(), name="detail"),
    path("<int:pk>/children/", views.CommitteeChildrenView.as_view(), name="children"),
    path("<int:pk>/add/", views.CommitteeCreateView.as_view(), name="create"),
    path("<int:pk>/rename/", views.CommitteeRenameView.as_view(), name="rename"),
    path("<int:pk>/move/", views.CommitteeMoveView.as_view(), name="move"),
    path("<int:pk>/close/", views.CommitteeCloseView.as_view(), name="close"),
]
