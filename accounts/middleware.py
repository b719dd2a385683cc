"""Request-wide security: the client's address, session timeouts, and who an audit entry is by.

`client_ip` is the one definition of "where a request came from", used by the lockout (django-axes)
and the audit log alike, so a locked pair and an audit entry name the same address.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
SESSION_STARTED_AT = "_security_started_at"
SESSION_SEEN_AT = "_security_seen_at"
# The idle clock is written back to the session at most once a minute, so reading a page does
# not cost a session write every time.
SEEN_RESOLUTION_SECONDS = 60


def now() -> float:
    """Seconds since the epoch; its own function so that tests can move the clock."""
    return time.time()


# --- session timeouts ---------------------------------------------------------------------------


def stamp_session(sender, request, user, **kwargs) -> None:
    """On every login (user_logged_in): the absolute and idle clocks start now."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_STARTED_AT] = session[SESSION_SEEN_AT] = now()


class SessionTimeoutMiddleware:
    """Ends a logged-in session idle for `SESSION_IDLE_TIMEOUT` or older than
    `SESSION_ABSOLUTE_TIMEOUT`. A page is redirected to the login page with a message; an API
    request carries on as anonymous and is refused there. Token-authenticated API calls have no
    session and are not affected."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._expired(request):
            return self._end(request)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> bool:
        session = request.session
        if SESSION_KEY not in session:
            return False
        current = now()
        started = session.get(SESSION_STARTED_AT)
        seen = session.get(SESSION_SEEN_AT)
        if started is None or seen is None:
            # A session from before this middleware: its clocks start now.
            session[SESSION_STARTED_AT] = session[SESSION_SEEN_AT] = current
            return False
        if (
            current - seen > settings.SESSION_IDLE_TIMEOUT.total_seconds()
            or current - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
        ):
            return True
        # The inbox badge polls every few seconds; a poll is not the user being there.
        if current - seen >= SEEN_RESOLUTION_SECONDS and not request.headers.get("X-Poll"):
            session[SESSION_SEEN_AT] = current
        return False

    def _end(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)
        messages.warning(request, _("会话已超时，请重新登录"))
        next_path = request.get_full_path() if request.method == "GET" else "/"
        response = redirect_to_login(next_path)
        if request.headers.get("HX-Request"):
            # htmx would swap the login page into a fragment; make it load the whole page instead.
            login_url = response.url
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
        return response


# --- a one-time password is changed first ------------------------------------------------------

# What an account with a one-time password may still reach: the change itself, signing out,
# and what the pages need to load.
PASSWORD_CHANGE_OPEN_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/")


class PasswordChangeRequiredMiddleware:
    """An account opened or reset with a one-time password is sent to the password change from
    every page until it has chosen its own; the API refuses it (403) with the same reason."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(PASSWORD_CHANGE_OPEN_PREFIXES)
        ):
            return self._refuse(request)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse:
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode

        reason = _("请先修改初始密码。")
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": reason}, status=403)
        url = reverse("accounts:password_change")
        if request.method == "GET" and request.path != "/":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            # A fragment (the inbox badge's poll) gets nothing: the page itself is the change.
            return HttpResponse(status=204)
        return redirect(url)


# --- who and where, for the audit log -----------------------------------------------------------
