"""The matching engine: which resources could meet a demand, how well, and why.

Candidates first, by category and tree coverage: a resource offered at committee S serves S's
whole subtree, so a demand at C can be met by resources at C or any ancestor of C (same tree,
S.lft <= C.lft and S.rght >= C.rght), and by resources of units that are members of those
committees. Paused, withdrawn, used-up and expired resources are no candidates.

Then relevance decides (`demands.relevance`: the tenant's thesaurus, bigrams, weights that
discount what the whole category says), and closeness in the tree only orders candidates of
similar relevance: the score is mostly text, with small shares for distance, capacity, time and
what staff decided before on similar demands (accepted claims raise a resource, declined ones
lower it). A candidate with nothing relevant in common is not proposed. Every component is
stored with the match, and the reason names the kind of resource, the place and the words.

One scorer serves both paths: `match_demand` (a demand published or changed: its candidates
from one query) and `match_demands` (many demands of one category at once: the periodic full
pass, in chunks of one category, and rescoring after resources change). It scores every pair
at once with numpy over sparse term vectors, words reasons only for the kept matches, and writes
with COPY on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import io
import json
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cached_property, lru_cache

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import get_language

from categories.models import Category, ThesaurusEntry
from committees.models import Committee
from committees.selectors import committee_chains, in_chains
from demands import policies, relevance
from demands.models import (
    Claim,
    ClaimStatus,
    Demand,
    DemandAnalysis,
    DemandStatus,
    Match,
    ResourceAnalysis,
    TermStatistics,
)
from members.models import Membership
from resources.models import CapacityUnit, Resource, ResourceKind, ResourceStatus

logger = logging.getLogger(__name__)

TOP_MATCHES = 5
# What the resource offers decides; the tree only breaks near-ties (one level up costs 0.012,
# a relevance difference of 0.02 outweighs it).
WEIGHTS = {"text": 0.70, "distance": 0.06, "capacity": 0.10, "window": 0.06, "record": 0.08}
# Below this relevance a candidate shares nothing that matters: same category, not proposed.
# (Set on the evaluation set: relevant pairs scored 0.21 and up, unrelated ones mostly below.)
MIN_TEXT = 0.2
# A past demand this similar (cosine of the weighted terms) counts as "a similar demand".
SIMILAR_PAST = 0.3
MEMBER_DISTANCE = 0.6  # a member unit's resource standing elsewhere: as if two levels up
MAX_CANDIDATES = 2000
CHUNK_DEMANDS = 2000
PAIR_BLOCK = 200_000
CACHE_SECONDS = 900
KIND_CONCEPTS = {
    ResourceKind.VENUE: "场地",
    ResourceKind.VOLUNTEERS: "志愿者",
    ResourceKind.FUNDS: "资金",
    ResourceKind.GOODS: "物资",
    ResourceKind.EQUIPMENT: "设备",
    ResourceKind.EXPERTISE: "专业服务",
}


def plain(number) -> str:
    """60.0 → "60", 2.5 → "2.5": quantities as people write them."""
    if isinstance(number, Decimal):
        return format(number.normalize(), "f")
    return f"{number:g}"


@lru_cache(maxsize=64)
def _label(choices, value: str, language: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def unit_label(value: str) -> str:
    """A capacity unit's label; translating it anew for every reason costs more than scoring."""
    return _label(CapacityUnit, value, _language())


def kind_label(value: str) -> str:
    return _label(ResourceKind, value, _language())


def _language() -> str:
    return getattr(_language_now, "value", None) or get_language() or ""


_language_now = threading.local()


# --- what is read ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    id: int
    parent_id: int | None
    tree_id: int
    lft: int
    rght: int
    depth: int
    name: str

    def covers(self, other: Place) -> bool:
        return self.tree_id == other.tree_id and self.lft <= other.lft and self.rght >= other.rght


PLACE_FIELDS = ("pk", "parent_id", "tree_id", "lft", "rght", "depth", "name")


@dataclass
class ResourceRow:
    id: int
    committee_id: int
    offered_by_id: int | None
    kind: str
    category_id: int
    title: str
    description: str
    capacity_unit: str
    remaining: Decimal
    available_from: dt.date | None
    available_until: dt.date | None
    # The offering unit's record as rated by others (two-way evaluation, a street's ratings of
    # a department): the mean (1–5) and how many ratings.
    offered_by__rating_average: Decimal | None = None
    offered_by__rating_count: int | None = None


@dataclass
class DemandRow:
    id: int
    tenant_id: int
    committee_id: int
    category_id: int
    title: str
    description: str
    quantity: Decimal | None
    quantity_unit: str
    needed_by: dt.date | None
    handling_committee_id: int


def _columns(row_type) -> tuple[str, ...]:
    """The columns a row dataclass is read from, in its order (its `id` is the `pk`)."""
    return ("pk", *(f.name for f in fields(row_type) if f.name != "id"))


RESOURCE_FIELDS = _columns(ResourceRow)
DEMAND_FIELDS = _columns(DemandRow)


def eligible_resources(tenant_id: int, category_id: int):
    """What could be proposed today: active, with capacity left, not past its window."""
    return Resource.objects.filter(
        tenant_id=tenant_id,
        category_id=category_id,
        status=ResourceStatus.ACTIVE,
        remaining__gt=0,
    ).exclude(available_until__lt=timezone.localdate())


class _Cache:
    """A small per-process cache with expiry: the compiled lexicon, the term weights and the
    tenant's places are rebuilt when their key (a version read from the database) changes."""

    def __init__(self, size: int = 256):
        self.size = size
        self.items: dict = {}
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            found = self.items.get(key)
        if found and found[0] > time.monotonic():
            return found[1]
        return None

    def put(self, key, value):
        with self.lock:
            if len(self.items) >= self.size:
                self.items.pop(next(iter(self.items)))
            self.items[key] = (time.monotonic() + CACHE_SECONDS, value)
        return value

    def clear(self):
        with self.lock:
            self.items.clear()


_cache = _Cache()


def clear_caches() -> None:
    _cache.clear()
    _resource_docs.clear()


def quoted_column(meta, name: str) -> str:
    """A field's column as a statement written once per process names it."""
    return connection.ops.quote_name(meta.get_field(name).column)


_LEXICON_STATEMENT: str | None = None


def lexicon_rows(tenant_id: int, category_id: int) -> list[tuple]:
    """The tenant's active thesaurus entries for every category and for this one, then its
    categories' keywords, in one statement: (0, id, headword, synonyms, related, is_target)
    and (1, id, keywords, "", "", False), sorted. It runs for every demand matched (its answer
    is the lexicon's version), so it is written once per process from the models' columns:
    the ORM's union compiled on each call cost more than the query."""
    global _LEXICON_STATEMENT
    if _LEXICON_STATEMENT is None:
        quote, column = connection.ops.quote_name, quoted_column
        entry, category = ThesaurusEntry._meta, Category._meta
        _LEXICON_STATEMENT = f"""
            SELECT 0, {column(entry, "id")}, {column(entry, "headword")},
                {column(entry, "synonyms")}, {column(entry, "related")},
                {column(entry, "is_target")}
            FROM {quote(entry.db_table)}
            WHERE {column(entry, "tenant")} = %s AND {column(entry, "is_active")}
                AND ({column(entry, "category")} IS NULL OR {column(entry, "category")} = %s)
            UNION ALL
            SELECT 1, {column(category, "id")}, {column(category, "keywords")}, '', '', NULL
            FROM {quote(category.db_table)} WHERE {column(category, "tenant")} = %s"""
    with connection.cursor() as cursor:
        cursor.execute(_LEXICON_STATEMENT, [tenant_id, category_id, tenant_id])
        found = cursor.fetchall()
    rows = [(part, pk, a, b, c, bool(flag)) for part, pk, a, b, c, flag in found]
    return sorted(rows, key=lambda row: (row[0], row[1]))


def lexicon_for(tenant_id: int, category_id: int) -> tuple[relevance.Lexicon, tuple]:
    """The tenant's thesaurus (entries for every category and for this one), its category
    keywords and the built-in domain words, compiled once per version."""
    rows = lexicon_rows(tenant_id, category_id)
    entries = tuple(row[1:] for row in rows if row[0] == 0)
    keywords = tuple(row[2] for row in rows if row[0] == 1)
    digest = hashlib.sha1(repr((entries, keywords)).encode()).hexdigest()  # same in every process
    key = ("lexicon", tenant_id, category_id, digest)
    lexicon = _cache.get(key)
    if lexicon is None:
        lexicon = _cache.put(
            key,
            relevance.Lexicon.build(
                [
                    relevance.Entry(
                        headword, tuple(synonyms.split()), tuple(related.split()), is_target
                    )
                    for _pk, headword, synonyms, related, is_target in entries
                ],
                extra_words=[w for text in keywords for w in text.split()]
                + list(relevance.domain_words()),
            ),
        )
    return lexicon, key


def tenant_places(tenant_id: int) -> dict[int, Place]:
    version = Committee.objects.filter(tenant_id=tenant_id).aggregate(
        n=Count("pk"), at=Max("updated_at")
    )
    key = ("places", tenant_id, version["n"], version["at"])
    places = _cache.get(key)
    if places is None:
        places = _cache.put(
            key,
            {
                row[0]: Place(*row)
                for row in Committee.objects.filter(tenant_id=tenant_id).values_list(*PLACE_FIELDS)
            },
        )
    return places


