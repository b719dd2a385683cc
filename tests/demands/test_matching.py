"""The matching engine: relevance before distance, the thesaurus, no proposal without relevant
content, what staff decided before, reasons without place names, a withdrawn resource leaving at
once, and the full pass proposing what one demand at a time does."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from categories import thesaurus
from categories.models import ThesaurusEntry
from demands import matching, relevance, tasks
from demands.models import Claim, ClaimDirection, ClaimStatus, Demand, DemandStatus, Match
from resources import services as resource_services

from ..members import factories as mf
from . import factories as f

ACTORS = {
    "community": "community_staff",
    "community2": "street_staff",
    "street": "street_staff",
    "district": "tenant_admin",
    "sibling_street": "sibling_staff",
    "sibling_community": "sibling_staff",
}


def offer(world, where: str, title: str, description: str, **fields):
    """A resource offered at `where` by the staff of that place."""
    committee, actor = getattr(world, where), getattr(world, ACTORS[where])
    return f.resource(committee, actor, title=title, description=description, **fields)


def ask(world, where: str, title: str, description: str, **fields):
    """A demand published at `where` by the staff of that place."""
    committee, actor = getattr(world, where), getattr(world, ACTORS[where])
    return f.demand(committee, actor, title=title, description=description, **fields)


def proposed(demand) -> list[str]:
    return list(
        Match.objects.filter(demand=demand)
        .order_by("rank")
        .values_list("resource__title", flat=True)
    )


@pytest.mark.django_db
class TestRelevance:
    def test_relevance_beats_distance(self, world):
        # At the demand's own community: same category, shares only the incidental 老人 and 社区.
        offer(world, "community", "社区老人棋牌室", "社区老人下棋打牌的活动室", kind="venue")
        # Three levels up, at the district: what the demand asks for, in other words.
        offer(
            world,
            "district",
            "区养老服务中心上门助浴",
            "护理员为失能老人上门助浴、擦身",
            kind="expertise",
        )
        demand = ask(world, "community", "卧床老人洗澡难", "社区有卧床的老人，家属没法给老人洗澡")
        assert proposed(demand)[0] == "区养老服务中心上门助浴"
        best = Match.objects.get(demand=demand, rank=1)
        assert "助浴（需求说“洗澡”）" in best.reason
        assert best.reason.startswith("专业技能，由东城区提供，覆盖多福巷社区")

    def test_distance_orders_candidates_of_like_relevance(self, world):
        for committee, actor in (
            (world.district, world.tenant_admin),
            (world.street, world.street_staff),
        ):
            f.resource(committee, actor, title="老年餐桌", description="为老年人提供助餐服务")
        demand = ask(world, "community", "老人助餐", "老人需要助餐")
        sites = list(
            Match.objects.filter(demand=demand)
            .order_by("rank")
            .values_list("resource__committee__name", flat=True)
        )
        assert sites == ["东华门街道", "东城区"]

    def test_a_candidate_with_no_relevant_content_is_not_proposed(self, world):
        offer(world, "street", "社区图书角", "居民借阅图书")
        demand = f.demand(world.community, world.community_staff)
        assert proposed(demand) == []
        explanation = matching.explain(
            user=world.street_staff,
            demand=demand,
            resource=matching.Resource.objects.get(title="社区图书角"),
        )
        assert not explanation.proposed
        assert "同类别，内容不相关" in explanation.verdict

    def test_words_common_to_the_whole_category_count_little(self, world):
        matching.clear_caches()
        for n in range(6):
            offer(world, "street", f"为老服务{n}", f"为社区老人提供第{n}项服务，老人优先")
        stats, _key = matching.term_stats(
            world.city.tenant_id,
            f.category(world.city.tenant).pk,
            *matching.lexicon_for(world.city.tenant_id, f.category(world.city.tenant).pk),
        )
        assert stats.idf("@@老年人") < stats.idf("@助餐") / 3

    def test_no_piece_of_a_place_name_is_a_keyword(self, world):
        offer(world, "street", "东华门街道老年餐桌", "东华门街道为多福巷等社区老人提供助餐")
        demand = ask(world, "community", "多福巷老人吃饭难", "多福巷社区的老人中午吃饭难")
        reason = Match.objects.get(demand=demand).reason
        words = reason.split("内容相符：")[1].split("；")[0]
        assert "（需求说“吃饭”）" in words
        assert not any(piece in words for piece in ("多福", "福巷", "东华", "华门"))


@pytest.mark.django_db
class TestThesaurus:
    def test_a_synonym_from_the_tenants_thesaurus_matches(self, world):
        offer(world, "street", "中医推拿志愿队", "老中医上门推拿")
        demand = ask(world, "community", "老人腰疼想按摩", "想找人按摩")
        assert proposed(demand) == []
        thesaurus.thesaurus_entry_create(
            actor=world.tenant_admin,
            tenant=world.city.tenant,
            data=thesaurus.ThesaurusData(headword="推拿", synonyms="按摩 按按"),
        )
        matching.match_demand(demand.pk)
        assert proposed(demand) == ["中医推拿志愿队"]
        assert "推拿（需求说“按摩”）" in Match.objects.get(demand=demand).reason

    def test_a_tenant_starts_with_the_default_and_its_words_belong_to_one_entry(self, world):
        f.category(world.city.tenant)
        entries = ThesaurusEntry.objects.filter(tenant=world.city.tenant)
        assert entries.filter(headword="助浴", synonyms__contains="洗澡").exists()
        assert entries.get(headword="老年人").is_target
        words = [w for e in entries for w in [e.headword, *e.synonym_list()]]
        assert len(words) == len(set(words))
        with pytest.raises(thesaurus.ValidationError) as error:
            thesaurus.thesaurus_entry_create(
                actor=world.tenant_admin,
                tenant=world.city.tenant,
                data=thesaurus.ThesaurusData(headword="洗浴", synonyms="洗澡 x"),
            )
        messages = error.value.message_dict
        assert "“洗浴”已在词条“助浴”中" in messages["headword"][0]
        assert "x" in messages["synonyms"][0] and "洗澡（助浴）" in messages["synonyms"][1]

    def test_only_the_tenants_root_administrators_edit_it(self, world):
        f.category(world.city.tenant)
        with pytest.raises(thesaurus.PermissionDenied):
            thesaurus.thesaurus_entry_create(
                actor=world.street_staff,
                tenant=world.city.tenant,
                data=thesaurus.ThesaurusData(headword="推拿"),
            )


@pytest.mark.django_db
class TestOutcomes:
    def test_declined_and_accepted_claims_move_a_resource_and_say_so(self, world):
        lawyers = mf.unit(world.street, name="物业纠纷律师事务所")
        aid = mf.unit(world.street, name="劳动争议援助站")
        kept = {}
        for unit, title in ((lawyers, "律师法律咨询"), (aid, "法律援助咨询")):
            kept[unit.pk] = offer(
                world,
                "street",
                title,
                "律师提供法律咨询和调解",
                unit=unit,
                kind="expertise",
                capacity_unit="hours",
                category_name="法律服务",
            )
        past = ask(
            world,
            "community",
            "保安被拖欠工资",
            "几名保安被拖欠工资想咨询律师",
            category_name="法律服务",
        )
        Demand.objects.filter(pk=past.pk).update(status=DemandStatus.FULFILLED)
        for unit, status in ((lawyers, ClaimStatus.DECLINED), (aid, ClaimStatus.ACCEPTED)):
            Claim.objects.create(
                tenant=past.tenant,
                demand=past,
                resource=kept[unit.pk],
                unit=unit,
                direction=ClaimDirection.STAFF_REQUESTS,
                status=status,
                reason="只做物业纠纷" if status == ClaimStatus.DECLINED else "",
                created_by=world.street_staff,
            )
        demand = ask(
            world,
            "community2",
            "保洁员被拖欠工资",
            "保洁员被拖欠工资想咨询律师",
            category_name="法律服务",
        )
        matches = list(Match.objects.filter(demand=demand).order_by("rank"))
        assert [m.resource.title for m in matches] == ["法律援助咨询", "律师法律咨询"]
        assert "此前类似需求曾采用" in matches[0].reason and matches[0].components["record"] > 0.5
        assert "此前类似需求曾谢绝：只做物业纠纷" in matches[1].reason


@pytest.mark.django_db
class TestResourcesChanging:
    def test_a_withdrawn_resource_leaves_every_proposal_at_once(self, world, monkeypatch):
        resource = offer(world, "street", "老年餐桌", "助餐")
        demands = [
            f.demand(committee, world.street_staff)
            for committee in (world.community, world.community2)
        ]
        assert all(proposed(d) == ["老年餐桌"] for d in demands)
        # No rescoring runs (as with a busy worker): the proposals still go at the commit.
        monkeypatch.setattr(tasks.match_resource, "delay", lambda *a: None)
        monkeypatch.setattr(tasks.match_demand, "delay", lambda *a: None)
        f.committed(
            lambda: resource_services.resource_set_status(
                actor=world.street_staff, resource=resource, status="withdrawn"
            )
        )
        assert not Match.objects.filter(resource=resource).exists()
        assert all(
            matching.matching_state(Demand.objects.get(pk=d.pk)) == "pending" for d in demands
        )

    def test_a_paused_resource_leaves_and_comes_back_when_offered_again(self, world):
        resource = offer(world, "street", "老年餐桌", "助餐")
        demand = f.demand(world.community, world.community_staff)
        f.committed(
            lambda: resource_services.resource_set_status(
                actor=world.street_staff, resource=resource, status="paused"
            )
        )
        assert proposed(demand) == []
        f.committed(
            lambda: resource_services.resource_set_status(
                actor=world.street_staff, resource=resource, status="active"
            )
        )
        assert proposed(demand) == ["老年餐桌"]


@pytest.mark.django_db
class TestFullPass:
    def test_the_full_pass_proposes_what_one_demand_at_a_time_does(self, world):
        unit = mf.unit(world.sibling_street, name="公交集团保修三厂")
        from members import services as member_services

        member_services.membership_add(unit=unit, committee=world.street)
        offer(world, "sibling_street", "保修三厂餐厅", "职工餐厅为老人助餐", unit=unit)
        offer(world, "street", "老年餐桌", "为老人助餐送餐")
        offer(world, "district", "助浴服务", "上门助浴")
        demands = [
            f.demand(world.community, world.community_staff),
            ask(world, "community2", "老人洗澡难", "想找人帮老人洗澡"),
            ask(world, "sibling_community", "老人吃饭", "老人吃饭难"),
        ]
        before = {
            d.pk: list(
                Match.objects.filter(demand=d)
                .order_by("rank")
                .values_list("resource_id", "score", "reason")
            )
            for d in demands
        }
        Match.objects.all().delete()
        result = matching.full_pass(world.city.tenant_id)
        assert result["demands"] == 3
        after = {
            d.pk: list(
                Match.objects.filter(demand=d)
                .order_by("rank")
                .values_list("resource_id", "score", "reason")
            )
            for d in demands
        }
        assert after == before
        member = Match.objects.get(demand=demands[0], resource__title="保修三厂餐厅")
        assert "提供单位是东华门街道的成员单位" in member.reason
        # Where it stands it serves as any resource of that street does.
        there = Match.objects.get(demand=demands[2], resource__title="保修三厂餐厅")
        assert there.reason.startswith("场地，由景山街道提供，覆盖黄化门社区")

    def test_the_beat_task_runs_each_tenant_as_a_chain_of_chunks(self, world, monkeypatch):
        offer(world, "street", "老年餐桌", "助餐")
        offer(
            world,
            "street",
            "停车位",
            "错时停车",
            category_name="交通停车",
            kind="venue",
            capacity_unit="places",
        )
        f.demand(world.community, world.community_staff)
        ask(world, "community", "晚上停车难", "找不到车位", category_name="交通停车")
        monkeypatch.setattr(matching, "CHUNK_DEMANDS", 1)
        chunks = []
        real = matching.match_demands
        monkeypatch.setattr(matching, "match_demands", lambda *a: chunks.append(a) or real(*a))
        Match.objects.all().delete()
        tasks.full_matching_pass.delay()
        assert len(chunks) == 2 and {len(ids) for _t, _c, ids in chunks} == {1}
        assert Match.objects.count() == 2


class TestKernel:
    def test_bulk_scoring_equals_pair_by_pair(self):
        lexicon = relevance.Lexicon.build([relevance.Entry("助餐", ("吃饭", "就餐"))])
        docs = [
            relevance.analyze(t, lexicon) for t in ("老年餐桌助餐送餐", "上门助浴擦身", "居民吃饭")
        ]
        stats = relevance.TermStats.count(d.terms() for d in docs[:2])
        demands = [relevance.demand_vector(d.terms(), stats, lexicon) for d in docs]
        matrix = matching.ResourceMatrix.build([d.terms() for d in docs[:2]], stats)
        pd, pr = np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 0, 1])
        bulk = matching.text_scores(demands, matrix, pd, pr)
        vectors = []
        for d in docs[:2]:
            weights = {t: stats.weight(t) for t in d.terms()}
            norm = sum(w * w for w in weights.values()) ** 0.5
            vectors.append({t: w / norm for t, w in weights.items()})
        expected = [
            relevance.similarity(demands[a], vectors[b]) for a, b in zip(pd, pr, strict=True)
        ]
        assert np.allclose(bulk, expected) and bulk[3] > 0.5 and bulk[4] == 0

    def test_a_word_inside_a_known_word_is_no_bigram_of_its_own(self):
        lexicon = relevance.Lexicon.build([relevance.Entry("电动自行车", ("电瓶车",))])
        doc = relevance.analyze("楼道里给电动自行车充电", lexicon, ())
        assert doc.concepts == {"电动自行车": "电动自行车"}
        assert "自行" not in doc.bigrams and "充电" in doc.bigrams


@pytest.mark.django_db
def test_matching_one_demand_takes_a_fixed_number_of_queries(world):
    offer(world, "street", "老年餐桌", "助餐")
    demand = f.demand(world.community, world.community_staff)
    matching.match_demand(demand.pk)
    with CaptureQueriesContext(connection) as few:
        matching.match_demand(demand.pk)
    for n in range(5):
        offer(world, "street", f"助餐点{n}", "老人助餐")
    matching.match_demand(demand.pk)  # the new ones are notified once
    with CaptureQueriesContext(connection) as many:
        matching.match_demand(demand.pk)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_a_second_pass_rewrites_only_what_changed(world):
    offer(world, "street", "老年餐桌", "为老人助餐送餐")
    parking = offer(
        world,
        "street",
        "错时停车位",
        "夜间错时停车",
        category_name="交通停车",
        capacity_unit="places",
    )
    meals = ask(world, "community", "老人吃饭难", "老人吃饭难，想助餐")
    cars = ask(world, "community", "晚上停车难", "晚上找不到停车位", category_name="交通停车")
    matching.full_pass(world.city.tenant_id)
    first = list(Match.objects.filter(demand=meals).values_list("pk", "computed_at"))
    assert len(first) == 1 and Match.objects.filter(demand=cars).exists()
    matching.Resource.objects.filter(pk=parking.pk).update(status="paused")
    matching.full_pass(world.city.tenant_id)
    assert list(Match.objects.filter(demand=meals).values_list("pk", "computed_at")) == first
    assert not Match.objects.filter(demand=cars).exists()


def test_the_lexicon_statement_reads_what_the_orm_union_reads(world):
    """`lexicon_rows` is written once per process; it must give the rows (and so the lexicon's
    digest) the ORM's union gives: entries for every category and for this one, active, of
    this tenant; then the tenant's categories' keywords."""
    from django.db.models import BooleanField, Q, Value

    from categories.models import Category

    tenant, other = world.city.tenant, world.other_city.tenant
    care, books = f.category(tenant), f.category(tenant, "文化体育")
    f.category(other)
    ThesaurusEntry.objects.create(tenant=tenant, headword="甲词", synonyms="甲一 甲二")
    ThesaurusEntry.objects.create(
        tenant=tenant, category=care, headword="乙词", related="乙一", is_target=True
    )
    ThesaurusEntry.objects.create(tenant=tenant, category=books, headword="丙词")
    ThesaurusEntry.objects.create(tenant=tenant, headword="丁词", is_active=False)
    ThesaurusEntry.objects.create(tenant=other, headword="戊词")
    entries = (
        ThesaurusEntry.objects.filter(tenant_id=tenant.pk, is_active=True)
        .filter(Q(category__isnull=True) | Q(category_id=care.pk))
        .annotate(part=Value(0))
        .values_list("part", "pk", "headword", "synonyms", "related", "is_target")
        .order_by()
    )
    keywords = (
        Category.objects.filter(tenant_id=tenant.pk)
        .annotate(part=Value(1), empty=Value(""), none=Value(""), no=Value(False, BooleanField()))
        .values_list("part", "pk", "keywords", "empty", "none", "no")
        .order_by()
    )
    expected = sorted(entries.union(keywords, all=True), key=lambda row: (row[0], row[1]))
    rows = matching.lexicon_rows(tenant.pk, care.pk)
    assert rows == expected
    words = {row[2] for row in rows if row[0] == 0}
    assert {"甲词", "乙词"} <= words and not words & {"丙词", "丁词", "戊词"}
    assert [row[5] for row in rows if row[2] == "乙词"] == [True]
    assert repr(rows) == repr(expected)  # the digest is made of its repr: True, not 1


def test_the_decided_claims_version_counts_what_the_orm_aggregate_counts(world):
    """`decided_claims_version` is written once per process; it must count what
    `outcomes_for` learns from (decided claims on the category's resources) and give their
    latest decision, as the ORM's aggregate does."""
    import datetime as dt

    from django.db.models import Count, Max
    from django.utils import timezone

    unit = mf.unit(world.street, name="劳动争议援助站")
    law = offer(
        world, "street", "法律援助咨询", "律师提供法律咨询", unit=unit, category_name="法律服务"
    )
    care = offer(world, "street", "老年餐桌", "为老人提供午餐", unit=unit)
    past = ask(world, "community", "保安被拖欠工资", "想咨询律师", category_name="法律服务")
    meal = ask(world, "community", "老人吃饭难", "独居老人午餐", category_name="养老服务")
    start = timezone.now() - dt.timedelta(days=3)
    for n, (demand, resource, status) in enumerate(
        [
            (past, law, ClaimStatus.DECLINED),
            (past, law, ClaimStatus.ACCEPTED),
            (past, law, ClaimStatus.RELEASED),
            (past, law, ClaimStatus.PENDING),  # not decided
            (meal, care, ClaimStatus.ACCEPTED),  # another category
        ]
    ):
        Claim.objects.create(
            tenant=past.tenant,
            demand=demand,
            resource=resource,
            unit=mf.unit(world.street, name=f"认领单位{n}"),  # one open claim per unit
            direction=ClaimDirection.STAFF_REQUESTS,
            status=status,
            decided_at=start + dt.timedelta(hours=n),
            created_by=world.street_staff,
        )
    expected = Claim.objects.filter(
        tenant_id=past.tenant_id,
        demand__category_id=past.category_id,
        resource__isnull=False,
        status__in=[ClaimStatus.ACCEPTED, ClaimStatus.RELEASED, ClaimStatus.DECLINED],
    ).aggregate(n=Count("pk"), at=Max("decided_at"))
    assert expected["n"] == 3
    assert matching.decided_claims_version(past.tenant_id, past.category_id) == (
        expected["n"],
        expected["at"],
    )
    assert matching.decided_claims_version(world.other_city.tenant_id, past.category_id)[0] == 0


@pytest.mark.parametrize(
    ("remaining", "unit", "quantity", "quantity_unit"),
    [
        (Decimal("15"), "people", Decimal("40"), "people"),  # not enough
        (Decimal("60.0"), "people", Decimal("40"), "people"),  # enough
        (Decimal("2.5"), "hours", Decimal("3"), "people"),  # counted another way
        (Decimal("8"), "items", None, ""),  # no quantity asked
    ],
)
def test_a_reason_read_as_a_value_row_is_worded_as_the_instances_word_it(
    remaining, unit, quantity, quantity_unit
):
    from types import SimpleNamespace

    from demands.matching import CAPACITY_MARK, reason_now, reason_now_of_row

    reason = f"同类：助餐；{CAPACITY_MARK}"
    resource = SimpleNamespace(remaining=remaining, capacity_unit=unit)
    demand = SimpleNamespace(quantity=quantity, quantity_unit=quantity_unit)
    row = {
        "reason": reason,
        "resource__remaining": remaining,
        "resource__capacity_unit": unit,
        "demand__quantity": quantity,
        "demand__quantity_unit": quantity_unit,
    }
    worded = reason_now_of_row(row)
    assert worded == reason_now(reason, resource, demand)
    assert CAPACITY_MARK not in worded and "剩余" in worded
    assert reason_now_of_row({**row, "reason": "同类"}) == "同类"
