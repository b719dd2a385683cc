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
