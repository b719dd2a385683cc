"""What a text is about, for the matching engine: concepts from the tenant's thesaurus, character
bigrams for everything else, weighted so that what is common to a whole category counts little.

- A *lexicon* is the tenant's thesaurus (同义词库: a headword, the words that mean the same on the
  lists, related words) plus the words of its category keywords and the built-in domain words.
  Every word of it found in a text stands for its headword: 洗澡 and 助浴 are one concept, @助浴.
- *Bigrams* (every two adjacent characters) catch what no lexicon lists: 血压, 扶手, 收音(机).
  PostgreSQL's full-text search does not segment Chinese, and jieba costs half a millisecond a
  text, more than scoring a demand against all its candidates; bigrams cost a few microseconds.
- Place names are taken out before anything is read: the names (and short names) of the
  committees where the text arose, so "南苑北里高龄老人吃饭难" is about 高龄老人 and 吃饭, never
  about 南苑. A word common to every list (社区, 居民, 需要) is no evidence at all.
- *Weights*: a term's weight is its kind's factor times its inverse document frequency among the
  category's active resources, so 老人 in 养老服务 (every resource mentions them) counts for
  little while 助浴 counts a lot. Relevance is the cosine of the two weighted term sets, a
  demand's concepts also reaching their related concepts at half weight.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DOMAIN_WORDS = Path(__file__).resolve().parent / "data" / "domain_dict.txt"
CONCEPT = "@"
TARGET = "@@"
CONCEPT_FACTOR = 1.0
BIGRAM_FACTOR = 0.4
TARGET_FACTOR = 0.4  # who a need is for (老人, 孩子) says less than what is needed
RELATED_FACTOR = 0.5
MIN_IDF = 0.05
PRIOR_DOCUMENTS = 10
PRIOR_RATE = 0.1
MAX_WORD = 12
SPLIT = re.compile(r"[\W_]+", re.UNICODE)
PLACE_SUFFIXES = (
    "社区居民委员会",
    "村民委员会",
    "社区居委会",
    "居委会",
    "村委会",
    "街道办事处",
    "街道",
    "社区",
    "地区",
    "新区",
    "区",
    "市",
    "村",
    "镇",
    "乡",
)

COMMON_WORDS = Path(__file__).resolve().parent / "data" / "common_words.txt"


def _common_words() -> frozenset[str]:
    words = set()
    for line in COMMON_WORDS.read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].split())
    return frozenset(words)


# Two-character runs that say nothing about what is needed or offered, whatever the category.
STOP = _common_words()


@lru_cache(maxsize=50_000)
def short_place_name(name: str) -> str:
    """南苑北里社区 → 南苑北里, 南苑街道 → 南苑, 丰台区 → 丰台: how texts usually name a place."""
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def place_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names to take out of a text, longest first (南苑北里社区 before 南苑), names of one
    length in their own order: a set's order changes from one process to the next, and so
    would the reading of a text holding two overlapping names."""
    found = set()
    for name in names:
        if name:
            found.add(name)
            found.add(short_place_name(name))
    return tuple(sorted((n for n in found if len(n) >= 2), key=lambda n: (-len(n), n)))


def pieces_of(names: Iterable[str]) -> frozenset[str]:
    """Every run of two or more characters of these names: none may be given as a keyword."""
    pieces = set()
    for name in names:
        short = short_place_name(name)
        for i in range(len(short)):
            for j in range(i + 2, len(short) + 1):
                pieces.add(short[i:j])
    return frozenset(pieces)


@lru_cache(maxsize=1)
def domain_words() -> tuple[str, ...]:
    """Built-in words of the field (one a line, jieba's user-dictionary format)."""
    words = []
    for line in DOMAIN_WORDS.read_text(encoding="utf-8").splitlines():
        word = line.split(" ", 1)[0].strip()
        if len(word) >= 2:
            words.append(word)
    return tuple(words)


# --- the lexicon ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One thesaurus entry as the engine reads it."""

    headword: str
    synonyms: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    is_target: bool = False


