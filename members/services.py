"""Write operations of the members domain: one function a use case, validated in full before
anything is written, so bad input changes nothing and every problem is named by its field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Committee, Level, Tenant

from . import identifiers
from .models import (
    Alliance,
    AllianceKind,
    AllianceSpan,
    Membership,
    MemberUnit,
    PartyMember,
    PartyOrgType,
    PointsEntry,
    PointsRule,
    RecordStatus,
    Registration,
    RegistrationStatus,
    Role,
    RoleGrant,
    RotationSlot,
    Seat,
    SeatRole,
    ServiceKind,
    ServiceRecord,
    ServiceTeam,
    Subcommittee,
    SubcommitteeField,
    UnitKind,
    User,
)

SEPARATED_ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
COMMUNITY_LEVELS = {Level.COMMUNITY}


class Errors:
    """Collects field errors so a form or an import row gets all of them at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def check(self, field: str, validate, value):
        try:
            return validate(value)
        except ValidationError as error:
            for message in error.messages:
                self.add(field, message)
            return value

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


# --- accounts ---------------------------------------------------------------------------------


def user_create(
    *,
    tenant: Tenant | None,
    username: str,
    password: str | None = None,
    password_hash: str | None = None,
    display_name: str = "",
    phone: str = "",
    email: str = "",
) -> User:
    """Open an account. `password_hash` lets bulk seeding hash one password once."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名“%(name)s”已被使用。") % {"name": username}})
    user = User(
        tenant=tenant, username=username, display_name=display_name, phone=phone, email=email
    )
    user.password = password_hash or make_password(password)
    user.save()
    return user


@transaction.atomic
def role_grant(
    *,
    user: User,
    role: str,
    committee: Committee | None = None,
    member_unit: MemberUnit | None = None,
) -> RoleGrant:
    """Grant a role at a committee's subtree or for a member unit, keeping the three
    administrators' duties apart."""
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色“%(role)s”。") % {"role": role}})
    scope = member_unit if role == Role.UNIT_CONTACT else committee
    if scope is None:
        field = "member_unit" if role == Role.UNIT_CONTACT else "committee"
        raise ValidationError({field: _("请指定授权范围。")})
    if user.tenant_id is None or scope.tenant_id != user.tenant_id:
        raise ValidationError({"committee": _("只能在账号所属租户内授权。")})
    held = set(user.grants.values_list("role", flat=True))
    separated = _("系统、安全、审计管理员须由不同账号担任（三员分立）。")
    if role in SEPARATED_ADMIN_ROLES and held - {role}:
        raise ValidationError({"role": separated})
    if held & SEPARATED_ADMIN_ROLES and role not in held:
        raise ValidationError({"role": separated})
    grant, _created = RoleGrant.objects.get_or_create(
        tenant_id=user.tenant_id,
        user=user,
        role=role,
        committee=committee if role != Role.UNIT_CONTACT else None,
        member_unit=member_unit if role == Role.UNIT_CONTACT else None,
    )
    user.__dict__.pop("_role_grants", None)
    return grant


# --- member units -----------------------------------------------------------------------------

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
# What a unit's own contact may change in its profile; the rest is the committee staff's.
CONTACT_EDITABLE_FIELDS = {
    "address",
    "contact_name",
    "contact_phone",
    "party_org_type",
    "party_member_count",
}


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
    if data.kind not in UnitKind.values:
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
    if data.party_org_type not in PartyOrgType.values:
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
    *, tenant: Tenant, committee: Committee, data: UnitData, join: bool = True
) -> MemberUnit:
    """Register a member unit where it stands; by default it joins that committee too."""
    clean = clean_unit_data(tenant=tenant, committee=committee, data=data)
    unit = MemberUnit.objects.create(tenant=tenant, committee=committee, **vars(clean))
    if join:
        Membership.objects.create(
            tenant=tenant, unit=unit, committee=committee, joined_on=timezone.localdate()
        )
    return unit


def taken_credit_codes(tenant: Tenant) -> dict[str, str]:
    return dict(
        MemberUnit.objects.filter(tenant=tenant)
        .exclude(credit_code="")
        .values_list("credit_code", "name")
    )


