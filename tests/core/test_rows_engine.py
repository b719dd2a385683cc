"""The rows engine (core.jinja, `{% rows %}`): escaping, strict names, and the badges it shares
with the Django includes of the detail pages."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template, engines
from django.template.loader import render_to_string
from jinja2 import UndefinedError

from demands.models import DemandStatus, Urgency
from resources.models import ResourceStatus


def rows_tag(template_name: str, **context) -> str:
    return Template("{% load rows %}{% rows name rows=rows %}").render(
        Context({"name": template_name, **context})
    )


def jinja_macro(template_name: str, macro: str, *args) -> str:
    module = engines["rows"].env.get_template(template_name).module
    return str(getattr(module, macro)(*args))


def test_a_rows_value_is_escaped_once():
    rows = [
        {
            "url": "/m/1/",
            "name": "<b>李&强</b>",
            "employer_name": "",
            "community_name": "",
            "phone": "",
            "status_label": "",
            "points": "5",
        }
    ]
    html = rows_tag("members/_party_member_rows.jinja", rows=rows)
    assert "&lt;b&gt;李&amp;强&lt;/b&gt;" in html
    assert "&amp;lt;" not in html  # not escaped a second time by the Django page around it


def test_a_missing_key_fails_rather_than_showing_an_empty_cell():
    with pytest.raises(UndefinedError):
        rows_tag("members/_party_member_rows.jinja", rows=[{"url": "/m/1/", "name": "李强"}])


def test_an_empty_list_says_so_in_chinese():
    assert "暂无" in rows_tag("members/_party_member_rows.jinja", rows=[])


@pytest.mark.parametrize("status", [value for value, _label in DemandStatus.choices] + ["other"])
def test_the_demand_status_badge_is_the_detail_pages(status):
    django = render_to_string("demands/_status.html", {"status": status, "label": "标签"})
    jinja = jinja_macro("demands/_badges.jinja", "status_badge", status, "标签")
    assert jinja.strip() == django.strip()


@pytest.mark.parametrize("urgency", [value for value, _label in Urgency.choices])
def test_the_urgency_badge_is_the_detail_pages(urgency):
    demand = {"urgency": urgency, "get_urgency_display": "标签"}
    django = render_to_string("demands/_urgency.html", {"demand": demand})
    jinja = jinja_macro("demands/_badges.jinja", "urgency_badge", urgency, "标签")
    assert jinja.strip() == django.strip()


@pytest.mark.parametrize("status", [value for value, _label in ResourceStatus.choices])
@pytest.mark.parametrize("remaining", [0, 3])
def test_the_resource_badges_are_the_detail_pages(status, remaining):
    resource = {
        "status": status,
        "get_status_display": "标签",
        "capacity": 5,
        "remaining": remaining,
        "capacity_line": "剩3/5个",
        "capacity_percent": 60,
    }
    for include, macro in (("_status.html", "status_badge"), ("_capacity.html", "capacity")):
        django = render_to_string(f"resources/{include}", {"resource": resource})
        jinja = jinja_macro("resources/_badges.jinja", macro, resource)
        assert jinja.strip() == django.strip(), include


def test_a_word_is_looked_up_once_a_render_and_comes_out_formatted(monkeypatch):
    import core.jinja

    asked: list[str] = []

    def counting(message: str) -> str:
        asked.append(message)
        return {"召集%(n)s个部门，已报到%(r)s个": "summoned %(n)s, <%(r)s> in"}.get(
            message, message
        )

    monkeypatch.setattr(core.jinja, "gettext", counting)
    rows = [
        {
            "pk": pk,
            "url": f"/w/{pk}/",
            "kind_label": "吹哨",
            "title": "河道治理",
            "status": "open",
            "status_label": "进行中",
            "committee_name": "东华门街道",
            "place": "东石桥",
            "blown_at": "2026-12-01 09:30",
            "n_summons": pk,
            "n_reported": 0,
            "n_late": 0,
        }
        for pk in (1, 2, 3)
    ]
    html = rows_tag("projects/whistles/_rows.jinja", rows=rows)
    assert asked == ["召集%(n)s个部门，已报到%(r)s个"]  # three rows, one lookup
    # Formatted, and trusted as Jinja trusts a catalogue (its variables alone are escaped).
    assert "summoned 3, <0> in" in html
    rows_tag("projects/whistles/_rows.jinja", rows=rows)
    assert len(asked) == 2  # each render asks again: the language may differ between them


def page_html(client, name: str, query: dict) -> str:
    from django.urls import reverse

    return client.get(reverse(name), query).content.decode()


@pytest.mark.django_db
def test_the_demand_filters_show_what_was_chosen(world, client_for):
    from django.urls import reverse

    from ..demands import factories as f

    demand = f.demand(world.community, world.community_staff, title="楼道灯坏了")
    chosen = {"status": demand.status, "category": demand.category_id, "sort": "needed_by"}
    chosen.update(q="楼道<灯>", committee=world.community.pk)
    html = page_html(client_for(world.street_staff), "demands:demand_list", chosen)
    assert f'<input type="hidden" name="status" value="{demand.status}">' in html
    assert 'name="q" value="楼道&lt;灯&gt;"' in html  # escaped, once
    assert f'<option value="{demand.category_id}" selected>' in html
    assert f'<option value="{world.community.pk}" selected>' in html
    assert '<option value="needed_by" selected>' in html
    assert f"{reverse('demands:demand_export')}?" in html
    # The chosen state's tab, counted with the other filters (no title holds "<灯>").
    active = re.findall(r'text-nowrap active" href="[^"]*" data-count="([^"]*)"', html)
    assert active == [f"{demand.status}:0"]
    assert "共0条" in html


@pytest.mark.django_db
def test_the_resource_filters_show_what_was_chosen(world, client_for):
    from django.urls import reverse

    from ..demands import factories as f

    resource = f.resource(world.street, world.street_staff, title="活动室")
    chosen = {"category": resource.category_id, "offered_by": "committee", "sort": "title"}
    html = page_html(client_for(world.street_staff), "resources:resource_list", chosen)
    assert f'<option value="{resource.category_id}" selected>' in html
    assert '<option value="committee" selected>' in html
    assert '<option value="title" selected>' in html
    assert 'data-testid="count">共1项</small>' in html
    assert f'href="{reverse("resources:resource_create")}"' in html
