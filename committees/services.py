"""Structural writes to a tenant's committee tree.

django-mptt does no locking of its own: two processes inserting at once can hand out the same
lft/rght values and corrupt the tree. Every write here runs inside `tree_lock`, which holds a
PostgreSQL transaction-level advisory lock on the tenant's tree, and re-reads the nodes it works on
after taking the lock so it never acts on stale tree fields.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import division_codes
from .models import LEVEL_ORDER, Committee, Kind, Level, Tenant, TreeCheck

logger = logging.getLogger(__name__)

# A fixed namespace so our advisory locks never collide with another application's keys.
TREE_LOCK_NAMESPACE = 7201


@contextmanager
def tree_lock(tenant_id: int) -> Iterator[None]:
    """Serialise structural writes to one tenant's tree, for the rest of the transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [TREE_LOCK_NAMESPACE, tenant_id]
                )
        # SQLite (the embedded demo) serialises every write transaction by itself.
        yield


# --- validation -------------------------------------------------------------------------------


def _validate_level(*, level: str, parent: Committee | None) -> None:
    if level not in LEVEL_ORDER:
        raise ValidationError({"level": _("未知的层级“%(level)s”。") % {"level": level}})
    if parent is None:
        return
    if LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent.level):
        raise ValidationError(
            {
                "level": _("%(child)s层级不能设在%(parent)s层级之下。")
                % {"child": Level(level).label, "parent": Level(parent.level).label}
            }
        )


def _validate_division_code(*, code: str, level: str, kind: str, parent: Committee | None) -> None:
    if not code:
        if kind == Kind.TERRITORIAL and level in division_codes.FILLED_SEGMENTS:
            raise ValidationError(
                {"division_code": _("区域型协调委员会必须填写12位区划代码；功能区可不填。")}
            )
        return
    try:
        division_codes.validate_format(code)
        division_codes.validate_for_level(code, level)
        if parent is not None and parent.division_code:
            division_codes.validate_under_parent(code, parent.division_code)
    except ValidationError as error:
        raise ValidationError({"division_code": error.messages}) from error


def _validate_unique_name(
    *, tenant_id: int, parent: Committee | None, name: str, exclude_id: int | None = None
) -> None:
    siblings = Committee.objects.filter(
        tenant_id=tenant_id, parent=parent, name=name, closed_at__isnull=True
    )
    if exclude_id is not None:
        siblings = siblings.exclude(pk=exclude_id)
    if siblings.exists():
        raise ValidationError(
            {"name": _("同一上级下已有名为“%(name)s”的协调委员会。") % {"name": name}}
        )


def _validate_unique_code(*, tenant_id: int, code: str, exclude_id: int | None = None) -> None:
    if not code:
        return
    clash = Committee.objects.filter(
        tenant_id=tenant_id, division_code=code, closed_at__isnull=True
    )
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    existing = clash.first()
    if existing is not None:
        raise ValidationError(
            {
                "division_code": _("区划代码%(code)s已被“%(name)s”使用。")
                % {"code": code, "name": existing.name}
            }
        )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写名称。")})
    if len(name) > 100:
        raise ValidationError({"name": _("名称不能超过100个字。")})
    return name


def _fresh(committee_id: int) -> Committee:
    """Re-read a node after taking the lock: its tree fields may have moved since it was loaded."""
    return Committee.objects.get(pk=committee_id)


# --- structural writes ------------------------------------------------------------------------


def tenant_create(*, name: str, slug: str, division_code: str, root_name: str = "") -> Tenant:
    """Open a tenant with the root (city) committee of its tree."""
    with transaction.atomic():
        tenant = Tenant.objects.create(name=name, slug=slug, division_code=division_code)
        committee_create(
            tenant=tenant,
            parent=None,
            name=root_name or name,
            level=Level.CITY,
            division_code=division_code,
        )
    return tenant


def committee_create(
    *,
    tenant: Tenant,
    parent: Committee | None,
    name: str,
    level: str,
    kind: str = Kind.TERRITORIAL,
    division_code: str = "",
) -> Committee:
    """Found a committee under `parent` (or the root of a tenant that has none)."""
    name = _clean_name(name)
    division_code = (division_code or "").strip()
    if kind not in Kind.values:
        raise ValidationError({"kind": _("未知的类型“%(kind)s”。") % {"kind": kind}})
    with tree_lock(tenant.pk):
        if parent is not None:
            parent = _fresh(parent.pk)
            if parent.tenant_id != tenant.pk:
                raise ValidationError({"parent": _("上级不属于本租户。")})
            if parent.closed_at is not None:
                raise ValidationError(
                    {"parent": _("上级“%(name)s”已撤销。") % {"name": parent.name}}
                )
        elif Committee.objects.filter(tenant=tenant, parent__isnull=True).exists():
            raise ValidationError({"parent": _("本租户已有根节点，请选择上级。")})
        _validate_level(level=level, parent=parent)
        _validate_division_code(code=division_code, level=level, kind=kind, parent=parent)
        _validate_unique_name(tenant_id=tenant.pk, parent=parent, name=name)
        _validate_unique_code(tenant_id=tenant.pk, code=division_code)
        committee = Committee(
            tenant=tenant,
            parent=parent,
            name=name,
            level=level,
            kind=kind,
            division_code=division_code,
        )
        committee.save()
    return committee


