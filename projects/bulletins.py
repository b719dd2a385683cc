"""Bulletins (通报): a committee publishes results and rankings to its subtree.

`publish_bulletin` is the one way in (the dashboard calls it to publish assessment results, see
`projects/WHISTLES_CONTRACT.md`). It writes the bulletin and notifies, through the outbox in the
same transaction, every staff or leader account at the committee or below it and every unit
contact and department officer of a member unit standing in the subtree: for Beijing's 17,000
units one statement on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Committee
from core.errors import Errors, NotAllowed
from core.scoping import ensure_in_scope, subtree_q
from members.models import ROLES_FOR_ACTION, Role, RoleGrant
from notifications import services as notifications
from notifications.models import Event
from notifications.services import Recipient

from . import policies
from .models import Bulletin, BulletinKind

TITLE_MAX = 120
BODY_MAX = 20_000
RANKING_MAX = 500


def bulletin_link(bulletin_id: int) -> str:
    return f"/projects/bulletins/{bulletin_id}/"


def audience_of(committee: Committee) -> list[Recipient]:
    """Every active account that hears a bulletin of the committee: staff and leaders at it or
    below it, and the contacts and officers of the units standing in its subtree. One query."""
    committee_roles = sorted(ROLES_FOR_ACTION["view"])
    unit_roles = [Role.UNIT_CONTACT, Role.DEPARTMENT_OFFICER]
    rows = (
        RoleGrant.objects.filter(tenant_id=committee.tenant_id, user__is_active=True)
        .filter(
            (subtree_q(committee) & Q(role__in=committee_roles))
            | (subtree_q(committee, "member_unit__committee") & Q(role__in=unit_roles))
        )
        .values_list("user_id", "user__email")
        .distinct()
    )
    return [Recipient(id=pk, email=email or "") for pk, email in rows]


def _clean_ranking(committee: Committee, ranking, errors: Errors) -> list[dict]:
    if not ranking:
        return []
    if not isinstance(ranking, Sequence) or len(ranking) > RANKING_MAX:
        errors.add("ranking", _("排名格式不正确。"))
        return []
    ids = []
    cleaned = []
    for position, entry in enumerate(ranking, start=1):
        if not isinstance(entry, dict) or "committee_id" not in entry:
            errors.add("ranking", _("第%(n)d项排名缺少协调委员会。") % {"n": position})
            continue
        try:
            ids.append(int(entry["committee_id"]))
            score = float(entry.get("score", 0))
            rank = int(entry.get("rank", position))
        except (TypeError, ValueError):
            errors.add("ranking", _("第%(n)d项排名格式不正确。") % {"n": position})
            continue
        cleaned.append(
            {"committee_id": ids[-1], "name": "", "score": round(score, 2), "rank": rank}
        )
    names = dict(
        Committee.objects.filter(
            tenant_id=committee.tenant_id,
            pk__in=ids,
            tree_id=committee.tree_id,
            lft__gt=committee.lft,
            rght__lt=committee.rght,
        ).values_list("pk", "name")
    )
    for entry in cleaned:
        if entry["committee_id"] not in names:
            errors.add("ranking", _("排名中的单位不在本辖区。"))
            break
        entry["name"] = names[entry["committee_id"]]
    ranks = sorted(entry["rank"] for entry in cleaned)
    if cleaned and ranks[0] < 1:
        errors.add("ranking", _("名次应从1开始。"))
    return cleaned


@transaction.atomic
def publish_bulletin(
    *,
    actor,
    committee: Committee,
    title: str,
    body: str,
    kind: str = BulletinKind.RESULTS,
    period: str = "",
    ranking: Sequence[dict] | None = None,
) -> Bulletin:
    """Publish a bulletin of the committee to its whole subtree (see the module)."""
    if not policies.is_staff_at(actor, committee):
        raise NotAllowed(_("只有该协调委员会的工作人员可以发布通报。"))
    errors = Errors()
    title = (title or "").strip()
    body = (body or "").strip()
    period = (period or "").strip()
    if not title:
        errors.add("title", _("请填写标题。"))
    elif len(title) > TITLE_MAX:
        errors.add("title", _("标题不能超过%(n)d个字。") % {"n": TITLE_MAX})
    if not body:
        errors.add("body", _("请填写正文。"))
    elif len(body) > BODY_MAX:
        errors.add("body", _("正文不能超过%(n)d个字。") % {"n": BODY_MAX})
    if kind not in BulletinKind.values:
        errors.add("kind", _("请选择通报类型。"))
    if len(period) > 40:
        errors.add("period", _("期间不能超过40个字。"))
    cleaned = _clean_ranking(committee, ranking, errors)
    errors.raise_if_any()
    bulletin = Bulletin.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        kind=kind,
        title=title,
        body=body,
        period=period,
        ranking=cleaned,
        published_at=timezone.now(),
        published_by=actor,
    )
    audience = audience_of(committee)
    bulletin.recipients = notifications.notify(
        tenant_id=committee.tenant_id,
        recipients=audience,
        event=Event.BULLETIN,
        title=_("%(c)s通报：%(t)s") % {"c": committee.name, "t": title},
        body=body[:300],
        link=bulletin_link(bulletin.pk),
        key=f"bulletin:{bulletin.pk}",
        committee=committee,
    )
    bulletin.save(update_fields=["recipients"])
    ensure_in_scope(bulletin, actor)
    return bulletin
