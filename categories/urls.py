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
    path("thesaurus/", views.ThesaurusListView.as_view(), name="thesaurus_list"),
    path("thesaurus/new/", views.ThesaurusCreateView.as_view(), name="thesaurus_create"),
    path("thesaurus/defaults/", views.ThesaurusDefaultsView.as_view(), name="thesaurus_defaults"),
    path("thesaurus/<int:pk>/edit/", views.ThesaurusEditView.as_view(), name="thesaurus_edit"),
    path(
        "thesaurus/<int:pk>/delete/", views.ThesaurusDeleteView.as_view(), name="thesaurus_delete"
    ),
]
