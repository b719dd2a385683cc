"""Who may do what with sign-in and its second factor: the one place these rules live.

The second factor (TOTP) is offered to administrators only: the tenant administrator, the three
separated administrators (三员分立) and platform superusers. For everyone else the page does
not exist."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotAllowed
from members.models import Role

ADMINISTRATOR_ROLES = (
    Role.TENANT_ADMIN,
    Role.SYSTEM_ADMIN,
    Role.SECURITY_ADMIN,
    Role.AUDIT_ADMIN,
)


def is_administrator(user) -> bool:
    """May enrol a second factor."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.has_role(*ADMINISTRATOR_ROLES)


def require_administrator(user) -> None:
    if not is_administrator(user):
        raise NotAllowed(_("只有管理员账号可以设置两步验证。"))
