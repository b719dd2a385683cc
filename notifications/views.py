"""Pages of the notifications: the inbox and its unread badge, preferences, and the webhook
endpoints of a tenant administrator. Thin: reads through `visible_to`, writes through services.

A notification is its recipient's alone: another's is a 404 whoever asks. A webhook endpoint is
a 404 outside the user's subtree or tenant, and a 403 to a reader inside it who may not
administer it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from committees import selectors as committee_selectors
from committees.models import Committee
from core.forms import add_service_errors
from core.scoping import Action
from core.views import ScopedPageMixin

from . import policies, services
from .forms import PreferencesForm, WebhookEndpointForm
from .models import Channel, Delivery, Event, Mode, Notification, WebhookEndpoint, WebhookFormat

INBOX_PAGE_SIZE = 20
ENDPOINT_PAGE_SIZE = 50


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


class PageMixin(ScopedPageMixin):
    """The inbox's pages: scoped to the recipient; an htmx request from a logged-out page (the
    badge's poll) is sent to the login page whole instead of having the login form swapped into
    a fragment."""

    model = Notification

    def handle_no_permission(self):
        if not self.request.user.is_authenticated and is_htmx(self.request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(
                self.request.headers.get("HX-Current-URL") or self.request.get_full_path()
            ).url
            return response
        return super().handle_no_permission()


def back_to(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- the inbox ----------------------------------------------------------------------------------


class InboxView(PageMixin, View):
    """The user's notifications, newest first, unread ones highlighted. On the first page the
    list asks every few seconds whether anything newer came, and redraws itself if so."""

    def get(self, request):
        notes = self.get_scoped_queryset()
        unread_only = request.GET.get("unread") == "1"
        if unread_only:
            notes = notes.unread()
        after = request.GET.get("after", "")
        # The list's poll: nothing newer, nothing to draw (htmx swaps nothing on a 204).
        if is_htmx(request) and after.isdigit() and not notes.filter(pk__gt=int(after)).exists():
            return HttpResponse(status=204)
        page = Paginator(notes, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "unread_only": unread_only,
            "newest_id": max((n.pk for n in page), default=0),
            "unread_count": services.unread_count(user=request.user),
            "query_string": "unread=1" if unread_only else "",
            "can_manage_webhooks": policies.may_manage_webhooks(request.user),
        }
        if is_htmx(request) and request.GET.get("fragment") == "list":
            return render(request, "notifications/_list.html", {**context, "oob": True})
        return render(request, "notifications/inbox.html", context)


class BadgeView(PageMixin, View):
    """The unread count for the navigation bar, polled by htmx: one COUNT on an index."""

    def get(self, request):
        context = {"unread_count": services.unread_count(user=request.user)}
        response = render(request, "notifications/_badge.html", context)
        response["Cache-Control"] = "no-store"
        return response


class NotificationReadView(PageMixin, View):
    """Mark one notification read (POST). htmx gets the redrawn item and the badge."""

    def post(self, request, pk):
        note = self.get_scoped_object()
        services.mark_read(user=request.user, ids=[note.pk])
        if is_htmx(request):
            note.refresh_from_db(fields=["read_at"])
            context = {"note": note, "unread_count": services.unread_count(user=request.user)}
            return render(request, "notifications/_read.html", context)
        return redirect(back_to(request, "notifications:inbox"))


class NotificationOpenView(PageMixin, View):
    """Follow a notification's link, marking it read on the way."""

    def get(self, request, pk):
        note = self.get_scoped_object()
        services.mark_read(user=request.user, ids=[note.pk])
        return redirect(note.safe_link or "notifications:inbox")


class ReadAllView(PageMixin, View):
    def post(self, request):
        count = services.mark_read(user=request.user)
        messages.success(request, _("已将%(n)s条消息标为已读。") % {"n": count})
        return redirect(back_to(request, "notifications:inbox"))


# --- preferences --------------------------------------------------------------------------------