def chain_names(place_id: int, places: dict[int, Place]) -> tuple[str, ...]:
    """The names (and short names) of a committee and its ancestors, longest first: what a
    text arising there calls its own place."""
    return _place_names(_chain_key(place_id, places))


@lru_cache(maxsize=20_000)
def _place_names(names: tuple[str, ...]) -> tuple[str, ...]:
    return relevance.place_names(names)


# --- documents and weights -------------------------------------------------------------------------


def resource_doc(row: ResourceRow, lexicon, places) -> relevance.Doc:
    return relevance.analyze(
        f"{row.title} {row.description}", lexicon, chain_names(row.committee_id, places)
    )


class _DocCache:
    """The analysed texts of resources, per process, for matching one demand at a time: a
    street's resources are candidates of most of its demands, and analysing their texts again
    for each was a tenth of the time. Keyed by the lexicon's version, the text and the place
    names, so an edited resource or thesaurus is analysed afresh; the oldest are dropped."""

    def __init__(self, size: int = 20_000):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def doc(self, row: ResourceRow, lexicon, places, lexicon_key) -> relevance.Doc:
        names = chain_names(row.committee_id, places)
        key = (lexicon_key, row.title, row.description, names)
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        doc = relevance.analyze(f"{row.title} {row.description}", lexicon, names)
        with self.lock:
            self.items[key] = doc
            if len(self.items) > self.size:
                self.items.popitem(last=False)
        return doc

    def clear(self):
        with self.lock:
            self.items.clear()


_resource_docs = _DocCache()


def demand_doc(row: DemandRow, lexicon, places) -> relevance.Doc:
    return relevance.analyze(
        f"{row.title} {row.description}", lexicon, chain_names(row.committee_id, places)
    )


# --- analyses kept between passes (`StoredAnalysis`) ----------------------------------------------

UNIT_SEP, RECORD_SEP = "\x1f", "\x1e"
ANALYSIS_COLUMNS = ("analysis__key", "analysis__terms", "analysis__concepts", "analysis__bigrams")


def text_key(names: tuple[str, ...], row) -> str:
    """A row's text as the engine reads it, in one digest: the place names taken out of it, its
    title and description (and a resource's kind, which adds a term)."""
    parts = (*names, getattr(row, "kind", ""), row.title, row.description)
    return hashlib.blake2b(UNIT_SEP.join(parts).encode(), digest_size=16).hexdigest()


def analysis_key(lexicon_key: tuple, text: str) -> str:
    """Everything the reading of a text depends on: the vocabulary's version and the text."""
    return hashlib.blake2b(f"{lexicon_key[-1]}{text}".encode(), digest_size=16).hexdigest()


def stored_doc(concepts: str, bigrams: str, text: str, lexicon) -> relevance.Doc:
    found = dict(item.split(UNIT_SEP, 1) for item in concepts.split(RECORD_SEP)) if concepts else {}
    grams = frozenset(bigrams.split(RECORD_SEP)) if bigrams else frozenset()
    return relevance.Doc(found, grams, text, {head: lexicon.key(head) for head in found})


class Docs(Sequence):
    """A batch's analysed texts, each built from its stored analysis only when first asked for:
    the scores read only the terms, a reason needs the documents of its own pair."""

    def __init__(self, items: list, lexicon) -> None:
        self.items = items  # a Doc, or the stored (concepts, bigrams, text)
        self.lexicon = lexicon

    def __getitem__(self, index):
        item = self.items[index]
        if not isinstance(item, relevance.Doc):
            item = self.items[index] = stored_doc(*item, self.lexicon)
        return item

    def __len__(self) -> int:
        return len(self.items)


def stored_fields(doc: relevance.Doc, terms: list[str]) -> tuple[str, str, str] | None:
    """A document as stored (terms, concepts, bigrams), or None when a headword holds a
    separator (typed into the thesaurus): such a text is read afresh every time instead."""
    joined_terms = RECORD_SEP.join(terms)
    concepts = RECORD_SEP.join(f"{h}{UNIT_SEP}{w}" for h, w in doc.concepts.items())
    n = len(doc.concepts)
    if (
        joined_terms.count(RECORD_SEP) != max(len(terms) - 1, 0)
        or concepts.count(UNIT_SEP) != n
        or concepts.count(RECORD_SEP) != max(n - 1, 0)
    ):
        return None
    return joined_terms, concepts, RECORD_SEP.join(sorted(doc.bigrams))


def read_docs(rows, stored, lexicon, lexicon_key, places, terms_of) -> tuple:
    """The rows' analyses: the stored one where its key still holds, else read now. Returns the
    documents, their terms (`terms_of(row, doc)`) and their texts' keys (`text_key`) in the
    rows' order, and those read now, (row id, key, doc, terms), to be stored."""
    items, term_lists, keys, fresh = [], [], [], []
    names_at: dict[int, tuple[str, ...]] = {}
    for row, (key, terms, concepts, bigrams, *text) in zip(rows, stored, strict=True):
        names = names_at.get(row.committee_id)
        if names is None:
            names = names_at[row.committee_id] = chain_names(row.committee_id, places)
        said = text_key(names, row)
        wanted = analysis_key(lexicon_key, said)
        keys.append(said)
        if key == wanted:
            items.append((concepts, bigrams, text[0] if text else ""))
            term_lists.append(terms.split(RECORD_SEP) if terms else [])
            continue
        doc = relevance.analyze(f"{row.title} {row.description}", lexicon, names)
        terms = terms_of(row, doc)
        items.append(doc)
        term_lists.append(terms)
        fresh.append((row.id, wanted, doc, terms))
    return Docs(items, lexicon), term_lists, keys, fresh


def store_analyses(model, fresh: list) -> None:
    """Keep what was read now for the next pass (two workers storing the same row agree)."""
    if not fresh:
        return
    owner = "demand" if model is DemandAnalysis else "resource"
    columns = ["key", "terms", "concepts", "bigrams"]
    if owner == "demand":
        columns += ["text", "worded_under"]  # its reasons are compared again: see `settled`
    rows = []
    for pk, key, doc, terms in sorted(fresh, key=lambda item: item[0]):
        stored = stored_fields(doc, terms)
        if stored is None:
            continue
        row = [pk, key, *stored]
        if owner == "demand":
            row += [doc.text, ""]
        rows.append(row)
    if connection.vendor == "postgresql":
        _copy_upsert(model, f"{owner}_id", columns, rows)
        return
    model.objects.bulk_create(
        [model(**dict(zip([f"{owner}_id", *columns], row, strict=True))) for row in rows],
        batch_size=500,
        update_conflicts=True,
        unique_fields=[owner],
        update_fields=columns,
    )


# What COPY's text format reads back unchanged.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_upsert(model, key_column: str, columns: list[str], rows: list[list]) -> None:
    """Insert or replace many rows at once: COPY into a scratch table, then one INSERT … ON
    CONFLICT (Django's own upsert builds one parameter per value, a second for 40,000 rows)."""
    table = model._meta.db_table
    names = ", ".join([key_column, *columns])
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(str(v).translate(COPY_ESCAPES) for v in row) + "\n")
    buffer.seek(0)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS scratch_{table} ON COMMIT DELETE ROWS "
            f"AS SELECT {names} FROM {table} WITH NO DATA"
        )
        cursor.copy_expert(f"COPY scratch_{table} ({names}) FROM STDIN", buffer)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM scratch_{table} "
            f"ORDER BY {key_column} ON CONFLICT ({key_column}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"TRUNCATE scratch_{table}")  # inside a longer transaction, too


def resource_terms(row: ResourceRow, doc: relevance.Doc, lexicon) -> list[str]:
    word = KIND_CONCEPTS.get(row.kind, "")
    terms = doc.terms()
    if word:
        kind = lexicon.key(lexicon.concept_of.get(word, word))
        if kind not in terms:
            terms.append(kind)
    return terms


STATISTICS_DAYS = 1  # the nightly pass renews them; older ones are counted again


def term_stats(
    tenant_id: int,
    category_id: int,
    lexicon,
    lexicon_key,
    *,
    documents: list[list[str]] | None = None,
) -> tuple[relevance.TermStats, tuple]:
    """Document frequencies over the category's eligible resources. A full-pass chunk hands in
    the terms it has read and stores them (`TermStatistics`, shared by every worker); one
    demand reads them from this process's cache or that row, and counts them only when there
    is none under the current vocabulary. A resource newer than them still counts with its own
    terms (`with_candidates`)."""
    digest = lexicon_key[-1]
    key = ("stats", tenant_id, category_id, digest)
    if documents is None:
        stats = _cache.get(key)
        if stats is not None:
            return stats, key
        row = TermStatistics.objects.filter(
            tenant_id=tenant_id,
            category_id=category_id,
            lexicon=digest,
            computed_at__gte=timezone.now() - dt.timedelta(days=STATISTICS_DAYS),
        ).first()
        if row is not None:
            return _cache.put(key, relevance.TermStats(row.documents, row.frequency)), key
        places = tenant_places(tenant_id)
        rows = [
            ResourceRow(*row)
            for row in eligible_resources(tenant_id, category_id).values_list(*RESOURCE_FIELDS)
        ]
        documents = [resource_terms(r, resource_doc(r, lexicon, places), lexicon) for r in rows]
    stats = relevance.TermStats.count(documents)
    TermStatistics.objects.update_or_create(
        tenant_id=tenant_id,
        category_id=category_id,
        defaults={
            "lexicon": digest,
            "documents": stats.documents,
            "frequency": stats.frequency,
        },
    )
    return _cache.put(key, stats), key


