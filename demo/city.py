"""Writing the demo city of the members domain: units placed at the right committees of the real
trees, seats, subcommittees with rotating chairs, alliances, registered party members, teams and
service records. Everything goes through the services, so it obeys the rules of data entered by
hand, and every step looks first for what an earlier run created: a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from committees.models import Committee, Kind, Tenant
from core import identifiers
from demo.accounts import (
    DEMO_PASSWORD,
    PARTY_MEMBER_DEMO,
    UNIT_CONTACT_DEMO,
    DemoAccount,
    demo_password_hash,
)
from demo.cases import (
    BEIJING_ALLIANCES,
    BEIJING_UNITS,
    DATONG_MEMBERS,
    DATONG_TEAMS,
    DATONG_UNITS,
    DEMO_HOURS,
    DONGHUAMEN_MEMBERS,
    DONGHUAMEN_TEAMS,
    EMPLOYER_KEYS,
    OTHER_EMPLOYERS,
    REJECT_REASON,
    SEATS,
    SERVICE_PLACES,
    SERVICE_WORK,
    SHANGHAI_ALLIANCES,
    SHANGHAI_UNITS,
    SUBCOMMITTEES,
    UNIT_REGISTRATIONS,
    AllianceSpec,
    CommunityPlan,
    SeatSpec,
    SubcommitteeSpec,
    TeamSpec,
    UnitSpec,
    unit_credit_code,
)
from demo.names import AREA_CODES, landline, mobile, person_name, short_name, stable_number
from members import services
from members.models import (
    Alliance,
    Membership,
    MemberUnit,
    Role,
    Seat,
    Subcommittee,
    UnitKind,
    User,
)
from party_members import services as party_services
from party_members.models import (
    PartyMember,
    Registration,
    RegistrationStatus,
    ServiceRecord,
    ServiceTeam,
)

# --- writing the demo --------------------------------------------------------------------------


class Places:
    """The tenant's committees by division code (or, for functional zones, by name), loaded once."""

    def __init__(self, tenant: Tenant, refs: Iterable[str]):
        refs = set(refs)
        codes = {ref for ref in refs if ref.isdigit()}
        names = refs - codes
        self.tenant = tenant
        self.by_ref: dict[str, Committee] = {}
        query = Committee.objects.filter(tenant=tenant).select_related("parent")
        for committee in query.filter(division_code__in=codes):
            self.by_ref[committee.division_code] = committee
        for committee in query.filter(name__in=names, kind=Kind.FUNCTIONAL):
            self.by_ref[committee.name] = committee
        self.root = Committee.objects.get(tenant=tenant, parent__isnull=True)
        missing = refs - set(self.by_ref)
        if missing:
            raise LookupError(f"{tenant}: no committee {sorted(missing)}")

    def __getitem__(self, ref: str) -> Committee:
        return self.root if ref == "" else self.by_ref[ref]


