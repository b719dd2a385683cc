"""The matching engine measured on the hand-labelled set `demands/data/matching_eval.toml`.

`build` lays the set out in the database (a tenant with its tree, member units and their
memberships, resources, the published demands, and the past claims staff accepted or declined);
`evaluate` matches every demand one by one as the incremental task does, reads the proposals
back, and scores them against the labels: P@1 and MRR on the resources a street worker would put
first, recall@5 on every relevant one, beside the same figures for a random order of the same
eligible candidates (category, tree coverage, availability: what the engine starts from). It also
counts what must never happen: a proposal for a demand nothing fits, a resource the demand may
not be served by, a piece of a place name given as a keyword in a reason.

Labels are the set's own, written by hand; nothing here derives one from the engine's output.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from categories.defaults import categories_ensure_defaults
from categories.models import Category
from committees import services as committee_services
from committees.models import Committee, Level, Tenant
from demands import matching
from demands.models import Claim, ClaimDirection, ClaimStatus, Demand, DemandStatus, Match
from members.models import Membership, MemberUnit, UnitKind, User
from resources.models import Resource, ResourceStatus

EVAL_SET = Path(__file__).resolve().parent.parent / "demands" / "data" / "matching_eval.toml"
TOP = 5
RANDOM_ORDERS = 200
PLACE_SUFFIXES = ("街道", "社区", "地区", "区", "市", "村", "镇", "乡")


def load(path: Path = EVAL_SET) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@dataclass
class World:
    tenant: Tenant
    committees: dict[str, Committee]
    resources: dict[str, Resource]
    demands: dict[str, Demand]
    keys: dict[int, str]  # resource pk -> key

    def key(self, resource_id: int) -> str:
        return self.keys[resource_id]


def short_name(name: str) -> str:
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _codes(spec: dict) -> dict[str, str]:
    """Division codes that obey the tree (the committee services check them)."""
    codes: dict[str, str] = {}
    counters: dict[str, int] = defaultdict(int)
    for row in spec["committee"]:
        parent = codes.get(row.get("parent", ""))
        counters[row.get("parent", "")] += 1
        n = counters[row.get("parent", "")]
        level = row["level"]
        if level == Level.CITY:
            codes[row["name"]] = "110000000000"
        elif level == Level.DISTRICT:
            codes[row["name"]] = f"1101{n:02d}000000"
        elif level == Level.STREET:
            codes[row["name"]] = f"{parent[:6]}{n:03d}000"
        else:
            codes[row["name"]] = f"{parent[:9]}{n:03d}"
    return codes


@transaction.atomic
def build(spec: dict, *, slug: str = "eval-matching") -> World:
    today = timezone.localdate()
    codes = _codes(spec)
    root = spec["committee"][0]
    tenant = committee_services.tenant_create(
        name="评测" + root["name"], slug=slug, division_code=codes[root["name"]],
        root_name=root["name"],
    )  # fmt: skip
    committees = {root["name"]: Committee.objects.get(tenant=tenant, parent__isnull=True)}
    for row in spec["committee"][1:]:
        committees[row["name"]] = committee_services.committee_create(
            tenant=tenant,
            parent=Committee.objects.get(pk=committees[row["parent"]].pk),
            name=row["name"],
            level=row["level"],
            division_code=codes[row["name"]],
        )
    categories_ensure_defaults(tenant)
    categories = {c.name: c for c in Category.objects.filter(tenant=tenant)}
    staff = User.objects.create(
        username=f"{slug}-staff", display_name="评测工作人员", tenant=tenant, is_active=True
    )
    units: dict[str, MemberUnit] = {}
    for row in spec.get("unit", []):
        unit = MemberUnit.objects.create(
            tenant=tenant,
            committee=committees[row["at"]],
            name=row["name"],
            kind=UnitKind.STATE_OWNED,
        )
        for name in row.get("member_of", []):
            Membership.objects.create(
                tenant=tenant, unit=unit, committee=committees[name], joined_on=today
            )
        units[row["key"]] = unit

    def day(offset):
        return None if offset is None else today + dt.timedelta(days=int(offset))

    resources: dict[str, Resource] = {}
    for row in spec["resource"]:
        capacity = Decimal(str(row["capacity"]))
        resources[row["key"]] = Resource.objects.create(
            tenant=tenant,
            committee=committees[row["at"]],
            offered_by=units.get(row.get("unit", "")),
            kind=row["kind"],
            category=categories[row["category"]],
            title=row["title"],
            description=row.get("description", ""),
            capacity=capacity,
            capacity_unit=row["capacity_unit"],
            remaining=Decimal(str(row.get("remaining", capacity))),
            available_from=day(row.get("available_from")),
            available_until=day(row.get("available_until")),
            status=row.get("status", ResourceStatus.ACTIVE),
            created_by=staff,
        )

    def new_demand(row: dict, status: str) -> Demand:
        committee = committees[row["at"]]
        return Demand.objects.create(
            tenant=tenant,
            committee=committee,
            handling_committee=committee,
            title=row["title"],
            description=row.get("description", ""),
            category=categories[row["category"]],
            source="resident",
            status=status,
            needed_by=day(row.get("needed_in", 60)),
            quantity=Decimal(str(row["quantity"])) if "quantity" in row else None,
            quantity_unit=row.get("quantity_unit", ""),
            created_by=staff,
            published_at=timezone.now(),
        )

    for row in spec.get("history", []):
        past = new_demand(row, DemandStatus.FULFILLED)
        resource = resources[row["resource"]]
        accepted = row["outcome"] == "accepted"
        Claim.objects.create(
            tenant=tenant,
            demand=past,
            resource=resource,
            unit=resource.offered_by,
            direction=ClaimDirection.STAFF_REQUESTS,
            status=ClaimStatus.ACCEPTED if accepted else ClaimStatus.DECLINED,
            reason=row.get("reason", ""),
            created_by=staff,
            decided_by=staff,
            decided_at=timezone.now(),
        )
    demands = {row["key"]: new_demand(row, DemandStatus.PUBLISHED) for row in spec["demand"]}
    keys = {resource.pk: key for key, resource in resources.items()}
    return World(tenant, committees, resources, demands, keys)


# --- the figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    """P@1, recall@5 and MRR over the demands something fits."""

    p1: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)

    def add(self, ranked: list[str], right: set[str], relevant: set[str]) -> None:
        first = next((i for i, key in enumerate(ranked) if key in right), None)
        self.p1.append(1.0 if first == 0 else 0.0)
        self.rr.append(0.0 if first is None else 1.0 / (first + 1))
        self.recall.append(len(set(ranked[:TOP]) & relevant) / len(relevant))

    def extend(self, other: Figures) -> None:
        self.p1 += other.p1
        self.recall += other.recall
        self.rr += other.rr

    @property
    def n(self) -> int:
        return len(self.p1)

    def row(self) -> tuple[float, float, float]:
        if not self.p1:
            return (float("nan"),) * 3
        return statistics.mean(self.p1), statistics.mean(self.recall), statistics.mean(self.rr)


@dataclass
class DemandOutcome:
    key: str
    groups: list[str]
    ranked: list[str]
    right: set[str]
    relevant: set[str]
    never_proposed: list[str]
    out_of_coverage: list[str]
    place_keywords: list[str]
    reasons: list[str]


@dataclass
class Report:
    outcomes: list[DemandOutcome]
    engine: dict[str, Figures]
    random: dict[str, Figures]
    no_fit_proposed: int
    no_fit_random: float
    no_fit_total: int
    full_pass_agrees: int | None = None

    @property
    def violations(self) -> int:
        return sum(len(o.never_proposed) + len(o.out_of_coverage) for o in self.outcomes)

    @property
    def place_keywords(self) -> int:
        return sum(len(o.place_keywords) for o in self.outcomes)


def place_pieces(committees) -> set[str]:
    """Every run of two or more characters of a place's short name: none may be a keyword."""
    pieces = set()
    for committee in committees:
        short = short_name(committee.name)
        for i in range(len(short)):
            for j in range(i + 2, len(short) + 1):
                pieces.add(short[i:j])
    return pieces