def with_candidates(stats: relevance.TermStats, term_lists) -> relevance.TermStats:
    """The weights, knowing every term of these candidates (one offered or edited since the
    weights were counted counts as a rare term, not as none)."""
    missing: dict[str, int] = {}
    frequency = stats.frequency
    for terms in term_lists:
        for term in terms:
            if term not in frequency:
                missing[term] = missing.get(term, 0) + 1
    if not missing:
        return stats
    return relevance.TermStats(stats.documents, {**frequency, **missing})


# --- outcomes: what staff accepted and declined before ----------------------------------------------


@dataclass
class Outcome:
    vector: relevance.Vector
    accepted: bool
    reason: str


DECIDED = (ClaimStatus.ACCEPTED, ClaimStatus.RELEASED, ClaimStatus.DECLINED)
_DECIDED_VERSION_STATEMENT: str | None = None


def decided_claims_version(tenant_id: int, category_id: int) -> tuple[int, object]:
    """How many decided claims the category's resources have and when the last was decided:
    the version of what `outcomes_for` learnt from them. Every demand matched asks, so the
    statement is written once per process (the ORM's aggregate compiled on each call cost
    more than the query)."""
    global _DECIDED_VERSION_STATEMENT
    if _DECIDED_VERSION_STATEMENT is None:
        quote, column = connection.ops.quote_name, quoted_column
        claim, demand = Claim._meta, Demand._meta
        statuses = ", ".join(["%s"] * len(DECIDED))
        _DECIDED_VERSION_STATEMENT = f"""
            SELECT COUNT(*), MAX(c.{column(claim, "decided_at")})
            FROM {quote(claim.db_table)} c
            JOIN {quote(demand.db_table)} d ON d.{column(demand, "id")} = c.{column(claim, "demand")}
            WHERE c.{column(claim, "tenant")} = %s AND d.{column(demand, "category")} = %s
                AND c.{column(claim, "resource")} IS NOT NULL
                AND c.{column(claim, "status")} IN ({statuses})"""
    with connection.cursor() as cursor:
        cursor.execute(
            _DECIDED_VERSION_STATEMENT, [tenant_id, category_id, *(s.value for s in DECIDED)]
        )
        n, at = cursor.fetchone()
    return n, at


def outcomes_for(
    tenant_id: int, category_id: int, lexicon, stats, stats_key
) -> dict[int, list[Outcome]]:
    """Decided claims on the category's resources, by resource: accepted (and released after
    being accepted) raise a resource for similar demands, declined lower it."""
    n, at = decided_claims_version(tenant_id, category_id)
    if not n:
        return {}
    key = ("outcomes", tenant_id, category_id, n, at, stats_key)
    found = _cache.get(key)
    if found is not None:
        return found
    claims = Claim.objects.filter(
        tenant_id=tenant_id,
        demand__category_id=category_id,
        resource__isnull=False,
        status__in=DECIDED,
    )
    by_resource: dict[int, list[Outcome]] = defaultdict(list)
    for resource_id, status, reason, title, description, place, parent in claims.values_list(
        "resource_id",
        "status",
        "reason",
        "demand__title",
        "demand__description",
        "demand__committee__name",
        "demand__committee__parent__name",
    ).order_by("pk"):
        doc = relevance.analyze(
            f"{title} {description}", lexicon, relevance.place_names([place, parent or ""])
        )
        vector = relevance.demand_vector(doc.terms(), stats, relevance.Lexicon({}, {}))
        by_resource[resource_id].append(Outcome(vector, status != ClaimStatus.DECLINED, reason))
    return _cache.put(key, dict(by_resource))


def record_of(demand_vector: relevance.Vector, outcomes: list[Outcome]) -> tuple[float, str]:
    """0.5 when nothing is known; towards 1 when similar demands took this resource, towards 0
    when they declined it. Also the words for the reason."""
    weight = signed = 0.0
    declined_reason = ""
    for outcome in outcomes:
        sim = relevance.similarity(demand_vector, outcome.vector)
        if sim < SIMILAR_PAST:
            continue
        weight += sim
        signed += sim if outcome.accepted else -sim
        if not outcome.accepted and outcome.reason and not declined_reason:
            declined_reason = outcome.reason
    if not weight:
        return 0.5, ""
    lean = signed / max(1.0, weight)
    if lean > 0.2:
        return 0.5 + 0.5 * lean, "此前类似需求曾采用"
    if lean < -0.2:
        said = f"：{declined_reason[:30]}" if declined_reason else ""
        return 0.5 + 0.5 * lean, f"此前类似需求曾谢绝{said}"
    return 0.5 + 0.5 * lean, ""


# A unit's rating counts once at least this many exist (the rated side sees no fewer either).
MIN_UNIT_RATINGS = 3


def unit_records(batch, pr) -> dict[int, tuple[float, str]]:
    """{pair index: (0–1, words)} for the pairs whose resource's unit has a rating record: 1 for
    an average of 5, 0 for 1; the words name the average and the number of ratings."""
    rated = {}
    for index, resource in enumerate(batch.resources):
        count = resource.offered_by__rating_count or 0
        if count >= MIN_UNIT_RATINGS and resource.offered_by__rating_average is not None:
            average = float(resource.offered_by__rating_average)
            words = f"提供单位评价{average:.1f}分（{count}次）"
            rated[index] = ((average - 1) / 4, words)
    if not rated:
        return {}
    return {int(k): rated[int(pr[k])] for k in range(len(pr)) if int(pr[k]) in rated}


# --- scoring ------------------------------------------------------------------------------------------


class Pairs:
    """The candidate pairs of a batch, column by column: the demand's and the resource's
    index, the committee through which the resource serves the demand, and whether it is
    offered at an ancestor (else its unit is a member of `via`)."""

    def __init__(self, demand=None, resource=None, via=None, covering=None) -> None:
        self.demand = [] if demand is None else demand
        self.resource = [] if resource is None else resource
        self.via = [] if via is None else via
        self.covering = [] if covering is None else covering

    def add(self, demand: int, resource: int, via: int, covering: bool) -> None:
        self.demand.append(demand)
        self.resource.append(resource)
        self.via.append(via)
        self.covering.append(covering)

    def __len__(self) -> int:
        return len(self.demand)


@dataclass
class Scored:
    demand: DemandRow
    resource: ResourceRow
    score: float
    components: dict
    proposed: bool = False
    rank: int = 0
    reason: str = ""
    record_words: str = ""
    via: int = 0
    covering: bool = True
    basis: str = ""  # a digest of what its reason is worded from, when known
    index: tuple[int, int] = (0, 0)  # the demand's and the resource's place in its batch

    @property
    def reason_text(self) -> str:
        """The reason as it reads now (the stored one marks where the capacity goes)."""
        return reason_now(self.reason, self.resource, self.demand)

    @cached_property
    def digest(self) -> str:
        """The proposal's numbers (its words are compared by `basis`, or word for word)."""
        said = repr((self.score, self.rank, tuple(self.components.items())))
        return hashlib.blake2b(said.encode(), digest_size=8).hexdigest()


@dataclass
class Batch:
    """Everything the scorer reads for one category."""

    tenant_id: int
    category_id: int
    places: dict[int, Place]
    demands: list[DemandRow]
    resources: list[ResourceRow]
    pairs: Pairs
    lexicon: relevance.Lexicon
    lexicon_key: tuple
    stats: relevance.TermStats | None = None
    stats_key: tuple = ()
    demand_docs: Sequence = field(default_factory=list)
    resource_docs: Sequence = field(default_factory=list)
    demand_term_lists: list | None = None
    # What a reason says depends on (a full pass knows them; one demand at a time does not):
    demand_keys: list | None = None
    resource_keys: list | None = None
    stats_digest: str = ""
    settled: set = field(default_factory=set)
    dvecs: list = field(default_factory=list)
    resource_term_lists: list = field(default_factory=list)
    _term_sets: dict = field(default_factory=dict)
    _chain_keys: dict = field(default_factory=dict)

    def chain_key(self, place_id: int) -> tuple[str, ...]:
        found = self._chain_keys.get(place_id)
        if found is None:
            found = self._chain_keys[place_id] = _chain_key(place_id, self.places)
        return found

    def resource_term_sets(self, index: int) -> frozenset[str]:
        found = self._term_sets.get(index)
        if found is None:
            found = self._term_sets[index] = frozenset(self.resource_term_lists[index])
        return found


def _read(batch: Batch) -> None:
    """Analyse the batch's texts (once) and weigh them against the category's resources."""
    lexicon = batch.lexicon
    if not batch.demand_docs:
        batch.demand_docs = [demand_doc(d, lexicon, batch.places) for d in batch.demands]
    if not batch.resource_docs:
        if len(batch.demands) == 1:  # one demand at a time: its candidates were seen before
            batch.resource_docs = [
                _resource_docs.doc(r, lexicon, batch.places, batch.lexicon_key)
                for r in batch.resources
            ]
        else:
            batch.resource_docs = [resource_doc(r, lexicon, batch.places) for r in batch.resources]
        batch.resource_term_lists = [
            resource_terms(r, doc, lexicon)
            for r, doc in zip(batch.resources, batch.resource_docs, strict=True)
        ]
    if batch.stats is None:
        stats, batch.stats_key = term_stats(
            batch.tenant_id, batch.category_id, lexicon, batch.lexicon_key
        )
        batch.stats = with_candidates(stats, batch.resource_term_lists)


def demand_vectors(batch: Batch) -> list[relevance.Vector]:
    _read(batch)
    if batch.demand_term_lists is None:
        batch.demand_term_lists = [doc.terms() for doc in batch.demand_docs]
    return [
        relevance.demand_vector(terms, batch.stats, batch.lexicon)
        for terms in batch.demand_term_lists
    ]


