import pytest

from committees.models import Committee, Level, Tenant
from members.models import User


@pytest.mark.django_db
def test_a_platform_administrator_opens_a_tenant_with_its_root(client):
    admin = User.objects.create_superuser("platform", password="Pingtai@2026x")
    client.force_login(admin)
    response = client.post(
        "/admin/committees/tenant/add/",
        {"name": "大同市", "slug": "datong", "division_code": "140200000000", "is_active": "on"},
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="datong")
    root = Committee.objects.get(tenant=tenant)
    assert (root.name, root.level, root.division_code, root.parent_id) == (
        "大同市",
        Level.CITY,
        "140200000000",
        None,
    )


@pytest.mark.django_db
def test_committees_are_read_only_in_the_admin(client, world):
    client.force_login(User.objects.create_superuser("platform", password="Pingtai@2026x"))
    assert client.get("/admin/committees/committee/").status_code == 200
    assert client.get("/admin/committees/committee/add/").status_code == 403
    response = client.post(
        f"/admin/committees/committee/{world.street.pk}/change/", {"name": "改名"}
    )
    assert response.status_code == 403
    assert Committee.objects.get(pk=world.street.pk).name == "东华门街道"
