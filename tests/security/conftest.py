"""The security personas on top of the shared world: the three separated administrators of
tenant A, and the audit administrator of tenant B."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from members.models import Role, User

from ..conftest import World
from ..factories import TEST_PASSWORD, user_with_role


@dataclass
class Admins:
    auditor: User
    system_admin: User
    security_admin: User
    other_auditor: User


@pytest.fixture
def admins(world: World) -> Admins:
    return Admins(
        auditor=user_with_role(Role.AUDIT_ADMIN, world.city, username="bj_auditor"),
        system_admin=user_with_role(Role.SYSTEM_ADMIN, world.city, username="bj_sysadmin"),
        security_admin=user_with_role(Role.SECURITY_ADMIN, world.city, username="bj_secadmin"),
        other_auditor=user_with_role(Role.AUDIT_ADMIN, world.other_city, username="sh_auditor"),
    )


def login_post(username: str, password: str = TEST_PASSWORD, ip: str = "10.0.0.1", **extra):
    """A password login from a fresh browser at `ip`; returns (client, response)."""
    client = Client(REMOTE_ADDR=ip)
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, **extra
    )
    return client, response


def as_user(user: User, **defaults) -> Client:
    """A browser of its own, logged in as `user` (so that one persona's messages do not show on
    another's page)."""
    client = Client(**defaults)
    client.force_login(user)
    return client