@dataclass
class ResourceMatrix:
    """The resources' normalised term weights as one sorted array of (resource, term) keys."""

    vocab: dict[str, int]
    keys: np.ndarray
    weights: np.ndarray
    size: int

    @classmethod
    def build(cls, term_lists: list[list[str]], stats: relevance.TermStats) -> ResourceMatrix:
        vocab: dict[str, int] = {}
        add = vocab.setdefault
        ids = np.asarray(
            [add(t, len(vocab)) for terms in term_lists for t in terms], dtype=np.int64
        )
        doc = np.repeat(np.arange(len(term_lists), dtype=np.int64), [len(t) for t in term_lists])
        weight = np.asarray([stats.weight(t) for t in vocab], dtype=np.float64)[ids]
        norm = np.sqrt(np.bincount(doc, weights=weight * weight, minlength=len(term_lists)))
        weight = weight / np.where(norm > 0, norm, 1.0)[doc]
        size = len(vocab) + 1
        keys = doc * size + ids
        order = np.argsort(keys, kind="stable")
        return cls(vocab, keys[order], weight[order], size)


def text_scores(dvecs, matrix: ResourceMatrix, pd: np.ndarray, pr: np.ndarray) -> np.ndarray:
    """The cosine of every pair at once: each pair's demand terms are looked up among its
    resource's (sorted keys, one searchsorted), summed per pair in the demand's term order."""
    vocab, keys, weights, size = matrix.vocab, matrix.keys, matrix.weights, matrix.size
    d_ptr, d_term, d_weight = [0], [], []
    for vector in dvecs:
        for term, weight in vector.items():
            known = vocab.get(term)
            if known is not None:  # a term no resource has cannot add anything
                d_term.append(known)
                d_weight.append(weight)
        d_ptr.append(len(d_term))
    d_ptr = np.asarray(d_ptr, dtype=np.int64)
    d_term = np.asarray(d_term, dtype=np.int64)
    d_weight = np.asarray(d_weight, dtype=np.float64)
    out = np.zeros(len(pd), dtype=np.float64)
    if not len(keys) or not len(d_term):
        return out
    for start in range(0, len(pd), PAIR_BLOCK):
        bd, br = pd[start : start + PAIR_BLOCK], pr[start : start + PAIR_BLOCK]
        lengths = d_ptr[bd + 1] - d_ptr[bd]
        total = int(lengths.sum())
        if not total:
            continue
        pair_of = np.repeat(np.arange(len(bd)), lengths)
        firsts = np.cumsum(lengths) - lengths
        entry = np.repeat(d_ptr[bd], lengths) + (np.arange(total) - np.repeat(firsts, lengths))
        query = br[pair_of] * size + d_term[entry]
        pos = np.searchsorted(keys, query)
        pos[pos == len(keys)] = 0
        products = np.where(keys[pos] == query, d_weight[entry] * weights[pos], 0.0)
        out[start : start + len(bd)] = np.bincount(pair_of, weights=products, minlength=len(bd))
    return out


def score_batch(batch: Batch, *, keep_all: bool = False, word: bool = True) -> list[Scored]:
    """Score every pair of the batch; keep the top TOP_MATCHES relevant candidates of each demand
    (or, for an explanation, every candidate), with their reasons worded (or, `word=False`, the
    digest of what they would be worded from: a full pass words only what it writes)."""
    if not batch.pairs:
        return []
    dvecs = batch.dvecs = demand_vectors(batch)
    matrix = ResourceMatrix.build(batch.resource_term_lists, batch.stats)
    pairs = batch.pairs
    pd = np.asarray(pairs.demand, dtype=np.int64)
    pr = np.asarray(pairs.resource, dtype=np.int64)
    text = np.round(text_scores(dvecs, matrix, pd, pr), 6)
    distance = _distance(batch, pd, pr)
    capacity, window = _capacity_window(batch, pd, pr)
    record = np.full(len(pd), 0.5)
    record_words: dict[int, str] = {}
    outcomes = outcomes_for(
        batch.tenant_id, batch.category_id, batch.lexicon, batch.stats, batch.stats_key
    )
    if outcomes:
        for k in np.flatnonzero(
            np.isin(pr, [i for i, r in enumerate(batch.resources) if r.id in outcomes])
        ):
            value, words = record_of(dvecs[pd[k]], outcomes[batch.resources[pr[k]].id])
            record[k] = round(value, 6)
            if words:
                record_words[int(k)] = words
    for k, (value, words) in unit_records(batch, pr).items():
        record[k] = round(float((record[k] + value) / 2), 6)
        record_words[k] = "，".join(w for w in (record_words.get(k, ""), words) if w)
    total = (
        WEIGHTS["text"] * text
        + WEIGHTS["distance"] * distance
        + WEIGHTS["capacity"] * capacity
        + WEIGHTS["window"] * window
        + WEIGHTS["record"] * record
    ).round(4)
    relevant = text >= MIN_TEXT
    # Best first within each demand: what can come in time before what cannot, what has
    # enough left before what has not, then the score; equal scores: the closer, then the
    # older resource.
    resource_ids = np.asarray([r.id for r in batch.resources], dtype=np.int64)[pr]
    order = np.lexsort((resource_ids, -distance, -total, capacity < 1, window == 0, ~relevant, pd))
    ranks = np.zeros(len(pd), dtype=np.int64)
    sorted_pd = pd[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_pd)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(sorted_pd)]))
    ranks[order] = np.arange(len(sorted_pd)) - group_start + 1
    proposed = relevant & (ranks <= TOP_MATCHES)
    _language_now.value = get_language() or ""
    keep = np.flatnonzero(proposed | keep_all)
    keep = keep[np.lexsort((ranks[keep], pd[keep]))]
    rows = []
    # Column by column as Python values: indexing numpy arrays one element at a time (and
    # rounding numpy floats) cost more than the Scored rows themselves.
    columns = zip(
        *(
            np.asarray(column)[keep].tolist()
            for column in (
                pairs.demand,
                pairs.resource,
                total,
                text,
                distance,
                capacity,
                window,
                record,
                proposed,
                ranks,
                pairs.via,
                pairs.covering,
            )
        ),
        keep.tolist(),
        strict=True,
    )
    for d, r, score, text_k, distance_k, capacity_k, window_k, record_k, *rest in columns:
        proposed_k, rank, via, covering, k = rest
        scored = Scored(
            demand=batch.demands[d],
            resource=batch.resources[r],
            score=score,
            components={
                "text": round(text_k, 3),
                "distance": round(distance_k, 3),
                "capacity": round(capacity_k, 3),
                "window": round(window_k, 3),
                "record": round(record_k, 3),
            },
            proposed=proposed_k,
            rank=rank,
            record_words=record_words.get(k, ""),
            via=via,
            covering=covering,
            index=(d, r),
        )
        if not word:
            scored.basis = reason_basis(batch, scored)
        elif proposed_k or keep_all:
            scored.reason = word_reason(batch, d, r, scored, dvecs[d])
        rows.append(scored)
    _language_now.value = None
    return rows


def _distance(batch: Batch, pd, pr) -> np.ndarray:
    """The same committee is best; each level further up costs a little. A member unit's
    resource standing elsewhere counts as two levels away."""
    places = batch.places
    origin = np.asarray([places[d.committee_id].depth for d in batch.demands])[pd]
    site = np.asarray([places[r.committee_id].depth for r in batch.resources])[pr]
    covering = np.asarray(batch.pairs.covering, dtype=bool)
    up = np.maximum(0.0, 1.0 - 0.2 * (origin - site))
    return np.where(covering, up, MEMBER_DISTANCE).round(6)


def _capacity_window(batch: Batch, pd, pr):
    today = timezone.localdate().toordinal()
    demands, resources = batch.demands, batch.resources
    quantity = np.asarray([float(d.quantity or 0) for d in demands])[pd]
    wanted = np.asarray([d.quantity_unit for d in demands], dtype=object)[pd]
    same_unit = wanted == np.asarray([r.capacity_unit for r in resources], dtype=object)[pr]
    remaining = np.asarray([float(r.remaining) for r in resources])[pr]
    measured = same_unit & (quantity > 0)
    capacity = np.where(
        measured, np.minimum(1.0, remaining / np.where(quantity > 0, quantity, 1.0)), 1.0
    ).round(6)
    needed = np.asarray([d.needed_by.toordinal() if d.needed_by else 0 for d in demands])[pd]
    start = np.asarray(
        [r.available_from.toordinal() if r.available_from else 0 for r in resources]
    )[pr]
    late = (start > 0) & (needed > 0) & (start > needed)
    later = (start > today) & ~late
    window = np.where(late, 0.0, np.where(later, 0.7, 1.0))
    return capacity, window


# --- reasons ------------------------------------------------------------------------------------------


# Where a stored reason says how much the resource has left: filled in when it is shown.
CAPACITY_MARK = "{capacity}"


def capacity_words(resource, demand) -> str:
    """剩余15个, and whether that is enough for the demand when both count the same way."""
    return capacity_words_of(
        resource.remaining, resource.capacity_unit, demand.quantity, demand.quantity_unit
    )


def capacity_words_of(remaining, capacity_unit: str, quantity, quantity_unit: str) -> str:
    unit = unit_label(capacity_unit)
    left = f"剩余{plain(remaining)}{unit}"
    if quantity and capacity_unit == quantity_unit:
        enough = "够" if remaining >= quantity else "不足"
        return f"{left}，{enough}所需{plain(quantity)}{unit}"
    return left


