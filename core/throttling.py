"""Rate limits: the one reusable piece for pages and endpoints that anyone can reach.

Two kinds, both counted in the Django cache (Redis when `REDIS_URL` is set, so every worker
process shares the counts; the process's memory otherwise) and both configured in
`settings.THROTTLE_RATES` ("N/second|minute|hour|day", `None` to switch a scope off):

- `throttle(...)` wraps a view (function or `View.as_view()`), for the sign-in, the API token,
  the public self-registration page and its community search, and any anonymous link such as a
  satisfaction survey. It counts each request per client address and, where the request names
  one, per account (the username posted, a link's token); over either limit the view is not run
  and the client gets a 429 with `Retry-After` and a Chinese message (JSON under /api/, a page
  otherwise). Applying it is a one-line change where the view is routed::

      path("s/<token>/", throttle("survey", account=kwarg("token"))(SurveyView.as_view())),

- `WriteRateThrottle` and `BulkRateThrottle` are DRF throttles (in `DEFAULT_THROTTLE_CLASSES`),
  per signed-in user: every write (POST, PUT, PATCH, DELETE) counts against `api_write`, and a
  bulk call (a view action named `bulk`, or a view with `throttle_bulk = True`) also against
  `api_bulk`. DRF adds `Retry-After`; `core.api.exception_handler` words the message.

Windows are fixed (the count of the current minute, hour...): simple, one cache key a client,
and the wait told is the time to the window's end. The clock is `time.time`, which tests pin.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import throttling

from .http import client_ip

API_PREFIX = "/api/"
DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

KeyFunction = Callable[..., str | None]


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """ "10/minute" -> (10, 60); None or "" -> no limit. The same spelling as DRF's."""
    if not rate:
        return None
    count, _slash, period = rate.partition("/")
    return int(count), DURATIONS[period.strip()[0]]


def rate_for(scope: str) -> tuple[int, int] | None:
    rates = getattr(settings, "THROTTLE_RATES", {})
    if scope not in rates:
        raise KeyError(f"no rate for throttle scope {scope!r} in settings.THROTTLE_RATES")
    return parse_rate(rates[scope])


def cache():
    return caches[getattr(settings, "THROTTLE_CACHE", "default")]


def hit(scope: str, ident: str, now: float | None = None) -> int:
    """Count one request of `ident` in `scope`; the seconds to wait when over the limit, else 0."""
    rate = rate_for(scope)
    if rate is None:
        return 0
    limit, duration = rate
    now = time.time() if now is None else now
    window = int(now // duration)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no raw username in a cache key
    key = f"throttle:{scope}:{digest}:{window}"
    store = cache()
    if store.add(key, 1, timeout=duration + 1):
        count = 1
    else:
        try:
            count = store.incr(key)
        except ValueError:  # expired between add and incr
            store.add(key, 1, timeout=duration + 1)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * duration - now))


# --- what a request is counted by --------------------------------------------------------------


def address(request: HttpRequest, **kwargs) -> str | None:
    return client_ip(request) or "unknown"


def posted(field: str) -> KeyFunction:
    """The account a form or API call names in a field (case-folded, trimmed)."""

    def key(request: HttpRequest, **kwargs) -> str | None:
        if request.method != "POST":
            return None
        value = request.POST.get(field, "")
        if not value and request.content_type == "application/json":
            import json

            try:
                value = str(json.loads(request.body or b"{}").get(field, ""))
            except (ValueError, AttributeError):
                value = ""
        value = value.strip().casefold()
        return value or None

    return key


def kwarg(name: str) -> KeyFunction:
    """The account a URL names, such as an anonymous link's token."""

    def key(request: HttpRequest, **kwargs) -> str | None:
        value = kwargs.get(name)
        return str(value) if value else None

    return key


# --- the view decorator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    scope: str
    key: KeyFunction


def throttled_response(request: HttpRequest, wait: int) -> HttpResponse:
    message = _("请求过于频繁，请%(seconds)d秒后再试。") % {"seconds": wait}
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": message}, status=429, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = render(
            request, "security/throttled.html", {"message": message, "wait": wait}, status=429
        )
    response["Retry-After"] = str(wait)
    return response


def check(request: HttpRequest, limits: list[Limit], **kwargs) -> int:
    """Count the request against each limit; the longest wait of those exceeded, else 0.
    Every limit is counted even when one is exceeded, so a client cannot spread its requests
    over accounts to stay under the account limit."""
    wait = 0
    for limit in limits:
        ident = limit.key(request, **kwargs)
        if ident is not None:
            wait = max(wait, hit(limit.scope, ident))
    return wait


def throttle(
    name: str,
    *,
    account: KeyFunction | None = None,
    methods: tuple[str, ...] | None = None,
) -> Callable:
    """Rate-limit a view per client address (scope `<name>_address`) and, with `account`,
    per account (scope `<name>_account`). `methods` limits which requests count (all by
    default; `("POST",)` for a form whose page may be shown freely)."""
    limits = [Limit(f"{name}_address", address)]
    if account is not None:
        limits.append(Limit(f"{name}_account", account))
    for limit in limits:
        rate_for(limit.scope)  # a scope missing from the settings fails at import, not later

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if methods is None or request.method in methods:
                wait = check(request, limits, **kwargs)
                if wait:
                    return throttled_response(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


# --- the API's per-user throttles ---------------------------------------------------------------


class _UserScopeThrottle(throttling.SimpleRateThrottle):
    """A DRF throttle per signed-in user (per address for an anonymous caller), on the rates of
    `settings.THROTTLE_RATES`, for the requests `applies` picks."""

    def get_rate(self):
        return getattr(settings, "THROTTLE_RATES", {}).get(self.scope)

    def applies(self, request, view) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def allow_request(self, request, view):
        if not self.applies(request, view):
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{address(request)}"
        return f"throttle:{self.scope}:{ident}"


class WriteRateThrottle(_UserScopeThrottle):
    scope = "api_write"

    def applies(self, request, view) -> bool:
        return request.method not in ("GET", "HEAD", "OPTIONS")


class BulkRateThrottle(_UserScopeThrottle):
    scope = "api_bulk"

    def applies(self, request, view) -> bool:
        return request.method not in ("GET", "HEAD", "OPTIONS") and (
            getattr(view, "action", None) == "bulk" or getattr(view, "throttle_bulk", False)
        )