class PreferencesView(PageMixin, View):
    """Events × channels: the inbox always on, email at once, in the daily digest, or off."""

    def get(self, request):
        form = PreferencesForm(initial_modes=services.preferences_of(request.user))
        return self.render_page(form)

    def post(self, request):
        form = PreferencesForm(request.POST, initial_modes=services.preferences_of(request.user))
        if form.is_valid():
            try:
                services.preferences_save(user=request.user, email_modes=form.email_modes())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("通知设置已保存。"))
                return redirect("notifications:preferences")
        return self.render_page(form, status=400)

    def render_page(self, form, status=200):
        context = {
            "form": form,
            "channels": Channel.choices,
            "has_email": bool(self.request.user.email),
            "digest_label": Mode.DIGEST.label,
            "digest_time": f"{services.digest_hour():02d}:00",
        }
        return render(self.request, "notifications/preferences.html", context, status=status)


# --- webhook endpoints --------------------------------------------------------------------------


class WebhookAdminMixin(ScopedPageMixin):
    """Pages of the webhook endpoints: for the tenant administrators of a subtree (the scope of
    an endpoint is theirs; the services check it again)."""

    model = WebhookEndpoint
    action = Action.MANAGE_TREE


class ForAdministrators(WebhookAdminMixin):
    """The list and the form, which name no endpoint: a 403 for who administers no subtree
    (one endpoint's page is a 404 or a 403 by its scope instead)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policies.may_manage_webhooks(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class WebhookListView(ForAdministrators, View):
    def get(self, request):
        endpoints = (
            self.get_scoped_queryset()
            .select_related("committee")
            .order_by("committee__tree_id", "committee__lft", "name", "pk")
        )
        page = Paginator(endpoints, ENDPOINT_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "notifications/webhook_list.html", {"page": page})


class WebhookCreateView(ForAdministrators, View):
    def get(self, request):
        return self.render_form(WebhookEndpointForm(initial={"format": WebhookFormat.STANDARD}))

    def post(self, request):
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                endpoint = services.webhook_endpoint_create(
                    actor=request.user,
                    committee=self.resolve_committee(data["committee"]),
                    data=services.EndpointData(
                        name=data["name"],
                        url=data["url"],
                        format=data["format"],
                        secret=data["secret"],
                        events=data["events"],
                    ),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已添加“%(name)s”。") % {"name": endpoint.name})
                return redirect("notifications:webhook_detail", pk=endpoint.pk)
        return self.render_form(form, status=400)

    def resolve_committee(self, reference: str) -> Committee:
        """A committee the user administers, by exact division code or name; by default the
        outermost one."""
        reference = reference.strip()
        if not reference:
            return committee_selectors.outermost_committee(
                user=self.request.user, action=Action.MANAGE_TREE
            )
        return committee_selectors.one_committee_by_reference(
            user=self.request.user,
            reference=reference,
            action=Action.MANAGE_TREE,
            field="committee",
        )

    def render_form(self, form, status=200):
        return render(
            self.request, "notifications/webhook_form.html", {"form": form}, status=status
        )


class WebhookDetailView(WebhookAdminMixin, View):
    def get(self, request, pk):
        endpoint = self.get_scoped_object()
        deliveries = (
            Delivery.objects.visible_to(request.user)
            .filter(endpoint=endpoint)
            .only("id", "key", "status", "attempts", "created_at", "sent_at", "last_error")
            .order_by("-created_at", "-pk")[:20]
        )
        context = {
            "endpoint": endpoint,
            "deliveries": deliveries,
            "event_labels": [label for value, label in Event.choices if value in endpoint.events],
            "is_standard": endpoint.format == WebhookFormat.STANDARD,
        }
        return render(request, "notifications/webhook_detail.html", context)


class WebhookSetActiveView(WebhookAdminMixin, View):
    active: bool = False

    def post(self, request, pk):
        endpoint = services.webhook_endpoint_set_active(
            actor=request.user, endpoint=self.get_scoped_object(), active=self.active
        )
        if endpoint.is_active:
            messages.success(request, _("已启用“%(name)s”。") % {"name": endpoint.name})
        else:
            messages.success(request, _("已停用“%(name)s”。") % {"name": endpoint.name})
        return redirect("notifications:webhook_detail", pk=endpoint.pk)