@transaction.atomic
def member_units_create_many(
    *, tenant: Tenant, items: list[tuple[Committee, UnitData]]
) -> list[MemberUnit]:
    """Create already-validated units (an import), each joining the committee where it stands,
    in two bulk inserts. A code registered meanwhile breaks the unique constraint and rolls the
    whole batch back. The import's batch record (audited) says who imported which file."""
    today = timezone.localdate()
    units = MemberUnit.objects.bulk_create(
        [MemberUnit(tenant=tenant, committee=committee, **vars(data)) for committee, data in items],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [
            Membership(tenant=tenant, unit=unit, committee_id=unit.committee_id, joined_on=today)
            for unit in units
        ],
        batch_size=2000,
    )
    return units


@transaction.atomic
def member_unit_update(
    *,
    unit: MemberUnit,
    data: UnitData,
    committee: Committee | None = None,
    fields: set[str] | None = None,
) -> MemberUnit:
    """Change a unit's profile. `fields` limits what may change (a unit contact's own edit)."""
    unit = MemberUnit.objects.select_for_update().get(pk=unit.pk)
    allowed = set(UNIT_FIELDS) if fields is None else fields
    merged = UnitData(
        **{name: getattr(data if name in allowed else unit, name) for name in UNIT_FIELDS}
    )
    target = committee if (committee is not None and fields is None) else unit.committee
    clean = clean_unit_data(tenant=unit.tenant, committee=target, data=merged, exclude_id=unit.pk)
    for name, value in vars(clean).items():
        setattr(unit, name, value)
    unit.committee = target
    unit.save()
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
    errors = Errors()
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
    if Alliance.objects.filter(home_committee=home_committee, name=(name or "").strip()).exists():
        errors.add("name", _("已有同名联盟。"))
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


# --- dual registration --------------------------------------------------------------------------


def _validate_community(errors: Errors, *, tenant: Tenant, community: Committee | None) -> None:
    if community is None:
        errors.add("community", _("请选择报到社区。"))
    elif community.tenant_id != tenant.pk:
        errors.add(
            "community",
            _("所选社区不属于%(tenant)s，请选择居住地所在社区。") % {"tenant": tenant.name},
        )
    elif community.level not in COMMUNITY_LEVELS or community.closed_at is not None:
        errors.add("community", _("“%(name)s”不是可报到的社区（村）。") % {"name": community.name})


@transaction.atomic
def member_self_register(
    *,
    tenant: Tenant,
    username: str,
    password: str,
    name: str,
    phone: str,
    community: Committee | None,
    employer_name: str = "",
    employer: MemberUnit | None = None,
) -> PartyMember:
    """An in-service party member opens an account and asks to register with the community
    where they live; community staff confirm."""
    errors = Errors()
    username = (username or "").strip()
    if not username:
        errors.add("username", _("请填写用户名。"))
    elif User.objects.filter(username=username).exists():
        errors.add("username", _("用户名“%(name)s”已被使用。") % {"name": username})
    if not (name or "").strip():
        errors.add("name", _("请填写姓名。"))
    phone = errors.check("phone", identifiers.validate_phone, phone)
    _validate_community(errors, tenant=tenant, community=community)
    if employer is not None and employer.tenant_id != tenant.pk:
        errors.add("employer", _("所选单位不属于本市。"))
    errors.check(
        "password", lambda value: validate_password(value, User(username=username)), password
    )
    errors.raise_if_any()
    user = user_create(
        tenant=tenant, username=username, password=password, display_name=name.strip(), phone=phone
    )
    member = PartyMember.objects.create(
        tenant=tenant,
        user=user,
        name=name.strip(),
        phone=phone,
        employer=employer,
        employer_name=(employer_name or (employer.name if employer else "")).strip(),
        community=community,
        registration_status=RegistrationStatus.PENDING,
    )
    Registration.objects.create(tenant=tenant, community=community, member=member)
    return member


