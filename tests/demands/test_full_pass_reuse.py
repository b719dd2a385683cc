"""What a full pass keeps from the last one: the texts' analyses (read again only when a text,
its places or the vocabulary change) and the reasons (worded again only when what they are
worded from changes, and rewritten only when their words do)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from categories.models import ThesaurusEntry
from demands import matching, relevance
from demands.models import DemandAnalysis, Match, ResourceAnalysis
from resources.models import Resource

from . import factories as f


@pytest.fixture
def city(world):
    """Two demands and three resources of one category, matched once by a full pass."""
    f.resource(world.street, world.street_staff, title="老年餐桌", description="为老人助餐送餐")
    f.resource(world.district, world.tenant_admin, title="助浴服务", description="上门为老人助浴")
    f.resource(world.street, world.street_staff, title="社区食堂", description="老人就餐优惠")
    f.demand(
        world.community, world.community_staff, title="老人吃饭难", description="独居老人吃饭难"
    )
    f.demand(
        world.community, world.community_staff, title="老人洗澡难", description="卧床老人洗澡难"
    )
    matching.full_pass(world.city.tenant_id)
    return world


@pytest.fixture
def counted(monkeypatch):
    """How many texts are analysed and reasons worded from here on."""
    calls = {"analyze": 0, "word": 0}
    analyze, word = relevance.analyze, matching.word_reason

    def counting_analyze(*args, **kwargs):
        calls["analyze"] += 1
        return analyze(*args, **kwargs)

    def counting_word(*args, **kwargs):
        calls["word"] += 1
        return word(*args, **kwargs)

    monkeypatch.setattr(relevance, "analyze", counting_analyze)
    monkeypatch.setattr(matching, "word_reason", counting_word)
    return calls


def stored_matches() -> list[tuple]:
    return list(
        Match.objects.order_by("pk").values_list("pk", "resource_id", "score", "reason", "basis")
    )


@pytest.mark.django_db
class TestStoredAnalyses:
    def test_a_pass_stores_what_it_read(self, city):
        assert DemandAnalysis.objects.count() == 2
        assert ResourceAnalysis.objects.count() == 3
        stored = DemandAnalysis.objects.get(demand__title="老人洗澡难")
        assert "洗澡" in stored.text and stored.terms

    def test_the_next_pass_reads_no_text_and_words_no_reason(self, city, counted):
        before = stored_matches()
        matching.full_pass(city.city.tenant_id)
        assert counted == {"analyze": 0, "word": 0}
        assert stored_matches() == before

    def test_an_edited_text_is_read_afresh_and_only_it(self, city, counted):
        meals = Resource.objects.get(title="老年餐桌")
        old_key = ResourceAnalysis.objects.get(resource=meals).key
        Resource.objects.filter(pk=meals.pk).update(description="为老人助餐送餐，也送到家")
        matching.full_pass(city.city.tenant_id)
        assert counted["analyze"] == 1
        assert ResourceAnalysis.objects.get(resource=meals).key != old_key

    def test_a_new_thesaurus_entry_reads_every_text_afresh(self, city, counted):
        ThesaurusEntry.objects.create(tenant=city.city.tenant, headword="送餐", synonyms="送饭")
        matching.full_pass(city.city.tenant_id)
        assert counted["analyze"] == 5

    def test_what_the_stored_analysis_gives_is_what_reading_gives(self, city):
        lexicon, key = matching.lexicon_for(
            city.city.tenant_id, Resource.objects.first().category_id
        )
        for stored in DemandAnalysis.objects.select_related("demand"):
            demand = stored.demand
            read = relevance.analyze(
                f"{demand.title} {demand.description}",
                lexicon,
                matching.chain_names(demand.committee_id, matching.tenant_places(demand.tenant_id)),
            )
            again = matching.stored_doc(stored.concepts, stored.bigrams, stored.text, lexicon)
            assert again == read
            assert stored.terms.split(matching.RECORD_SEP) == read.terms()

    def test_a_headword_holding_a_separator_is_read_every_time(self):
        for head in ("助\x1e餐", "助\x1f餐"):
            doc = relevance.Doc({head: "助餐"}, frozenset(), "")
            assert matching.stored_fields(doc, [f"@{head}"]) is None
        doc = relevance.Doc({"助餐": "吃饭", "老人": "老人"}, frozenset({"送餐"}), "")
        assert matching.stored_fields(doc, ["@助餐", "@老人", "送餐"]) == (
            "@助餐\x1e@老人\x1e送餐",
            "助餐\x1f吃饭\x1e老人\x1f老人",
            "送餐",
        )

    def test_texts_with_tabs_and_backslashes_are_stored_as_they_are(self, world, counted):
        f.resource(
            world.street, world.street_staff, title="老年餐桌", description="助餐\t送餐\\上门\n服务"
        )
        f.demand(
            world.community, world.community_staff, title="老人吃饭", description="助餐\t难\\n"
        )
        matching.full_pass(world.city.tenant_id)
        stored = DemandAnalysis.objects.get()
        assert stored.text == "老人吃饭 助餐\t难\\n"
        counted["analyze"] = 0
        matching.full_pass(world.city.tenant_id)
        assert counted["analyze"] == 0

    def test_closed_demands_lose_their_analyses(self, city):
        demand = DemandAnalysis.objects.get(demand__title="老人洗澡难").demand
        demand.status = "closed"
        demand.save(update_fields=["status"])
        matching.full_pass(city.city.tenant_id)
        assert not DemandAnalysis.objects.filter(demand=demand).exists()


@pytest.mark.django_db
class TestReasonsKept:
    def test_reasons_worded_under_other_weights_are_worded_again_and_kept(self, city, counted):
        before = stored_matches()
        assert before
        weights = set(DemandAnalysis.objects.values_list("worded_under", flat=True))
        assert len(weights) == 1 and "" not in weights
        # As after weights that moved (a resource offered or edited since): nothing says the
        # stored reasons still read as they would now.
        DemandAnalysis.objects.update(worded_under="older")
        matching.full_pass(city.city.tenant_id)
        assert counted["word"] == len(before)
        assert stored_matches() == before  # the same words: the rows stay as they were
        assert set(DemandAnalysis.objects.values_list("worded_under", flat=True)) == weights
        counted["word"] = 0
        matching.full_pass(city.city.tenant_id)
        assert counted["word"] == 0

    def test_a_new_resource_words_every_reason_of_its_category_again(self, city, counted):
        # Offering it rescores the category's open demands at once (the same chunks a pass
        # runs); its weights are new, so every reason is worded again there.
        f.resource(city.street, city.street_staff, title="理发服务", description="上门理发")
        assert counted["word"] >= Match.objects.count() > 0
        counted["word"] = 0
        matching.full_pass(city.city.tenant_id)
        assert counted["word"] == 0

    def test_a_reason_worded_otherwise_is_rewritten(self, city, counted, monkeypatch):
        monkeypatch.setattr(matching, "REASONS_VERSION", "test")
        word = matching.word_reason
        monkeypatch.setattr(matching, "word_reason", lambda *a: "新说法：" + word(*a))
        matching.full_pass(city.city.tenant_id)
        reasons = list(Match.objects.values_list("reason", flat=True))
        assert reasons and all(reason.startswith("新说法：") for reason in reasons)

    def test_the_same_words_under_a_new_version_keep_their_row(self, city, monkeypatch):
        before = {pk: basis for pk, _r, _s, _w, basis in stored_matches()}
        assert before
        monkeypatch.setattr(matching, "REASONS_VERSION", "test")
        matching.full_pass(city.city.tenant_id)
        after = {pk: basis for pk, _r, _s, _w, basis in stored_matches()}
        assert after.keys() == before.keys()
        assert all(after[pk] != before[pk] for pk in before)  # the newer inputs stored

    def test_a_pass_with_nothing_to_word_takes_a_fixed_number_of_queries(self, city):
        with CaptureQueriesContext(connection) as few:
            matching.full_pass(city.city.tenant_id)
        for n in range(4):
            f.demand(
                city.community, city.community_staff, title=f"老人助餐{n}", description="老人吃饭难"
            )
        matching.full_pass(city.city.tenant_id)
        with CaptureQueriesContext(connection) as many:
            matching.full_pass(city.city.tenant_id)
        assert len(many.captured_queries) == len(few.captured_queries)


def test_place_names_of_one_length_come_in_one_order_whatever_the_input():
    names = ["东华门街道", "景山街道", "甲乙社区", "乙丙社区"]
    assert relevance.place_names(names) == relevance.place_names(list(reversed(names)))
    same_length = [n for n in relevance.place_names(names) if len(n) == 4]
    assert same_length == sorted(same_length)


@pytest.mark.django_db
def test_a_reason_with_a_tab_is_stored_as_worded_and_left_alone(city, monkeypatch):
    """COPY writes a reason exactly as worded, so the next pass finds it equal, not changed."""
    monkeypatch.setattr(matching, "REASONS_VERSION", "tab")
    word = matching.word_reason
    monkeypatch.setattr(matching, "word_reason", lambda *a: word(*a) + "\t另行\\说明")
    matching.full_pass(city.city.tenant_id)
    before = stored_matches()
    assert before and all(reason.endswith("\t另行\\说明") for _p, _r, _s, reason, _b in before)
    DemandAnalysis.objects.update(worded_under="older")  # worded again, compared word for word
    matching.full_pass(city.city.tenant_id)
    assert stored_matches() == before
