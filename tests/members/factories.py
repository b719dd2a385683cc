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


def unit(committee, name: str | None = None, kind: str = UnitKind.PRIVATE, **fields):
    data = services.UnitData(
        name=name or f"单位{next(_serial)}",
        kind=kind,
        credit_code=fields.pop("credit_code", credit_code()),
        contact_name=fields.pop("contact_name", "张联络"),
        contact_phone=fields.pop("contact_phone", "13812341234"),
        **fields,
    )
    return services.member_unit_create(tenant=committee.tenant, committee=committee, data=data)
