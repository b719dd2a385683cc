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
def is_department_officer(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.department_ids())
