"""Error answers outside a view: a URL that matches no route, a refusal or a crash before a view
answers. Pages get the site's own error pages; the API answers in JSON, in the shape its schema
documents (`{"detail": …}`), so a client never has to read an HTML page for a wrong address."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"
HTML_API_PAGES = ("/api/docs/",)  # the API's documentation is a page


def _is_api(request) -> bool:
    path = request.path
    return path.startswith(API_PREFIX) and not path.startswith(HTML_API_PAGES)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    return defaults.page_not_found(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("您没有执行该操作的权限。")}, status=403)
    return defaults.permission_denied(request, exception)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("请求无效。")}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": _("服务器出错，请稍后再试。")}, status=500)
    return defaults.server_error(request)
