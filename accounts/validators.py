"""The password policy: long enough, and made of several kinds of character.

Django's own validators keep out passwords that resemble the account's name, common passwords and
all-digit passwords; this one adds length and variety, with messages in the user's language.
"""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_kinds(password: str) -> set[str]:
    """Which of the four kinds of character a password uses. Anything that is not an ASCII
    letter or digit (punctuation, a space, a Chinese character) counts as a symbol."""
    kinds = set()
    for char in password:
        if char in string.ascii_lowercase:
            kinds.add("lower")
        elif char in string.ascii_uppercase:
            kinds.add("upper")
        elif char in string.digits:
            kinds.add("digit")
        else:
            kinds.add("symbol")
    return kinds


class PasswordComplexityValidator:
    """At least `min_length` characters and at least `min_kinds` of: lowercase letters, uppercase
    letters, digits, symbols."""

    def __init__(self, min_length: int = 10, min_kinds: int = 3) -> None:
        self.min_length = min_length
        self.min_kinds = min_kinds

    def validate(self, password: str, user=None) -> None:
        errors = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    _("密码太短：至少需要%(min_length)d个字符，当前只有%(length)d个。"),
                    code="password_too_short",
                    params={"min_length": self.min_length, "length": len(password)},
                )
            )
        if len(character_kinds(password)) < self.min_kinds:
            errors.append(
                ValidationError(
                    _("密码太简单：须包含小写字母、大写字母、数字、符号中的至少%(min_kinds)d类。"),
                    code="password_too_simple",
                    params={"min_kinds": self.min_kinds},
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "密码至少%(min_length)d个字符，包含小写字母、大写字母、数字、符号中的至少%(min_kinds)d类。"
        ) % {"min_length": self.min_length, "min_kinds": self.min_kinds}