def committee_rename(*, committee: Committee, name: str) -> Committee:
    name = _clean_name(name)
    with tree_lock(committee.tenant_id):
        committee = _fresh(committee.pk)
        if name == committee.name:
            return committee
        _validate_unique_name(
            tenant_id=committee.tenant_id,
            parent=committee.parent,
            name=name,
            exclude_id=committee.pk,
        )
        committee.name = name
        committee.save(update_fields=["name", "updated_at"])
    return committee


def committee_move(
    *, committee: Committee, new_parent: Committee, division_code: str | None = None
) -> Committee:
    """Move a committee (and its subtree) under another parent, optionally recoding it.

    Codes of the moved subtree's descendants are left as they are; a reorganisation that recodes
    a whole street is a data load, not a move.
    """
    with tree_lock(committee.tenant_id):
        committee = _fresh(committee.pk)
        new_parent = _fresh(new_parent.pk)
        if new_parent.tenant_id != committee.tenant_id:
            raise ValidationError({"parent": _("不能移动到其他租户。")})
        if committee.parent_id is None:
            raise ValidationError({"parent": _("根节点不能移动。")})
        if (
            new_parent.tree_id == committee.tree_id
            and committee.lft <= new_parent.lft <= committee.rght
        ):
            raise ValidationError({"parent": _("不能移动到自身或其下级之下。")})
        if new_parent.closed_at is not None:
            raise ValidationError(
                {"parent": _("上级“%(name)s”已撤销。") % {"name": new_parent.name}}
            )
        code = committee.division_code if division_code is None else division_code.strip()
        _validate_level(level=committee.level, parent=new_parent)
        _validate_division_code(
            code=code, level=committee.level, kind=committee.kind, parent=new_parent
        )
        _validate_unique_name(
            tenant_id=committee.tenant_id,
            parent=new_parent,
            name=committee.name,
            exclude_id=committee.pk,
        )
        _validate_unique_code(tenant_id=committee.tenant_id, code=code, exclude_id=committee.pk)
        if committee.parent_id != new_parent.pk:
            committee.move_to(new_parent, position="last-child")
            committee = _fresh(committee.pk)
        if code != committee.division_code:
            committee.division_code = code
            committee.save(update_fields=["division_code", "updated_at"])
    return committee


def committee_close(*, committee: Committee) -> Committee:
    """Close (撤销) a committee. Its records stay; its open children must be closed or moved first."""
    with tree_lock(committee.tenant_id):
        committee = _fresh(committee.pk)
        if committee.closed_at is not None:
            raise ValidationError(_("“%(name)s”已于此前撤销。") % {"name": committee.name})
        if committee.parent_id is None:
            raise ValidationError(_("根节点不能撤销。"))
        open_children = committee.get_children().filter(closed_at__isnull=True).count()
        if open_children:
            raise ValidationError(
                _("“%(name)s”下还有%(count)d个未撤销的下级，请先撤销或迁移。")
                % {"name": committee.name, "count": open_children}
            )
        committee.closed_at = timezone.now()
        committee.save(update_fields=["closed_at", "updated_at"])
    return committee


# --- loading a whole tree at once -------------------------------------------------------------


