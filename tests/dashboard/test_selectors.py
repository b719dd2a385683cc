"""Each figure counts what its definition says, on the hand-built case of factories.py."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import rollups, selectors
from dashboard.models import MonthlyFigures

pytestmark = pytest.mark.django_db


def board(user, committee, **kwargs):
    return selectors.dashboard(user, committee, **kwargs)


def test_district_figures(world, case):
    t = board(world.district_leader, world.district).totals
    assert t["demands"] == 5  # d1-d5: d4 withdrawn still counts, d6 too old, d7 a draft
    assert t["resources"] == 1
    assert t["projects"] == 5
    assert t["projects_completed"] == 2
    assert t["match_rate"] == pytest.approx(2 / 4)  # d1, d2 of d1, d2, d3, d5
    assert t["response_rate"] == pytest.approx(3 / 4)  # d1, d2, d3 (rejected with reason)
    assert t["resolution_rate"] == pytest.approx(1 / 4)  # d2
    assert t["project_on_time_rate"] == pytest.approx(1 / 2)  # p1 on time, p2 late
    assert t["days_to_match"] == 1  # lower median of [1, 3]
    assert t["days_to_project"] == 5
    assert t["whistles"] == 3  # w1, w2, w3; w4 cancelled
    assert t["report_on_time_rate"] == pytest.approx(2 / 4)  # w1: yes, no; w2: yes; w3: no
    assert t["satisfaction_rate"] == pytest.approx(2 / 4)  # 5, 4 of 5, 4, 2, 3


def test_worst_departments(world, case):
    worst = board(world.district_leader, world.district).worst_departments
    assert [(d["name"], d["summoned"], d["on_time"], d["escalated"]) for d in worst] == [
        ("区水务局", 3, 1, 1),
        ("区城管委", 1, 1, 0),
    ]
    assert worst[0]["rate_shown"] == "33.3%"
    street = board(world.street_staff, world.street).worst_departments
    assert [(d["name"], d["summoned"]) for d in street] == [("区水务局", 2), ("区城管委", 1)]


def test_shown_as_written(world, case):
    summary = {
        fig.key: shown for fig, shown in board(world.district_leader, world.district).summary
    }
    assert summary["response_rate"] == "75.0%"
    assert summary["resolution_rate"] == "25.0%"
    assert summary["days_to_match"] == "1天"
    assert summary["demands"] == "5"


def test_street_and_its_sibling(world, case):
    district = board(world.district_leader, world.district)
    rows = {row.committee.name: row for row in district.ranking}
    street, sibling = rows["东华门街道"].values, rows["景山街道"].values
    assert street["demands"] == 4
    assert street["response_rate"] == pytest.approx(1.0)
    assert rows["东华门街道"].shown("resolution_rate") == "33.3%"
    assert rows["东华门街道"].shown("match_rate") == "66.7%"
    assert street["projects"] == 4 and street["projects_completed"] == 2
    assert sibling["demands"] == 1 and sibling["response_rate"] == 0
    assert sibling["project_on_time_rate"] is None  # nothing completed
    assert rows["景山街道"].shown("project_on_time_rate") == "—"
    assert sibling["days_to_match"] is None
    assert street["whistles"] == 2 and sibling["whistles"] == 1
    assert street["report_on_time_rate"] == pytest.approx(2 / 3)
    assert sibling["report_on_time_rate"] == 0
    assert street["satisfaction_rate"] == pytest.approx(2 / 3)  # p2 is 多福巷's
    assert sibling["satisfaction_rate"] == 0


def test_ranking_sorts(world, case):
    by_demands = board(world.district_leader, world.district, sort="demands").ranking
    assert [r.committee.name for r in by_demands] == ["东华门街道", "景山街道"]
    ascending = board(world.district_leader, world.district, sort="-demands").ranking
    assert [r.committee.name for r in ascending] == ["景山街道", "东华门街道"]
    on_time = board(world.district_leader, world.district, sort="project_on_time_rate").ranking
    assert [r.committee.name for r in on_time] == ["东华门街道", "景山街道"]  # None last
    unknown = board(world.district_leader, world.district, sort="; drop table")
    assert unknown.sort == "demands"


def test_months_and_time_zone(world, case):
    district = board(world.district_leader, world.district)
    assert district.months[0] == dt.date(2025, 7, 1)
    assert district.months[-1] == dt.date(2026, 6, 1)
    series = dict(zip(district.months, district.series["demands"], strict=True))
    assert series[dt.date(2026, 4, 1)] == 1
    assert series[dt.date(2026, 5, 1)] == 2
    assert series[dt.date(2026, 6, 1)] == 2  # d3, published 00:30 on 1 June in Shanghai
    longer = board(world.district_leader, world.district, months=24).totals
    assert longer["demands"] == 6  # d6, January 2025
    assert longer["resources"] == 1  # r2 (June 2024) is older still


def test_mix(world, case):
    district = board(world.district_leader, world.district)
    assert district.category_mix == [("养老服务", 3), ("医疗卫生", 1)]
    assert dict(district.source_mix) == {"居民反映": 3, "12345热线": 1}


def test_overdue_and_loaded_units(world, case):
    district = board(world.district_leader, world.district)
    assert [p.title for p in district.overdue] == ["助浴点"]
    assert district.overdue_count == 1
    assert [(u.name, u.load) for u in district.loaded_units] == [("区医院", 2)]
    street = board(world.street_staff, world.street)
    assert street.overdue == [] and street.overdue_count == 0
    assert [(u.name, u.load) for u in street.loaded_units] == [("区医院", 1)]


def test_breadcrumb_stops_at_the_readers_scope(world, case):
    community = board(world.district_leader, world.community)
    assert [c.name for c in community.breadcrumb] == ["东城区", "东华门街道", "多福巷社区"]
    assert community.ranking == []
    assert community.totals["demands"] == 2


def test_city_root_adds_up(world, case):
    city = board(world.tenant_admin, world.city)
    assert city.totals["demands"] == 5
    names = [r.committee.name for r in city.ranking]
    assert names == ["东城区", "西城区"]
    west = city.ranking[1].values
    assert west["demands"] == 0 and west["response_rate"] is None


def test_refresh_replaces_rows(world, case):
    before = MonthlyFigures.objects.filter(tenant=world.city.tenant).count()
    state = rollups.refresh(world.city.tenant.pk)
    assert MonthlyFigures.objects.filter(tenant=world.city.tenant).count() == before
    assert state.refreshed_at is not None
    assert not MonthlyFigures.objects.filter(tenant=world.other_city.tenant).exists()


def test_every_figure_has_a_definition():
    for fig in selectors.FIGURES.values():
        assert len(fig.definition) > 20, fig.key
        assert fig.definition.startswith(str(fig.label)), fig.key


def snapshot(tenant):
    from dashboard import models

    rows = {}
    for model in rollups.ROLLUP_MODELS:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        rows[model.__name__] = sorted(
            tuple(str(v) for v in row)
            for row in model.objects.filter(tenant=tenant).values_list(*fields)
        )
    assert models.MonthlyFigures.objects.filter(tenant=tenant).exists()
    return rows


def test_rollups_agree_without_postgresql(world, case):
    """The embedded demo's Python rebuild writes exactly the rows of the SQL one."""
    tenant = world.city.tenant
    by_sql = snapshot(tenant)
    rollups.refresh(tenant.pk, force_python=True)
    assert snapshot(tenant) == by_sql
