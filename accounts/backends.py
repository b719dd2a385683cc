"""How a signed-in user is read back on each request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserWithTenantBackend(ModelBackend):
    """Django's model backend, reading the session's user together with their tenant: every
    page names the tenant in its header, which cost a query of its own on every page."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("tenant")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
