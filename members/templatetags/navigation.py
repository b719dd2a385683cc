"""What each kind of user finds in the navigation bar (no queries beyond the cached grants)."""

from django import template

from core.scoping import Action

register = template.Library()


@register.filter
def reads_committees(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.committee_scopes(Action.VIEW))


@register.filter
def acts_in_committees(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.committee_scopes(Action.CHANGE))


@register.filter
def is_unit_contact(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.unit_ids())


@register.filter
def is_tenant_admin(user) -> bool:
    from members.models import Role

    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.TENANT_ADMIN))


@register.filter
def roster_committees(user) -> list:
    """The communities whose dual-registration roster the user keeps: those where they hold a
    staff grant at community level (read off the cached grants, no query)."""
    from committees.models import Level
    from members.models import ROLES_FOR_ACTION

    if not getattr(user, "is_authenticated", False):
        return []
    return [
        grant.committee
        for grant in user.role_grants()
        if grant.committee is not None
        and grant.role in ROLES_FOR_ACTION[Action.CHANGE]
        and grant.committee.level == Level.COMMUNITY
    ]


@register.filter
def is_department_officer(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.department_ids())
