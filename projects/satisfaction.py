"""Residents' satisfaction (群众满意度): anonymous links with a QR code.

Staff of the owning committee make a link for a completed project or a closed whistle, to print
(the QR code) or send. A resident opens it without an account and gives a score of 1–5 and an
optional comment. Nothing else about the resident is stored: a per-device link keeps only a keyed
hash of a random cookie, to refuse a second rating from the same device; a per-link link takes
one rating. Links expire. Abusive volume is throttled twice: per link (counted in the database,
so it holds across web processes) and per client address (counted in the cache, never stored).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io

import segno
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Errors, NotAllowed
from core.scoping import ensure_in_scope, subtree_q
from notifications.services import site_url

from . import policies
from .models import (
    SATISFIED_FROM,
    ProjectStatus,
    SatisfactionLink,
    SatisfactionMode,
    SatisfactionResponse,
    WhistleStatus,
)

MAX_DAYS = 90
DEFAULT_DAYS = 30
COMMENT_MAX = 300
# At most this many ratings a link takes in `WINDOW`, and one address may send.
LINK_RATE = 60
ADDRESS_RATE = 10
WINDOW = dt.timedelta(minutes=10)
PER_LINK_KEY = "link"


class Throttled(Exception):
    """Too many ratings in a short time: the page answers 429."""


@transaction.atomic
def link_create(
    *, actor, project=None, whistle=None, mode: str = SatisfactionMode.PER_DEVICE, days=DEFAULT_DAYS
) -> SatisfactionLink:
    """A link for a completed project or a closed whistle, by the owning committee's staff."""
    errors = Errors()
    subject = project or whistle
    if (project is None) == (whistle is None):
        raise ValidationError(_("请选择一个项目或一次吹哨。"))
    committee = subject.committee
    if not policies.is_staff_at(actor, committee):
        raise NotAllowed(_("只有牵头协调委员会的工作人员可以生成满意度评价链接。"))
    if project is not None and project.status not in (
        ProjectStatus.COMPLETED,
        ProjectStatus.EVALUATED,
    ):
        errors.add("project", _("项目完成后才能请群众评价。"))
    if whistle is not None and whistle.status != WhistleStatus.CLOSED:
        errors.add("whistle", _("吹哨办结后才能请群众评价。"))
    if mode not in SatisfactionMode.values:
        errors.add("mode", _("请选择评价方式。"))
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        errors.add("days", _("有效期应在1至%(n)d天之间。") % {"n": MAX_DAYS})
    errors.raise_if_any()
    link = SatisfactionLink.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        project=project,
        whistle=whistle,
        mode=mode,
        expires_at=timezone.now() + dt.timedelta(days=days),
        created_by=actor,
    )
    ensure_in_scope(link, actor)
    return link


def link_url(link: SatisfactionLink) -> str:
    return site_url(f"/projects/rate/{link.token}/")


def qr_svg(link: SatisfactionLink, absolute_base: str = "") -> str:
    """The link's QR code as SVG (segno), to print on a notice."""
    url = link_url(link)
    if url.startswith("/") and absolute_base:
        url = absolute_base.rstrip("/") + url
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return out.getvalue().decode()


def link_for_token(token: str) -> SatisfactionLink | None:
    """The link a resident opened, with what it rates; None for an unknown token."""
    if not token or len(token) > 64:
        return None
    return (
        SatisfactionLink.objects.select_related("project", "whistle", "committee")
        .filter(token=token)
        .first()
    )


def is_expired(link: SatisfactionLink, now=None) -> bool:
    return (now or timezone.now()) >= link.expires_at


def device_key(link: SatisfactionLink, device: str) -> str:
    """What is stored of a device: a keyed hash of its random cookie and the link, which can
    neither be reversed nor tied to the device elsewhere."""
    if link.mode == SatisfactionMode.PER_LINK:
        return PER_LINK_KEY
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{link.token}:{device}".encode(), hashlib.sha256
    )
    return digest.hexdigest()


def already_rated(link: SatisfactionLink, device: str) -> bool:
    return link.responses.filter(device_key=device_key(link, device)).exists()


def _throttle_address(address: str) -> None:
    if not address:
        return
    key = "satisfaction:addr:" + hashlib.sha256(address.encode()).hexdigest()[:32]
    if cache.add(key, 1, timeout=int(WINDOW.total_seconds())):
        return
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=int(WINDOW.total_seconds()))
        return
    if count > ADDRESS_RATE:
        raise Throttled


def response_submit(
    *, link: SatisfactionLink, device: str, score, comment: str = "", address: str = ""
) -> SatisfactionResponse:
    """A resident's rating through a link: refused when expired, when the link (or this device)
    has rated already, and when too many come at once."""
    now = timezone.now()
    errors = Errors()
    if is_expired(link, now):
        raise ValidationError({"score": _("该评价链接已过期。")})
    _throttle_address(address)
    if link.responses.filter(created_at__gte=now - WINDOW).count() >= LINK_RATE:
        raise Throttled
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors.add("score", _("请选择满意程度。"))
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors.add("comment", _("意见建议不能超过%(n)d个字。") % {"n": COMMENT_MAX})
    if link.mode == SatisfactionMode.PER_DEVICE and not device:
        errors.add("score", _("请允许浏览器保存Cookie后再评价。"))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            return SatisfactionResponse.objects.create(
                tenant_id=link.tenant_id,
                link=link,
                committee_id=link.committee_id,
                project_id=link.project_id,
                whistle_id=link.whistle_id,
                score=value,
                satisfied=value >= SATISFIED_FROM,
                comment=comment,
                device_key=device_key(link, device),
                created_at=now,
            )
    except IntegrityError:
        raise ValidationError({"score": _("您已经评价过了，感谢参与。")}) from None


# --- what the pages show -------------------------------------------------------------------------


def rate_of(queryset) -> dict:
    """{count, satisfied, rate (0–100 or None)} of some responses, in one query."""
    row = queryset.aggregate(n=Count("pk"), ok=Count("pk", filter=Q(satisfied=True)))
    n, ok = row["n"], row["ok"]
    return {"count": n, "satisfied": ok, "rate": round(100 * ok / n, 1) if n else None}


def satisfaction_of_project(project) -> dict:
    return rate_of(SatisfactionResponse.objects.filter(project=project))


def satisfaction_of_whistle(whistle) -> dict:
    return rate_of(SatisfactionResponse.objects.filter(whistle=whistle))


def satisfaction_of_committee(committee) -> dict:
    """Every response about the committee's subtree."""
    return rate_of(
        SatisfactionResponse.objects.filter(tenant_id=committee.tenant_id).filter(
            subtree_q(committee)
        )
    )
