"""Numbers in templates as people write them (`core.numbers`):

- `{{ resource.remaining|number }}` → 15 (not 15.0), 12.5 stays 12.5;
- `{{ resource.remaining|quantity:resource.capacity_unit }}` → 15个 (the unit's label from a
  CapacityUnit code, or the text given);
- `{{ match.score|score }}` → 匹配度62%, the one way a match score is shown everywhere.
"""

from django import template
from django.utils.translation import gettext as _

from core.numbers import number as _number
from core.numbers import percent as _percent

register = template.Library()


@register.filter
def number(value) -> str:
    return _number(value)


@register.filter
def quantity(value, unit="") -> str:
    """A quantity with its unit: a capacity unit's code is shown by its label."""
    if value is None or value == "":
        return ""
    label = unit or ""
    if label:
        from django.apps import apps

        # The units are the resources room's choices; core imports no app, so look them up.
        model = apps.get_model("resources", "Resource")
        labels = dict(model._meta.get_field("capacity_unit").choices)
        label = labels.get(unit, unit)
    return f"{_number(value)}{label}"


@register.filter
def score(value) -> str:
    text = _percent(value)
    return _("匹配度%(p)s") % {"p": text} if text else ""


@register.filter
def percent(value) -> str:
    return _percent(value)
