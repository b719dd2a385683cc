"""Write operations of the members domain: member units, their memberships, and the committee's
own structure (seats, subcommittees with their rotation, alliances). One function a use case,
validated in full before anything is written, so bad input changes nothing and every problem is
named by its field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Committee, Level, Tenant
from core import identifiers
from core.errors import Errors, field_messages
from core.scoping import Action, ensure_all_in_scope, ensure_in_scope
from members.models import (
    Alliance,
    AllianceKind,
    AllianceSpan,
    Membership,
    MemberUnit,
    PartyOrgType,
    Role,
    RotationSlot,
    Seat,
    SeatRole,
    Subcommittee,
    SubcommitteeField,
    UnitKind,
)

from . import policies

SEPARATED_ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
COMMUNITY_LEVELS = {Level.COMMUNITY}


# --- member units -----------------------------------------------------------------------------

UNIT_KINDS = frozenset(UnitKind.values)
PARTY_ORG_TYPES = frozenset(PartyOrgType.values)
UNIT_FIELDS = (
    "name",
    "credit_code",
    "kind",
    "address",
    "contact_name",
    "contact_phone",
    "party_org_type",
    "party_member_count",
)


@dataclass
class UnitData:
    name: str
    kind: str
    credit_code: str = ""
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    party_org_type: str = PartyOrgType.BRANCH
    party_member_count: int | str = 0

    @classmethod
    def of(cls, unit: MemberUnit) -> UnitData:
        return cls(**{name: getattr(unit, name) for name in UNIT_FIELDS})


@dataclass
class UnitEntry:
    """One unit to register: where it stands and what it is (a row of an import)."""

    committee: Committee
    data: UnitData


def clean_unit_data(
    *,
    tenant: Tenant,
    committee: Committee | None,
    data: UnitData,
    exclude_id: int | None = None,
    taken_codes: dict[str, str] | None = None,
) -> UnitData:
    """Validate a unit's fields in full; raise every problem at once, keyed by field.

    `taken_codes` (credit code → unit name, read once) lets an import of thousands of rows check
    duplicates without a query per row."""
    errors = Errors()
    name = (data.name or "").strip()
    if not name:
        errors.add("name", _("请填写单位名称。"))
    elif len(name) > 200:
        errors.add("name", _("单位名称不能超过200个字。"))
    if data.kind not in UNIT_KINDS:
        errors.add("kind", _("未知的单位类型“%(kind)s”。") % {"kind": data.kind})
    code = identifiers.normalize_credit_code(data.credit_code)
    if code:
        code = errors.check("credit_code", identifiers.validate_credit_code, code)
    elif data.kind != UnitKind.MILITARY:
        errors.add("credit_code", _("请填写18位统一社会信用代码（部队单位可不填）。"))
    if code and "credit_code" not in errors.by_field:
        if taken_codes is not None:
            existing_name = taken_codes.get(code)
        else:
            clash = MemberUnit.objects.filter(tenant=tenant, credit_code=code)
            if exclude_id:
                clash = clash.exclude(pk=exclude_id)
            existing_name = clash.values_list("name", flat=True).first()
        if existing_name:
            errors.add(
                "credit_code",
                _("统一社会信用代码%(code)s已由“%(name)s”登记。")
                % {"code": code, "name": existing_name},
            )
    phone = identifiers.normalize_phone(data.contact_phone)
    if phone:
        phone = errors.check("contact_phone", identifiers.validate_phone, phone)
    if len((data.address or "").strip()) > 255:
        errors.add("address", _("地址不能超过255个字。"))
    if len((data.contact_name or "").strip()) > 64:
        errors.add("contact_name", _("联系人不能超过64个字。"))
    if data.party_org_type not in PARTY_ORG_TYPES:
        errors.add("party_org_type", _("未知的党组织类型“%(t)s”。") % {"t": data.party_org_type})
    try:
        count = int(data.party_member_count or 0)
        if count < 0 or count > 2_000_000:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("party_member_count", _("党员人数应为不小于0的整数。"))
        count = 0
    if committee is None:
        errors.add("committee", _("请选择所在地协调委员会。"))
    elif committee.tenant_id != tenant.pk or committee.closed_at is not None:
        errors.add("committee", _("所选协调委员会不可用。"))
    errors.raise_if_any()
    return UnitData(
        name=name,
        kind=data.kind,
        credit_code=code,
        address=(data.address or "").strip(),
        contact_name=(data.contact_name or "").strip(),
        contact_phone=phone,
        party_org_type=data.party_org_type,
        party_member_count=count,
    )


@transaction.atomic
def member_unit_create(
    *, actor, committee: Committee, data: UnitData, join: bool = True
) -> MemberUnit:
    """Staff register a member unit where it stands; by default it joins that committee too."""
    policies.ensure_may_register_at(actor, committee)
    clean = clean_unit_data(tenant=committee.tenant, committee=committee, data=data)
    unit = MemberUnit.objects.create(
        tenant_id=committee.tenant_id, committee=committee, **vars(clean)
    )
    if join:
        Membership.objects.create(
            tenant_id=committee.tenant_id,
            unit=unit,
            committee=committee,
            joined_on=timezone.localdate(),
        )
    ensure_in_scope(unit, actor, Action.CHANGE)
    return unit


def taken_credit_codes(tenant: Tenant | int) -> dict[str, str]:
    return dict(
        MemberUnit.objects.filter(tenant=tenant)
        .exclude(credit_code="")
        .values_list("credit_code", "name")
    )


@transaction.atomic
def member_units_create_many(*, actor, entries: list[UnitEntry]) -> list[MemberUnit]:
    """Staff register many units at once (an import), each joining the committee where it
    stands, in two bulk inserts. Every entry is validated again here with the tenant's taken
    codes read once; a code registered meanwhile breaks the unique constraint and rolls the whole
    batch back. The import's batch record says who imported which file."""
    if not entries:
        return []
    tenant = entries[0].committee.tenant
    taken = taken_credit_codes(tenant)
    errors = Errors()
    clean: list[UnitData] = []
    for index, entry in enumerate(entries):
        policies.ensure_may_register_at(actor, entry.committee)
        try:
            data = clean_unit_data(
                tenant=tenant, committee=entry.committee, data=entry.data, taken_codes=taken
            )
        except ValidationError as error:
            for field, messages in field_messages(error).items():
                errors.add(f"{index}.{field}", "；".join(messages))
            continue
        if data.credit_code:
            taken[data.credit_code] = data.name
        clean.append(data)
    errors.raise_if_any()
    today = timezone.localdate()
    units = MemberUnit.objects.bulk_create(
        [
            MemberUnit(tenant=tenant, committee=entry.committee, **vars(data))
            for entry, data in zip(entries, clean, strict=True)
        ],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [
            Membership(tenant=tenant, unit=unit, committee_id=unit.committee_id, joined_on=today)
            for unit in units
        ],
        batch_size=2000,
    )
    ensure_all_in_scope(MemberUnit, [unit.pk for unit in units], actor, Action.CHANGE)
    return units


