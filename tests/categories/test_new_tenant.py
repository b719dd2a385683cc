"""Item 5: a new tenant starts with the default categories and their deadlines (and the default
thesaurus), which its administrator then edits."""

from __future__ import annotations

import pytest
from django.urls import reverse

from categories.defaults import DEFAULT_CATEGORIES, DEFAULT_DAYS
from categories.models import Category, ThesaurusEntry
from committees import services as committee_services
from members.models import Role

from ..factories import user_with_role

pytestmark = pytest.mark.django_db


def new_tenant():
    return committee_services.tenant_create(name="天津市", slug="tj", division_code="120000000000")


def test_a_new_tenant_starts_with_the_default_categories_and_deadlines():
    tenant = new_tenant()
    categories = list(Category.objects.filter(tenant=tenant).order_by("position"))
    assert [c.name for c in categories] == [name for name, _keywords in DEFAULT_CATEGORIES]
    assert all(c.escalation_days == DEFAULT_DAYS and c.is_active for c in categories)
    assert ThesaurusEntry.objects.filter(tenant=tenant).exists()


def test_each_tenant_gets_its_own_and_saving_a_tenant_again_adds_nothing():
    tenant = new_tenant()
    other = committee_services.tenant_create(name="重庆市", slug="cq", division_code="500000000000")
    count = Category.objects.filter(tenant=tenant).count()
    assert Category.objects.filter(tenant=other).count() == count == len(DEFAULT_CATEGORIES)
    tenant.name = "天津"
    tenant.save()
    assert Category.objects.filter(tenant=tenant).count() == count


def test_the_new_tenants_administrator_edits_them(client):
    tenant = new_tenant()
    admin = user_with_role(
        Role.TENANT_ADMIN, tenant.committees.get(parent=None), username="tj_admin"
    )
    elderly = Category.objects.get(tenant=tenant, name="养老服务")
    client.force_login(admin)
    response = client.post(
        reverse("categories:category_edit", args=[elderly.pk]),
        {
            "name": "养老助老",
            "keywords": elderly.keywords,
            "position": "0",
            "is_active": "on",
            "escalation_days_community": "5",
            "escalation_days_street": "10",
            "escalation_days_district": "20",
            "escalation_days_grid": "2",
            "escalation_days_building": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    elderly.refresh_from_db()
    assert elderly.name == "养老助老" and elderly.escalation_days["community"] == 5
