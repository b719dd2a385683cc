"""Who may change the tenant's taxonomy."""

from __future__ import annotations

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
