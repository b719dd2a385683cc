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


# --- every committee and unit field is a picker, showing its choice by name -------------------


def box_of(page: str, name: str) -> tuple[str, str]:
    from .pickers import picked

    return picked(page, name)


def test_the_demand_form_picks_the_place_by_name(world, client_for):
    page = client_for(world.community_staff).get("/demands/new/").content.decode()
    assert box_of(page, "committee") == (str(world.community.pk), "多福巷社区")
    assert "110101001001" not in page.split('name="committee"')[1].split("</div>")[0]


def test_a_place_out_of_reach_is_refused_though_posted_by_id(world, client_for):
    from demands.models import Demand

    response = client_for(world.street_staff).post(
        "/demands/new/",
        {"committee": world.sibling_community.pk, "title": "", "description": "x"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["committee"]
    assert not Demand.objects.exists()


def test_the_unit_edit_form_shows_where_the_unit_stands_by_name(world, client_for):
    unit = mf.unit(world.community, name="公交集团保修三厂")
    page = client_for(world.street_staff).get(f"/members/units/{unit.pk}/edit/").content.decode()
    value, label = box_of(page, "committee")
    assert label == "多福巷社区" and value in (str(world.community.pk), "110101001001")


def test_the_move_form_searches_only_where_the_tree_may_be_rearranged(world, client_for):
    admin = client_for(world.tenant_admin)
    page = admin.get(f"/committees/{world.community.pk}/move/").content.decode()
    assert "data-picker" in page and "action=manage_tree" in page
    found = admin.get("/committees/lookup/", {"q": "街道", "action": "manage_tree"})
    assert "东华门街道" in found.content.decode()
    # Street staff rearrange nothing: their search for a new parent finds nothing.
    staff = client_for(world.street_staff).get(
        "/committees/lookup/", {"q": "社区", "action": "manage_tree"}
    )
    assert "多福巷社区" not in staff.content.decode()
    # The picker sends the chosen parent's id.
    admin = client_for(world.tenant_admin)
    moved = admin.post(
        f"/committees/{world.community2.pk}/move/",
        {"parent": str(world.sibling_street.pk), "division_code": "110101002005"},
    )
    assert moved.status_code == 302
    world.community2.refresh_from_db()
    assert world.community2.parent_id == world.sibling_street.pk


def test_the_seat_form_picks_a_unit_and_refuses_one_not_of_the_committee(world, client_for):
    from members.models import Seat

    member = mf.unit(world.street, name="公交集团保修三厂")
    outsider = mf.unit(world.sibling_street, name="景山公交场站")
    client = client_for(world.tenant_admin)
    page = client.get(f"/members/committees/{world.street.pk}/").content.decode()
    assert "/members/units/lookup/" in page

    def seat(name, unit):
        data = {"role": "member", "person_name": name, "unit": unit.pk, "term_start": "2026-01-01"}
        return client.post(f"/members/committees/{world.street.pk}/seats/", data, follow=True)

    refused = seat("王委员", outsider).content.decode()
    assert "所选单位不是本协调委员会的成员单位。" in refused
    assert not Seat.objects.filter(person_name="王委员").exists()
    seat("李委员", member)
    assert Seat.objects.get(person_name="李委员").unit == member


def test_the_account_pickers_search_where_roles_may_be_granted(world, client_for):
    mf.unit(world.street, name="公交集团保修三厂")
    admin = client_for(world.tenant_admin)
    page = admin.get("/accounts/manage/new/").content.decode()
    assert "/accounts/manage/lookup/committees/" in page
    assert "/accounts/manage/lookup/units/" in page
    found = admin.get("/accounts/manage/lookup/committees/", {"q": "社区"}).content.decode()
    assert "多福巷社区" in found
    units = admin.get("/accounts/manage/lookup/units/", {"q": "公交"}).content.decode()
    assert "公交集团保修三厂" in units
    # The next tenant's administrator finds none of it (client_for signs the client in anew).
    other = client_for(world.other_admin)
    assert (
        "多福巷社区"
        not in other.get("/accounts/manage/lookup/committees/", {"q": "社区"}).content.decode()
    )
    assert (
        "公交集团保修三厂"
        not in other.get("/accounts/manage/lookup/units/", {"q": "公交"}).content.decode()
    )
    # Not an account manager: the lookups do not exist for them.
    staff = client_for(world.street_staff)
    assert staff.get("/accounts/manage/lookup/committees/", {"q": "社区"}).status_code == 404


# --- several choices: the multi-picker ------------------------------------------------------------


def test_a_multi_picker_reads_ticked_ids_and_names_typed_without_javascript():
    from core.widgets import split_references

    assert split_references(["12", "市审计局、公交集团，北京大学\n12", " "]) == [
        "12",
        "市审计局",
        "公交集团",
        "北京大学",
    ]
    assert split_references(None) == [] and split_references("a;b") == ["a", "b"]


def test_a_multi_picker_names_its_choices_and_keeps_what_names_nothing(world):
    from core.forms import ReferencesField, StyledForm
    from members.selectors import unit_resolver

    unit = mf.unit(world.street, name="公交集团保修三厂")
    hidden = mf.unit(world.sibling_street, name="景山公交场站")

    class Form(StyledForm):
        units = ReferencesField(label="成员单位")

    form = Form({"units": [str(unit.pk), str(hidden.pk), "不存在的单位"]})
    form.fields["units"].pick_with(
        unit_resolver(user=world.street_staff, field="units", label="成员单位"),
        "/members/units/lookup/",
    )
    assert not form.is_valid()
    assert len(form.errors["units"]) == 2  # each reference that names nothing, at once
    html = str(form["units"])
    assert f'value="{unit.pk}" checked>公交集团保修三厂' in html
    assert "景山公交场站" not in html
    assert f'value="{hidden.pk}、不存在的单位"' in html  # kept in the box, to be corrected


# --- a single picker without JavaScript ---------------------------------------------------------


def test_a_picker_sends_its_hidden_id_when_the_box_still_shows_that_choice():
    from django import forms

    from core.widgets import pick_from_choices

    field = forms.ChoiceField(choices=[(1, "东华门街道"), (2, "景山街道")])
    pick_from_choices(field, "/committees/lookup/")
    read = field.widget.value_from_datadict
    assert read({"c": "1", "c__text": "东华门街道"}, {}, "c") == "1"
    assert read({"c": "1"}, {}, "c") == "1"  # no box sent at all
    # With JavaScript, typing copies the text into the hidden input: the two agree.
    assert read({"c": "景山", "c__text": "景山"}, {}, "c") == "景山"


def test_a_name_typed_without_javascript_is_what_is_sent():
    from django import forms

    from core.widgets import pick_from_choices

    field = forms.ChoiceField(choices=[(1, "东华门街道"), (2, "景山街道"), (3, "景山街道")])
    pick_from_choices(field, "/committees/lookup/")
    read = field.widget.value_from_datadict
    # The box was changed from the current choice's name: the typed name picks its choice...
    assert read({"c": "1", "c__text": "\u3000东华门街道 "}, {}, "c") == "1"
    assert read({"c": "2", "c__text": "东华门街道"}, {}, "c") == "1"
    # ...and a name two choices share, or one no choice has, is left for the field to refuse.
    assert read({"c": "1", "c__text": "景山街道"}, {}, "c") == "景山街道"
    assert read({"c": "1", "c__text": "无此街道"}, {}, "c") == "无此街道"


def test_the_demand_form_takes_a_place_typed_by_name_without_javascript(world, client_for):
    from demands.models import Demand

    page = client_for(world.street_staff).get("/demands/new/").content.decode()
    assert 'name="committee__text"' in page and 'name="q"' not in page.split("<form", 2)[-1]
    response = client_for(world.street_staff).post(
        "/demands/new/",
        {
            "committee": str(world.street.pk),  # the hidden input as the page gave it
            "committee__text": "银闸社区",  # what was typed into the box instead
            "title": "",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "committee" not in form.errors and form.cleaned_data["committee"] == world.community2.pk
    assert not Demand.objects.exists()