def reason_now(reason: str, resource, demand) -> str:
    """A reason with its capacity as it is now (reasons stored before the mark read as they are)."""
    if CAPACITY_MARK not in reason:
        return reason
    return reason.replace(CAPACITY_MARK, capacity_words(resource, demand))


# What `reason_now_of_row` reads of a match's value row.
REASON_COLUMNS = (
    *("reason", "resource__remaining", "resource__capacity_unit"),
    *("demand__quantity", "demand__quantity_unit"),
)


def reason_now_of_row(row: dict) -> str:
    """`reason_now` of a match read as a value row (`REASON_COLUMNS`), not as instances."""
    reason = row["reason"]
    if CAPACITY_MARK not in reason:
        return reason
    words = capacity_words_of(
        row["resource__remaining"],
        row["resource__capacity_unit"],
        row["demand__quantity"],
        row["demand__quantity_unit"],
    )
    return reason.replace(CAPACITY_MARK, words)


# Raise when the wording of reasons changes (word_reason, relevance.shared_words and what they
# read: labels, the common words): a pass then words every reason again instead of keeping
# those whose inputs it finds unchanged.
REASONS_VERSION = "1"


def reason_basis(batch: Batch, scored: Scored) -> str:
    """A digest of everything `word_reason` reads for this pair but the vocabulary and the
    weights (those are one per category, kept with each demand: `DemandAnalysis.worded_under`):
    both texts (their `text_key`: place names, texts, the resource's kind), the place serving
    it, the time and record words, the language."""
    d, r = scored.index
    resource = scored.resource
    parts = (
        REASONS_VERSION,
        _language(),
        batch.demand_keys[d],
        batch.resource_keys[r],
        str(scored.via),
        batch.places[scored.via].name if scored.via in batch.places else "",
        "1" if scored.covering else "0",
        repr(scored.components["window"]),
        _date(resource.available_from),
        scored.record_words,
    )
    return hashlib.blake2b(UNIT_SEP.join(parts).encode(), digest_size=16).hexdigest()


def word_kept(batch: Batch, rows: list[Scored]) -> None:
    """Word the reasons of these proposals (those a pass compares or writes)."""
    _language_now.value = get_language() or ""
    for scored in rows:
        if scored.reason:
            continue
        d, r = scored.index
        scored.reason = word_reason(batch, d, r, scored, batch.dvecs[d])
    _language_now.value = None


def word_reason(batch: Batch, d: int, r: int, scored: Scored, dvec) -> str:
    """The reason as a staff member would say it: the kind of resource and where it is offered,
    the words both texts say, the capacity, the time, and what staff decided before."""
    demand, resource = scored.demand, scored.resource
    places = batch.places
    origin, site = places[demand.committee_id], places[resource.committee_id]
    kind = kind_label(resource.kind)
    if site.id == origin.id:
        parts = [f"{kind}，同在{site.name}"]
    elif scored.covering:
        parts = [f"{kind}，由{site.name}提供，覆盖{origin.name}"]
    else:
        parts = [f"{kind}，提供单位是{places[scored.via].name}的成员单位"]
    forbidden = _forbidden(batch.chain_key(demand.committee_id), batch.chain_key(site.id))
    words = relevance.shared_words(
        batch.demand_docs[d],
        batch.resource_docs[r],
        dvec,
        batch.resource_term_sets(r),
        batch.stats,
        batch.lexicon,
        forbidden,
    )
    if words:
        parts.append("内容相符：" + "、".join(words))
    # The capacity is said as it is when the reason is read, not as it was when it was written.
    parts.append(CAPACITY_MARK)
    if scored.components["window"] == 0:
        parts.append(f"{_date(resource.available_from)}起才可用，晚于期望日期")
    elif scored.components["window"] < 1:
        parts.append(f"{_date(resource.available_from)}起可用")
    if scored.record_words:
        parts.append(scored.record_words)
    return "；".join(parts)[:500]


def _chain_key(place_id: int, places: dict[int, Place]) -> tuple[str, ...]:
    names, node = [], places.get(place_id)
    while node is not None:
        names.append(node.name)
        node = places.get(node.parent_id) if node.parent_id else None
    return tuple(names)


@lru_cache(maxsize=20_000)
def _forbidden(demand_chain: tuple[str, ...], resource_chain: tuple[str, ...]) -> frozenset[str]:
    """Pieces of the names of both places (and their ancestors): never given as keywords."""
    return _one_set(_chain_pieces(demand_chain) | _chain_pieces(resource_chain))


@lru_cache(maxsize=20_000)
def _one_set(pieces: frozenset[str]) -> frozenset[str]:
    """The first set seen equal to this one, so that equal sets are one object (two places' pieces
    are the same whichever is the demand's). `relevance._allowed` is cached by (word, set): two
    equal sets that are not one object are told equal by comparing every piece, which cost a
    fifth of the time of wording a reason."""
    return pieces


@lru_cache(maxsize=20_000)
def _chain_pieces(chain: tuple[str, ...]) -> frozenset[str]:
    return relevance.pieces_of(chain)


def _date(day: dt.date | None) -> str:
    return f"{day.month}月{day.day}日" if day else ""


def _chain_ids(place_id: int, places: dict[int, Place]) -> list[int]:
    ids, node = [], places.get(place_id)
    while node is not None:
        ids.append(node.id)
        node = places.get(node.parent_id) if node.parent_id else None
    return ids


# --- one demand (incremental) ---------------------------------------------------------------------------


def _demand_row(demand_id: int) -> DemandRow | None:
    row = (
        Demand.objects.filter(pk=demand_id, status=DemandStatus.PUBLISHED)
        .values_list(*DEMAND_FIELDS)
        .first()
    )
    return DemandRow(*row) if row else None


def candidate_batch(demand: DemandRow, *, lexicon=None) -> Batch:
    """The demand's candidates (category, coverage, availability) with what scoring reads."""
    places = {row[0]: Place(*row) for row in committee_chains([demand.committee_id])}
    ancestor_ids = set(places)
    # The units that are members of the chain, read once: their ids go to the candidate query
    # as a list, so both halves of its OR are index scans (resource_active_at/_by).
    memberships = list(
        Membership.objects.filter(committee_id__in=ancestor_ids, status="active").values_list(
            "unit_id", "committee_id"
        )
    )
    member_units = sorted({unit_id for unit_id, _committee in memberships})
    resources = [
        ResourceRow(*row)
        for row in eligible_resources(demand.tenant_id, demand.category_id)
        .filter(Q(committee_id__in=ancestor_ids) | Q(offered_by_id__in=member_units))
        .order_by("pk")
        .values_list(*RESOURCE_FIELDS)[:MAX_CANDIDATES]
    ]
    elsewhere = {r.committee_id for r in resources if r.committee_id not in places}
    via: dict[int, int] = {}
    if elsewhere:
        # A member unit's resource offered outside the demand's chain: through which committee
        # it serves (the deepest of its memberships in the chain), and the chain of where it
        # stands (for the place names of its text).
        units = {r.offered_by_id for r in resources if r.committee_id not in places}
        depth = {pid: p.depth for pid, p in places.items()}
        for unit_id, committee_id in memberships:
            if unit_id not in units:
                continue
            if unit_id not in via or depth[committee_id] > depth[via[unit_id]]:
                via[unit_id] = committee_id
        for row in committee_chains(elsewhere):
            places.setdefault(row[0], Place(*row))
    pairs = Pairs()
    for i, resource in enumerate(resources):
        if resource.committee_id in ancestor_ids:
            pairs.add(0, i, resource.committee_id, True)
        elif resource.offered_by_id in via:
            pairs.add(0, i, via[resource.offered_by_id], False)
    if lexicon is None:
        lexicon = lexicon_for(demand.tenant_id, demand.category_id)
    return Batch(
        tenant_id=demand.tenant_id,
        category_id=demand.category_id,
        places=places,
        demands=[demand],
        resources=resources,
        pairs=pairs,
        lexicon=lexicon[0],
        lexicon_key=lexicon[1],
    )


def candidates_for(demand: Demand) -> list[Resource]:
    """Active resources of the demand's category that cover where it arose (the candidates
    before scoring), as model instances."""
    row = DemandRow(*[getattr(demand, name) for name in ("pk", *DEMAND_FIELDS[1:])])
    batch = candidate_batch(row, lexicon=(relevance.Lexicon({}, {}), ()))
    ids = [batch.resources[r].id for r in batch.pairs.resource]
    found = Resource.objects.in_bulk(ids)
    return [found[i] for i in ids]


def rank_demand(demand_id: int) -> list[Scored]:
    """Every candidate of an open demand, scored and ranked (proposed ones first)."""
    demand = _demand_row(demand_id)
    if demand is None:
        return []
    return score_batch(candidate_batch(demand), keep_all=True)


