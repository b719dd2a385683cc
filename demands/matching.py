"""The matching engine: which resources could meet a demand, how well, and why.

Candidates first, by category and tree coverage: a resource offered at committee S serves S's
whole subtree, so a demand at C can be met by resources at C or any ancestor of C (same tree,
S.lft <= C.lft and S.rght >= C.rght), and by resources of units that are members of those
committees. Then each candidate is scored from stored components, and the reason is written in
words a staff member understands.

PostgreSQL's full-text search does not segment Chinese, so text similarity is computed here over
jieba words (with a domain dictionary) and character bigrams.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from committees.models import Committee
from demands.models import Demand, DemandStatus, Match
from members.models import Membership
from resources.models import CapacityUnit, Resource, ResourceStatus

logger = logging.getLogger(__name__)

TOP_MATCHES = 5
WEIGHTS = {"text": 0.45, "distance": 0.2, "capacity": 0.15, "window": 0.1, "record": 0.1}
DICTIONARY = Path(__file__).resolve().parent / "data" / "domain_dict.txt"
STOPWORDS = set(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "在",
        "为",
        "是",
        "有",
        "等",
        "对",
        "把",
        "被",
        "也",
        "就",
        "都",
        "而",
        "或",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "需要",
        "希望",
        "提供",
        "进行",
        "开展",
        "一个",
        "一些",
    ]
)
NON_WORD = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.load_userdict(str(DICTIONARY))
    jieba.initialize()
    return jieba


@lru_cache(maxsize=100_000)
def tokens(text: str) -> frozenset[str]:
    """jieba words of two or more characters plus character bigrams: words catch 助餐 and 老年,
    bigrams catch what segmentation splits differently."""
    clean = NON_WORD.sub(" ", text or "").strip()
    words = {w for w in _jieba().lcut(clean) if len(w.strip()) >= 2 and w not in STOPWORDS}
    compact = clean.replace(" ", "")
    bigrams = {compact[i : i + 2] for i in range(len(compact) - 1)}
    return frozenset(words | {f"#{b}" for b in bigrams})


def plain(number) -> str:
    """60.0 → "60", 2.5 → "2.5": quantities as people write them."""
    return format(number.normalize(), "f") if hasattr(number, "normalize") else f"{number:g}"


def keyword_overlap(a: frozenset[str], b: frozenset[str]) -> list[str]:
    return sorted((w for w in a & b if not w.startswith("#")), key=len, reverse=True)


def words_of(obj: Demand | Resource) -> frozenset[str]:
    """An object's tokens, kept on the instance: a full pass scores each resource against
    hundreds of demands, and rebuilding and hashing its text every time adds up."""
    words = getattr(obj, "_match_tokens", None)
    if words is None:
        text = demand_text(obj) if isinstance(obj, Demand) else resource_text(obj)
        words = obj._match_tokens = tokens(text)
    return words


def unit_label(value: str) -> str:
    """A capacity unit's label. `get_capacity_unit_display()` rebuilds and hashes the whole
    translated choices list on every call: the most expensive part of wording a reason."""
    try:
        return str(CapacityUnit(value).label)
    except ValueError:
        return value


def text_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


@dataclass
class Candidate:
    resource: Resource
    score: float
    components: dict
    reason: str


def demand_text(demand: Demand) -> str:
    return f"{demand.title} {demand.description}"


def resource_text(resource: Resource) -> str:
    return f"{resource.title} {resource.description} {resource.category.keywords}"


def score(
    demand: Demand,
    resource: Resource,
    committees: dict[int, Committee],
    *,
    unit_rating: float | None = None,
    explain: bool = True,
) -> Candidate:
    """Score one pairing; every component is kept so the reason can be shown. With
    `explain=False` the reason is left empty: ranking hundreds of candidates needs only the
    score, and wording a reason (translated labels) costs more than scoring."""
    origin = committees[demand.committee_id]
    site = committees[resource.committee_id]
    demand_words, resource_words = words_of(demand), words_of(resource)
    text = text_similarity(demand_words, resource_words)
    shared = keyword_overlap(demand_words, resource_words)[:4]
    # Tree distance: the same committee is best; each level further up costs a little. A member
    # unit's resource standing elsewhere counts as two levels away.
    covers = site.tree_id == origin.tree_id and site.lft <= origin.lft and site.rght >= origin.rght
    levels_up = origin.depth - site.depth if covers else 2
    distance = max(0.0, 1.0 - 0.2 * levels_up)
    if demand.quantity and resource.capacity_unit == demand.quantity_unit:
        capacity = min(1.0, float(resource.remaining / demand.quantity))
    else:
        capacity = 0.6 if resource.remaining > 0 else 0.0
    window = 1.0
    needed_by = demand.needed_by
    if resource.available_until and needed_by and resource.available_until < needed_by:
        window = 0.3
    if resource.available_from and needed_by and resource.available_from > needed_by:
        window = 0.0
    record = unit_rating if unit_rating is not None else 0.5
    components = {
        "text": round(text, 3),
        "distance": round(distance, 3),
        "capacity": round(capacity, 3),
        "window": window,
        "record": record,
    }
    total = sum(WEIGHTS[name] * value for name, value in components.items())
    if not explain:
        return Candidate(resource=resource, score=round(total, 4), components=components, reason="")
    reasons = [f"同属“{resource.category.name}”类别"]
    if site.pk == origin.pk:
        reasons.append(f"同在{site.name}")
    elif covers:
        reasons.append(f"由{site.name}提供，覆盖{origin.name}")
    else:
        reasons.append("提供单位是本级协调委员会成员")
    if shared:
        reasons.append("关键词：" + "、".join(shared))
    if demand.quantity and resource.capacity_unit == demand.quantity_unit:
        enough = resource.remaining >= demand.quantity
        reasons.append(
            f"容量{'满足' if enough else '部分满足'}（剩余{plain(resource.remaining)}{unit_label(resource.capacity_unit)}）"
        )
    elif resource.remaining > 0:
        reasons.append(f"剩余{plain(resource.remaining)}{unit_label(resource.capacity_unit)}")
    if window < 1:
        reasons.append("可用期与期望日期不完全吻合")
    return Candidate(
        resource=resource, score=round(total, 4), components=components, reason="；".join(reasons)
    )


def top_candidates(demand: Demand, resources, committees: dict[int, Committee]) -> list[Candidate]:
    """The best TOP_MATCHES candidates, ranked by score, with their reasons worded."""
    ranked = sorted(
        (score(demand, r, committees, explain=False) for r in resources),
        key=lambda c: (-c.score, c.resource.pk),
    )[:TOP_MATCHES]
    return [score(demand, c.resource, committees) for c in ranked]


def ancestors_of(committee: Committee) -> Q:
    return Q(
        committee__tree_id=committee.tree_id,
        committee__lft__lte=committee.lft,
        committee__rght__gte=committee.rght,
    )


def candidates_for(demand: Demand) -> list[Resource]:
    """Active resources of the demand's category that cover where it arose."""
    origin = demand.committee
    ancestor_ids = list(
        Committee.objects.filter(
            tree_id=origin.tree_id, lft__lte=origin.lft, rght__gte=origin.rght
        ).values_list("pk", flat=True)
    )
    member_units = Membership.objects.filter(committee_id__in=ancestor_ids, status="active").values(
        "unit_id"
    )
    return list(
        Resource.objects.filter(
            tenant_id=demand.tenant_id,
            category_id=demand.category_id,
            status=ResourceStatus.ACTIVE,
            remaining__gt=0,
        )
        .filter(Q(committee_id__in=ancestor_ids) | Q(offered_by_id__in=member_units))
        .exclude(available_until__lt=timezone.localdate())
        .select_related("category", "committee")[:500]
    )


