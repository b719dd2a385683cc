from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("badge/", views.BadgeView.as_view(), name="badge"),
    path("read-all/", views.ReadAllView.as_view(), name="read_all"),
    path("<int:pk>/read/", views.NotificationReadView.as_view(), name="read"),
    path("<int:pk>/open/", views.NotificationOpenView.as_view(), name="open"),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhook_list"),
    path("webhooks/new/", views.WebhookCreateView.as_view(), name="webhook_create"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook_detail"),
    path(
        "webhooks/<int:pk>/disable/",
        views.WebhookSetActiveView.as_view(active=False),
        name="webhook_disable",
    ),
    path(
        "webhooks/<int:pk>/enable/",
        views.WebhookSetActiveView.as_view(active=True),
        name="webhook_enable",
    ),
]
