"""The demo and scale seeds load the real trees from the official division codes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count

from committees import services
from committees.models import Committee, Kind, Level, Tenant
from members.models import Role, User


@pytest.mark.django_db
def test_seed_demo_loads_three_real_tenants_and_a_login_per_role(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    beijing = Tenant.objects.get(slug="beijing")
    counts = dict(
        Committee.objects.filter(tenant=beijing, kind=Kind.TERRITORIAL)
        .order_by()
        .values_list("level")
        .annotate(n=Count("id"))
    )
    assert counts == {Level.CITY: 1, Level.DISTRICT: 16, Level.STREET: 349, Level.COMMUNITY: 7535}
    assert Committee.objects.filter(tenant=beijing, kind=Kind.FUNCTIONAL).count() == 3
    datong = Tenant.objects.get(slug="datong")
    assert Committee.objects.filter(tenant=datong, level=Level.BUILDING).exists()
    assert Committee.objects.filter(tenant=datong, level=Level.BUILDING).count() == 36
    building = Committee.objects.filter(tenant=datong, level=Level.BUILDING).first()
    assert [a.level for a in building.get_ancestors()] == [
        Level.CITY,
        Level.DISTRICT,
        Level.STREET,
        Level.COMMUNITY,
        Level.GRID,
    ]
    for tenant in Tenant.objects.all():
        assert services.tree_faults(tenant) == []
    roles = set(User.objects.filter(tenant=beijing).values_list("grants__role", flat=True))
    assert roles == set(Role.values)
    assert "donghuamen_staff" in out and "Dangjian@2026" in out
    assert User.objects.get(username="donghuamen_staff").check_password("Dangjian@2026")

    call_command("seed_demo")  # a second run adds nothing
    assert Committee.objects.filter(tenant=beijing).count() == 7904


@pytest.mark.django_db
def test_seed_scale_builds_the_beijing_tree_and_a_city_of_accounts():
    call_command("seed_scale", slug="bj-scale-test")
    tenant = Tenant.objects.get(slug="bj-scale-test")
    assert Committee.objects.filter(tenant=tenant).count() == 7904  # with Huairou's 3 zones
    assert services.tree_faults(tenant) == []
    users = User.objects.filter(tenant=tenant)
    assert users.count() == 16 + 349 + 3 + 7535
    staff = users.get(username="bj-scale-test-110101001001")
    assert [(g.role, g.committee.name) for g in staff.grants.select_related("committee")] == [
        (Role.STAFF, "多福巷社区居委会")
    ]
