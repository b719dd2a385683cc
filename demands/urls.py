from django.urls import include, path

app_name = "demands"

# Demand pages live in demands/views.py; resources, categories and the Excel pages in their own
# modules, each with its own list of patterns included here.
urlpatterns = [
    path("", include("demands.demand_urls")),
    path("resources/", include("demands.resource_urls")),
]
