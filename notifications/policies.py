"""Who may do what with notifications: the one place these rules live, enforced by the services.

A notification is its recipient's alone (the inbox's scoping entry point says so). A webhook
endpoint hears a committee subtree's events: the tenant administrators of that subtree connect
it, switch it off and on, and read its secret; nobody else may."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotAllowed
from core.scoping import Action, can, user_scopes


def may_manage_webhooks(user) -> bool:
    """Administers some subtree, so has webhook endpoints to list and may add one."""
    return bool(user_scopes(user, Action.MANAGE_TREE))


def require_webhook_administrator(user, committee) -> None:
    if not can(user, Action.MANAGE_TREE, committee):
        raise NotAllowed(_("只有该协调委员会的租户管理员可以管理其Webhook。"))
