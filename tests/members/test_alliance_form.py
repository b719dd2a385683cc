"""Item 8 and 7 for the alliance form on the structure page: its other committees and its units
are picked, several each, among what the user can see; every problem at once, on its field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members import services
from members.models import Alliance

from ..query_counts import query_counts
from . import factories as f

pytestmark = pytest.mark.django_db


def url(committee):
    return reverse("members:alliance_create", args=[committee.pk])


def chosen(page: str, name: str) -> list[tuple[str, str]]:
    """The ticked choices of the multi-picker `name`: (id, name shown)."""
    import re

    return re.findall(
        r'<input type="checkbox" class="form-check-input me-1" name="' + name + r'" '
        r'value="(\d+)" checked>([^<]*)</label>',
        page,
    )


def test_the_form_picks_committees_and_units_through_the_scoped_lookups(world, client_for):
    page = client_for(world.street_staff).get(reverse("members:structure", args=[world.street.pk]))
    text = page.content.decode()
    assert text.count("data-multipicker ") == 2
    assert "/committees/lookup/?action=view" in text and "/members/units/lookup/" in text
    assert "每行一个" not in text  # no more one-per-line textareas


def test_every_problem_at_once_on_its_field_and_the_choices_kept_by_name(world, client_for):
    mine = f.unit(world.street, name="公交集团保修三厂")
    theirs = f.unit(world.sibling_street, name="景山公交场站")
    response = client_for(world.street_staff).post(
        url(world.street), {"name": "", "kind": "work", "units": [mine.pk, theirs.pk]}
    )
    assert response.status_code == 400
    form = response.context["alliance_form"]
    assert set(form.errors) == {"name", "units"}
    assert f"找不到成员单位“{theirs.pk}”" in form.errors["units"][0]
    page = response.content.decode()
    # The page comes back with the form open, the unit in reach still ticked, by its name.
    assert 'id="alliance-form" open' in page
    assert chosen(page, "units") == [(str(mine.pk), "公交集团保修三厂")]
    assert "景山公交场站" not in page
    assert not Alliance.objects.exists()


def test_the_services_problems_land_on_their_fields_with_the_forms_own(world, client_for):
    services.alliance_create(home_committee=world.street, name="民生服务联盟", kind="work")
    theirs = f.unit(world.sibling_street, name="景山公交场站")
    response = client_for(world.street_staff).post(
        url(world.street),
        {
            "name": "民生服务联盟",
            "kind": "cross_region",
            "units": [theirs.pk],
        },
    )
    assert response.status_code == 400
    errors = response.context["alliance_form"].errors
    assert errors["name"] == ["已有同名联盟。"]
    assert errors["committees"] == ["跨区域联盟至少覆盖两个协调委员会。"]
    assert "units" in errors
    assert Alliance.objects.count() == 1


def test_a_committee_of_another_city_is_refused_though_posted_by_id(world, client_for):
    response = client_for(world.tenant_admin).post(
        url(world.street),
        {"name": "京沪联盟", "kind": "cross_region", "committees": [world.other_street.pk]},
    )
    assert response.status_code == 400
    errors = response.context["alliance_form"].errors
    assert list(errors) == ["committees"]
    assert f"找不到覆盖的协调委员会“{world.other_street.pk}”" in errors["committees"][0]
    assert not Alliance.objects.exists()


def test_a_committee_out_of_the_users_sight_is_refused(world, client_for):
    response = client_for(world.street_staff).post(
        url(world.street),
        {"name": "两街联盟", "kind": "cross_region", "committees": [world.sibling_street.pk]},
    )
    assert response.status_code == 400
    assert "committees" in response.context["alliance_form"].errors


def test_found_with_the_chosen_committees_and_units(world, client_for):
    a, b = f.unit(world.street, name="公交集团保修三厂"), f.unit(world.community, name="市审计局")
    response = client_for(world.tenant_admin).post(
        url(world.street),
        {
            "name": "东华门景山联盟",
            "kind": "cross_region",
            "committees": [world.sibling_street.pk],
            "units": [a.pk, b.pk, a.pk],
            "description": "两街共建",
        },
    )
    assert response.status_code == 302
    alliance = Alliance.objects.get(name="东华门景山联盟")
    assert set(alliance.committees.all()) == {world.street, world.sibling_street}
    assert set(alliance.units.all()) == {a, b}


def test_without_javascript_names_typed_in_the_box_still_count(world, client_for):
    a, b = f.unit(world.street, name="公交集团保修三厂"), f.unit(world.street, name="市审计局")
    response = client_for(world.street_staff).post(
        url(world.street),
        {"name": "民生服务联盟", "kind": "work", "units": [str(a.pk), "市审计局、不存在的单位"]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "找不到成员单位“不存在的单位”" in page
    # What was found is ticked by name; what was not stays in the box to be corrected.
    assert chosen(page, "units") == [(str(a.pk), "公交集团保修三厂"), (str(b.pk), "市审计局")]
    assert 'value="不存在的单位"' in page
    ok = client_for(world.street_staff).post(
        url(world.street),
        {"name": "民生服务联盟", "kind": "work", "units": "公交集团保修三厂、市审计局"},
    )
    assert ok.status_code == 302
    assert set(Alliance.objects.get().units.all()) == {a, b}


def test_a_unit_contact_cannot_found_an_alliance(world, client_for):
    unit = f.unit(world.street, name="公交集团保修三厂")
    response = client_for(f.contact_for(unit)).post(
        url(world.street), {"name": "x", "kind": "work", "units": [unit.pk]}
    )
    assert response.status_code in (403, 404)
    assert not Alliance.objects.exists()


def test_the_structure_page_takes_the_same_queries_however_many_alliances(world, client_for):
    client = client_for(world.street_staff)
    page = reverse("members:structure", args=[world.street.pk])
    units = [f.unit(world.street) for _ in range(4)]
    services.alliance_create(home_committee=world.street, name="一", kind="work", units=units[:1])
    few = query_counts(client, [page])
    for n in range(3):
        services.alliance_create(
            home_committee=world.street, name=f"联盟{n}", kind="work", units=units
        )
    assert query_counts(client, [page]) == few


def test_a_form_sent_back_takes_the_same_queries_however_many_units_it_names(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.street_staff)
    units = [f.unit(world.street) for _ in range(5)]
    counts = []
    for chosen_units in (units[:1], units):
        client.get(reverse("members:structure", args=[world.street.pk]))
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                url(world.street),
                {"name": "", "kind": "work", "units": [u.pk for u in chosen_units]},
            )
        assert response.status_code == 400
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