@dataclass
class Lexicon:
    """Words to look for in a text, each standing for its concept (a headword)."""

    concept_of: dict[str, str]
    related: dict[str, tuple[str, ...]]  # sorted
    targets: frozenset[str] = frozenset()  # headwords saying who a need is for
    # The words (and their concepts) beginning with each two characters, longest first: a text
    # is read two characters at a time, and only where a word can begin is a word looked for.
    words_at: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    # Every concept's term (@助餐, @@老年人), worked out once rather than for every text.
    key_of: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        words_at: dict[str, list[tuple[str, str]]] = {}
        for word, head in self.concept_of.items():
            if len(word) >= 2:  # a text is read in pairs: a single character is never found
                words_at.setdefault(word[:2], []).append((word, head))
        self.words_at = {
            pair: tuple(sorted(words, key=lambda item: len(item[0]), reverse=True))
            for pair, words in words_at.items()
        }
        heads = set(self.concept_of.values()) | {
            o for others in self.related.values() for o in others
        }
        self.key_of = {head: self.key(head) for head in heads | set(self.related)}

    @classmethod
    def build(cls, entries: Sequence[Entry], extra_words: Iterable[str] = ()) -> Lexicon:
        concept_of: dict[str, str] = {}
        related: dict[str, set[str]] = {}
        for entry in entries:
            for word in (entry.headword, *entry.synonyms):
                concept_of.setdefault(word.lower(), entry.headword)
        for entry in entries:
            for word in entry.related:
                other = concept_of.setdefault(word.lower(), word)
                if other != entry.headword:
                    related.setdefault(entry.headword, set()).add(other)
                    related.setdefault(other, set()).add(entry.headword)
        for word in extra_words:
            if 2 <= len(word) <= MAX_WORD:
                concept_of.setdefault(word.lower(), word)
        targets = frozenset(e.headword for e in entries if e.is_target)
        return cls(concept_of, {k: tuple(sorted(v)) for k, v in related.items()}, targets)

    def key(self, head: str) -> str:
        """A concept's term: @助餐, or @@老年人 for one saying who a need is for."""
        return (TARGET if head in self.targets else CONCEPT) + head


@dataclass
class Doc:
    """What a text is about: its concepts (headword → the word the text used) and bigrams."""

    concepts: dict[str, str]
    bigrams: frozenset[str]
    text: str  # the text with its places taken out, for wording a reason
    keys: dict[str, str] = field(default_factory=dict)  # headword → its term

    def terms(self) -> list[str]:
        return list(self.keys.values()) + sorted(self.bigrams)


def analyze(text: str, lexicon: Lexicon, places: Sequence[str] = ()) -> Doc:
    """A text's concepts and bigrams. A bigram inside words the lexicon knows says nothing the
    concept does not ("电动自行车" is @电动自行车, not also 自行 and 行车, so a stolen 自行车 is
    not a fire-safety matter).

    Wherever a word can begin (inside a word found before too: 自行车 inside 电动自行车 is a
    concept of its own) the longest word the text has there is taken, and a concept keeps the
    first word the text used for it."""
    text = (text or "").lower()
    for name in places:
        if name in text:
            text = text.replace(name, " ")
    concepts: dict[str, str] = {}
    grams: set[str] = set()
    words_at = lexicon.words_at
    for segment in SPLIT.split(text):
        if len(segment) >= 2:
            _read_segment(segment, words_at, concepts, grams)
    key_of = lexicon.key_of
    return Doc(concepts, frozenset(grams - STOP), text, {head: key_of[head] for head in concepts})


def _read_segment(segment: str, words_at, concepts: dict[str, str], grams: set[str]) -> None:
    """One run of characters between punctuation or spaces: its concepts into `concepts`, and
    into `grams` its bigrams but those lying wholly inside words it has. Read once, as the list
    of its pairs of adjacent characters (made in C: slicing in a comprehension costs half as
    much again), a word looked for only where one begins."""
    pairs = list(map(operator.add, segment, segment[1:]))
    # The stretches covered by words, [start, end), those overlapping or touching merged.
    covered: list[list[int]] = []
    for i, pair in enumerate(pairs):
        words = words_at.get(pair)
        if words is None:
            continue
        for word, head in words:  # longest first
            if segment.startswith(word, i):
                if head not in concepts:
                    concepts[head] = word
                end = i + len(word)
                if covered and i <= covered[-1][1]:
                    covered[-1][1] = max(covered[-1][1], end)
                else:
                    covered.append([i, end])
                break
    start = 0
    for first, end in covered:
        grams.update(pairs[start:first])
        start = end - 1  # the pair of a stretch's last character and the next one counts
    grams.update(pairs[start:])


