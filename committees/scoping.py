"""The scoping rule no code may skip.

Every queryset that reaches a page or the API goes through `visible_to(user, action)`. A user sees a
row when it belongs to the user's tenant and its committee lies inside the MPTT range of a committee
where the user holds a grant allowing the action. With no grant, nothing: the rule fails closed.

This module stands on the bottom floor: it knows nothing of the user model. It asks the user for
`committee_scopes(action)`, a list of `Scope` ranges, which `members.User` provides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.db.models import Q


class Action(StrEnum):
    VIEW = "view"  # read the committee's subtree
    CHANGE = "change"  # act on business records in the subtree (staff)
    MANAGE_TREE = "manage_tree"  # create, rename, move, close committees (tenant administrators)


@dataclass(frozen=True)
class Scope:
    tenant_id: int
    tree_id: int
    lft: int
    rght: int

    def covers(self, committee) -> bool:
        return (
            committee.tenant_id == self.tenant_id
            and committee.tree_id == self.tree_id
            and self.lft <= committee.lft
            and committee.rght <= self.rght
        )


def user_scopes(user, action: Action | str) -> list[Scope]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    scopes = getattr(user, "committee_scopes", None)
    return list(scopes(Action(action))) if scopes else []


def scope_q(scopes: list[Scope], committee_path: str = "") -> Q | None:
    """The filter selecting rows whose committee lies in one of the scopes, or None for nothing."""
    prefix = f"{committee_path}__" if committee_path else ""
    condition = None
    for scope in scopes:
        term = Q(
            **{
                f"{prefix}tenant_id": scope.tenant_id,
                f"{prefix}tree_id": scope.tree_id,
                f"{prefix}lft__gte": scope.lft,
                f"{prefix}rght__lte": scope.rght,
            }
        )
        condition = term if condition is None else condition | term
    return condition


def scope_ids_q(scopes: list[Scope], committee_path: str) -> Q | None:
    """The same filter as `scope_q`, written for a big table: its committee key must be in the
    ids of the scoped ranges. No join to the committee table, so the planner can use the
    table's own index on that key even when the condition is OR-ed with others."""
    from .models import Committee

    condition = scope_q(scopes)
    if condition is None:
        return None
    return Q(**{f"{committee_path}_id__in": Committee.objects.filter(condition).values("pk")})


class ScopedQuerySetMixin:
    """Mixed into the queryset of every tenant-owned model.

    `committee_path` names the foreign-key path from the model to its Committee ("" for Committee
    itself). A model scoped some other way overrides `visible_to`.
    """

    committee_path: str = "committee"

    def visible_to(self, user, action: Action | str = Action.VIEW) -> models.QuerySet:
        scopes = user_scopes(user, action)
        if self.committee_path:
            condition = scope_ids_q(scopes, self.committee_path)
        else:
            condition = scope_q(scopes)
        if condition is None:
            return self.none()
        return self.filter(condition)


def can(user, action: Action | str, committee) -> bool:
    """Whether the user may take the action on a committee (and so on what belongs to it)."""
    return any(scope.covers(committee) for scope in user_scopes(user, action))
