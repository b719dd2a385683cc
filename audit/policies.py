"""Who reads the audit trail: the tenant's audit administrator (安全审计员), and nobody else."""

from __future__ import annotations

from members.models import Role


def is_auditor(user) -> bool:
    """Holds the audit administrator's role in their own tenant."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.tenant_id is not None
        and user.has_role(Role.AUDIT_ADMIN)
    )
