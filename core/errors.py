"""The error types every service raises, and how pages and the API show them.

A service raises Django's `ValidationError` for bad input (by field where it can) and
`PermissionDenied` when a policy refuses the user. Pages put the first on the form's fields or in
a message and turn the second into a 403; the API turns them into 400 with field errors and 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


class Errors:
    """Collects field errors so a form or an import row gets all of them at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def check(self, field: str, validate, value):
        try:
            return validate(value)
        except ValidationError as error:
            for message in error.messages:
                self.add(field, message)
            return value

    def absorb(self, error: ValidationError) -> None:
        """Take over another service's errors, by field where it gave them."""
        for field, messages in field_messages(error).items():
            for message in messages:
                self.add(field, message)

    def any(self) -> bool:
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


class NotAllowed(PermissionDenied):
    """A policy's refusal, with the reason in words the user understands."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


NON_FIELD = "non_field_errors"


def field_messages(error: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [messages]}; errors of no field under "non_field_errors"."""
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: list(error.messages)}


def error_text(error: ValidationError) -> str:
    """Every message of a ValidationError in one line, for a page's message bar."""
    return "；".join(m for messages in field_messages(error).values() for m in messages)
