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