def keyword_pieces(reason: str, pieces: set[str], names: list[str]) -> list[str]:
    """Pieces of place names a reason gives outside the places it names in full (a reason may say
    "由南苑街道提供"; it may not give "南苑" as a matching word) and outside the resource's own name."""
    text = reason
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "〇")
    return sorted({p for p in pieces if p in text}, key=len, reverse=True)[:3]


def covers(site: Committee, origin: Committee) -> bool:
    return site.tree_id == origin.tree_id and site.lft <= origin.lft and site.rght >= origin.rght


def member_sites(tenant: Tenant) -> dict[int, set[int]]:
    sites: dict[int, set[int]] = defaultdict(set)
    for unit_id, committee_id in Membership.objects.filter(tenant=tenant).values_list(
        "unit_id", "committee_id"
    ):
        sites[unit_id].add(committee_id)
    return sites


def evaluate(world: World, spec: dict, *, seed: int = 13, compare_full_pass: bool = True) -> Report:
    committees = {c.pk: c for c in Committee.objects.filter(tenant=world.tenant)}
    pieces = place_pieces(committees.values())
    names = [c.name for c in committees.values()] + [r.title for r in world.resources.values()]
    names += list(MemberUnit.objects.filter(tenant=world.tenant).values_list("name", flat=True))
    unit_sites = member_sites(world.tenant)
    rng = random.Random(seed)
    engine: dict[str, Figures] = defaultdict(Figures)
    rand: dict[str, Figures] = defaultdict(Figures)
    outcomes: list[DemandOutcome] = []
    no_fit_proposed, no_fit_random, no_fit_total = 0, 0.0, 0
    lists: dict[str, list[str]] = {}
    for row in spec["demand"]:
        demand = world.demands[row["key"]]
        matching.match_demand(demand.pk)
        matches = list(
            Match.objects.filter(demand=demand).select_related("resource").order_by("rank")
        )
        ranked = [world.key(m.resource_id) for m in matches]
        lists[row["key"]] = ranked
        right, relevant = set(row.get("right", [])), set(row.get("right", []) + row.get("also", []))
        origin = committees[demand.committee_id]
        ancestors = {c.pk for c in committees.values() if covers(c, origin)}
        out = [
            world.key(m.resource_id)
            for m in matches
            if not covers(committees[m.resource.committee_id], origin)
            and not (unit_sites.get(m.resource.offered_by_id, set()) & ancestors)
        ]
        candidates = [world.key(r.pk) for r in matching.candidates_for(demand)]
        outcome = DemandOutcome(
            key=row["key"],
            groups=row.get("groups", []),
            ranked=ranked,
            right=right,
            relevant=relevant,
            never_proposed=[key for key in ranked if key in set(row.get("never", []))],
            out_of_coverage=out,
            place_keywords=[p for m in matches for p in keyword_pieces(m.reason, pieces, names)],
            reasons=[m.reason for m in matches],
        )
        outcomes.append(outcome)
        if not right:
            no_fit_total += 1
            no_fit_proposed += bool(ranked)
            no_fit_random += bool(candidates)
            continue
        shuffled = Figures()
        for _ in range(RANDOM_ORDERS):
            order = candidates[:]
            rng.shuffle(order)
            shuffled.add(order[:TOP], right, relevant)
        for group in ["overall", *outcome.groups]:
            engine[group].add(ranked, right, relevant)
            rand[group].p1.append(statistics.mean(shuffled.p1))
            rand[group].recall.append(statistics.mean(shuffled.recall))
            rand[group].rr.append(statistics.mean(shuffled.rr))
    report = Report(outcomes, engine, rand, no_fit_proposed, no_fit_random, no_fit_total)
    if compare_full_pass:
        matching.full_pass(world.tenant.pk)
        agree = 0
        for key, demand in world.demands.items():
            again = [
                world.key(r)
                for r in Match.objects.filter(demand=demand)
                .order_by("rank")
                .values_list("resource_id", flat=True)
            ]
            agree += again == lists[key]
        report.full_pass_agrees = agree
    return report