@transaction.atomic
def member_unit_update(
    *, actor, unit: MemberUnit, data: UnitData, committee: Committee | None = None
) -> MemberUnit:
    """Change a unit's profile (and, with `committee`, where it stands). Staff of the committee
    where it stands change all of it; the unit's own contact only its contact and party
    details: any other field they change is refused by name."""
    mode = policies.ensure_may_edit_unit(actor, unit)
    unit = MemberUnit.objects.select_for_update().select_related("committee").get(pk=unit.pk)
    target = committee or unit.committee
    clean = clean_unit_data(tenant=unit.tenant, committee=target, data=data, exclude_id=unit.pk)
    changed = {name for name in UNIT_FIELDS if getattr(clean, name) != getattr(unit, name)}
    if target.pk != unit.committee_id:
        changed.add("committee")
    refused = policies.fields_refused(mode, changed)
    if refused:
        raise ValidationError({name: _("单位联络员不能修改此项。") for name in sorted(refused)})
    if "committee" in changed:
        policies.ensure_may_register_at(actor, target)
    for name, value in vars(clean).items():
        setattr(unit, name, value)
    unit.committee = target
    unit.save()
    ensure_in_scope(unit, actor, Action.CHANGE)
    return unit


@transaction.atomic
def membership_add(
    *,
    unit: MemberUnit,
    committee: Committee,
    joined_on: dt.date | None = None,
    subcommittee: Subcommittee | None = None,
) -> Membership:
    if committee.tenant_id != unit.tenant_id:
        raise ValidationError({"committee": _("所选协调委员会不属于本市。")})
    if subcommittee is not None and subcommittee.committee_id != committee.pk:
        raise ValidationError({"subcommittee": _("专委会不属于该协调委员会。")})
    if Membership.objects.filter(unit=unit, committee=committee).exists():
        raise ValidationError(
            {"committee": _("“%(unit)s”已是该协调委员会成员。") % {"unit": unit.name}}
        )
    return Membership.objects.create(
        tenant_id=unit.tenant_id,
        unit=unit,
        committee=committee,
        joined_on=joined_on or timezone.localdate(),
        subcommittee=subcommittee,
    )


# --- the committee's own structure --------------------------------------------------------------


@transaction.atomic
def seat_create(
    *,
    committee: Committee,
    role: str,
    person_name: str,
    term_start: dt.date,
    term_end: dt.date | None = None,
    title: str = "",
    unit: MemberUnit | None = None,
) -> Seat:
    errors = Errors()
    if role not in SeatRole.values:
        errors.add("role", _("未知的职务。"))
    if not (person_name or "").strip():
        errors.add("person_name", _("请填写姓名。"))
    if term_end and term_end < term_start:
        errors.add("term_end", _("任期结束不能早于任期开始。"))
    if unit is not None and unit.tenant_id != committee.tenant_id:
        errors.add("unit", _("所选单位不属于本市。"))
    if role == SeatRole.DIRECTOR:
        current = Seat.objects.filter(committee=committee, role=SeatRole.DIRECTOR).exclude(
            term_end__lt=term_start
        )
        if current.exists():
            errors.add("role", _("该协调委员会在此任期内已有主任。"))
    errors.raise_if_any()
    return Seat.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        role=role,
        person_name=person_name.strip(),
        title=title.strip(),
        unit=unit,
        term_start=term_start,
        term_end=term_end,
    )


