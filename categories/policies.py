"""Who may change the tenant's taxonomy: the rule the category services enforce and the pages
only ask about (to show the buttons)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotAllowed
from members.models import Role


def may_edit_categories(user) -> bool:
    """A tenant administrator at the root of their own tenant's tree: the taxonomy is the whole
    city's vocabulary, not one district's."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.tenant_id:
        return False
    return any(
        grant.role == Role.TENANT_ADMIN
        and grant.committee is not None
        and grant.committee.parent_id is None
        and grant.committee.tenant_id == user.tenant_id
        for grant in user.role_grants()
    )


def ensure_may_edit_categories(user, tenant_id: int | None = None) -> None:
    """Refuses anyone but a root tenant administrator (of `tenant_id`, when given)."""
    if not may_edit_categories(user) or (tenant_id is not None and user.tenant_id != tenant_id):
        raise NotAllowed(_("只有市级租户管理员可以修改需求类别。"))
