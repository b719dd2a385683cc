"""Personal data in templates: `{{ member.phone|mask_phone }}` shows 138****1234."""

from django import template

from core import identifiers

register = template.Library()


@register.filter
def mask_phone(phone: str | None) -> str:
    return identifiers.mask_phone(phone or "")
