"""Factories that build through the services, so test data obeys the same rules as real data."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from accounts import services as account_services
from committees import services as committee_services
from committees.models import Committee, Kind, Level, Tenant
from members.models import Role, User

TEST_PASSWORD = "Ceshi@2026pass"


def password_hash() -> str:
    return make_password(TEST_PASSWORD)


class TenantFactory(factory.Factory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"测试市{n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")
    division_code = "110000000000"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return committee_services.tenant_create(**kwargs)


class CommitteeFactory(factory.Factory):
    class Meta:
        model = Committee

    tenant = factory.LazyAttribute(lambda o: o.parent.tenant)
    name = factory.Sequence(lambda n: f"协调委员会{n}")
    level = Level.STREET
    kind = Kind.TERRITORIAL
    division_code = ""

    @classmethod
    def _create(cls, model_class, **kwargs):
        return committee_services.committee_create(**kwargs)


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")

    @classmethod
    def _create(cls, model_class, tenant=None, role=None, committee=None, **kwargs):
        user = account_services.user_create(tenant=tenant, password_hash=password_hash(), **kwargs)
        if role:
            account_services.role_grant(user=user, role=role, committee=committee)
        return user


def user_with_role(role: str, committee: Committee, **kwargs) -> User:
    return UserFactory(tenant=committee.tenant, role=role, committee=committee, **kwargs)


__all__ = ["Role", "TenantFactory", "CommitteeFactory", "UserFactory", "user_with_role"]
