"""Members-domain builders over the shared personas, through the services."""

from __future__ import annotations

import itertools

from core.identifiers import credit_code_check_character
from members import services
from members.models import UnitKind

_serial = itertools.count(1)


def credit_code(region: str = "110101", prefix: str = "91") -> str:
    """A valid unified social credit code (GB 32100) with a fresh serial."""
    body = f"{prefix}{region}{next(_serial):09d}"
    return body + credit_code_check_character(body)


def registrar(committee):
    """Who registers units in the factories: the administrator at the root of the committee's
    tenant (the `world` has one for each tenant; made once where there is none)."""
    from members.models import Role, User

    from ..factories import user_with_role

    admin = User.objects.filter(
        tenant_id=committee.tenant_id,
        grants__role=Role.TENANT_ADMIN,
        grants__committee__parent__isnull=True,
    ).first()
    if admin is None:
        root = committee.get_root()
        admin = user_with_role(Role.TENANT_ADMIN, root, username=f"registrar{next(_serial)}")
    return admin


def contact_for(unit):
    """An account acting for `unit` as its contact (联络员)."""
    from accounts import services as account_services
    from members.models import Role

    from ..factories import UserFactory

    user = UserFactory(tenant=unit.tenant)
    account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
    return user


def unit(committee, name: str | None = None, kind: str = UnitKind.PRIVATE, **fields):
    data = services.UnitData(
        name=name or f"单位{next(_serial)}",
        kind=kind,
        credit_code=fields.pop("credit_code", credit_code()),
        contact_name=fields.pop("contact_name", "张联络"),
        contact_phone=fields.pop("contact_phone", "13812341234"),
        **fields,
    )
    return services.member_unit_create(actor=registrar(committee), committee=committee, data=data)
