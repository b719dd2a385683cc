"""The scoping rule no code may skip.

Every queryset that reaches a page or the API goes through `visible_to(user, action)`. A user sees a
row when it belongs to the user's tenant and its committee lies inside the MPTT range of a committee
where the user holds a grant allowing the action. With no grant, nothing: the rule fails closed.

This module stands on the bottom floor: it knows neither the user model nor the committee model.
It asks the user for `committee_scopes(action)`, a list of `Scope` ranges, which `members.User`
provides, and finds the committee table by following the model's own foreign keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In


class Action(StrEnum):
    VIEW = "view"  # read the committee's subtree
    CHANGE = "change"  # act on business records in the subtree (staff)
    MANAGE_TREE = "manage_tree"  # create, rename, move, close committees (tenant administrators)


# What each HTTP method asks of the scope: reading views, everything else changes.
ACTION_FOR_METHOD: dict[str, Action] = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
}


def action_for_method(method: str) -> Action:
    return ACTION_FOR_METHOD.get(method.upper(), Action.CHANGE)


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


def user_unit_ids(user) -> set[int]:
    """The member units the user acts for as their contact (none for an anonymous user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    unit_ids = getattr(user, "unit_ids", None)
    return set(unit_ids()) if unit_ids else set()


def scope_q(scopes: list[Scope], committee_path: str = "") -> Q | None:
    """The filter selecting rows whose committee lies in one of the scopes, or None for nothing.

    A subtree is the committees whose lft lies in the root's [lft, rght] (as django-mptt asks
    for descendants). Written as `lft >= a AND rght <= b`, as it was, the range index (tenant,
    tree, lft) was bounded on one side only: a street's 11 committees were found by reading all
    7,900 (2 ms, twice in every list request); bounding lft on both sides as well as rght made
    the planner multiply two selectivities and expect one committee for a district's 187."""
    prefix = f"{committee_path}__" if committee_path else ""
    condition = None
    for scope in scopes:
        term = Q(
            **{
                f"{prefix}tenant_id": scope.tenant_id,
                f"{prefix}tree_id": scope.tree_id,
                f"{prefix}lft__range": (scope.lft, scope.rght),
            }
        )
        condition = term if condition is None else condition | term
    return condition


def related_model(model: type[models.Model], path: str) -> type[models.Model]:
    """The model at the end of a foreign-key path such as "demand__committee"."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def scope_ids_q(
    scopes: list[Scope],
    committee_path: str,
    model: type[models.Model],
    *,
    as_array: bool = False,
) -> Q | None:
    """The same filter as `scope_q`, written for a big table: its committee key must be in the
    ids of the scoped ranges. No join to the committee table, so the planner can use the
    table's own index on that key even when the condition is OR-ed with others.

    `model` is the model the path starts from; the committee model is found along the path.
    `as_array` writes it as `key = ANY(ARRAY(...))` (see `ScopeIn`), for a key OR-ed with
    another key's scope."""
    if not scopes:
        return None
    committee_model = related_model(model, committee_path)
    lookup = "scope_in" if as_array else "in"
    return Q(**{f"{committee_path}_id__{lookup}": scope_ids_sql(committee_model, scopes)})


def scope_ids_sql(committee_model: type[models.Model], scopes: list[Scope]) -> RawSQL:
    """The ids of the committees in the scopes, as the one statement it always is. Written out
    rather than built as a queryset: every scoped list asks for it twice (its page and its
    count), and building and compiling that queryset cost ~0.45 ms each time, a third of what a
    small list's own SQL takes."""
    meta = committee_model._meta

    def column(name: str) -> str:
        return f'"{meta.get_field(name).column}"'

    pk, tenant, tree, lft = (column(n) for n in ("id", "tenant", "tree_id", "lft"))
    one = f"({tenant} = %s AND {tree} = %s AND {lft} BETWEEN %s AND %s)"
    where = " OR ".join([one] * len(scopes))
    params = [v for s in scopes for v in (s.tenant_id, s.tree_id, s.lft, s.rght)]
    return RawSQL(f'SELECT {pk} FROM "{meta.db_table}" WHERE {where}', params)


class ScopeIn(In):
    """`key IN (subquery)`, written on PostgreSQL as `key = ANY(ARRAY(subquery))`.

    PostgreSQL cannot turn `a IN (subquery) OR b IN (subquery)` (an escalated demand is seen
    where it arose or where it rose to) into joins, so it ran both as hashed subplans over a
    scan of the whole table: 80 ms for a street's page of 40,000 demands. As an array the
    subquery runs once before the scan (an InitPlan), and each half of the OR becomes an index
    condition the planner can combine (BitmapOr). Only for such an OR: with one key, the plain IN
    lets the planner walk the list's order and filter (it cannot guess an array's length, and
    sorted a district's 24,000 party members for a page of 50 at twice the time). Other
    databases keep the plain IN."""

    lookup_name = "scope_in"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


# Foreign keys keep lookups of their own (Django reads them only up to ForeignObject).
models.Field.register_lookup(ScopeIn)
models.ForeignObject.register_lookup(ScopeIn)


def subtree_q(committee, path: str = "committee") -> Q:
    """Rows whose committee (along `path`) lies in the committee's subtree, itself included."""
    prefix = f"{path}__" if path else ""
    return Q(
        **{
            f"{prefix}tree_id": committee.tree_id,
            f"{prefix}lft__range": (committee.lft, committee.rght),
        }
    )


def covers(outer, inner) -> bool:
    """Whether committee `inner` lies in the subtree of committee `outer` (itself included)."""
    return (
        outer.tenant_id == inner.tenant_id
        and outer.tree_id == inner.tree_id
        and outer.lft <= inner.lft
        and inner.rght <= outer.rght
    )


def any_of(terms: list[Q | None]) -> Q | None:
    terms = [term for term in terms if term is not None]
    if not terms:
        return None
    condition = terms[0]
    for term in terms[1:]:
        condition |= term
    return condition


def keys_on_one_table(paths: list[str]) -> bool:
    """Whether several committee keys lie on one table (a demand's own two, or the two of a
    claim's demand): their scopes, OR-ed as arrays, become index conditions on that table
    (`ScopeIn`). Keys on different tables (a summons' whistle's committee, and the committee
    the summons rose to) can only be tested on each joined row, where an array is searched
    element by element (15,000 summons against a district's 187 committees: 30 ms) and a
    hashed subquery takes one lookup (13 ms)."""
    return len(paths) > 1 and len({path.rpartition("__")[0] for path in paths}) == 1


def whole_tenants(scopes: list[Scope], model: type[models.Model]) -> tuple[set[int], list[Scope]]:
    """The tenants whose whole tree a scope spans (a city's leader), and the other scopes.

    A tenant has one tree, so a scope at its root holds every row of the tenant: said as the
    row's own tenant, the planner reads the list through the table's own indexes instead of
    testing each row against the ids of all 7,900 committees (a city's proposals: 355 ms). Only
    for a model with a tenant column of its own."""
    if not any(scope.lft == 1 for scope in scopes):
        return set(), scopes
    try:
        model._meta.get_field("tenant")
    except FieldDoesNotExist:
        return set(), scopes
    whole = {scope.tenant_id for scope in scopes if scope.lft == 1}
    return whole, [scope for scope in scopes if scope.tenant_id not in whole]


def attached_q(model: type[models.Model], paths: tuple[str, ...]) -> Q:
    """A row hangs on a committee along one of the paths: always, when one of them has no
    optional link; otherwise where one of them is set (a unit contact's grant names no
    committee of its own, only its unit's; a unit's rating of a committee names no rating
    committee). Said as the tenant alone, a whole tree would also take in rows on none."""
    conditions = []
    for path in paths:
        if not path or not path_may_be_empty(model, path):
            return Q()
        conditions.append(Q(**{f"{path}__isnull": False}))
    return any_of(conditions) or Q()


def path_may_be_empty(model: type[models.Model], path: str) -> bool:
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.null:
            return True
        model = field.related_model
    return False


class ScopedQuerySetMixin:
    """Mixed into the queryset of every tenant-owned model: the one scoping entry point.

    `committee_paths` name the foreign-key paths from the model to the committees that govern it
    (("",) for Committee itself; several when a row is seen in more than one place, such as an
    escalated demand). A model that is also reached another way (a unit contact's own unit, a
    party member's own record) adds those terms in `extra_terms`; each must carry the tenant.
    """

    committee_paths: tuple[str, ...] = ("committee",)
    # Whether `extra_terms` test other keys of the model's own table (a unit's own id): the
    # committee scope is then written as an array too (`ScopeIn`), so that the OR of them
    # becomes index conditions the planner combines rather than a scan of the whole table.
    extra_terms_on_own_keys: bool = False
    # From how many committees a scope is broad enough to say the user's tenant on the row as
    # well (None: never). Every term already holds the tenant, so it changes no result. A broad
    # scope (a district, a city) holds a good share of the tenant's rows: its newest page is
    # the first rows of an index that starts with the tenant and gives the order (a district's
    # newest projects: 8 ms sorting 1,258 rows, 3 ms walking project_newest). For a narrow one
    # the tenant misleads the planner into reading the whole table (a street's projects: 17 ms
    # against 1 ms by its committees).
    tenant_on_row_from: int | None = None

    def extra_terms(self, user, action: Action) -> list[Q | None]:
        return []

    def visible_to(self, user, action: Action | str = Action.VIEW) -> models.QuerySet:
        action = Action(action)
        scopes = user_scopes(user, action)
        terms: list[Q | None] = []
        whole, scopes = whole_tenants(scopes, self.model)
        if whole:
            terms.append(
                Q(tenant_id__in=sorted(whole)) & attached_q(self.model, self.committee_paths)
            )
        as_array = self.extra_terms_on_own_keys or keys_on_one_table(
            [path for path in self.committee_paths if path]
        )
        for path in self.committee_paths:
            if path:
                terms.append(scope_ids_q(scopes, path, self.model, as_array=as_array))
            else:
                terms.append(scope_q(scopes))
        if getattr(user, "is_authenticated", False) and getattr(user, "tenant_id", None):
            terms.extend(self.extra_terms(user, action))
        condition = any_of(terms)
        if condition is None:
            return self.none()
        if self.scope_is_broad(user, action):
            condition &= Q(tenant_id=user.tenant_id)
        return self.filter(condition)

    def scope_is_broad(self, user, action: Action) -> bool:
        if self.tenant_on_row_from is None or not getattr(user, "tenant_id", None):
            return False
        return any(
            (scope.rght - scope.lft - 1) // 2 >= self.tenant_on_row_from
            for scope in user_scopes(user, action)
        )

    @classmethod
    def governing_path(cls) -> str:
        """The path to the committee whose scope decides who may change a row."""
        return cls.committee_paths[0]


def ensure_in_scope(obj: models.Model, user, action: Action | str = Action.CHANGE) -> None:
    """After a write, inside its transaction: the saved object must still lie in the user's
    scope for the action, else the write is refused and rolls back with the transaction (NetBox
    does the same). Guards against a write that moves an object out of the writer's reach, such
    as a resource re-homed to a committee the user does not hold."""
    from django.core.exceptions import PermissionDenied

    manager = type(obj)._default_manager
    if not manager.visible_to(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied


def ensure_all_in_scope(model: type[models.Model], pks, user, action=Action.CHANGE) -> None:
    """`ensure_in_scope` for the rows of a bulk write, in one query."""
    from django.core.exceptions import PermissionDenied

    pks = set(pks)
    if model._default_manager.visible_to(user, action).filter(pk__in=pks).count() != len(pks):
        raise PermissionDenied


def can(user, action: Action | str, committee) -> bool:
    """Whether the user may take the action on a committee (and so on what belongs to it)."""
    if committee is None:
        return False
    return any(scope.covers(committee) for scope in user_scopes(user, action))