@transaction.atomic
def member_registration_request(*, member: PartyMember, community: Committee) -> Registration:
    """A registered member moves: withdraws the open registration and asks the new community."""
    errors = Errors()
    _validate_community(errors, tenant=member.tenant, community=community)
    errors.raise_if_any()
    member = PartyMember.objects.select_for_update().get(pk=member.pk)
    Registration.objects.filter(
        member=member, status__in=[RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED]
    ).update(status=RegistrationStatus.WITHDRAWN, decided_at=timezone.now())
    member.community = community
    member.registration_status = RegistrationStatus.PENDING
    member.save(update_fields=["community", "registration_status"])
    return Registration.objects.create(tenant=member.tenant, community=community, member=member)


@transaction.atomic
def unit_registration_request(*, unit: MemberUnit, community: Committee) -> Registration:
    """A unit's party organisation registers with the community where the unit stands."""
    errors = Errors()
    _validate_community(errors, tenant=unit.tenant, community=community)
    if not errors.by_field:
        located = unit.committee
        inside = (
            community.tree_id == located.tree_id
            and located.lft <= community.lft
            and community.rght <= located.rght
        )
        if not inside:
            errors.add(
                "community",
                _("单位党组织应到单位所在地“%(place)s”辖内的社区报到。") % {"place": located.name},
            )
    if Registration.objects.filter(
        unit=unit, status__in=[RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED]
    ).exists():
        errors.add("community", _("“%(unit)s”已有报到记录。") % {"unit": unit.name})
    errors.raise_if_any()
    return Registration.objects.create(tenant=unit.tenant, community=community, unit=unit)


@transaction.atomic
def registration_decide(
    *, registration: Registration, actor: User, confirm: bool, reason: str = ""
) -> Registration:
    """Community staff confirm (or send back, with a reason) a registration."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.PENDING:
        raise ValidationError(
            _("该报到已处理（%(status)s）。") % {"status": registration.get_status_display()}
        )
    if not confirm and not reason.strip():
        raise ValidationError({"reason": _("退回时请说明原因。")})
    registration.status = RegistrationStatus.CONFIRMED if confirm else RegistrationStatus.REJECTED
    registration.decided_at = timezone.now()
    registration.decided_by = actor
    registration.reason = reason.strip()
    registration.save()
    if registration.member_id:
        PartyMember.objects.filter(pk=registration.member_id).update(
            registration_status=registration.status
        )
    return registration


# --- service records and points -------------------------------------------------------------------


@dataclass
class ServiceData:
    served_on: dt.date | None
    hours: Decimal | str | None
    kind: str
    description: str
    location: str = ""


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _clean_service(errors: Errors, data: ServiceData) -> tuple[dt.date | None, Decimal | None]:
    today = timezone.localdate()
    served_on = data.served_on
    if served_on is None:
        errors.add("served_on", _("请填写服务日期。"))
    elif served_on > today:
        errors.add("served_on", _("服务日期不能晚于今天。"))
    try:
        hours = Decimal(str(data.hours)).quantize(Decimal("0.1"))
    except (ArithmeticError, ValueError, TypeError):
        errors.add("hours", _("服务时长应为数字（小时）。"))
        hours = None
    if hours is not None:
        if hours <= 0:
            errors.add("hours", _("服务时长应大于0。"))
        elif hours > 24:
            errors.add("hours", _("一天的服务时长不能超过24小时。"))
    if data.kind not in ServiceKind.values:
        errors.add("kind", _("未知的服务类型。"))
    if not (data.description or "").strip():
        errors.add("description", _("请填写服务内容。"))
    return served_on, hours


@transaction.atomic
def service_record_log(
    *,
    actor: User,
    community: Committee,
    data: ServiceData,
    member: PartyMember | None = None,
    team: ServiceTeam | None = None,
    certified: bool = False,
) -> ServiceRecord:
    """Log one act of service. Whoever records it certifies it: when community staff record it
    (`certified`), it is verified at once and earns its points; a member's own log waits for
    the community's verification."""
    errors = Errors()
    if (member is None) == (team is None):
        errors.add("member", _("服务记录须属于一名党员或一支服务队。"))
    owner = member or team
    if owner is not None and community.tenant_id != owner.tenant_id:
        errors.add("community", _("服务社区不属于本市。"))
    elif community.level not in COMMUNITY_LEVELS:
        errors.add("community", _("服务记录应记在社区（村）。"))
    served_on, hours = _clean_service(errors, data)
    if member is not None and served_on and hours and "hours" not in errors.by_field:
        # Lock the member so two logs of the same day cannot both slip under 24 hours.
        PartyMember.objects.select_for_update().filter(pk=member.pk).first()
        logged = ServiceRecord.objects.filter(member=member, served_on=served_on).exclude(
            status=RecordStatus.REJECTED
        ).aggregate(total=Sum("hours"))["total"] or Decimal(0)
        if logged + hours > 24:
            errors.add(
                "hours",
                _("%(day)s已记录%(logged)s小时，再加%(hours)s小时将超过一天24小时。")
                % {"day": served_on, "logged": logged, "hours": hours},
            )
    errors.raise_if_any()
    record = ServiceRecord.objects.create(
        tenant_id=community.tenant_id,
        community=community,
        member=member,
        team=team,
        served_on=served_on,
        hours=hours,
        kind=data.kind,
        description=data.description.strip(),
        location=(data.location or "").strip(),
        recorded_by=actor,
    )
    if certified:
        _verify(record, actor)
    return record