@transaction.atomic
def match_demand(demand_id: int) -> list[Match]:
    """Recompute one demand's proposals (incremental: on publish and on change); a demand that
    is not open loses them. New proposals are notified."""
    # The demand, locked (a second task matching it waits here), with what the notifications
    # name: one query for both.
    locked = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("committee", "handling_committee")
        .filter(pk=demand_id, status=DemandStatus.PUBLISHED)
        .first()
    )
    if locked is None:
        Match.objects.filter(demand_id=demand_id).delete()
        Demand.objects.filter(pk=demand_id).update(matched_at=timezone.now())
        return []
    demand = DemandRow(*[getattr(locked, name) for name in ("pk", *DEMAND_FIELDS[1:])])
    kept = score_batch(candidate_batch(demand))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Match._meta.db_table} WHERE demand_id = %s RETURNING resource_id",
            [demand_id],
        )
        before = {resource_id for (resource_id,) in cursor.fetchall()}
    matches = Match.objects.bulk_create([_match(s) for s in kept])
    Demand.objects.filter(pk=demand_id).update(matched_at=timezone.now())
    new = [m for m in matches if m.resource_id not in before]
    if new:
        units = {s.resource.id: s.resource.offered_by_id for s in kept}
        texts = {s.resource.id: s.reason_text for s in kept}
        notify_new_matches(locked, new, units=units, texts=texts)
    return matches


def _match(scored: Scored) -> Match:
    return Match(
        tenant_id=scored.demand.tenant_id,
        demand_id=scored.demand.id,
        resource_id=scored.resource.id,
        score=scored.score,
        components=scored.components,
        reason=scored.reason,
        rank=scored.rank,
        digest=scored.digest,
        basis=scored.basis,
    )


def notify_new_matches(
    demand: Demand,
    matches: list[Match],
    *,
    units: dict[int, int | None] | None = None,
    texts: dict[int, str] | None = None,
) -> None:
    """Staff of the level handling the demand and the contacts of the matched units hear of it:
    their accounts in one query, every notification and email in one statement."""
    from members.models import Role, User
    from members.selectors import ANSWERING_ROLES, answering_committee, routing_note
    from notifications import services as notifications
    from notifications.models import Event

    # Staff of the nearest staffed committee up the tree answer (the message says so).
    answering = answering_committee(demand.handling_committee)
    routed = routing_note(demand.handling_committee, answering)
    texts = texts or {}

    def text(match: Match) -> str:
        if match.resource_id in texts:
            return texts[match.resource_id]
        return reason_now(match.reason, match.resource, demand)

    if units is None:
        units = dict(
            Resource.objects.filter(pk__in=[m.resource_id for m in matches]).values_list(
                "pk", "offered_by_id"
            )
        )
    by_unit = defaultdict(list)
    for match in matches:
        if units.get(match.resource_id):
            by_unit[units[match.resource_id]].append(match)
    staff, contacts = {}, defaultdict(dict)
    rows = (
        User.objects.filter(is_active=True)
        .filter(
            Q(grants__committee_id=getattr(answering, "pk", None), grants__role__in=ANSWERING_ROLES)
            | Q(grants__role=Role.UNIT_CONTACT, grants__member_unit_id__in=list(by_unit))
        )
        .values_list("pk", "email", "grants__role", "grants__member_unit_id")
    )
    for pk, email, role, unit_id in rows:
        user = notifications.Recipient(id=pk, email=email or "")
        if role == Role.UNIT_CONTACT:
            if unit_id in by_unit:
                contacts[unit_id][pk] = user
        elif role in ANSWERING_ROLES:
            staff[pk] = user
    best = matches[0]
    link = f"/demands/{demand.pk}/"
    notices = [
        notifications.Notice(
            recipients=staff.values(),
            title=f"“{demand.title}”有{len(matches)}个新的匹配资源",
            body=f"{text(best)}{routed}",
            link=link,
            key=f"match:{demand.pk}:{','.join(str(m.resource_id) for m in matches)}",
        )
    ]
    for unit_id, unit_matches in by_unit.items():
        notices.append(
            notifications.Notice(
                recipients=contacts[unit_id].values(),
                title=f"贵单位的资源可对接需求“{demand.title}”",
                body=text(unit_matches[0]),
                link=link,
                key=f"match-unit:{demand.pk}:{unit_id}",
            )
        )
    notifications.notify_each(
        tenant_id=demand.tenant_id,
        event=Event.NEW_MATCH,
        notices=notices,
        committee=demand.committee,
    )


# --- many demands of one category (full pass, rescoring) --------------------------------------------------


def category_batch(tenant_id: int, category_id: int, demand_ids: Sequence[int]) -> Batch:
    places = tenant_places(tenant_id)
    lexicon, lexicon_key = lexicon_for(tenant_id, category_id)
    demand_rows = list(
        Demand.objects.filter(
            pk__ids_in=demand_ids, category_id=category_id, status=DemandStatus.PUBLISHED
        )
        .order_by("pk")
        .values_list(*DEMAND_FIELDS, *ANALYSIS_COLUMNS, "analysis__text", "analysis__worded_under")
    )
    resource_rows = list(
        eligible_resources(tenant_id, category_id)
        .order_by("pk")
        .values_list(*RESOURCE_FIELDS, *ANALYSIS_COLUMNS)
    )
    nd, nr = len(DEMAND_FIELDS), len(RESOURCE_FIELDS)
    demands = [DemandRow(*row[:nd]) for row in demand_rows]
    resources = [ResourceRow(*row[:nr]) for row in resource_rows]
    memberships = (
        Membership.objects.filter(
            tenant_id=tenant_id,
            status="active",
            unit_id__in=Resource.objects.filter(
                tenant_id=tenant_id, category_id=category_id, status=ResourceStatus.ACTIVE
            ).values("offered_by_id"),
        )
        .order_by("pk")
        .values_list("unit_id", "committee_id")
    )
    pairs = coverage_pairs(places, demands, resources, list(memberships))
    batch = Batch(tenant_id, category_id, places, demands, resources, pairs, lexicon, lexicon_key)
    batch.demand_docs, batch.demand_term_lists, batch.demand_keys, fresh_demands = read_docs(
        demands,
        [row[nd:-1] for row in demand_rows],
        lexicon,
        lexicon_key,
        places,
        lambda row, doc: doc.terms(),
    )
    batch.resource_docs, batch.resource_term_lists, batch.resource_keys, fresh_resources = (
        read_docs(
            resources,
            [row[nr:] for row in resource_rows],
            lexicon,
            lexicon_key,
            places,
            lambda row, doc: resource_terms(row, doc, lexicon),
        )
    )
    store_analyses(DemandAnalysis, fresh_demands)
    store_analyses(ResourceAnalysis, fresh_resources)
    # What a reason reads beside its own pair's texts: the vocabulary and the weights, these
    # counted from the resources' terms (the same terms, the same weights).
    batch.stats_digest = hashlib.blake2b(
        "\n".join(
            [lexicon_key[-1], *(RECORD_SEP.join(terms) for terms in batch.resource_term_lists)]
        ).encode(),
        digest_size=16,
    ).hexdigest()
    # Demands whose stored reasons were worded under this vocabulary and these weights (a
    # changed text of their own shows in each proposal's basis).
    batch.settled = {
        d.id for d, row in zip(demands, demand_rows, strict=True) if row[-1] == batch.stats_digest
    }
    batch.stats, batch.stats_key = term_stats(
        tenant_id, category_id, lexicon, lexicon_key, documents=batch.resource_term_lists
    )
    return batch


def _csr(groups: np.ndarray, values: np.ndarray, size: int):
    """Values grouped by an index below `size`: (pointers, values in group order)."""
    order = np.argsort(groups, kind="stable")
    pointers = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=size), out=pointers[1:])
    return pointers, values[order]


def _expand(pointers, values, groups: np.ndarray):
    """For each entry of `groups`, every value of its group: (entry of each, the values)."""
    counts = pointers[groups + 1] - pointers[groups]
    entry = np.repeat(np.arange(len(groups)), counts)
    firsts = np.cumsum(counts) - counts
    offsets = np.arange(int(counts.sum())) - np.repeat(firsts, counts)
    return entry, values[np.repeat(pointers[groups], counts) + offsets]


