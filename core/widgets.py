"""The picker: search-as-you-type for a committee or a member unit, never a raw code.

A hidden input carries the chosen id (the references resolver takes ids, codes and names
alike); beside it a search box shows the current choice by name and, as the user types, asks a
scoped lookup endpoint (HTMX) for matches: `/committees/lookup/` and `/members/units/lookup/`,
each reading through its model's `visible_to(user, action)`. Without JavaScript the box is an
ordinary text field whose name or code the resolver still understands.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms


class PickerWidget(forms.Widget):
    template_name = "includes/picker.html"

    def __init__(
        self,
        lookup_url: str,
        *,
        label_for: Callable[[str], str] | None = None,
        action: str = "",
        placeholder: str = "",
        attrs=None,
    ):
        super().__init__(attrs)
        self.lookup_url = lookup_url
        self.label_for = label_for
        self.action = action
        self.placeholder = placeholder

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = "" if value is None else str(value)
        label = ""
        if value and self.label_for is not None:
            label = self.label_for(value) or ""
        query = f"?action={self.action}" if self.action else ""
        context["picker"] = {
            "value": value,
            "label": label or value,
            "url": f"{self.lookup_url}{query}",
            "placeholder": self.placeholder,
        }
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The site's template engine (templates/includes/), not the form renderer's own.
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        context = self.get_context(name, value, self.build_attrs(self.attrs, attrs))
        return mark_safe(render_to_string(self.template_name, context))


def choices_label(choices) -> Callable[[str], str]:
    """The `label_for` of a picker over a field whose choices are already the user's scope (a
    choice field's list): the current choice's name, as the list words it."""
    names = {str(key): str(label).strip("\u3000 ") for key, label in choices}

    def label_for(reference: str) -> str:
        return names.get(reference.strip(), "")

    return label_for


def pick_from_choices(field, lookup_url: str, *, action: str = "", placeholder: str = "") -> None:
    """Turn a scoped choice field into a picker: the field keeps its choices, so what the server
    accepts stays the user's scope, while the page searches the lookup instead of listing them."""
    choices = list(getattr(field, "choices", None) or getattr(field.widget, "choices", ()))
    field.widget = PickerWidget(
        lookup_url,
        label_for=choices_label([c for c in choices if c[0] not in ("", None)]),
        action=action,
        placeholder=placeholder,
    )


def resolver_picker(resolver, lookup_url: str, *, placeholder: str = "") -> PickerWidget:
    """A picker whose current choice is named through a references resolver (`core.references`):
    the label is found among the resolver's own candidates, the very scope the server accepts."""

    def label_for(reference: str) -> str:
        found = resolver.matches(reference)
        return str(getattr(found[0], "name", found[0])) if len(found) == 1 else ""

    return PickerWidget(lookup_url, label_for=label_for, placeholder=placeholder)