# --- weights ---------------------------------------------------------------------------------------


@dataclass
class TermStats:
    """How many of a category's active resources carry each term."""

    documents: int
    frequency: dict[str, int]
    weights: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def count(cls, term_lists: Iterable[Iterable[str]]) -> TermStats:
        frequency: dict[str, int] = {}
        documents = 0
        for terms in term_lists:
            documents += 1
            for term in terms:
                frequency[term] = frequency.get(term, 0) + 1
        return cls(documents, frequency)

    def knows(self, term: str) -> bool:
        return term in self.frequency

    def idf(self, term: str) -> float:
        """Inverse document frequency, smoothed towards a prior of PRIOR_DOCUMENTS imagined
        resources carrying any term at PRIOR_RATE: a category of three resources says little
        about which words are common, one of three thousand says a lot."""
        frequency = self.frequency.get(term, 0) + PRIOR_DOCUMENTS * PRIOR_RATE
        return max(MIN_IDF, -math.log(frequency / (self.documents + PRIOR_DOCUMENTS)))

    def weight(self, term: str) -> float:
        """The term's kind factor times its idf, computed once."""
        found = self.weights.get(term)
        if found is None:
            found = self.weights[term] = factor(term) * self.idf(term)
        return found


def factor(term: str) -> float:
    if term.startswith(TARGET):
        return TARGET_FACTOR
    return CONCEPT_FACTOR if term.startswith(CONCEPT) else BIGRAM_FACTOR


Vector = dict[str, float]


def demand_vector(terms: Sequence[str], stats: TermStats, lexicon: Lexicon) -> Vector:
    """The demand's terms that some resource of the category carries (a word nobody offers is
    evidence for no candidate, so it does not dilute the others), normalised; then the
    concepts related to its concepts, at half weight (they add evidence, they do not make a
    demand say more)."""
    known = [t for t in terms if t in stats.frequency]
    weights = {t: stats.weight(t) for t in known}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    if not norm:
        return {}
    vector = {t: w / norm for t, w in weights.items()}
    for term in known:
        # What is needed reaches related needs; who it is for reaches nothing (老人 relates to
        # every elderly service, so it would lift them all alike).
        if term.startswith(CONCEPT) and not term.startswith(TARGET):
            for other in lexicon.related.get(term.lstrip(CONCEPT), ()):
                key = lexicon.key(other)
                if key not in vector and not key.startswith(TARGET) and stats.knows(key):
                    vector[key] = RELATED_FACTOR * stats.weight(key) / norm
    return vector


def similarity(demand: Vector, resource: Vector) -> float:
    """The reference scoring of one pair (the full pass computes the same sums in bulk, in the
    same order: the demand's terms as they are listed)."""
    total = 0.0
    for term, weight in demand.items():
        other = resource.get(term)
        if other is not None:
            total += weight * other
    return total


# --- words for a reason ----------------------------------------------------------------------------