def coverage_pairs(places, demands, resources, memberships) -> Pairs:
    """Every (demand, resource) pair the tree allows, set-based: a demand's chain of
    committees (itself and its ancestors) meets the resources offered at each of them and the
    resources of units that are members of each; a resource reached both ways counts once,
    through the nearest way."""
    ids = list(places)
    index = {pid: i for i, pid in enumerate(ids)}
    place_ids = np.asarray(ids, dtype=np.int64)
    tree = np.asarray([places[p].tree_id for p in ids], dtype=np.int64)
    lft = np.asarray([places[p].lft for p in ids], dtype=np.int64)
    rght = np.asarray([places[p].rght for p in ids], dtype=np.int64)
    size = len(ids)
    site = np.asarray([index[r.committee_id] for r in resources], dtype=np.int64)
    site_ptr, site_res = _csr(site, np.arange(len(resources), dtype=np.int64), size)
    by_unit: dict[int, list[int]] = defaultdict(list)
    for i, resource in enumerate(resources):
        if resource.offered_by_id:
            by_unit[resource.offered_by_id].append(i)
    member_place, member_res = [], []
    for unit_id, committee_id in memberships:
        for r in by_unit.get(unit_id, ()):
            member_place.append(index[committee_id])
            member_res.append(r)
    member_ptr, member_res = _csr(
        np.asarray(member_place, dtype=np.int64), np.asarray(member_res, dtype=np.int64), size
    )
    chain_demand, chain_place, chain_rank = [], [], []
    chains: dict[int, list[int]] = {}
    for d, demand in enumerate(demands):
        chain = chains.get(demand.committee_id)
        if chain is None:
            chain = chains[demand.committee_id] = [
                index[p] for p in _chain_ids(demand.committee_id, places)
            ]
        chain_demand += [d] * len(chain)
        chain_place += chain
        chain_rank += range(len(chain))
    chain_demand = np.asarray(chain_demand, dtype=np.int64)
    chain_place = np.asarray(chain_place, dtype=np.int64)
    chain_rank = np.asarray(chain_rank, dtype=np.int64)
    origin = np.asarray([index[d.committee_id] for d in demands], dtype=np.int64)
    # Offered at a committee of the chain.
    entry, res_a = _expand(site_ptr, site_res, chain_place)
    dem_a, via_a = chain_demand[entry], chain_place[entry]
    rank_a, cover_a = chain_rank[entry] * 2, np.ones(len(entry), dtype=bool)
    # Offered by a member unit of a committee of the chain: covering when it stands in the
    # chain anyway, else serving through that membership.
    entry, res_b = _expand(member_ptr, member_res, chain_place)
    dem_b = chain_demand[entry]
    at, of = site[res_b], origin[dem_b]
    cover_b = (tree[at] == tree[of]) & (lft[at] <= lft[of]) & (rght[at] >= rght[of])
    via_b = np.where(cover_b, at, chain_place[entry])
    rank_b = chain_rank[entry] * 2 + 1
    demand = np.concatenate([dem_a, dem_b])
    resource = np.concatenate([res_a, res_b])
    rank = np.concatenate([rank_a, rank_b])
    order = np.lexsort((rank, resource, demand))
    demand, resource = demand[order], resource[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (demand[1:] != demand[:-1]) | (resource[1:] != resource[:-1])
    keep = order[first]
    via = place_ids[np.concatenate([via_a, via_b])[keep]]
    covering = np.concatenate([cover_a, cover_b])[keep]
    return Pairs(demand[first], resource[first], via, covering)


@contextmanager
def collector_paused() -> Iterator[None]:
    """A chunk builds hundreds of thousands of small objects that live until it ends (rows,
    documents, term lists, proposals), and Python's cycle collector walked them again and again
    while they grew: a fifth of a full pass. Reference counting frees them all the same; the
    collector runs again as usual after the chunk."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def match_demands(tenant_id: int, category_id: int, demand_ids: Sequence[int]) -> dict:
    """Recompute the proposals of many open demands of one category in one go (a chunk of the
    full pass, or rescoring after resources changed). Proposals are not notified: a pass
    refreshes what staff already heard of."""
    started = timezone.now()
    clock = time.perf_counter()
    with collector_paused():
        batch = category_batch(tenant_id, category_id, demand_ids)
        kept = score_batch(batch, word=False)
        written = write_matches(
            tenant_id, [d.id for d in batch.demands], kept, since=started, reasons=Reasons(batch)
        )
    return {
        "demands": len(batch.demands),
        "resources": len(batch.resources),
        "pairs": len(batch.pairs),
        "matches": written,
        "seconds": time.perf_counter() - clock,
    }


class Reasons:
    """How a full pass words reasons: only those it compares or writes, trusting a stored one
    whose inputs are the same and whose demand's were worded under the same weights."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.settled = batch.settled

    def word(self, rows: list[Scored]) -> None:
        word_kept(self.batch, rows)

    def settle(self, demand_ids: set[int]) -> None:
        """Every stored reason of these demands now reads as under the batch's weights."""
        DemandAnalysis.objects.filter(demand_id__ids_in=demand_ids - self.settled).update(
            worded_under=self.batch.stats_digest
        )


@transaction.atomic
def write_matches(
    tenant_id: int, demand_ids: list[int], kept: list[Scored], *, since, reasons=None
) -> int:
    """Replace the demands' proposals, writing only what changed (a periodic pass mostly finds
    what the last one left; `computed_at` is when a proposal was last written), and wording
    (`word`) only the reasons it must compare or write. A demand rematched on its own while this
    batch was being scored keeps its newer proposals."""
    if not demand_ids:
        return 0
    if connection.vendor == "postgresql":
        # Proposals are derived data the next pass rewrites: a crash may lose the last chunks'
        # (never half of one), so their commit need not wait for the disk.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    locked = {
        pk: (matched, requested)
        for pk, matched, requested in Demand.objects.select_for_update()
        .filter(pk__ids_in=demand_ids, status=DemandStatus.PUBLISHED)
        .order_by("pk")
        .values_list("pk", "matched_at", "matching_requested_at")
    }
    fresh = {pk for pk, (at, _asked) in locked.items() if at is None or at <= since}
    # Pending ones become done; a done one whose proposals stay the same is left untouched.
    touched = {
        pk
        for pk in fresh
        if locked[pk][0] is None or (locked[pk][1] is not None and locked[pk][1] > locked[pk][0])
    }
    rows = [s for s in kept if s.demand.id in fresh]
    changes = sort_out(rows, fresh, reasons)
    touched.update(s.demand.id for s in changes.written)
    touched.update(changes.emptied)
    if changes.stale:
        Match.objects.filter(pk__ids_in=changes.stale).delete()
    if connection.vendor == "postgresql":
        _copy_matches(changes.written)
    else:
        Match.objects.bulk_create([_match(s) for s in changes.written], batch_size=2000)
    rebase(changes.rebased)
    if reasons is not None:
        reasons.settle(fresh)
    if touched:
        Demand.objects.filter(pk__ids_in=touched).update(matched_at=timezone.now())
    return len(rows)


@dataclass
class Changes:
    written: list[Scored] = field(default_factory=list)  # new or changed proposals
    stale: set[int] = field(default_factory=set)  # stored proposals that go
    rebased: list[tuple[int, str]] = field(default_factory=list)  # the same, newer inputs
    emptied: set[int] = field(default_factory=set)  # demands that lost a proposal


def sort_out(rows: list[Scored], fresh: set[int], reasons: Reasons | None) -> Changes:
    """Compare the proposals with the stored ones. The same numbers with a reason worded from
    the same inputs (`basis`, and the demand's weights) are left alone unworded; the same
    numbers from other inputs are worded and compared word for word (weights that moved a
    little mostly say the same)."""
    settled = reasons.settled if reasons is not None else set()
    before = {
        (demand_id, resource_id): (pk, digest, basis)
        for pk, demand_id, resource_id, digest, basis in Match.objects.filter(
            demand_id__ids_in=fresh
        ).values_list("pk", "demand_id", "resource_id", "digest", "basis")
    }
    changes = Changes()
    doubtful = []
    for scored in rows:
        found = before.pop((scored.demand.id, scored.resource.id), None)
        if found is None:
            changes.written.append(scored)
            continue
        pk, digest, basis = found
        if digest != scored.digest:
            changes.stale.add(pk)
            changes.written.append(scored)
        elif not (scored.basis and basis == scored.basis and scored.demand.id in settled):
            doubtful.append((scored, pk, basis))
    if reasons is not None:
        reasons.word([s for s in changes.written] + [s for s, _pk, _b in doubtful])
    if doubtful:
        said = dict(
            Match.objects.filter(pk__ids_in=[pk for _s, pk, _b in doubtful]).values_list(
                "pk", "reason"
            )
        )
        for scored, pk, basis in doubtful:
            if said.get(pk) == scored.reason:
                if basis != scored.basis:
                    changes.rebased.append((pk, scored.basis))
            else:
                changes.stale.add(pk)
                changes.written.append(scored)
    changes.stale.update(pk for pk, _digest, _basis in before.values())
    changes.emptied = {demand_id for demand_id, _resource in before}
    return changes


def rebase(rows: list[tuple[int, str]]) -> None:
    """Store the newer inputs of proposals that read the same (so the next pass need not word
    them again)."""
    rows = [(pk, basis) for pk, basis in rows if basis]
    if not rows:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Match._meta.db_table} AS m SET basis = u.basis "
                "FROM unnest(%s::bigint[], %s::text[]) AS u(id, basis) WHERE m.id = u.id",
                [[pk for pk, _b in rows], [b for _pk, b in rows]],
            )
        return
    Match.objects.bulk_update([Match(pk=pk, basis=b) for pk, b in rows], ["basis"], batch_size=500)


