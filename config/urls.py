from django.contrib import admin
from django.contrib.auth import views as django_auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from members import audit
from members import auth_views as security_views
from members.home import home

from .health import health

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", security_views.LoginView.as_view(), name="login"),
    path("accounts/login/verify/", security_views.LoginVerifyView.as_view(), name="login_verify"),
    path("accounts/logout/", django_auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", security_views.TwoFactorView.as_view(), name="two_factor"),
    path("audit/", audit.AuditLogView.as_view(), name="audit_log"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("committees/", include("committees.urls")),
    path("members/", include("members.urls")),
    path("demands/", include("demands.urls")),
    path("notifications/", include("notifications.urls")),
    # One way in: the admin site's own login would skip the second factor.
    path("admin/login/", security_views.admin_login),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("api/token/", security_views.ObtainTokenView.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", health, name="health"),
]