@transaction.atomic
def service_record_verify(*, record: ServiceRecord, actor: User) -> ServiceRecord:
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != RecordStatus.PENDING:
        raise ValidationError(
            _("该记录已处理（%(status)s）。") % {"status": record.get_status_display()}
        )
    _verify(record, actor)
    return record


@transaction.atomic
def service_record_reject(*, record: ServiceRecord, actor: User) -> ServiceRecord:
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != RecordStatus.PENDING:
        raise ValidationError(
            _("该记录已处理（%(status)s）。") % {"status": record.get_status_display()}
        )
    record.status = RecordStatus.REJECTED
    record.verified_by = actor
    record.verified_at = timezone.now()
    record.save(update_fields=["status", "verified_by", "verified_at"])
    return record


def _verify(record: ServiceRecord, actor: User) -> None:
    record.status = RecordStatus.VERIFIED
    record.verified_by = actor
    record.verified_at = timezone.now()
    record.save(update_fields=["status", "verified_by", "verified_at"])
    points_award(record=record)


def points_for(record: ServiceRecord, rule: PointsRule) -> Decimal:
    return (min(record.hours, rule.max_hours_per_day) * rule.points_per_hour).quantize(
        Decimal("0.1")
    )


def points_award(*, record: ServiceRecord) -> PointsEntry:
    """Credit a verified record's points once: the ledger's one-entry-per-record constraint makes
    a repeated award impossible."""
    rule, _created = PointsRule.objects.get_or_create(tenant_id=record.tenant_id)
    entry, created = PointsEntry.objects.get_or_create(
        record=record,
        defaults={
            "tenant_id": record.tenant_id,
            "community_id": record.community_id,
            "member_id": record.member_id,
            "team_id": record.team_id,
            "points": points_for(record, rule),
            "quarter": quarter_of(record.served_on),
        },
    )
    if created:
        owner_model = PartyMember if record.member_id else ServiceTeam
        owner_id = record.member_id or record.team_id
        owner_model.objects.filter(pk=owner_id).update(points=F("points") + entry.points)
    return entry


@transaction.atomic
def team_create(*, community: Committee, name: str, kind: str) -> ServiceTeam:
    from .models import TeamKind

    errors = Errors()
    if not (name or "").strip():
        errors.add("name", _("请填写队名。"))
    if kind not in TeamKind.values:
        errors.add("kind", _("未知的服务队类型。"))
    if ServiceTeam.objects.filter(community=community, name=(name or "").strip()).exists():
        errors.add("name", _("本社区已有同名服务队。"))
    errors.raise_if_any()
    return ServiceTeam.objects.create(
        tenant_id=community.tenant_id, community=community, name=name.strip(), kind=kind
    )


@transaction.atomic
def team_join(*, team: ServiceTeam, member: PartyMember) -> None:
    if member.tenant_id != team.tenant_id:
        raise ValidationError({"member": _("只能加入本市的服务队。")})
    if (
        member.registration_status != RegistrationStatus.CONFIRMED
        or member.community_id != team.community_id
    ):
        raise ValidationError({"member": _("请先到该社区报到并经确认后再加入服务队。")})
    team.members.add(member)
