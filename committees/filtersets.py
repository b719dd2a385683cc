"""The filter every list shares for "where": a committee's subtree."""

from __future__ import annotations

import django_filters

from core.scoping import Action, subtree_q

from .selectors import committee_resolver


class SubtreeFilter(django_filters.CharFilter):
    """Rows whose committee (along `path`) lies in the subtree of the committee named, by id,
    12-digit code or exact name, among those the user can see. A committee out of reach, or one
    that names nothing, narrows the list to nothing rather than widening it."""

    def __init__(self, *args, path: str = "committee", **kwargs):
        self.path = path
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        user = getattr(self.parent.request, "user", None)
        committee = committee_resolver(user=user, action=Action.VIEW).find(value)
        return qs.filter(subtree_q(committee, self.path)) if committee is not None else qs.none()
