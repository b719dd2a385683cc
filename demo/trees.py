"""Real committee trees for the demo and the benchmark, from the official division codes in
`committees/data/divisions/` (see its README for provenance)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from committees import services
from committees.models import Committee, Kind, Level, Tenant

DIVISIONS_DIR = Path(__file__).resolve().parent / "data" / "divisions"


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    division_code: str
    divisions_file: str


BEIJING = TenantSpec("beijing", "北京市", "110000000000", "beijing.csv")
SHANGHAI = TenantSpec("shanghai", "上海市", "310000000000", "shanghai.csv")
DATONG = TenantSpec("datong", "大同市", "140200000000", "datong.csv")
DEMO_TENANTS = [BEIJING, SHANGHAI, DATONG]

# Huairou set up three district-level committees for its functional zones (science, film,
# Yanqi Lake): they have no division code of their own.
HUAIROU_FUNCTIONAL = [
    "怀柔科学城党建工作协调委员会",
    "中国影都党建工作协调委员会",
    "雁栖湖生态发展示范区党建工作协调委员会",
]


def read_divisions(filename: str) -> list[services.DivisionRow]:
    with open(DIVISIONS_DIR / filename, encoding="utf-8", newline="") as handle:
        return [
            services.DivisionRow(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_code=row["parent_code"],
            )
            for row in csv.DictReader(handle)
        ]


def tenant_with_tree(
    spec: TenantSpec, *, slug: str | None = None, name: str | None = None
) -> Tenant:
    """The tenant and its whole real tree (with the extra committees of the demo), created
    when missing."""
    slug = slug or spec.slug
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = services.tenant_create(
            name=name or spec.name, slug=slug, division_code=spec.division_code
        )
    root = Committee.objects.get(tenant=tenant, parent__isnull=True)
    if root.is_leaf_node():
        rows = read_divisions(spec.divisions_file)
        rows += EXTRA_ROWS.get(spec.slug, lambda rows: [])(rows)
        services.tree_load(tenant=tenant, rows=rows)
    return tenant


def huairou_functional_rows(rows: list[services.DivisionRow]) -> list[services.DivisionRow]:
    return [
        services.DivisionRow(
            code="",
            name=name,
            level=Level.STREET,
            parent_code="110116000000",
            kind=Kind.FUNCTIONAL,
            key=f"huairou-functional-{i}",
        )
        for i, name in enumerate(HUAIROU_FUNCTIONAL)
    ]


def datong_grid_rows(
    rows: list[services.DivisionRow], *, communities: int = 3, grids: int = 3, buildings: int = 4
) -> list[services.DivisionRow]:
    """Datong's five-level structure: grid party branches and building groups under the first
    communities of 平城区 (street → community → grid → building)."""
    targets = sorted(
        row.code for row in rows if row.level == Level.COMMUNITY and row.code.startswith("140213")
    )[:communities]
    numerals = "一二三四五六七八九十"
    extra = []
    for community in targets:
        for g in range(grids):
            grid_key = f"{community}-grid-{g + 1}"
            extra.append(
                services.DivisionRow(
                    code="",
                    name=f"第{numerals[g]}网格",
                    level=Level.GRID,
                    parent_code=community,
                    key=grid_key,
                )
            )
            extra += [
                services.DivisionRow(
                    code="",
                    name=f"{g * buildings + b + 1}号楼",
                    level=Level.BUILDING,
                    parent_code=grid_key,
                    key=f"{grid_key}-building-{b + 1}",
                )
                for b in range(buildings)
            ]
    return extra


EXTRA_ROWS = {BEIJING.slug: huairou_functional_rows, DATONG.slug: datong_grid_rows}
