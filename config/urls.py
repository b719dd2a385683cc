from django.contrib import admin
from django.contrib.auth import views as django_auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as accounts_views
from audit import views as audit_views
from core.throttling import posted, throttle

from .health import health
from .home import home

urlpatterns = [
    path("", home, name="home"),
    path(
        "accounts/login/",
        throttle("login", account=posted("username"), methods=("POST",))(
            accounts_views.LoginView.as_view()
        ),
        name="login",
    ),
    path(
        "accounts/login/verify/",
        throttle("login", methods=("POST",))(accounts_views.LoginVerifyView.as_view()),
        name="login_verify",
    ),
    path("accounts/logout/", django_auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", accounts_views.TwoFactorView.as_view(), name="two_factor"),
    path("accounts/", include("accounts.urls")),
    path("audit/", audit_views.AuditLogView.as_view(), name="audit_log"),
    path("committees/", include("committees.urls")),
    path("members/", include("members.urls")),
    path("party-members/", include("party_members.urls")),
    path("categories/", include("categories.urls")),
    path("resources/", include("resources.urls")),
    path("demands/", include("demands.urls")),
    path("projects/", include("projects.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("notifications/", include("notifications.urls")),
    # One way in: the admin site's own login would skip the second factor.
    path("admin/login/", accounts_views.admin_login),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path(
        "api/token/",
        throttle("token", account=posted("username"))(accounts_views.ObtainTokenView.as_view()),
        name="api-token",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", health, name="health"),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