def _joined_on(key: str, committee_ref: str) -> dt.date:
    n = stable_number("joined", key, committee_ref)
    return dt.date(2018 + n % 7, 1 + n // 7 % 12, 1 + n // 84 % 28)


def ensure_units(
    tenant: Tenant, places: Places, specs: list[UnitSpec], *, managed_memberships: set
) -> dict[str, MemberUnit]:
    """Create the units missing from the tenant, each a member where it stands and of the
    committees it joins. `managed_memberships` lists (unit key, committee ref) pairs that the
    subcommittee step adds with the subcommittee set."""
    area = AREA_CODES.get(tenant.division_code[:2], "0352")
    existing = {
        (unit.credit_code or (unit.name, unit.committee_id)): unit
        for unit in MemberUnit.objects.filter(tenant=tenant)
    }
    joined = set(Membership.objects.filter(tenant=tenant).values_list("unit_id", "committee_id"))
    # The tenant's administrator at the root registers them (seeded with the accounts before).
    registrar = (
        User.objects.filter(
            tenant=tenant, grants__role=Role.TENANT_ADMIN, grants__committee__parent__isnull=True
        )
        .order_by("pk")
        .first()
    )
    units: dict[str, MemberUnit] = {}
    for spec in specs:
        committee = places[spec.at]
        code = unit_credit_code(spec, committee)
        unit = existing.get(code or (spec.name, committee.pk))
        if unit is None:
            rng = random.Random(stable_number("contact", spec.key))
            phone = (
                mobile(rng)
                if spec.kind in {UnitKind.PRIVATE, UnitKind.NEW_ECONOMY, UnitKind.OTHER}
                else landline(rng, area)
            )
            unit = services.member_unit_create(
                actor=registrar,
                committee=committee,
                data=services.UnitData(
                    name=spec.name,
                    kind=spec.kind,
                    credit_code=code,
                    address=spec.address,
                    contact_name=person_name(rng),
                    contact_phone=phone,
                    party_org_type=spec.party_org_type,
                    party_member_count=spec.party_member_count,
                ),
                join=(spec.key, spec.at) not in managed_memberships,
            )
        units[spec.key] = unit
        for ref in spec.joins:
            if (spec.key, ref) in managed_memberships:
                continue
            target = places[ref]
            if (unit.pk, target.pk) not in joined:
                services.membership_add(
                    unit=unit, committee=target, joined_on=_joined_on(spec.key, ref)
                )
    return units


def ensure_subcommittees(
    places: Places, units: dict[str, MemberUnit], specs: list[SubcommitteeSpec]
) -> None:
    for spec in specs:
        committee = places[spec.committee]
        sub = Subcommittee.objects.filter(committee=committee, field=spec.field).first()
        if sub is None:
            sub = services.subcommittee_create(committee=committee, field=spec.field)
        for key, _chair in spec.chairs:
            if not Membership.objects.filter(unit=units[key], committee=committee).exists():
                services.membership_add(
                    unit=units[key],
                    committee=committee,
                    joined_on=_joined_on(key, spec.committee),
                    subcommittee=sub,
                )
        if sub.rotation_start is None:
            services.rotation_set(
                subcommittee=sub,
                start=spec.start,
                months=spec.months,
                chairs=[(units[key], chair) for key, chair in spec.chairs],
            )


def ensure_seats(
    places: Places, units: dict[str, MemberUnit], seats: dict[str, list[SeatSpec]]
) -> None:
    year = timezone.localdate().year
    for ref, specs in seats.items():
        committee = places[ref]
        if Seat.objects.filter(committee=committee).exists():
            continue
        for spec in specs:
            services.seat_create(
                committee=committee,
                role=spec.role,
                person_name=spec.person_name,
                title=spec.title,
                unit=units[spec.unit] if spec.unit else None,
                term_start=dt.date(year - 1, 1, 1),
                term_end=dt.date(year + 1, 12, 31),
            )


def ensure_alliances(
    places: Places, units: dict[str, MemberUnit], specs: list[AllianceSpec]
) -> None:
    for spec in specs:
        home = places[spec.home]
        if Alliance.objects.filter(home_committee=home, name=spec.name).exists():
            continue
        services.alliance_create(
            home_committee=home,
            name=spec.name,
            kind=spec.kind,
            committees=[places[ref] for ref in spec.committees],
            units=[units[key] for key in spec.units],
            description=spec.description,
        )


def ensure_unit_registrations(
    places: Places, units: dict[str, MemberUnit], plan: list[tuple[str, str, bool]], actor: User
) -> None:
    for key, ref, confirm in plan:
        unit = units[key]
        if Registration.objects.filter(unit=unit).exists():
            continue
        registration = party_services.unit_registration_request(
            actor=actor, unit=unit, community=places[ref]
        )
        if confirm:
            party_services.registration_decide(registration=registration, actor=actor, confirm=True)


def _member_create(
    *,
    tenant: Tenant,
    username: str,
    name: str,
    phone: str,
    community: Committee,
    employer: MemberUnit | None,
    employer_name: str,
) -> PartyMember:
    """What `party_services.member_self_register` writes, with the shared demo password hash: the
    service hashes each password itself (about 0.4 s apiece), which would make the demo slow."""
    phone = identifiers.validate_phone(phone)
    user = account_services.user_create(
        tenant=tenant,
        username=username,
        password_hash=demo_password_hash(),
        display_name=name,
        phone=phone,
    )
    member = PartyMember.objects.create(
        tenant=tenant,
        user=user,
        name=name,
        phone=phone,
        employer=employer,
        employer_name=employer_name,
        community=community,
        registration_status=RegistrationStatus.PENDING,
    )
    member.open_registration = Registration.objects.create(
        tenant=tenant, community=community, member=member
    )
    return member


def ensure_members(
    tenant: Tenant,
    places: Places,
    plans: list[CommunityPlan],
    employers: list[MemberUnit],
    staff_for: Callable[[Committee], User],
) -> dict[str, list[PartyMember]]:
    """Party members registered with their communities: most confirmed, some waiting, one sent
    back. Returns each community's confirmed members in registration order."""
    confirmed: dict[str, list[PartyMember]] = {}
    for plan in plans:
        community = places[plan.code]
        rng = random.Random(stable_number("members", tenant.slug, plan.code))
        confirmed[plan.code] = []
        total = plan.confirmed + plan.pending + plan.rejected
        for i in range(total):
            name, phone = person_name(rng), mobile(rng)
            employer = employers[rng.randrange(len(employers))] if rng.random() < 0.7 else None
            employer_name = employer.name if employer else rng.choice(OTHER_EMPLOYERS)
            username = f"{plan.handle}-{i + 1:02d}"
            member = PartyMember.objects.filter(user__username=username).first()
            if member is None:
                member = _member_create(
                    tenant=tenant,
                    username=username,
                    name=name,
                    phone=phone,
                    community=community,
                    employer=employer,
                    employer_name=employer_name,
                )
                registration = member.open_registration
                if i < plan.confirmed or i >= plan.confirmed + plan.pending:
                    confirm = i < plan.confirmed
                    registration = party_services.registration_decide(
                        registration=registration,
                        actor=staff_for(community),
                        confirm=confirm,
                        reason="" if confirm else REJECT_REASON,
                    )
                member.registration_status = registration.status  # as the service set it
            if member.registration_status == RegistrationStatus.CONFIRMED:
                confirmed[plan.code].append(member)
    return confirmed


def ensure_demo_member(
    tenant: Tenant, community: Committee, employer: MemberUnit, actor: User
) -> PartyMember:
    """The demo party member's login: self-registered, then confirmed by the community."""
    account = PARTY_MEMBER_DEMO
    member = PartyMember.objects.filter(user__username=account.username).first()
    if member is None:
        member = party_services.member_self_register(
            tenant=tenant,
            username=account.username,
            password=DEMO_PASSWORD,
            name=account.display_name,
            phone="13911082026",
            community=community,
            employer=employer,
        )
        party_services.registration_decide(
            registration=member.registrations.get(), actor=actor, confirm=True
        )
        member.refresh_from_db()
    return member


def ensure_unit_contact(tenant: Tenant, unit: MemberUnit) -> User:
    account = UNIT_CONTACT_DEMO
    user = User.objects.filter(username=account.username).first()
    if user is None:
        user = account_services.user_create(
            tenant=tenant,
            username=account.username,
            password_hash=demo_password_hash(),
            display_name=account.display_name,
            phone="13601012026",
        )
    account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
    return user


def ensure_teams(
    places: Places,
    specs: list[TeamSpec],
    confirmed: dict[str, list[PartyMember]],
    staff_for: Callable[[Committee], User],
) -> list[ServiceTeam]:
    teams = []
    for spec in specs:
        community = places[spec.community]
        team = ServiceTeam.objects.filter(community=community, name=spec.name).first()
        if team is None:
            team = party_services.team_create(
                actor=staff_for(community), community=community, name=spec.name, kind=spec.kind
            )
        for member in confirmed[spec.community][spec.members]:
            party_services.team_join(actor=member.user, team=team)
        teams.append(team)
    return teams


def service_window(today: dt.date, quarters: int) -> dt.date:
    """The first day of the quarter `quarters - 1` quarters before today's."""
    index = today.year * 4 + (today.month - 1) // 3 - (quarters - 1)
    return dt.date(index // 4, index % 4 * 3 + 1, 1)


def log_service(
    *,
    rng: random.Random,
    owner: PartyMember | ServiceTeam,
    days: list[dt.date],
    staff: User,
    pending_days: list[dt.date],
) -> int:
    """Log an owner's service through the services: mostly recorded by community staff (certified
    at once) or logged by the member and verified; the latest ones still waiting; a few rejected."""
    is_member = isinstance(owner, PartyMember)
    for day in days:
        kind = rng.choice(list(SERVICE_WORK))
        data = party_services.ServiceData(
            served_on=day,
            hours=Decimal(rng.choice(DEMO_HOURS)),
            kind=kind,
            description=rng.choice(SERVICE_WORK[kind]),
            location=short_name(owner.community.name) + rng.choice(SERVICE_PLACES),
        )
        who = {"member": owner} if is_member else {"team": owner}
        mode = rng.random()
        if day not in pending_days and (not is_member or mode < 0.55):
            party_services.service_record_log(
                actor=staff, community=owner.community, data=data, certified=True, **who
            )
            continue
        record = party_services.service_record_log(
            actor=owner.user, community=owner.community, data=data, **who
        )
        if day in pending_days:
            continue  # still waiting for the community to verify it
        if mode < 0.95:
            party_services.service_record_verify(record=record, actor=staff)
        else:
            party_services.service_record_reject(record=record, actor=staff)
    return len(days)


def ensure_service(
    tenant: Tenant,
    members: list[PartyMember],
    teams: list[ServiceTeam],
    staff_for: Callable[[Committee], User],
    *,
    per_member: tuple[int, int] = (2, 5),
    extra: dict[int, int] | None = None,
) -> int:
    """Service records over the last two quarters for members and teams that have none yet."""
    today = timezone.localdate()
    start = service_window(today, 2)
    span = (today - start).days
    extra = extra or {}
    logged = 0
    members_done = set(
        ServiceRecord.objects.filter(member__in=members).values_list("member_id", flat=True)
    )
    teams_done = set(ServiceRecord.objects.filter(team__in=teams).values_list("team_id", flat=True))
    owners: list[PartyMember | ServiceTeam] = [
        *(m for m in members if m.pk not in members_done),
        *(t for t in teams if t.pk not in teams_done),
    ]
    for owner in owners:
        is_member = isinstance(owner, PartyMember)
        rng = random.Random(stable_number("service", tenant.slug, type(owner).__name__, owner.pk))
        count = rng.randint(*per_member) + (extra.get(owner.pk, 0) if is_member else 0)
        offsets = sorted(rng.sample(range(span + 1), min(count, span + 1)))
        if is_member and owner.pk in extra:  # the demo member logged something last week
            offsets = sorted({*offsets[:-1], max(0, span - rng.randint(1, 7))})
        days = [start + dt.timedelta(days=offset) for offset in offsets]
        # Some members' latest log, from the last three weeks, still waits for verification.
        recent = is_member and (today - days[-1]).days <= 21
        pending = days[-1:] if recent and (owner.pk in extra or rng.random() < 0.4) else []
        logged += log_service(
            rng=rng,
            owner=owner,
            days=days,
            staff=staff_for(owner.community),
            pending_days=pending,
        )
    return logged


@dataclass
class DemoResult:
    tenant: Tenant
    units: int = 0
    members: int = 0
    records: int = 0
    logins: list[tuple[DemoAccount, object]] = field(default_factory=list)


def _staff_lookup(tenant: Tenant, by_code: dict[str, str], default: str) -> Callable:
    users = {
        u.username: u
        for u in User.objects.filter(tenant=tenant).filter(
            username__in=[*by_code.values(), default]
        )
    }

    def staff_for(committee: Committee) -> User:
        return users[by_code.get(committee.division_code, default)]

    return staff_for


def _summary(result: DemoResult) -> DemoResult:
    tenant = result.tenant
    result.units = MemberUnit.objects.filter(tenant=tenant).count()
    result.members = PartyMember.objects.filter(tenant=tenant).count()
    result.records = ServiceRecord.objects.filter(tenant=tenant).count()
    return result


def _refs(specs: list[UnitSpec]) -> set[str]:
    return {ref for spec in specs for ref in (spec.at, *spec.joins)}


@transaction.atomic
def seed_beijing(tenant: Tenant) -> DemoResult:
    managed = {(key, spec.committee) for spec in SUBCOMMITTEES for key, _chair in spec.chairs}
    places = Places(
        tenant,
        _refs(BEIJING_UNITS)
        | {spec.committee for spec in SUBCOMMITTEES}
        | set(SEATS)
        | {spec.home for spec in BEIJING_ALLIANCES if spec.home}
        | {ref for _key, ref, _c in UNIT_REGISTRATIONS}
        | {plan.code for plan in DONGHUAMEN_MEMBERS},
    )
    units = ensure_units(tenant, places, BEIJING_UNITS, managed_memberships=managed)
    ensure_subcommittees(places, units, SUBCOMMITTEES)
    ensure_seats(places, units, SEATS)
    ensure_alliances(places, units, BEIJING_ALLIANCES)
    staff_for = _staff_lookup(
        tenant, {"110101001001": "community_staff"}, default="donghuamen_staff"
    )
    admin = User.objects.get(username="bj_admin")
    ensure_unit_registrations(places, units, UNIT_REGISTRATIONS, admin)

    duofu = places["110101001001"]
    demo_member = ensure_demo_member(tenant, duofu, units["pumch"], staff_for(duofu))
    confirmed = ensure_members(
        tenant, places, DONGHUAMEN_MEMBERS, [units[k] for k in EMPLOYER_KEYS], staff_for
    )
    confirmed["110101001001"].insert(0, demo_member)
    teams = ensure_teams(places, DONGHUAMEN_TEAMS, confirmed, staff_for)
    members = [m for code_members in confirmed.values() for m in code_members]
    ensure_service(tenant, members, teams, staff_for, extra={demo_member.pk: 5})
    ensure_unit_contact(tenant, units["plagh"])
    result = _summary(DemoResult(tenant))
    result.logins = [(PARTY_MEMBER_DEMO, duofu), (UNIT_CONTACT_DEMO, units["plagh"])]
    return result


@transaction.atomic
def seed_shanghai(tenant: Tenant) -> DemoResult:
    places = Places(
        tenant,
        _refs(SHANGHAI_UNITS) | {ref for spec in SHANGHAI_ALLIANCES for ref in spec.committees},
    )
    units = ensure_units(tenant, places, SHANGHAI_UNITS, managed_memberships=set())
    ensure_alliances(places, units, SHANGHAI_ALLIANCES)
    return _summary(DemoResult(tenant))


@transaction.atomic
def seed_datong(tenant: Tenant) -> DemoResult:
    places = Places(tenant, _refs(DATONG_UNITS) | {plan.code for plan in DATONG_MEMBERS})
    units = ensure_units(tenant, places, DATONG_UNITS, managed_memberships=set())
    staff_for = _staff_lookup(tenant, {}, default="pingcheng_staff")
    ensure_unit_registrations(
        places, units, [("dt_estate", "140213050001", True)], staff_for(places["140213050001"])
    )
    confirmed = ensure_members(tenant, places, DATONG_MEMBERS, list(units.values()), staff_for)
    teams = ensure_teams(places, DATONG_TEAMS, confirmed, staff_for)
    members = [m for code_members in confirmed.values() for m in code_members]
    ensure_service(tenant, members, teams, staff_for)
    return _summary(DemoResult(tenant))
