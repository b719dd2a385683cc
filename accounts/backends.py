"""How a signed-in user is read back on each request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import F


class UserWithTenantBackend(ModelBackend):
    """Django's model backend, reading the session's user together with their tenant and their
    own party-member record's id: every page names the tenant in its header, and every scoped
    read of party members, services and points asks for the user's own record (each cost a query
    of its own on every request; `User.own_party_member_id` takes the annotation when present)."""

    def get_user(self, user_id):
        users = (
            get_user_model()
            ._default_manager.select_related("tenant")
            .annotate(_own_party_member_id=F("party_member__pk"))
        )
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
