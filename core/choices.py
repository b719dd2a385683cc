"""Choice labels looked up once per language, for lists that show one on every row.

Django's `get_FOO_display` builds the field's whole `{value: label}` dict on every call, and each
label is a lazy translation that is translated again as the dict is built: a list of 50 rows
showing a kind, a status and a unit translated some 800 labels a page. `ChoiceLabels` makes
`get_FOO_display` one dict lookup in a table built once per field and language (the labels are
the source's, so they do not change while the process runs).
"""

from __future__ import annotations

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

_labels: dict[tuple[object, str | None], dict] = {}


def choice_labels(field) -> dict:
    """The field's {value: translated label} in the active language."""
    key = (field, get_language())
    labels = _labels.get(key)
    if labels is None:
        labels = {make_hashable(value): str(label) for value, label in field.flatchoices}
        _labels[key] = labels
    return labels


def choice_label(field, value):
    """What `get_FOO_display` gives for the value: its label, or the value itself if unknown."""
    try:
        label = choice_labels(field).get(value, value)
    except TypeError:  # an unhashable value (a JSON list, say): as Django hashes it
        label = choice_labels(field).get(make_hashable(value), value)
    return force_str(label, strings_only=True)


class ChoiceLabels:
    """A model mixin (before `models.Model` among the bases): `get_FOO_display` of each field
    with choices reads `choice_labels`, with the very result Django's own gives."""

    def _get_FIELD_display(self, field):
        return choice_label(field, getattr(self, field.attname))
