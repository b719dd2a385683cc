"""Write operations of party members: the dual registration (双报到), service records and their
points, service teams."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import user_create
from committees.models import Committee, Level, Tenant
from core import identifiers
from core.errors import Errors, NotAllowed
from core.scoping import Action, covers, ensure_in_scope
from members.models import MemberUnit, Role, User
from members.selectors import answering_committee, routing_note, staff_at
from notifications import services as notifications
from notifications.models import Event

from . import policies, selectors
from .models import (
    PartyMember,
    PointsEntry,
    PointsRule,
    RecordStatus,
    Registration,
    RegistrationStatus,
    ServiceKind,
    ServiceRecord,
    ServiceTeam,
)

SEPARATED_ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
COMMUNITY_LEVELS = {Level.COMMUNITY}


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


# --- telling people what happened -----------------------------------------------------------------


def notify_registration_arrived(registration: Registration) -> None:
    """Community staff hear of a registration waiting for them (the nearest staffed committee up
    the tree when the community has no staff yet, saying so)."""
    community = registration.community
    answering = answering_committee(community)
    who = registration.member.name if registration.member_id else registration.unit.name
    notifications.notify(
        tenant_id=registration.tenant_id,
        recipients=staff_at(answering),
        event=Event.REGISTRATION,
        title=_("%(who)s申请到%(community)s报到") % {"who": who, "community": community.name},
        body=routing_note(community, answering),
        link=f"/party-members/committees/{community.pk}/roster/",
        key=f"registration:{registration.pk}",
        committee=community,
    )


def notify_registration_decided(registration: Registration) -> None:
    """The member (or the unit's contacts) hear whether their registration was confirmed or
    sent back, and why."""
    if registration.member_id:
        recipients = User.objects.filter(pk=registration.member.user_id)
    else:
        recipients = User.objects.filter(
            is_active=True, grants__role=Role.UNIT_CONTACT, grants__member_unit=registration.unit_id
        ).distinct()
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    title = (
        _("您在%(community)s的报到已确认") if confirmed else _("您在%(community)s的报到被退回")
    ) % {"community": registration.community.name}
    body = (
        _("现在可以登记服务、认领心愿。")
        if confirmed
        else _("退回原因：%(reason)s。可修改后重新报到。") % {"reason": registration.reason}
    )
    notifications.notify(
        tenant_id=registration.tenant_id,
        recipients=recipients,
        event=Event.REGISTRATION,
        title=title,
        body=body,
        link="/party-members/me/" if registration.member_id else "/",
        key=f"registration-decided:{registration.pk}",
    )


def notify_service_decided(record: ServiceRecord) -> None:
    """A member hears that the service they logged was verified (with its points) or not."""
    if record.member_id is None or record.member.user_id is None:
        return
    verified = record.status == RecordStatus.VERIFIED
    title = (_("您%(day)s的服务已核实") if verified else _("您%(day)s的服务记录未通过核实")) % {
        "day": record.served_on.strftime("%m月%d日")
    }
    notifications.notify(
        tenant_id=record.tenant_id,
        recipients=User.objects.filter(pk=record.member.user_id),
        event=Event.REGISTRATION,
        title=title,
        body=record.description[:200],
        link="/party-members/me/",
        key=f"service-decided:{record.pk}",
    )


def self_registration_check(
    errors: Errors,
    *,
    tenant: Tenant | None,
    username: str,
    password: str,
    name: str,
    phone: str,
    community: Committee | str | None,
    employer: MemberUnit | None = None,
) -> tuple[Committee | None, str]:
    """Every problem of a self-registration, into `errors` (the form asks it too, so all show
    at once): the community found and the phone as kept. Without a tenant (its field failed)
    the community is not looked for."""
    if isinstance(community, str):
        if tenant is None:
            community = None
        else:
            community = errors.check(
                "community", lambda ref: selectors.community_by_reference(tenant, ref), community
            )
            community = community if isinstance(community, Committee) else None
    username = (username or "").strip()
    if not username:
        errors.add("username", _("请填写用户名。"))
    elif User.objects.filter(username=username).exists():
        errors.add("username", _("用户名“%(name)s”已被使用。") % {"name": username})
    if not (name or "").strip():
        errors.add("name", _("请填写姓名。"))
    phone = errors.check("phone", identifiers.validate_phone, phone)
    if tenant is not None and "community" not in errors.by_field:
        _validate_community(errors, tenant=tenant, community=community)
    if tenant is not None and employer is not None and employer.tenant_id != tenant.pk:
        errors.add("employer", _("所选单位不属于本市。"))
    errors.check(
        "password", lambda value: validate_password(value, User(username=username)), password
    )
    return community, phone


@transaction.atomic
def member_self_register(
    *,
    tenant: Tenant,
    username: str,
    password: str,
    name: str,
    phone: str,
    community: Committee | str | None,
    employer_name: str = "",
    employer: MemberUnit | None = None,
) -> PartyMember:
    """An in-service party member opens an account and asks to register with the community
    where they live (named by its public name or division code, or given); community staff
    confirm. Anyone may ask, with no account yet: there is no actor to check."""
    errors = Errors()
    community, phone = self_registration_check(
        errors,
        tenant=tenant,
        username=username,
        password=password,
        name=name,
        phone=phone,
        community=community,
        employer=employer,
    )
    errors.raise_if_any()
    username = username.strip()
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
    registration = Registration.objects.create(tenant=tenant, community=community, member=member)
    notify_registration_arrived(registration)
    return member


@transaction.atomic
def member_registration_request(*, actor: User, community: Committee) -> Registration:
    """A registered member moves: withdraws the open registration and asks the new community."""
    member = policies.require_self(actor, selectors.own_party_member(actor))
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
    registration = Registration.objects.create(
        tenant=member.tenant, community=community, member=member
    )
    ensure_in_scope(member, actor, Action.CHANGE)
    notify_registration_arrived(registration)
    return registration


@transaction.atomic
def unit_registration_request(
    *, actor: User, unit: MemberUnit, community: Committee
) -> Registration:
    """A unit's party organisation registers with the community where the unit stands: asked
    by the unit's contact, or by the community's staff."""
    policies.require_unit_side(actor, unit, community)
    errors = Errors()
    _validate_community(errors, tenant=unit.tenant, community=community)
    if not errors.by_field:
        located = unit.committee
        if not covers(located, community):
            errors.add(
                "community",
                _("单位党组织应到单位所在地“%(place)s”辖内的社区报到。") % {"place": located.name},
            )
    if Registration.objects.filter(
        unit=unit, status__in=[RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED]
    ).exists():
        errors.add("community", _("“%(unit)s”已有报到记录。") % {"unit": unit.name})
    errors.raise_if_any()
    registration = Registration.objects.create(tenant=unit.tenant, community=community, unit=unit)
    ensure_in_scope(registration, actor, Action.CHANGE)
    if not actor.committee_scopes(Action.CHANGE):
        notify_registration_arrived(registration)  # staff entering it themselves need no word
    return registration


def _locked_for_staff(model, pk: int, actor: User, refusal: str):
    """A registration or a service record, locked for the write, once the actor is found to be
    staff of its community."""
    obj = model.objects.select_for_update(of=("self",)).select_related("community").get(pk=pk)
    policies.require_staff_of(actor, obj.community, refusal)
    return obj


@transaction.atomic
def registration_decide(
    *, registration: Registration, actor: User, confirm: bool, reason: str = ""
) -> Registration:
    """Community staff confirm (or send back, with a reason) a registration."""
    registration = _locked_for_staff(
        Registration, registration.pk, actor, _("只有报到社区的工作人员可以确认或退回报到。")
    )
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
    ensure_in_scope(registration, actor, Action.CHANGE)
    if registration.member_id:
        PartyMember.objects.filter(pk=registration.member_id).update(
            registration_status=registration.status
        )
    notify_registration_decided(registration)
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


def service_check(errors: Errors, data: ServiceData) -> None:
    """A service record's problems into `errors`, for the form to show with its own."""
    _clean_service(errors, data)


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
    """Log one act of service. Whoever records it certifies it: when the community's staff
    record it (`certified`), it is verified at once and earns its points. A member logs their
    own service, once the community has confirmed their registration, and the log waits for
    the community's verification."""
    if certified:
        policies.require_staff_of(
            actor, community, _("只有服务所在社区的工作人员可以记录并核实服务。")
        )
    else:
        member = policies.require_self(actor, member)
        if member.registration_status != RegistrationStatus.CONFIRMED:
            raise ValidationError(_("报到经社区确认后才能记录服务。"))
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
    ensure_in_scope(record, actor, Action.CHANGE)
    if certified:
        _verify(record, actor)
    return record


def _pending_record(record: ServiceRecord, actor: User) -> ServiceRecord:
    """The record, locked, once the actor is found to be staff where the service was done and
    the record to be still waiting."""
    record = _locked_for_staff(
        ServiceRecord, record.pk, actor, _("只有服务所在社区的工作人员可以核实服务记录。")
    )
    if record.status != RecordStatus.PENDING:
        raise ValidationError(
            _("该记录已处理（%(status)s）。") % {"status": record.get_status_display()}
        )
    return record


@transaction.atomic
def service_record_verify(*, record: ServiceRecord, actor: User) -> ServiceRecord:
    """The community's staff confirm a member's log: it earns its points."""
    record = _pending_record(record, actor)
    _verify(record, actor)
    ensure_in_scope(record, actor, Action.CHANGE)
    notify_service_decided(record)
    return record


@transaction.atomic
def service_record_reject(*, record: ServiceRecord, actor: User) -> ServiceRecord:
    """The community's staff find a log not borne out: it earns nothing."""
    record = _pending_record(record, actor)
    record.status = RecordStatus.REJECTED
    record.verified_by = actor
    record.verified_at = timezone.now()
    record.save(update_fields=["status", "verified_by", "verified_at"])
    ensure_in_scope(record, actor, Action.CHANGE)
    notify_service_decided(record)
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
def team_create(*, actor: User, community: Committee, name: str, kind: str) -> ServiceTeam:
    """The community's staff found a service team (心愿认领队, 组团服务队, 先锋队)."""
    from .models import TeamKind

    policies.require_staff_of(actor, community, _("只有社区工作人员可以成立服务队。"))
    errors = Errors()
    if not (name or "").strip():
        errors.add("name", _("请填写队名。"))
    if kind not in TeamKind.values:
        errors.add("kind", _("未知的服务队类型。"))
    if ServiceTeam.objects.filter(community=community, name=(name or "").strip()).exists():
        errors.add("name", _("本社区已有同名服务队。"))
    errors.raise_if_any()
    team = ServiceTeam.objects.create(
        tenant_id=community.tenant_id, community=community, name=name.strip(), kind=kind
    )
    ensure_in_scope(team, actor, Action.CHANGE)
    return team


@transaction.atomic
def team_join(*, actor: User, team: ServiceTeam) -> None:
    """A party member joins a team of the community that confirmed their registration."""
    member = selectors.own_party_member(actor)
    if member is None:
        raise NotAllowed(_("只有在职党员可以加入服务队。"))
    if member.tenant_id != team.tenant_id:
        raise ValidationError({"member": _("只能加入本市的服务队。")})
    if (
        member.registration_status != RegistrationStatus.CONFIRMED
        or member.community_id != team.community_id
    ):
        raise ValidationError({"member": _("请先到该社区报到并经确认后再加入服务队。")})
    team.members.add(member)
    # The teams a member sees are those they may join: the team must still be one of them.
    ensure_in_scope(team, actor, Action.VIEW)


# --- reading a member's record ----------------------------------------------------------------------


def party_member_read(*, actor: User, member: PartyMember, request=None) -> PartyMember:
    """Someone reads a member's record in full. Party membership is sensitive personal data
    (PIPL): every read by someone else is recorded in the audit trail; one's own is not."""
    from audit.services import record_personal_data_access

    if member.user_id != getattr(actor, "pk", None):
        record_personal_data_access(actor, member, request)
    return member
