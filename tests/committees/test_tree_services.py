"""The tree's invariants under every structural write, and bad input that changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from committees import services
from committees.models import Committee, Kind, Level, TreeCheck

from ..factories import CommitteeFactory, TenantFactory


def snapshot(tenant) -> list[tuple]:
    return list(
        Committee.objects.filter(tenant=tenant)
        .order_by("pk")
        .values_list(
            "pk", "parent_id", "name", "division_code", "lft", "rght", "depth", "closed_at"
        )
    )


def assert_consistent(tenant) -> None:
    assert services.tree_faults(tenant) == []


@pytest.mark.django_db
class TestInvariants:
    def test_a_new_tenant_has_exactly_one_root(self):
        tenant = TenantFactory(division_code="110000000000")
        root = Committee.objects.get(tenant=tenant)
        assert (root.parent_id, root.level, root.lft, root.rght) == (None, Level.CITY, 1, 2)
        with pytest.raises(ValidationError) as error:
            services.committee_create(tenant=tenant, parent=None, name="第二个根", level=Level.CITY)
        assert "根节点" in str(error.value)

    def test_each_tenant_has_its_own_tree(self, world):
        assert world.city.tree_id != world.other_city.tree_id
        assert set(
            Committee.objects.filter(tree_id=world.city.tree_id).values_list("tenant", flat=True)
        ) == {world.city.tenant_id}

    def test_create_move_rename_close_keep_the_tree_consistent(self, world):
        tenant = world.city.tenant
        assert_consistent(tenant)
        services.committee_move(
            committee=world.community2,
            new_parent=world.sibling_street,
            division_code="110101002002",
        )
        assert_consistent(tenant)
        moved = Committee.objects.get(pk=world.community2.pk)
        assert moved.parent_id == world.sibling_street.pk
        assert moved.division_code == "110101002002"
        assert moved.depth == 3
        services.committee_rename(committee=moved, name="银闸南社区")
        services.committee_close(committee=Committee.objects.get(pk=moved.pk))
        assert_consistent(tenant)
        street = Committee.objects.get(pk=world.street.pk)
        assert [c.name for c in street.get_children()] == ["多福巷社区"]
        assert street.subtree_size == 1

    def test_moving_a_street_carries_its_subtree(self, world):
        new_district = CommitteeFactory(
            parent=world.city, name="西城区", level=Level.DISTRICT, division_code="110102000000"
        )
        services.committee_move(
            committee=world.street, new_parent=new_district, division_code="110102001000"
        )
        assert_consistent(world.city.tenant)
        new_district.refresh_from_db()
        assert {c.name for c in new_district.get_descendants()} == {
            "东华门街道",
            "多福巷社区",
            "银闸社区",
        }

    def test_names_may_repeat_under_different_parents(self, world):
        CommitteeFactory(
            parent=world.sibling_street,
            name="多福巷社区",
            level=Level.COMMUNITY,
            division_code="110101002009",
        )
        assert_consistent(world.city.tenant)

    def test_a_closed_name_can_be_used_again(self, world):
        services.committee_close(committee=world.community2)
        CommitteeFactory(
            parent=world.street,
            name="银闸社区",
            level=Level.COMMUNITY,
            division_code="110101001002",
        )
        assert_consistent(world.city.tenant)

    def test_functional_committees_need_no_code_and_grids_take_none(self, world):
        zone = CommitteeFactory(
            parent=world.district, name="科学城", level=Level.STREET, kind=Kind.FUNCTIONAL
        )
        assert zone.division_code == ""
        grid = CommitteeFactory(parent=world.community, name="第一网格", level=Level.GRID)
        CommitteeFactory(parent=grid, name="1号楼", level=Level.BUILDING)
        with pytest.raises(ValidationError) as error:
            CommitteeFactory(
                parent=world.community,
                name="第二网格",
                level=Level.GRID,
                division_code="110101001001",
            )
        assert "网格、楼栋层级没有统计用区划代码" in str(error.value)
        assert_consistent(world.city.tenant)

    def test_tree_check_records_a_clean_tree(self, world):
        check = services.tree_check(world.city.tenant)
        assert check.is_consistent
        assert check.node_count == 7

    def test_tree_check_reports_a_corrupted_tree(self, world):
        # Simulate what an unlocked concurrent insert does: two nodes claiming the same range.
        Committee.objects.filter(pk=world.community2.pk).update(
            lft=world.community.lft, rght=world.community.rght
        )
        check = services.tree_check(world.city.tenant)
        assert not check.is_consistent
        assert any("多福巷社区" in fault or "银闸社区" in fault for fault in check.faults)
        assert TreeCheck.objects.filter(tenant=world.city.tenant).count() == 1


BAD_CODES = [
    ("11010100100", "12位数字"),  # 11 digits
    ("1101010010001", "12位数字"),  # 13 digits
    ("11010100A001", "12位数字"),  # a letter
    ("１１０１０１００１００３", "12位数字"),  # full-width digits
    ("110101001000", "不是社区村层级"),  # a street's code for a community
    ("110102001003", "不属于上级"),  # under 西城区's street, not 东华门
    ("310101001003", "不属于上级"),  # another province
]


@pytest.mark.django_db
class TestBadInputChangesNothing:
    @pytest.mark.parametrize(("code", "message"), BAD_CODES)
    def test_bad_division_code_is_rejected_with_a_clear_message(self, world, code, message):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError) as error:
            services.committee_create(
                tenant=world.city.tenant,
                parent=world.street,
                name="新社区",
                level=Level.COMMUNITY,
                division_code=code,
            )
        assert "division_code" in error.value.message_dict
        assert message in " ".join(error.value.message_dict["division_code"])
        assert snapshot(world.city.tenant) == before

    def test_duplicate_sibling_name_is_rejected(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError) as error:
            services.committee_create(
                tenant=world.city.tenant,
                parent=world.street,
                name="多福巷社区",
                level=Level.COMMUNITY,
                division_code="110101001003",
            )
        assert error.value.message_dict["name"] == ["同一上级下已有名为“多福巷社区”的协调委员会。"]
        assert snapshot(world.city.tenant) == before

    def test_duplicate_code_in_the_tenant_is_rejected(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError) as error:
            services.committee_create(
                tenant=world.city.tenant,
                parent=world.street,
                name="新社区",
                level=Level.COMMUNITY,
                division_code="110101001001",
            )
        assert "已被“多福巷社区”使用" in error.value.message_dict["division_code"][0]
        assert snapshot(world.city.tenant) == before

    def test_renaming_to_a_sibling_name_is_rejected(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError):
            services.committee_rename(committee=world.community2, name="多福巷社区")
        assert snapshot(world.city.tenant) == before

    def test_a_level_cannot_sit_above_its_parent(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError) as error:
            services.committee_create(
                tenant=world.city.tenant,
                parent=world.community,
                name="某区",
                level=Level.DISTRICT,
                division_code="110103000000",
            )
        assert "level" in error.value.message_dict
        assert snapshot(world.city.tenant) == before

    def test_moving_under_its_own_descendant_is_rejected(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError) as error:
            services.committee_move(committee=world.street, new_parent=world.community)
        assert "自身或其下级" in error.value.message_dict["parent"][0]
        assert snapshot(world.city.tenant) == before

    def test_moving_to_another_tenant_is_rejected(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError):
            services.committee_move(committee=world.community, new_parent=world.other_street)
        assert snapshot(world.city.tenant) == before

    def test_moving_without_recoding_into_another_street_is_rejected(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError) as error:
            services.committee_move(committee=world.community, new_parent=world.sibling_street)
        assert "不属于上级" in error.value.message_dict["division_code"][0]
        assert snapshot(world.city.tenant) == before

    def test_closing_a_committee_with_open_children_is_rejected(self, world):
        before = snapshot(world.city.tenant)
        with pytest.raises(ValidationError) as error:
            services.committee_close(committee=world.street)
        assert "2个未撤销的下级" in error.value.messages[0]
        assert snapshot(world.city.tenant) == before

    def test_a_territorial_committee_needs_a_code(self, world):
        with pytest.raises(ValidationError) as error:
            services.committee_create(
                tenant=world.city.tenant,
                parent=world.street,
                name="无代码社区",
                level=Level.COMMUNITY,
            )
        assert "必须填写12位区划代码" in error.value.message_dict["division_code"][0]


@pytest.mark.django_db
class TestTreeLoad:
    def test_loads_rows_into_a_consistent_tree(self):
        tenant = TenantFactory(division_code="140200000000")
        rows = [
            services.DivisionRow("140213000000", "平城区", "district", ""),
            services.DivisionRow("140213050000", "永泰街道", "street", "140213000000"),
            services.DivisionRow("140213050001", "某社区居委会", "community", "140213050000"),
            services.DivisionRow("140212000000", "新荣区", "district", ""),
        ]
        assert services.tree_load(tenant=tenant, rows=rows) == 4
        assert_consistent(tenant)
        root = Committee.objects.get(tenant=tenant, parent__isnull=True)
        assert [c.name for c in root.get_children().order_by("lft")] == ["新荣区", "平城区"]

    def test_a_bad_row_loads_nothing(self):
        tenant = TenantFactory(division_code="140200000000")
        before = snapshot(tenant)
        rows = [
            services.DivisionRow("140213000000", "平城区", "district", ""),
            services.DivisionRow("110101001000", "错位街道", "street", "140213000000"),
        ]
        with pytest.raises(ValidationError) as error:
            services.tree_load(tenant=tenant, rows=rows)
        assert "110101001000 错位街道" in error.value.messages[0]
        assert snapshot(tenant) == before
