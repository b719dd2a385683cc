"""The lookup endpoints behind the picker (`core.widgets.PickerWidget`): a search over a model's
rows the user may reach for an action, read through `visible_to(user, action)`, answered as the
picker's list of options (at most `LIMIT`). Each room subclasses it for its model."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import render
from django.views import View

from .scoping import Action
from .views import ScopedPageMixin

LIMIT = 20
ACTIONS = {"view": Action.VIEW, "change": Action.CHANGE, "manage_tree": Action.MANAGE_TREE}


class LookupView(ScopedPageMixin, View):
    default_action = Action.VIEW

    def search(self, rows: QuerySet, query: str) -> QuerySet:  # pragma: no cover
        raise NotImplementedError

    def option(self, row) -> dict:  # pragma: no cover
        raise NotImplementedError

    def rows(self, action) -> QuerySet:
        """What may be found: the model's rows the user may reach for the action (a room may
        narrow it to a policy's list, as the account pages do to where roles may be granted)."""
        return self.model.objects.visible_to(self.request.user, action)

    def get(self, request):
        action = ACTIONS.get(request.GET.get("action", ""), self.default_action)
        query = request.GET.get("q", "").strip()[:100]
        options = []
        if query:
            rows = self.search(self.rows(action), query)
            options = [self.option(row) for row in rows[:LIMIT]]
        return render(request, "includes/picker_results.html", {"options": options, "query": query})