GROUP_ORDER = [
    "overall",
    "sinking",
    "synonym",
    "near_miss",
    "capacity",
    "availability",
    "excluded",
    "outcomes",
]


def format_report(report: Report, *, verbose: bool = False) -> list[str]:
    lines = [
        f"{'group':<14}{'n':>4}   {'P@1':>5} {'random':>6}   {'R@5':>5} {'random':>6}"
        f"   {'MRR':>5} {'random':>6}",
        "-" * 64,
    ]
    groups = GROUP_ORDER + sorted(set(report.engine) - set(GROUP_ORDER))
    for group in groups:
        if group not in report.engine:
            continue
        p1, r5, mrr = report.engine[group].row()
        rp1, rr5, rmrr = report.random[group].row()
        lines.append(
            f"{group:<14}{report.engine[group].n:>4}   {p1:>5.2f} {rp1:>6.2f}   {r5:>5.2f} "
            f"{rr5:>6.2f}   {mrr:>5.2f} {rmrr:>6.2f}"
        )
    lines.append("-" * 64)
    lines.append(
        f"nothing fits ({report.no_fit_total} demands): proposals made for "
        f"{report.no_fit_proposed} (random order: {report.no_fit_random:.0f})"
    )
    lines.append(
        f"excluded resources proposed (another street's, paused, expired): {report.violations}"
    )
    lines.append(f"place-name pieces given as keywords in reasons: {report.place_keywords}")
    if report.full_pass_agrees is not None:
        lines.append(
            f"the full pass proposes the same lists for {report.full_pass_agrees} of "
            f"{len(report.outcomes)} demands"
        )
    if verbose:
        lines.append("")
        for o in report.outcomes:
            hit = (not o.right and not o.ranked) or (o.ranked and o.ranked[0] in o.right)
            if hit and not (o.never_proposed or o.out_of_coverage or o.place_keywords):
                continue
            lines.append(
                f"{o.key} {','.join(o.groups)}: proposed {o.ranked or '-'}; right "
                f"{sorted(o.right) or '-'}"
                + (f"; NEVER {o.never_proposed}" if o.never_proposed else "")
                + (f"; place pieces {o.place_keywords}" if o.place_keywords else "")
            )
            for reason in o.reasons[:2]:
                lines.append(f"      {reason}")
    return lines
