"""Item 8: pickers for committee and unit fields — one widget, two scoped lookup endpoints."""

from __future__ import annotations

import pytest

from .members import factories as mf

pytestmark = pytest.mark.django_db


def test_the_committee_lookup_is_scoped_to_the_user_and_the_action(world, client_for):
    client = client_for(world.street_staff)
    found = client.get("/committees/lookup/", {"q": "社区", "action": "change"}).content.decode()
    assert "多福巷社区" in found and "银闸社区" in found
    assert "黄化门社区" not in found  # the next street's
    by_code = client.get("/committees/lookup/", {"q": "110101001001"}).content.decode()
    assert "多福巷社区" in by_code and 'data-value="' in by_code
    other = client_for(world.other_admin).get("/committees/lookup/", {"q": "社区"})
    assert "多福巷社区" not in other.content.decode()


def test_the_unit_lookup_finds_only_units_the_user_sees(world, client_for):
    mf.unit(world.street, name="公交集团保修三厂")
    mf.unit(world.sibling_street, name="景山公交场站")
    found = client_for(world.street_staff).get("/members/units/lookup/", {"q": "公交"})
    text = found.content.decode()
    assert "公交集团保修三厂" in text and "景山公交场站" not in text
    assert (
        "公交集团保修三厂"
        not in client_for(world.other_admin)
        .get("/members/units/lookup/", {"q": "公交"})
        .content.decode()
    )


def test_anonymous_is_sent_to_login(client):
    assert client.get("/committees/lookup/", {"q": "社区"}).status_code == 302


def test_the_resource_form_shows_the_committee_by_name_never_a_code(world, client_for):
    page = client_for(world.street_staff).get("/resources/new/").content.decode()
    assert "data-picker" in page and "/committees/lookup/" in page
    assert 'value="东华门街道"' in page
    # The search box shows the name; the code travels only in the hidden input.
    box = page.split("data-picker-text")[0].rsplit("<input", 1)[1]
    assert "110101001000" not in box