def shared_words(
    demand: Doc,
    resource: Doc,
    demand_vec: Vector,
    resource_terms: frozenset[str],
    stats: TermStats,
    lexicon: Lexicon,
    forbidden: frozenset[str],
    limit: int = 4,
) -> list[str]:
    """The words a staff member would name for why they match, heaviest first: the concepts
    both say (助浴, with the demand's own word when it differs: 助浴（需求说“洗澡”）), related
    concepts, then runs of shared characters (血压). Never a piece of a place name (`forbidden`
    holds every run of two or more characters of the places' names, so a word is refused when
    any two of its adjacent characters are one), never a word common to every list."""

    own = _demand_words(demand, demand_vec, stats, lexicon)
    # (minus the weight to nine places, label): sorted as they are, heaviest first and equal
    # weights (to the float noise of a sum) in the words' own order, so the same texts give the
    # same keywords every time, whatever order the sets were read in.
    scored: list[tuple[float, str]] = []
    shown: list[str] = []
    offered_by = resource.concepts
    for head, said, key, weight in own.concepts:
        if key not in resource_terms:
            continue
        offered = offered_by.get(head, head)
        if _allowed(offered, forbidden) and _allowed(said, forbidden):
            scored.append((weight, offered if said == offered else f"{offered}（需求说“{said}”）"))
            shown += (said, offered)
    for other, said, key, weight in own.related:
        if key not in resource_terms or other in shown:
            continue
        offered = offered_by.get(other, other)
        if _allowed(offered, forbidden):
            scored.append((weight, f"{offered}（与“{said}”相关）"))
            shown.append(other)
    gram_weight = own.gram_weight
    for word in runs_of(demand.text, demand.bigrams & resource.bigrams):
        if any(word in s or s in word for s in shown) or not _allowed(word, forbidden):
            continue
        # Every pair of a run is a shared bigram, so one of the demand's.
        total = sum(gram_weight[g] for g in map(operator.add, word, word[1:]))
        scored.append((-round(total, 9), word))
        shown.append(word)
    scored.sort()
    return [label for _weight, label in scored[:limit]]


@dataclass(frozen=True)
class DemandWords:
    """What naming the shared words needs of the demand alone, the same for all its candidates
    (a demand is worded against about five)."""

    # (headword, the word the demand used, its term, minus its weight to nine places)
    concepts: tuple[tuple[str, str, str, float], ...]
    # (related headword, the demand's word it relates to, its term, minus its weight...): the
    # related concepts the demand does not say itself, in the order they are named.
    related: tuple[tuple[str, str, str, float], ...]
    gram_weight: dict[str, float]  # each bigram's weight in the demand's vector


# The last demand worded, with what it was worded under: score_batch words each demand's kept
# matches one after another. Held (not just its id) so that an identity cannot be reused.
_last_demand: tuple = ()


def _demand_words(
    demand: Doc, demand_vec: Vector, stats: TermStats, lexicon: Lexicon
) -> DemandWords:
    global _last_demand
    last = _last_demand  # one read: another thread may replace it meanwhile
    if (
        last
        and last[0] is demand
        and last[1] is demand_vec
        and last[2] is stats
        and last[3] is lexicon
    ):
        return last[4]
    weight, key_of, related = stats.weight, lexicon.key_of, lexicon.related

    def weighed(key: str) -> float:
        return -round(demand_vec.get(key, 0.0) * weight(key), 9)

    found = DemandWords(
        tuple(
            (head, said, demand.keys[head], weighed(demand.keys[head]))
            for head, said in demand.concepts.items()
        ),
        tuple(
            (other, said, key_of[other], weighed(key_of[other]))
            for head, said in demand.concepts.items()
            for other in related.get(head, ())
            if other not in demand.concepts
        ),
        {g: demand_vec.get(g, 0.0) * weight(g) for g in demand.bigrams},
    )
    _last_demand = (demand, demand_vec, stats, lexicon, found)
    return found


@lru_cache(maxsize=200_000)
def _allowed(word: str, forbidden: frozenset[str]) -> bool:
    """A word may be named unless it is common to every list or holds a piece of a place name.
    Asked for the same words under the same places again and again (a street's resources for
    each of its demands): a set's hash is kept with it, so the cache costs little to ask."""
    if word in STOP:
        return False
    return forbidden.isdisjoint([word[i : i + 2] for i in range(len(word) - 1)])


def runs_of(text: str, bigrams: frozenset[str]) -> list[str]:
    """Maximal runs of the text whose every two adjacent characters are shared bigrams (found
    from the shared bigrams' places, so the cost is theirs, not the text's)."""
    if not bigrams:
        return []
    starts: set[int] = set()
    for gram in bigrams:
        at = text.find(gram)
        while at >= 0:
            starts.add(at)
            at = text.find(gram, at + 1)
    words: list[str] = []
    run_start = previous = None
    for at in sorted(starts):
        if previous is not None and at == previous + 1:
            previous = at
            continue
        if run_start is not None:
            words.append(text[run_start : previous + 2])
        run_start = previous = at
    if run_start is not None:
        words.append(text[run_start : previous + 2])
    return list(dict.fromkeys(words))