@dataclass
class DivisionRow:
    """One committee to load. Rows are linked by `key`, which is the division code unless the
    committee has none (functional zones, grids, buildings)."""

    code: str
    name: str
    level: str
    parent_code: str  # the parent's key; empty for a child of the root
    kind: str = Kind.TERRITORIAL
    key: str = ""
    children: list[DivisionRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = self.key or self.code

    @property
    def division_code(self) -> str:  # lets a row stand in for its parent Committee in validation
        return self.code


def tree_load(*, tenant: Tenant, rows: Iterable[DivisionRow]) -> int:
    """Load the divisions under the tenant's root in one go; returns how many were created.

    Inserting 7,900 nodes one by one through MPTT shifts the lft/rght of every later node each
    time. Instead, inside the tree lock, we lay the subtree out in memory, compute its MPTT fields
    once, and insert it level by level with bulk_create. The tenant's tree must hold only its root;
    the consistency check runs at the end and any fault rolls the whole load back.
    """
    rows = list(rows)
    with tree_lock(tenant.pk):
        root = Committee.objects.get(tenant=tenant, parent__isnull=True)
        if root.get_descendant_count():
            raise ValidationError(
                _("“%(name)s”下已有组织，整树导入只用于新树。") % {"name": root.name}
            )
        by_key = {row.key: row for row in rows}
        if len(by_key) != len(rows):
            raise ValidationError(_("数据中有重复的代码。"))
        top: list[DivisionRow] = []
        for row in rows:
            parent = by_key.get(row.parent_code) if row.parent_code else None
            if row.parent_code and parent is None:
                raise ValidationError(
                    _("%(code)s %(name)s 的上级代码%(parent)s不在数据中。")
                    % {"code": row.code, "name": row.name, "parent": row.parent_code}
                )
            try:
                _validate_level(level=row.level, parent=parent or root)
                _validate_division_code(
                    code=row.code, level=row.level, kind=row.kind, parent=parent or root
                )
            except ValidationError as error:
                raise ValidationError(
                    _("%(code)s %(name)s:%(error)s")
                    % {"code": row.code, "name": row.name, "error": "; ".join(error.messages)}
                ) from error
            (parent.children if parent else top).append(row)
        nodes_by_depth: list[list[tuple[Committee, DivisionRow]]] = []
        counter = root.lft

        def lay_out(row: DivisionRow, depth: int) -> Committee:
            nonlocal counter
            counter += 1
            node = Committee(
                tenant=tenant,
                name=row.name,
                level=row.level,
                kind=row.kind,
                division_code=row.code,
                tree_id=root.tree_id,
                depth=depth,
                lft=counter,
            )
            while len(nodes_by_depth) <= depth:
                nodes_by_depth.append([])
            nodes_by_depth[depth].append((node, row))
            for child in sorted(row.children, key=lambda r: (r.code, r.key)):
                lay_out(child, depth + 1)
            counter += 1
            node.rght = counter
            return node

        for row in sorted(top, key=lambda r: (r.code, r.key)):
            lay_out(row, root.depth + 1)
        Committee.objects.filter(pk=root.pk).update(rght=counter + 1)
        created_by_key: dict[str, Committee] = {}
        for depth_nodes in nodes_by_depth:
            for node, row in depth_nodes:
                parent_node = created_by_key.get(row.parent_code) if row.parent_code else None
                node.parent_id = parent_node.pk if parent_node else root.pk
            Committee.objects.bulk_create([node for node, _row in depth_nodes], batch_size=2000)
            for node, row in depth_nodes:
                created_by_key[row.key] = node
        faults = tree_faults(tenant)
        if faults:
            raise ValidationError(
                _("导入后组织树不一致，已回滚：%(faults)s") % {"faults": "; ".join(faults[:5])}
            )
    return len(rows)


# --- consistency ------------------------------------------------------------------------------


def tree_faults(tenant: Tenant) -> list[str]:
    """Every way the tenant's stored tree disagrees with what its parent links imply."""
    nodes = list(
        Committee.objects.filter(tenant=tenant).values_list(
            "id", "parent_id", "tree_id", "lft", "rght", "depth", "name"
        )
    )
    faults: list[str] = []
    if not nodes:
        return faults
    by_id = {node[0]: node for node in nodes}
    roots = [node for node in nodes if node[1] is None]
    if len(roots) != 1:
        faults.append(f"expected one root, found {len(roots)}")
        return faults
    root = roots[0]
    tree_id = root[2]
    children: dict[int, list[tuple]] = {}
    for node in nodes:
        if node[2] != tree_id:
            faults.append(f"{node[6]} (#{node[0]}) has tree_id {node[2]}, root has {tree_id}")
        if node[1] is not None:
            if node[1] not in by_id:
                faults.append(f"{node[6]} (#{node[0]}) points at a parent in another tenant")
                continue
            children.setdefault(node[1], []).append(node)
    foreign = Committee.objects.filter(tree_id=tree_id).exclude(tenant=tenant).count()
    if foreign:
        faults.append(f"{foreign} committees of another tenant share tree {tree_id}")

    # Walk the parent links, in stored sibling order, and compare what MPTT should have stored.
    expected: dict[int, tuple[int, int, int]] = {}
    counter = 0
    stack: list[tuple[tuple, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        if done:
            counter += 1
            expected[node[0]] = (expected[node[0]][0], counter, depth)
            continue
        counter += 1
        expected[node[0]] = (counter, 0, depth)
        stack.append((node, depth, True))
        for child in sorted(children.get(node[0], []), key=lambda n: n[3], reverse=True):
            stack.append((child, depth + 1, False))
    unreachable = len(nodes) - len(expected)
    if unreachable:
        faults.append(f"{unreachable} committees are not reachable from the root (a cycle)")
    offset = root[3] - 1
    for node_id, (lft, rght, depth) in expected.items():
        node = by_id[node_id]
        if (node[3], node[4], node[5]) != (lft + offset, rght + offset, depth + root[5]):
            faults.append(
                f"{node[6]} (#{node_id}) stored lft/rght/depth {node[3]}/{node[4]}/{node[5]}, "
                f"expected {lft + offset}/{rght + offset}/{depth + root[5]}"
            )
            if len(faults) > 50:
                faults.append("… further faults not listed")
                break
    return faults


def tree_check(tenant: Tenant) -> TreeCheck:
    """Check a tenant's tree, keep the result, and log any fault loudly."""
    faults = tree_faults(tenant)
    check = TreeCheck.objects.create(
        tenant=tenant, node_count=Committee.objects.filter(tenant=tenant).count(), faults=faults
    )
    if faults:
        logger.error("committee tree of %s is inconsistent: %s", tenant, faults[:10])
    return check
