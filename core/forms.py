"""The form base of every page: styled widgets, invalid fields marked, a service's errors shown
on their fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .errors import NON_FIELD, field_messages
from .numbers import number
from .widgets import MultiPickerWidget, split_references


def date_input() -> forms.DateInput:
    # A browser date box only accepts ISO dates, whatever the page's language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StyledForm(forms.Form):
    """Gives every widget the page's styling and marks fields that failed validation.

    Every error at once: a form whose rules live in a service sets `service_check` (a callable
    taking the cleaned data that raises the service's ValidationError). When the form's own
    fields already failed, the service is asked too, so a missing title does not hide a past
    date or a negative head count until the title is fixed; a field keeps its own first error."""

    service_check = None

    def _post_clean(self):
        super()._post_clean()
        if not self._errors or self.service_check is None:
            return
        try:
            self.service_check(dict(self.cleaned_data))
        except ValidationError as error:
            for name, messages in field_messages(error).items():
                if name in self.fields and name not in self._errors:
                    self.add_error(name, messages)
                elif name == NON_FIELD:
                    self.add_error(None, messages)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Numbers as people write them: an edit form shows 999, not the column's 999.0.
        for name, field in self.fields.items():
            if isinstance(field, forms.DecimalField):
                if self.initial.get(name) not in (None, ""):
                    self.initial[name] = number(self.initial[name])
                if field.initial not in (None, "") and not callable(field.initial):
                    field.initial = number(field.initial)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def add_error(self, field, error):
        super().add_error(field, error)
        # Errors from a service arrive after validation; mark every failed field the same way.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "").split()
                if "is-invalid" not in classes:
                    widget.attrs["class"] = " ".join([*classes, "is-invalid"])

    def add_service_errors(self, error: ValidationError, aliases: dict[str, str] | None = None):
        """Show a service's ValidationError on the form's fields (by the service's field name,
        or an alias of it), and what belongs to no field above the form."""
        aliases = aliases or {}
        for name, messages in field_messages(error).items():
            name = aliases.get(name, name)
            self.add_error(name if name in self.fields and name != NON_FIELD else None, messages)

    def error_text(self) -> str:
        return "；".join(e for errors in self.errors.values() for e in errors)


class ReferencesField(forms.Field):
    """Several committees or units, chosen with a multi-picker (`core.widgets.MultiPickerWidget`)
    and found by a references resolver over the user's scope (`pick_with`): ids of picked
    choices and names typed without JavaScript alike. Every reference that names nothing the
    user may choose is said at once, on the field; the cleaned value is the objects, each once."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultiPickerWidget(""))
        super().__init__(**kwargs)
        self.resolver = None

    def pick_with(self, resolver, lookup_url: str, *, action: str = "", placeholder: str = ""):
        self.resolver = resolver
        self.widget.resolver = resolver
        self.widget.lookup_url = lookup_url
        self.widget.action = action
        self.widget.placeholder = placeholder

    def clean(self, value):
        references = split_references(value)
        if not references:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        self.resolver.prefetch(references)
        found, problems = {}, []
        for reference in references:
            try:
                chosen = self.resolver.resolve(reference)
            except ValidationError as error:
                problems.extend(error.messages)
            else:
                found.setdefault(chosen.pk, chosen)
        if problems:
            raise ValidationError(problems)
        return list(found.values())


def add_service_errors(form, error: ValidationError) -> None:
    """For a form that is not a StyledForm (Django's own)."""
    for name, messages in field_messages(error).items():
        form.add_error(name if name in form.fields else None, messages)