@transaction.atomic
def match_demand(demand_id: int) -> list[Match]:
    """Recompute one demand's top matches (incremental: on publish and on change)."""
    demand = Demand.objects.select_related("committee", "category").filter(pk=demand_id).first()
    if demand is None or demand.status != DemandStatus.PUBLISHED:
        Match.objects.filter(demand_id=demand_id).delete()
        return []
    resources = candidates_for(demand)
    committees = {c.pk: c for c in [demand.committee, *(r.committee for r in resources)]}
    return write_matches(demand, top_candidates(demand, resources, committees))


def write_matches(demand: Demand, ranked: list[Candidate]) -> list[Match]:
    before = set(Match.objects.filter(demand=demand).values_list("resource_id", flat=True))
    Match.objects.filter(demand=demand).delete()
    matches = Match.objects.bulk_create(
        [
            Match(
                tenant_id=demand.tenant_id,
                demand=demand,
                resource=c.resource,
                score=c.score,
                components=c.components,
                reason=c.reason,
                rank=rank,
            )
            for rank, c in enumerate(ranked, start=1)
        ]
    )
    new = [m for m in matches if m.resource_id not in before]
    if new:
        notify_new_matches(demand, new)
    return matches


def notify_new_matches(demand: Demand, matches: list[Match]) -> None:
    """Staff of the level handling the demand and the contacts of the matched units hear of it."""
    from notifications import services as notifications
    from notifications.models import Event

    from .services import contacts_of, staff_of

    best = matches[0]
    notifications.notify(
        tenant_id=demand.tenant_id,
        recipients=staff_of(demand.handling_committee),
        event=Event.NEW_MATCH,
        title=f"“{demand.title}”有{len(matches)}个新的匹配资源",
        body=best.reason,
        link=f"/demands/{demand.pk}/",
        key=f"match:{demand.pk}:{','.join(str(m.resource_id) for m in matches)}",
        committee=demand.committee,
    )
    by_unit = defaultdict(list)
    for match in matches:
        if match.resource.offered_by_id:
            by_unit[match.resource.offered_by_id].append(match)
    for unit_id, unit_matches in by_unit.items():
        notifications.notify(
            tenant_id=demand.tenant_id,
            recipients=contacts_of([unit_id]),
            event=Event.NEW_MATCH,
            title=f"贵单位的资源可对接需求“{demand.title}”",
            body=unit_matches[0].reason,
            link=f"/demands/{demand.pk}/",
            key=f"match-unit:{demand.pk}:{unit_id}",
        )


