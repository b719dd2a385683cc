"""What the navigation offers to whom: `{% if user|is_auditor %}`."""

from django import template

from accounts import policies
from audit import services as audit

register = template.Library()


@register.filter
def is_auditor(user) -> bool:
    return audit.is_auditor(user)


@register.filter
def is_administrator(user) -> bool:
    return policies.is_administrator(user)


@register.filter
def manages_accounts(user) -> bool:
    return policies.is_account_manager(user)


@register.filter
def is_security_admin(user) -> bool:
    return policies.is_security_admin(user)


@register.filter
def uses_api(user) -> bool:
    return policies.uses_api(user)
