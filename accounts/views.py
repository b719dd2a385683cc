"""Logging in: the password, then for an account with a second factor the six-digit code; the
enrolment of that factor; the lockout page; and the API token, which asks for the same.

The second factor (TOTP, django-otp) is optional and offered to administrators only
(`accounts.policies`); enrolling and removing it are services, recorded in the audit trail. An account
with a confirmed device is not logged in until its code is right, whichever way it logs in.
A wrong code counts as a failed login for the lockout, like a wrong password.
"""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from core.forms import add_service_errors
from core.views import ScopedPageMixin

from . import policies, services
from .middleware import API_PREFIX, now
from .selectors import confirmed_device

PENDING_LOGIN = "_pending_login"
PENDING_SECONDS = 300
ENROL_KEY = "_totp_enrol_key"


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("动态验证码"),
        regex=r"^\d{6}$",
        strip=True,
        error_messages={
            "required": gettext_lazy("请输入6位动态验证码。"),
            "invalid": gettext_lazy("动态验证码是6位数字。"),
        },
    )


def _code_refused(request: HttpRequest, username: str) -> None:
    """A wrong code is a failed login for the lockout (username and address together)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


# --- lockout ------------------------------------------------------------------------------------


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("登录失败次数过多，该账号在当前地址已被锁定%(minutes)d分钟，请稍后再试。") % {
        "minutes": minutes
    }


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """What a locked-out username and address get (django-axes' AXES_LOCKOUT_CALLABLE): a page,
    or for the API a JSON error, with status 429."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": lockout_message()}, status=settings.AXES_HTTP_RESPONSE_CODE)
    context = {
        "message": lockout_message(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(
        request, "security/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


# --- login: password, then code -----------------------------------------------------------------


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/: the admin site's own login would skip the second factor, so it sends to
    ours. A logged-in account lands here only when the admin site is not for it."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


class LoginView(auth_views.LoginView):
    """Django's login, which stops after the password for an account with a second factor."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING_LOGIN] = {
            "user_id": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": now(),
        }
        return redirect("login_verify")


class LoginVerifyView(View):
    """The second step: the six-digit code of the device the account enrolled."""

    template_name = "registration/login_verify.html"

    def dispatch(self, request, *args, **kwargs):
        pending = request.session.get(PENDING_LOGIN)
        user = None
        if pending and now() - pending["at"] <= PENDING_SECONDS:
            user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
        device = confirmed_device(user) if user is not None else None
        if device is None:
            request.session.pop(PENDING_LOGIN, None)
            messages.warning(request, _("登录已过期，请重新输入用户名和密码。"))
            return redirect("login")
        self.pending, self.user, self.device = pending, user, device
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": CodeForm(), "user_name": self.user})

    def post(self, request):
        if not AxesProxyHandler.is_allowed(request, {"username": self.user.get_username()}):
            # Locked since the password was given (by failures elsewhere from this address).
            request.session.pop(PENDING_LOGIN, None)
            return lockout_response(request)
        form = CodeForm(request.POST)
        if form.is_valid():
            allowed, _why = self.device.verify_is_allowed()
            if not allowed:
                form.add_error("code", _("尝试过于频繁，请稍等几秒再输入。"))
            elif self.device.verify_token(form.cleaned_data["code"]):
                request.session.pop(PENDING_LOGIN, None)
                login(request, self.user, backend=self.pending["backend"])
                otp_login(request, self.device)
                return redirect(self.pending["next"])
            else:
                _code_refused(request, self.user.get_username())
                if getattr(request, "axes_locked_out", False):
                    request.session.pop(PENDING_LOGIN, None)
                    return lockout_response(request)
                form.add_error("code", _("动态验证码不正确，请查看验证器中的最新验证码。"))
        return render(request, self.template_name, {"form": form, "user_name": self.user})


# --- enrolment ----------------------------------------------------------------------------------


def _group(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class TwoFactorView(ScopedPageMixin, View):
    """/accounts/2fa/: an administrator turns the second factor on (scan the code, confirm with a
    code) or off (confirm with a code). Not there for anyone else (the policy's 404)."""

    template_name = "security/two_factor.html"

    def dispatch(self, request, *args, **kwargs):
        # A 404, not a 403: for anyone the policy leaves out, the page does not exist.
        if request.user.is_authenticated and not policies.is_administrator(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def _enrol_key(self, request) -> str:
        key = request.session.get(ENROL_KEY)
        if not key:
            key = request.session[ENROL_KEY] = services.totp_enrolment_start(actor=request.user)
        return key

    def _context(self, request, form=None) -> dict:
        device = confirmed_device(request.user)
        context = {"device": device, "form": form or CodeForm()}
        if device is None:
            key = self._enrol_key(request)
            url = TOTPDevice(user=request.user, key=key).config_url
            # segno draws only paths: nothing of the URL (or the username in it) is in the markup.
            svg = segno.make(url, error="m").svg_inline(scale=4, dark="#212529", light="#ffffff")
            context["qr_svg"] = mark_safe(svg)
            context["secret"] = _group(b32encode(unhexlify(key)).decode())
        return context

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"]
            try:
                if confirmed_device(request.user) is None:
                    device = services.totp_device_confirm(
                        actor=request.user, key=self._enrol_key(request), code=code
                    )
                    request.session.pop(ENROL_KEY, None)
                    otp_login(request, device)
                    messages.success(
                        request, _("已开启两步验证：以后登录时，输入密码后还需输入动态验证码。")
                    )
                else:
                    services.totp_device_remove(actor=request.user, code=code)
                    messages.success(request, _("已关闭两步验证。"))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("two_factor")
        return render(request, self.template_name, self._context(request, form))


# --- the API token ------------------------------------------------------------------------------


class ObtainTokenView(ObtainAuthToken):
    """/api/token/: a token for a username and password, plus `otp_token` (the six-digit code)
    for an account with a second factor. Locked out like the login page."""

    # Locked out like the login page: a 429 (the schema documents it, core.api.ErrorsAutoSchema).
    locks_out = True

    @extend_schema(
        responses=inline_serializer("Token", fields={"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        user = serializer.validated_data["user"]
        if user.must_change_password:
            return Response(
                {"non_field_errors": [_("请先登录网页修改初始密码，再申请API令牌。")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        device = confirmed_device(user)
        if device is not None:
            code = str(request.data.get("otp_token", "")).strip()
            if not code:
                return Response(
                    {"otp_token": [_("该账号已开启两步验证，请提供6位动态验证码。")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            if not device.verify_token(code):
                _code_refused(request, user.get_username())
                if getattr(request, "axes_locked_out", False):
                    return lockout_response(request)
                return Response(
                    {"otp_token": [_("动态验证码不正确。")]}, status=status.HTTP_400_BAD_REQUEST
                )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