def match_resource(resource_id: int) -> int:
    """A new or changed resource: rescore the open demands it could serve. Returns how many."""
    resource = Resource.objects.select_related("committee").filter(pk=resource_id).first()
    if resource is None:
        return 0
    site = resource.committee
    demand_ids = list(
        Demand.objects.filter(
            tenant_id=resource.tenant_id,
            category_id=resource.category_id,
            status=DemandStatus.PUBLISHED,
            committee__tree_id=site.tree_id,
            committee__lft__gte=site.lft,
            committee__rght__lte=site.rght,
        ).values_list("pk", flat=True)[:2000]
    )
    for demand_id in demand_ids:
        match_demand(demand_id)
    return len(demand_ids)


def full_pass(tenant_id: int) -> dict:
    """The periodic full pass: every open demand of a tenant against every resource, in memory.

    One query for committees, one for resources, one for demands, one for memberships; then
    scoring in Python and one bulk write."""
    started = timezone.now()
    committees = {
        c.pk: c
        for c in Committee.objects.filter(tenant_id=tenant_id).only(
            "pk", "name", "tree_id", "lft", "rght", "depth", "parent_id"
        )
    }
    resources = list(
        Resource.objects.filter(tenant_id=tenant_id, status=ResourceStatus.ACTIVE, remaining__gt=0)
        .exclude(available_until__lt=timezone.localdate())
        .select_related("category")
    )
    by_site: dict[tuple[int, int], list[Resource]] = defaultdict(list)
    for resource in resources:
        by_site[(resource.category_id, resource.committee_id)].append(resource)
    unit_resources: dict[int, list[Resource]] = defaultdict(list)
    for resource in resources:
        if resource.offered_by_id:
            unit_resources[resource.offered_by_id].append(resource)
    members_of: dict[int, list[int]] = defaultdict(list)
    for committee_id, unit_id in Membership.objects.filter(
        tenant_id=tenant_id, status="active"
    ).values_list("committee_id", "unit_id"):
        if unit_id in unit_resources:
            members_of[committee_id].append(unit_id)
    ancestors: dict[int, list[int]] = {}

    def chain(committee_id: int) -> list[int]:
        if committee_id not in ancestors:
            parent = committees[committee_id].parent_id
            ancestors[committee_id] = [committee_id, *(chain(parent) if parent else [])]
        return ancestors[committee_id]

    demands = list(
        Demand.objects.filter(tenant_id=tenant_id, status=DemandStatus.PUBLISHED).only(
            "pk",
            "tenant_id",
            "committee_id",
            "category_id",
            "title",
            "description",
            "quantity",
            "quantity_unit",
            "needed_by",
            "handling_committee_id",
        )
    )
    rows: list[Match] = []
    for demand in demands:
        seen: dict[int, Resource] = {}
        for committee_id in chain(demand.committee_id):
            for resource in by_site.get((demand.category_id, committee_id), ()):
                seen[resource.pk] = resource
            for unit_id in members_of.get(committee_id, ()):
                for resource in unit_resources[unit_id]:
                    if resource.category_id == demand.category_id:
                        seen[resource.pk] = resource
        ranked = top_candidates(demand, seen.values(), committees)
        rows += [
            Match(
                tenant_id=tenant_id,
                demand_id=demand.pk,
                resource=c.resource,
                score=c.score,
                components=c.components,
                reason=c.reason,
                rank=rank,
            )
            for rank, c in enumerate(ranked, start=1)
        ]
    with transaction.atomic():
        Match.objects.filter(tenant_id=tenant_id).delete()
        Match.objects.bulk_create(rows, batch_size=5000)
    seconds = (timezone.now() - started).total_seconds()
    logger.info(
        "full matching pass of tenant %s: %s demands, %s resources, %s matches in %.1fs",
        tenant_id,
        len(demands),
        len(resources),
        len(rows),
        seconds,
    )
    return {
        "demands": len(demands),
        "resources": len(resources),
        "matches": len(rows),
        "seconds": seconds,
    }
