"""Pages of the tenant's taxonomy (需求类别) under /categories/."""

from django.urls import path

from . import views

app_name = "categories"

urlpatterns = [
    path("", views.CategoryListView.as_view(), name="category_list"),
    path("new/", views.CategoryCreateView.as_view(), name="category_create"),
    path(
        "<int:pk>/edit/",
        views.CategoryEditView.as_view(),
        name="category_edit",
    ),
]
