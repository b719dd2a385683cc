"""The picker: search-as-you-type for a committee or a member unit, never a raw code.

A hidden input carries the chosen id (the references resolver takes ids, codes and names
alike); beside it a search box shows the current choice by name and, as the user types, asks a
scoped lookup endpoint (HTMX) for matches: `/committees/lookup/` and `/members/units/lookup/`,
each reading through its model's `visible_to(user, action)`. Without JavaScript the box is an
ordinary text field whose name or code the resolver still understands.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError

# The search box's own name: `<field>__text`, read back when no result was picked.
TEXT_SUFFIX = "__text"


class SiteTemplateWidget(forms.Widget):
    """A widget drawn by the site's template engine (templates/includes/), not the form
    renderer's own, so its template may use the site's tags and translations."""

    def render(self, name, value, attrs=None, renderer=None):
        # The site's template engine (templates/includes/), not the form renderer's own.
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        context = self.get_context(name, value, self.build_attrs(self.attrs, attrs))
        return mark_safe(render_to_string(self.template_name, context))


class PickerWidget(SiteTemplateWidget):
    template_name = "includes/picker.html"

    def __init__(
        self,
        lookup_url: str,
        *,
        label_for: Callable[[str], str] | None = None,
        action: str = "",
        placeholder: str = "",
        value_for_text: Callable[[str], str] | None = None,
        attrs=None,
    ):
        super().__init__(attrs)
        self.lookup_url = lookup_url
        self.label_for = label_for
        self.value_for_text = value_for_text
        self.action = action
        self.placeholder = placeholder

    def value_from_datadict(self, data, files, name):
        """The hidden id, unless the search box says something else: then what was typed (a
        name or a code, as the user wrote it without JavaScript; with it, the script keeps the
        two in step). A field over choices maps a typed name to its choice."""
        value = data.get(name)
        text = (data.get(f"{name}{TEXT_SUFFIX}") or "").strip()
        if not text:
            return value
        value = "" if value is None else str(value)
        label = self.label_for(value) if value and self.label_for is not None else ""
        if text in (value, label):
            return value
        return self.value_for_text(text) if self.value_for_text is not None else text

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = "" if value is None else str(value)
        label = ""
        if value and self.label_for is not None:
            label = self.label_for(value) or ""
        query = f"?action={self.action}" if self.action else ""
        context["picker"] = {
            "value": value,
            "text_name": f"{name}{TEXT_SUFFIX}",
            "label": label or value,
            "url": f"{self.lookup_url}{query}",
            "placeholder": self.placeholder,
        }
        return context


class TypedPickerWidget(SiteTemplateWidget):
    """A picker for a public form whose typed name is the fallback (the self-registration's
    community): the search box is the field itself, so a name or code typed without JavaScript
    is sent as it is, and the id of a result picked travels beside it in `<name>_id` (typing
    again clears it). `include` adds other inputs to the search (the chosen city)."""

    template_name = "includes/picker_typed.html"

    def __init__(self, lookup_url: str, *, include: str = "", placeholder: str = "", attrs=None):
        super().__init__(attrs)
        self.lookup_url = lookup_url
        self.include = include
        self.placeholder = placeholder
        self.chosen: tuple[int, str] | None = None  # (id, name) of the result picked

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen_id, label = self.chosen or ("", "")
        context["picker"] = {
            "id_name": f"{name}_id",
            "chosen_id": chosen_id,
            "text": label or ("" if value is None else str(value)),
            "url": self.lookup_url,
            "include": self.include,
            "placeholder": self.placeholder,
        }
        return context


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
    choices = [
        c
        for c in list(getattr(field, "choices", None) or getattr(field.widget, "choices", ()))
        if c[0] not in ("", None)
    ]
    field.widget = PickerWidget(
        lookup_url,
        label_for=choices_label(choices),
        value_for_text=choice_for_name(choices),
        action=action,
        placeholder=placeholder,
    )


def choice_for_name(choices) -> Callable[[str], str]:
    """A typed name's choice, when exactly one choice is called so (else the text itself, which
    the field refuses with its own message)."""
    by_name: dict[str, list[str]] = {}
    for key, label in choices:
        by_name.setdefault(str(label).strip("\u3000 "), []).append(str(key))

    def value_for_text(text: str) -> str:
        found = by_name.get(text.strip(), [])
        return found[0] if len(found) == 1 else text

    return value_for_text


def resolver_picker(resolver, lookup_url: str, *, placeholder: str = "") -> PickerWidget:
    """A picker whose current choice is named through a references resolver (`core.references`):
    the label is found among the resolver's own candidates, the very scope the server accepts."""

    def label_for(reference: str) -> str:
        found = resolver.matches(reference)
        return str(getattr(found[0], "name", found[0])) if len(found) == 1 else ""

    return PickerWidget(lookup_url, label_for=label_for, placeholder=placeholder)


# --- several choices ------------------------------------------------------------------------------

# What separates the names typed into a multi-picker's box without JavaScript.
SEPARATORS = re.compile(r"[\n\r、,，;；]+")


def split_references(values) -> list[str]:
    """The references a multi-picker sent: the ids of its ticked choices and whatever names were
    typed into its box (several at once, separated by 、 or commas), each once, in order."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    found: list[str] = []
    for value in values:
        for part in SEPARATORS.split(str(value)):
            part = part.strip()
            if part and part not in found:
                found.append(part)
    return found


class MultiPickerWidget(SiteTemplateWidget):
    """Several committees or units: the current choices listed by name as ticked boxes (untick to
    drop one) and a search box that asks the same scoped lookup as the single picker; a result
    picked joins the ticked choices. Without JavaScript the box takes names or codes typed
    outright, separated by 、, which the field's resolver reads as it reads ids."""

    template_name = "includes/multi_picker.html"
    allow_multiple_selected = True

    def __init__(self, lookup_url: str, *, resolver=None, action="", placeholder="", attrs=None):
        super().__init__(attrs)
        self.lookup_url = lookup_url
        self.resolver = resolver
        self.action = action
        self.placeholder = placeholder

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter is not None else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False

    def format_value(self, value):
        if value is None:
            return []
        if isinstance(value, str | int):
            value = [value]
        return [str(getattr(v, "pk", v)) for v in value]

    def chosen(self, references: list[str]) -> tuple[list[dict], list[str]]:
        """The references that name one usable choice (with its name), and those that do not
        (kept as typed, to be corrected)."""
        if self.resolver is None:
            return [], references
        self.resolver.prefetch(references)
        chosen, typed, seen = [], [], set()
        for reference in references:
            try:
                found = self.resolver.resolve(reference)
            except ValidationError:
                typed.append(reference)
                continue
            if found.pk not in seen:
                seen.add(found.pk)
                chosen.append({"value": found.pk, "label": str(getattr(found, "name", found))})
        return chosen, typed

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen, typed = self.chosen(split_references(self.format_value(value)))
        query = f"?action={self.action}" if self.action else ""
        context["picker"] = {
            "chosen": chosen,
            "typed": "、".join(typed),
            "url": f"{self.lookup_url}{query}",
            "placeholder": self.placeholder,
        }
        return context
