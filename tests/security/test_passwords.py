"""The password policy: ten characters or more, three kinds of character, not common, not all
digits, not the username; every refusal says why in Chinese."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError

from accounts.validators import PasswordComplexityValidator, character_kinds
from members.models import User

from ..factories import TEST_PASSWORD

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def refusal(password: str, user: User | None = None) -> list[str]:
    with pytest.raises(ValidationError) as error:
        validate_password(password, user)
    return error.value.messages


@pytest.mark.parametrize(
    "password", ["Dangjian@2026", TEST_PASSWORD, "dangjian2026!", "党建Work2026"]
)
def test_good_passwords_pass(password):
    validate_password(password, User(username="dhm_staff"))


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("Ab1!", "密码太短"),
        ("dangjianxiezuo", "密码太简单"),  # long, one kind
        ("dangjian2026", "密码太简单"),  # two kinds
        ("12345678901", "只包含数字"),  # Django's own: entirely numeric
        ("password1234", "常见"),  # Django's own: too common
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, says):
    messages = refusal(password)
    assert any(says in message for message in messages), messages
    assert all(CHINESE.search(message) for message in messages), messages


def test_a_password_like_the_username_is_refused():
    messages = refusal("Donghuamen_staff1", User(username="donghuamen_staff"))
    assert all(CHINESE.search(message) for message in messages), messages


def test_short_and_simple_says_both():
    messages = refusal("abcdefg")
    assert any("密码太短" in m for m in messages) and any("密码太简单" in m for m in messages)


def test_character_kinds():
    assert character_kinds("aA1!") == {"lower", "upper", "digit", "symbol"}
    assert character_kinds("党建abc") == {"lower", "symbol"}


def test_help_text_is_chinese():
    assert any("至少10个字符" in text for text in password_validators_help_texts())
    assert "3类" in PasswordComplexityValidator().get_help_text()