@transaction.atomic
def subcommittee_create(*, committee: Committee, field: str, name: str = "") -> Subcommittee:
    if field not in SubcommitteeField.values:
        raise ValidationError({"field": _("未知的领域。")})
    if Subcommittee.objects.filter(committee=committee, field=field).exists():
        raise ValidationError({"field": _("该协调委员会已有这一领域的专委会。")})
    return Subcommittee.objects.create(
        tenant_id=committee.tenant_id,
        committee=committee,
        field=field,
        name=name.strip() or f"{SubcommitteeField(field).label}专业委员会",
    )


@transaction.atomic
def rotation_set(
    *, subcommittee: Subcommittee, start: dt.date, months: int, chairs: list[tuple[MemberUnit, str]]
) -> Subcommittee:
    """Set the rotation once: who chairs in which order, from which day, for how many months."""
    errors = Errors()
    if months < 1 or months > 24:
        errors.add("rotation_months", _("每任月数应在1到24之间。"))
    if len(chairs) < 2:
        errors.add("chairs", _("轮值至少需要两家单位。"))
    member_ids = set(
        Membership.objects.filter(committee=subcommittee.committee_id).values_list(
            "unit_id", flat=True
        )
    )
    for unit, chair_name in chairs:
        if unit.pk not in member_ids:
            errors.add("chairs", _("“%(unit)s”不是该协调委员会的成员单位。") % {"unit": unit.name})
        if not chair_name.strip():
            errors.add("chairs", _("请填写“%(unit)s”的代理主任姓名。") % {"unit": unit.name})
    errors.raise_if_any()
    subcommittee.rotation.all().delete()
    RotationSlot.objects.bulk_create(
        RotationSlot(
            tenant_id=subcommittee.tenant_id,
            subcommittee=subcommittee,
            position=position,
            unit=unit,
            chair_name=chair_name.strip(),
        )
        for position, (unit, chair_name) in enumerate(chairs, start=1)
    )
    subcommittee.rotation_start = start
    subcommittee.rotation_months = months
    subcommittee.save(update_fields=["rotation_start", "rotation_months"])
    return subcommittee


def clean_alliance(
    *,
    home_committee: Committee,
    name: str,
    kind: str,
    committees: list[Committee] | None = None,
    units: list[MemberUnit] | None = None,
    errors: Errors | None = None,
) -> Errors:
    """Every problem of an alliance at once, by field (`alliance_create` and its form ask it)."""
    errors = errors if errors is not None else Errors()
    spans = {c.pk: c for c in [home_committee, *(committees or [])]}
    if not (name or "").strip():
        errors.add("name", _("请填写联盟名称。"))
    if kind not in AllianceKind.values:
        errors.add("kind", _("未知的联盟类型。"))
    if kind == AllianceKind.CROSS_REGION and len(spans) < 2:
        errors.add("committees", _("跨区域联盟至少覆盖两个协调委员会。"))
    if kind == AllianceKind.WORK and len(spans) > 1:
        errors.add("committees", _("行业联盟只属于一个协调委员会；跨多个区域请选跨区域联盟。"))
    if any(c.tenant_id != home_committee.tenant_id for c in spans.values()):
        errors.add("committees", _("覆盖范围只能在本市之内。"))
    if any(u.tenant_id != home_committee.tenant_id for u in units or []):
        errors.add("units", _("成员单位只能来自本市。"))
    if (name or "").strip() and Alliance.objects.filter(
        home_committee=home_committee, name=name.strip()
    ).exists():
        errors.add("name", _("已有同名联盟。"))
    return errors


@transaction.atomic
def alliance_create(
    *,
    home_committee: Committee,
    name: str,
    kind: str,
    committees: list[Committee] | None = None,
    units: list[MemberUnit] | None = None,
    description: str = "",
) -> Alliance:
    """An alliance of units: of one committee by kind of work, or across several committees."""
    spans = {c.pk: c for c in [home_committee, *(committees or [])]}
    errors = clean_alliance(
        home_committee=home_committee, name=name, kind=kind, committees=committees, units=units
    )
    errors.raise_if_any()
    alliance = Alliance.objects.create(
        tenant_id=home_committee.tenant_id,
        name=name.strip(),
        kind=kind,
        description=description,
        home_committee=home_committee,
    )
    AllianceSpan.objects.bulk_create(
        AllianceSpan(tenant_id=alliance.tenant_id, alliance=alliance, committee=c)
        for c in spans.values()
    )
    if units:
        alliance.units.set(units)
    return alliance