def _copy_matches(rows: list[Scored]) -> None:
    def clean(text: str) -> str:
        # As written, so that a reason compared word for word with its stored one can be equal.
        return text.translate(COPY_ESCAPES)

    now = timezone.now().isoformat()
    buffer = io.StringIO()
    for s in rows:
        buffer.write(
            f"{s.demand.tenant_id}\t{s.demand.id}\t{s.resource.id}\t{s.score!r}\t"
            f"{clean(json.dumps(s.components, ensure_ascii=False))}\t{clean(s.reason)}\t"
            f"{s.rank}\t{now}\t{s.digest}\t{s.basis}\n"
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {Match._meta.db_table} (tenant_id, demand_id, resource_id, score, components, "
            "reason, rank, computed_at, digest, basis) FROM STDIN",
            buffer,
        )


def _open_demands(tenant_id: int):
    return Demand.objects.filter(tenant_id=tenant_id, status=DemandStatus.PUBLISHED)


def open_categories(tenant_id: int) -> list[int]:
    return sorted(set(_open_demands(tenant_id).values_list("category_id", flat=True)))


def next_chunk(tenant_id: int, category_id: int, *, after: int = 0) -> list[int]:
    """The next chunk of a category's open demands, by id."""
    return list(
        _open_demands(tenant_id)
        .filter(category_id=category_id, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:CHUNK_DEMANDS]
    )


def full_pass_plan(tenant_id: int, *, fraction: float = 1.0) -> list[tuple[int, list[int]]]:
    """The open demands of a tenant in chunks: one category each (its resources read once),
    at most CHUNK_DEMANDS demands a chunk, as the tasks run them. `fraction` takes the first
    part of each category (the benchmark's quarter and half)."""
    by_category: dict[int, list[int]] = defaultdict(list)
    for pk, category_id in _open_demands(tenant_id).order_by("pk").values_list("pk", "category_id"):
        by_category[category_id].append(pk)
    plan = []
    for category_id, ids in sorted(by_category.items()):
        ids = ids[: max(1, round(len(ids) * fraction))] if fraction < 1 else ids
        for start in range(0, len(ids), CHUNK_DEMANDS):
            plan.append((category_id, ids[start : start + CHUNK_DEMANDS]))
    return plan


def drop_closed_matches(tenant_id: int) -> int:
    """Proposals of demands no longer open go (a missed incremental run leaves none behind)."""
    deleted, _ = (
        Match.objects.filter(tenant_id=tenant_id)
        .exclude(demand__status=DemandStatus.PUBLISHED)
        .delete()
    )
    # Their texts will not be matched again (one reopened is simply read afresh).
    DemandAnalysis.objects.filter(demand__tenant_id=tenant_id).exclude(
        demand__status=DemandStatus.PUBLISHED
    ).delete()
    return deleted


def full_pass(tenant_id: int, *, fraction: float = 1.0) -> dict:
    """The periodic full pass of one tenant, run here chunk after chunk (the beat task runs the
    same chunks as separate tasks, so another tenant's incremental matching never waits for a
    whole pass)."""
    clock = time.perf_counter()
    totals = {"demands": 0, "resources": 0, "matches": 0, "pairs": 0, "chunks": 0, "slowest": 0.0}
    drop_closed_matches(tenant_id)
    for category_id, ids in full_pass_plan(tenant_id, fraction=fraction):
        result = match_demands(tenant_id, category_id, ids)
        for name in ("demands", "resources", "matches", "pairs"):
            totals[name] += result[name]
        totals["chunks"] += 1
        totals["slowest"] = max(totals["slowest"], result["seconds"])
    totals["seconds"] = time.perf_counter() - clock
    logger.info(
        "full matching pass of tenant %s: %s demands, %s resources, %s pairs, %s matches in "
        "%.1fs (%s chunks, the slowest %.2fs)",
        tenant_id,
        totals["demands"],
        totals["resources"],
        totals["pairs"],
        totals["matches"],
        totals["seconds"],
        totals["chunks"],
        totals["slowest"],
    )
    return totals


# --- resources changing --------------------------------------------------------------------------------


def drop_unavailable(resource_ids: Sequence[int]) -> list[int]:
    """Proposals of resources that are paused, withdrawn, used up or expired go at once (before
    any rescoring runs); returns the demands that lost one, now pending their rescoring."""
    gone = Resource.objects.filter(pk__in=list(resource_ids)).filter(
        ~Q(status=ResourceStatus.ACTIVE)
        | Q(remaining__lte=0)
        | Q(available_until__lt=timezone.localdate())
    )
    matches = Match.objects.filter(resource_id__in=gone.values("pk"))
    demand_ids = sorted(set(matches.values_list("demand_id", flat=True)))
    if demand_ids:
        matches.delete()
        mark_pending(demand_ids)
    return demand_ids


def on_resources_changed(sender, *, tenant_id: int, resource_ids: list[int], **kwargs) -> None:
    """Receiver of `resources.signals.resources_changed` (after commit): a resource no longer
    available leaves every proposal now; rescoring follows through the demands room's other
    receiver."""
    drop_unavailable(resource_ids)


def match_resource(resource_id: int) -> int:
    """A new or changed resource: rescore the open demands it could serve, set-based, a
    category's chunk at a time. Returns how many demands were rescored."""
    resource = Resource.objects.select_related("committee").filter(pk=resource_id).first()
    if resource is None:
        return 0
    site = resource.committee
    served = Q(
        committee__tree_id=site.tree_id,
        committee__lft__range=(site.lft, site.rght),
    )
    if resource.offered_by_id:
        member_of = Committee.objects.filter(
            memberships__unit_id=resource.offered_by_id, memberships__status="active"
        ).values_list("tree_id", "lft", "rght")
        for tree_id, lft, rght in member_of:
            served |= Q(committee__tree_id=tree_id, committee__lft__range=(lft, rght))
    demand_ids = list(
        Demand.objects.filter(
            tenant_id=resource.tenant_id,
            category_id=resource.category_id,
            status=DemandStatus.PUBLISHED,
        )
        .filter(served)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(demand_ids), CHUNK_DEMANDS):
        match_demands(
            resource.tenant_id, resource.category_id, demand_ids[start : start + CHUNK_DEMANDS]
        )
    return len(demand_ids)


# --- matching state -------------------------------------------------------------------------------------


def mark_pending(demand_ids: Iterable[int]) -> None:
    """Matching of these demands is asked for: the API says "pending" until it has run."""
    Demand.objects.filter(pk__in=list(demand_ids)).update(matching_requested_at=timezone.now())


class MatchingState:
    PENDING = "pending"
    DONE = "done"
    CLOSED = "closed"


def matching_state(demand: Demand) -> str:
    """ "closed" for a demand that is not open (no matching runs for it), "pending" while its
    matching has been asked for and not yet run, else "done"."""
    if demand.status != DemandStatus.PUBLISHED:
        return MatchingState.CLOSED
    if demand.matched_at is None:
        return MatchingState.PENDING
    if demand.matching_requested_at and demand.matching_requested_at > demand.matched_at:
        return MatchingState.PENDING
    return MatchingState.DONE


# --- explaining a pair ----------------------------------------------------------------------------


@dataclass
class Explanation:
    """Why a resource is (or is not) proposed for a demand, beside what is proposed: scored now,
    against the resources as they are."""

    demand: Demand
    resource: Resource | None  # None: only what is proposed and every candidate
    scored: Scored | None  # the pair's scoring when the resource is a candidate
    candidates: list[Scored]  # every candidate, best first
    why_not: list[str]  # empty when it is proposed

    @property
    def proposed(self) -> list[Scored]:
        return [s for s in self.candidates if s.proposed]

    @property
    def verdict(self) -> str:
        if self.resource is None:
            return ""
        if self.scored is not None and self.scored.proposed:
            return f"已推荐，排第{self.scored.rank}位。"
        return "未推荐：" + "；".join(self.why_not) + "。"


def explainable_resource(user, demand: Demand, resource_id) -> Resource | None:
    """A resource of the demand's tenant the user may ask about: one they see, or one the tree
    lets serve the demand (a district's resource serving a community). None otherwise."""
    resource = (
        Resource.objects.select_related("category", "committee", "offered_by")
        .filter(pk=resource_id, tenant_id=demand.tenant_id)
        .first()
    )
    if resource is None:
        return None
    if Resource.objects.visible_to(user).filter(pk=resource.pk).exists():
        return resource
    return resource if _reaches(resource, demand) else None


def _reaches(resource: Resource, demand: Demand) -> bool:
    origin, site = demand.committee, resource.committee
    if site.tree_id == origin.tree_id and site.lft <= origin.lft and site.rght >= origin.rght:
        return True
    return bool(
        resource.offered_by_id
        and Membership.objects.filter(
            unit_id=resource.offered_by_id,
            status="active",
            committee_id__in=in_chains([origin.pk]),
        ).exists()
    )


def explain(*, user, demand: Demand, resource: Resource | None = None) -> Explanation:
    """Score a demand's candidates now and say where the resource stands: proposed and at which
    rank, or every reason it is not (another category, paused, used up, out of coverage, no
    relevant content, below the first TOP_MATCHES)."""
    from django.core.exceptions import PermissionDenied

    if not policies.may_explain(user, demand):
        raise PermissionDenied
    candidates = rank_demand(demand.pk) if demand.status == DemandStatus.PUBLISHED else []
    if resource is None:
        return Explanation(demand, None, None, candidates, [])
    scored = next((s for s in candidates if s.resource.id == resource.pk), None)
    return Explanation(demand, resource, scored, candidates, _why_not(demand, resource, scored))


def _why_not(demand: Demand, resource: Resource, scored: Scored | None) -> list[str]:
    why_not: list[str] = []
    if demand.status != DemandStatus.PUBLISHED:
        why_not.append(f"需求当前为“{demand.get_status_display()}”，只有已发布的需求参与匹配")
    if resource.category_id != demand.category_id:
        why_not.append(
            f"资源属于“{resource.category.name}”类别，需求属于“{demand.category.name}”类别，"
            "只在同一类别内匹配"
        )
    if resource.status != ResourceStatus.ACTIVE:
        why_not.append(f"资源{resource.get_status_display()}")
    if resource.remaining <= 0:
        why_not.append("资源已无剩余")
    if resource.available_until and resource.available_until < timezone.localdate():
        why_not.append(f"资源可用期已于{_date(resource.available_until)}结束")
    if not _reaches(resource, demand):
        member = (
            f"，提供单位{resource.offered_by.name}也不是{demand.committee.name}"
            "所在各级协调委员会的成员"
            if resource.offered_by_id
            else ""
        )
        why_not.append(
            f"资源由{resource.committee.name}提供，服务范围不含{demand.committee.name}{member}"
        )
    if scored is not None and not scored.proposed:
        if scored.components["text"] < MIN_TEXT:
            why_not.append(
                f"同类别，内容不相关（内容相近{round(scored.components['text'] * 100)}%，"
                f"低于推荐线{round(MIN_TEXT * 100)}%）"
            )
        else:
            why_not.append(f"排在第{scored.rank}位，只推荐前{TOP_MATCHES}位")
    return why_not
