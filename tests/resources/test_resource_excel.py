"""Excel import and export of the resource list: the template's drop-downs, a good workbook, wrong
columns, five bad rows among a thousand, a unit contact's upload, the kept file and its result
page, the export's filters, escaping and scope, and the benchmark's workbook."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from categories.defaults import categories_ensure_defaults
from categories.models import Category
from core import excel
from core.models import ImportBatch, ImportStatus
from demo import bench_demands as bench
from members import services as member_services
from members.models import Role
from resources import imports as resource_imports
from resources.models import CapacityUnit, Resource, ResourceKind

from .. import excel_helpers as xl
from ..demands import factories as f
from ..factories import UserFactory
from ..members import factories as mf
from ..members.factories import contact_for

pytestmark = pytest.mark.django_db

HEADERS = [
    "资源名称",
    "资源类型",
    "类别",
    "总量",
    "单位",
    "可用开始",
    "可用截止",
    "服务范围",
    "描述",
]
FIELDS = [
    "title",
    "kind",
    "category",
    "capacity",
    "capacity_unit",
    "available_from",
    "available_until",
    "committee",
    "description",
]


SHEET = xl.Sheet(
    headers=HEADERS,
    fields=FIELDS,
    title="资源清单",
    filename="资源清单.xlsx",
    good=lambda n: {
        "title": f"助餐场地{n}",
        "kind": "场地",
        "category": "养老服务",
        "capacity": 50,
        "capacity_unit": "人",
        "available_from": "2026-01-01",
        "available_until": "2026-12-31",
        "committee": "110101001001",
        "description": "午餐时段可用",
    },
)
resource_row, workbook_bytes, upload, kept_bytes = (
    SHEET.row,
    SHEET.workbook,
    SHEET.upload,
    xl.kept_bytes,
)


@pytest.fixture
def categories(world):
    categories_ensure_defaults(world.city.tenant)
    categories_ensure_defaults(world.other_city.tenant)
    # A retired category is not offered in the drop-down, and not accepted.
    Category.objects.filter(tenant=world.city.tenant, name="其他").update(is_active=False)
    return list(Category.objects.filter(tenant=world.city.tenant, is_active=True))


def import_as(user, committee, data, unit=None):
    return resource_imports.resources_import(
        actor=user, committee=committee, unit=unit, uploaded_file=upload(data)
    )


# --- the template -------------------------------------------------------------------------------


class TestTemplate:
    def test_template_has_headers_drop_downs_and_places(self, world, client_for, categories):
        response = client_for(world.street_staff).get(reverse("resources:resource_excel_template"))
        assert response.status_code == 200
        assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
        assert "attachment" in response["Content-Disposition"]
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames[0] == "资源清单"
        sheet = workbook["资源清单"]
        assert [c.value for c in sheet[1]] == HEADERS
        assert sheet.max_row == 1

        lists = workbook["选项"]
        assert lists.sheet_state == "hidden"
        validations = {str(dv.sqref)[0]: dv for dv in sheet.data_validations.dataValidation}
        assert set(validations) == {"B", "C", "E"}  # 资源类型, 类别, 单位
        expected = {
            "B": [str(label) for _value, label in ResourceKind.choices],
            "C": [c.name for c in categories],  # the tenant's active categories, in order
            "E": [str(label) for _value, label in CapacityUnit.choices],
        }
        for letter, labels in expected.items():
            validation = validations[letter]
            assert validation.type == "list" and validation.showErrorMessage
            source_sheet, source_range = validation.formula1.split("!")
            assert source_sheet.strip("'") == "选项"
            start, end = source_range.replace("$", "").split(":")
            assert [row[0].value for row in lists[start:end]] == labels
            assert str(validation.sqref) == f"{letter}2:{letter}10001"
        assert "其他" not in expected["C"] and "养老服务" in expected["C"]

        places = workbook["可填服务范围"]
        codes = {row[0] for row in places.iter_rows(min_row=2, values_only=True)}
        assert codes == {"110101001000", "110101001001", "110101001002"}

    def test_another_tenants_categories_are_not_offered(self, world, client_for, categories):
        Category.objects.create(tenant=world.other_city.tenant, name="上海专有类别")
        response = client_for(world.street_staff).get(reverse("resources:resource_excel_template"))
        lists = load_workbook(io.BytesIO(response.content))["选项"]
        names = {cell.value for row in lists.iter_rows() for cell in row}
        assert "上海专有类别" not in names

    def test_a_unit_contact_gets_the_committees_of_their_unit(self, world, client_for, categories):
        unit = mf.unit(world.community, name="国网东城供电公司")
        member_services.membership_add(unit=unit, committee=world.street)
        response = client_for(contact_for(unit)).get(reverse("resources:resource_excel_template"))
        places = load_workbook(io.BytesIO(response.content))["可填服务范围"]
        codes = {row[0] for row in places.iter_rows(min_row=2, values_only=True)}
        assert codes == {"110101001000", "110101001001"}

    def test_a_leader_cannot_download_it(self, world, client_for, categories):
        client = client_for(world.district_leader)
        assert client.get(reverse("resources:resource_excel_template")).status_code == 403
        assert client.get(reverse("resources:resource_excel_import")).status_code == 403

    def test_the_filled_in_template_imports(self, world, client_for, categories):
        client = client_for(world.street_staff)
        template = client.get(reverse("resources:resource_excel_template")).content
        workbook = load_workbook(io.BytesIO(template))
        sheet = workbook["资源清单"]
        sheet.append(resource_row(1))
        sheet.append(resource_row(2, kind="资金", capacity=20000, capacity_unit="元"))
        output = io.BytesIO()
        workbook.save(output)
        response = client.post(
            reverse("resources:resource_excel_import"),
            {"committee": world.street.pk, "file": upload(output.getvalue())},
        )
        batch = ImportBatch.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("resources:resource_excel_import_detail", args=[batch.pk])
        assert batch.kind == "resources"
        assert (batch.status, batch.created_count) == (ImportStatus.IMPORTED, 2)
        page = client.get(response.url).content.decode()
        assert "已导入2项资源。" in page
        funds = Resource.objects.get(title="助餐场地2")
        assert (funds.kind, funds.capacity_unit, funds.capacity) == ("funds", "yuan", 20000)


# --- importing ----------------------------------------------------------------------------------


class TestImport:
    def test_a_good_workbook_imports_every_row(self, world, categories):
        rows = [
            resource_row(1),  # by division code
            resource_row(2, committee="银闸社区"),  # by exact name
            resource_row(3, committee=""),  # left empty: the committee chosen for the import
            resource_row(4, capacity=2.5, capacity_unit="小时", kind="专业技能"),
            resource_row(5, available_from=dt.date(2026, 3, 1), available_until=None),
            resource_row(6, available_from="2026/3/1", available_until="2026年12月31日"),
            resource_row(7, kind="venue", capacity_unit="m2", category="医疗卫生"),  # raw values
        ]
        rows.insert(2, [None] * 9)  # an empty row in between is skipped
        data = workbook_bytes(rows)
        batch = import_as(world.street_staff, world.street, data)
        assert batch.status == ImportStatus.IMPORTED, batch.errors
        assert (batch.row_count, batch.created_count, batch.errors) == (7, 7, [])
        resources = {r.title: r for r in Resource.objects.select_related("committee", "category")}
        assert {t: r.committee.name for t, r in resources.items()} == {
            "助餐场地1": "多福巷社区",
            "助餐场地2": "银闸社区",
            "助餐场地3": "东华门街道",
            "助餐场地4": "多福巷社区",
            "助餐场地5": "多福巷社区",
            "助餐场地6": "多福巷社区",
            "助餐场地7": "多福巷社区",
        }
        four = resources["助餐场地4"]
        assert (four.kind, four.capacity, four.remaining, four.capacity_unit) == (
            "expertise",
            Decimal("2.5"),
            Decimal("2.5"),
            "hours",
        )
        assert resources["助餐场地5"].available_from == dt.date(2026, 3, 1)
        assert resources["助餐场地5"].available_until is None
        assert resources["助餐场地6"].available_until == dt.date(2026, 12, 31)
        assert resources["助餐场地7"].category.name == "医疗卫生"
        assert all(
            r.offered_by is None and r.created_by == world.street_staff for r in resources.values()
        )
        assert kept_bytes(batch) == data
        assert batch.tenant == world.street.tenant and batch.uploaded_by == world.street_staff

    def test_a_staff_import_on_behalf_of_a_unit(self, world, client_for, categories):
        unit = mf.unit(world.community, name="国网东城供电公司")
        response = client_for(world.street_staff).post(
            reverse("resources:resource_excel_import"),
            {
                "committee": world.street.pk,
                "offered_by": unit.credit_code,
                "file": upload(workbook_bytes([resource_row(1)])),
            },
        )
        assert response.status_code == 302
        assert Resource.objects.get().offered_by == unit

    def test_wrong_columns_reject_the_file_with_one_clear_message(self, world, categories):
        headers = [h for h in HEADERS if h != "单位"] + ["备注"]
        data = workbook_bytes([resource_row(1)], headers=headers)
        batch = import_as(world.street_staff, world.street, data)
        assert batch.status == ImportStatus.REJECTED
        [error] = batch.errors
        assert error["row"] is None
        assert "表头与模板不一致" in error["message"]
        assert "缺少列：单位" in error["message"] and "多出列：备注" in error["message"]
        assert "、".join(HEADERS) in error["message"]
        assert Resource.objects.count() == 0
        assert kept_bytes(batch) == data

    def test_a_file_that_is_not_a_workbook_is_rejected_and_kept(self, world, categories):
        batch = import_as(world.street_staff, world.street, b"name,capacity\n")
        assert batch.status == ImportStatus.REJECTED
        assert "不是有效的Excel工作簿" in batch.errors[0]["message"]
        assert kept_bytes(batch) == b"name,capacity\n"

    def test_five_bad_rows_among_a_thousand_are_each_reported_and_nothing_is_imported(
        self, world, client_for, categories
    ):
        rows = [resource_row(n) for n in range(1, 1001)]
        bad = {
            # Excel row number = list index + 2 (the header is row 1)
            12: ("category", "“不存在的类别”不是可选的类别"),
            205: ("capacity", "容量应大于0，当前为-5.0"),
            480: ("available_until", "可用截止日期不能早于开始日期"),
            777: ("committee", "找不到服务范围“110101002001”"),  # the sibling street's community
            1001: ("available_from", "“明天”不是有效的日期"),
        }
        rows[10] = resource_row(11, category="不存在的类别")
        rows[203] = resource_row(204, capacity=-5)
        rows[478] = resource_row(479, available_from="2026-05-01", available_until="2026-04-01")
        rows[775] = resource_row(776, committee="110101002001")
        rows[999] = resource_row(1000, available_from="明天")
        data = workbook_bytes(rows)

        client = client_for(world.street_staff)
        response = client.post(
            reverse("resources:resource_excel_import"),
            {"committee": world.street.pk, "file": upload(data)},
        )
        batch = ImportBatch.objects.get()
        assert response.status_code == 302
        assert batch.status == ImportStatus.REJECTED
        assert (batch.row_count, batch.created_count) == (1000, 0)
        assert Resource.objects.count() == 0
        assert kept_bytes(batch) == data
        assert {(e["row"], e["field"]) for e in batch.errors} == {
            (row, field) for row, (field, _text) in bad.items()
        }
        for error in batch.errors:
            field, text = bad[error["row"]]
            assert text in error["message"], error
            assert error["column"] == HEADERS[FIELDS.index(field)]

        page = client.get(response.url)
        html = page.content.decode()
        assert page.status_code == 200
        assert "共1000行数据，其中5行有问题" in html and "文件未导入，系统中没有任何改动" in html
        for row in bad:
            assert f">{row}</td>" in html
        assert "容量应大于0，当前为-5.0" in html
        assert reverse("resources:resource_excel_import_file", args=[batch.pk]) in html
        kept = client.get(reverse("resources:resource_excel_import_file", args=[batch.pk]))
        assert b"".join(kept.streaming_content) == data

    def test_every_problem_of_a_row_is_listed_in_column_order(self, world, categories):
        bad = resource_row(
            2,
            title="",
            kind="飞船",
            category="其他",  # retired
            capacity="很多",
            capacity_unit="斤",
            available_until="下月",
            committee="不存在",
            description="长" * 2001,
        )
        batch = import_as(world.street_staff, world.street, workbook_bytes([resource_row(1), bad]))
        assert [(e["row"], e["column"]) for e in batch.errors] == [
            (3, "资源名称"),
            (3, "资源类型"),
            (3, "类别"),
            (3, "总量"),
            (3, "单位"),
            (3, "可用截止"),
            (3, "服务范围"),
            (3, "描述"),
        ]
        by_field = {e["field"]: e["message"] for e in batch.errors}
        assert by_field["title"] == "请填写“资源名称”。"
        assert by_field["kind"] == "“飞船”不是可选的资源类型，请从下拉列表中选择。"
        assert by_field["category"] == "“其他”不是可选的类别，请从下拉列表中选择。"
        assert by_field["capacity"] == "容量应为数字。"
        assert "“下月”不是有效的日期" in by_field["available_until"]
        assert "找不到服务范围“不存在”" in by_field["committee"]
        assert by_field["description"] == "“描述”不能超过2000个字，当前为2001个字。"
        assert Resource.objects.count() == 0

    def test_a_place_outside_the_chosen_committee_is_a_row_error(self, world, categories):
        """District staff importing at one street cannot slip a resource into the other."""
        district_staff = UserFactory(
            tenant=world.district.tenant, role=Role.STAFF, committee=world.district
        )
        data = workbook_bytes([resource_row(1, committee="景山街道")])
        batch = import_as(district_staff, world.street, data)
        assert batch.status == ImportStatus.REJECTED
        assert "找不到服务范围“景山街道”" in batch.errors[0]["message"]

    def test_the_row_cap_stops_the_import(self, world, categories, settings):
        settings.IMPORT_MAX_ROWS = 3
        batch = import_as(
            world.street_staff, world.street, workbook_bytes([resource_row(n) for n in range(4)])
        )
        assert batch.status == ImportStatus.REJECTED
        assert "数据超过3行" in batch.errors[0]["message"]
        assert Resource.objects.count() == 0

    def test_a_unit_contact_imports_for_their_unit(self, world, client_for, categories):
        unit = mf.unit(world.community, name="国网东城供电公司")
        member_services.membership_add(unit=unit, committee=world.street)
        contact = contact_for(unit)
        client = client_for(contact)
        page = client.get(reverse("resources:resource_excel_import"))
        assert page.status_code == 200
        choices = dict(page.context["form"].fields["committee"].widget.choices)
        assert set(choices) == {world.street.pk, world.community.pk}

        rows = [resource_row(1), resource_row(2, committee="东华门街道")]
        response = client.post(
            reverse("resources:resource_excel_import"),
            {"committee": world.community.pk, "file": upload(workbook_bytes(rows))},
        )
        assert response.status_code == 302
        batch = ImportBatch.objects.get()
        assert batch.status == ImportStatus.IMPORTED, batch.errors
        assert {(r.committee, r.offered_by) for r in Resource.objects.all()} == {
            (world.community, unit),
            (world.street, unit),
        }
        # The contact sees their own upload, though they hold no committee scope.
        assert client.get(response.url).status_code == 200
        assert list(
            client.get(reverse("resources:resource_excel_import_list")).context["batches"]
        ) == [batch]

        rows = [resource_row(3, committee="银闸社区")]  # not where the unit stands or belongs
        client.post(
            reverse("resources:resource_excel_import"),
            {"committee": world.community.pk, "file": upload(workbook_bytes(rows))},
        )
        rejected = ImportBatch.objects.latest("pk")
        assert rejected.status == ImportStatus.REJECTED
        assert "本单位所在或已加入的" in rejected.errors[0]["message"]
        assert Resource.objects.count() == 2

    def test_a_unit_contact_cannot_import_elsewhere(self, world, client_for, categories):
        unit = mf.unit(world.community, name="国网东城供电公司")
        client = client_for(contact_for(unit))
        response = client.post(
            reverse("resources:resource_excel_import"),
            {
                "committee": world.sibling_street.pk,
                "file": upload(workbook_bytes([resource_row(1)])),
            },
        )
        assert response.status_code == 400
        assert "只能选择本单位所在或已加入的协调委员会" in response.content.decode()
        assert ImportBatch.objects.count() == 0 and Resource.objects.count() == 0

    def test_a_leader_gets_403_on_the_import(self, world, client_for, categories):
        response = client_for(world.district_leader).post(
            reverse("resources:resource_excel_import"),
            {"committee": world.street.pk, "file": upload(workbook_bytes([resource_row(1)]))},
        )
        assert response.status_code == 403
        assert ImportBatch.objects.count() == 0 and Resource.objects.count() == 0

    def test_the_import_list_takes_the_same_queries_for_1_or_5_batches(
        self, world, client_for, categories
    ):
        client = client_for(world.street_staff)
        import_as(world.street_staff, world.street, workbook_bytes([resource_row(1)]))
        url = reverse("resources:resource_excel_import_list")
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        for n in range(4):
            import_as(world.street_staff, world.street, workbook_bytes([resource_row(n, title="")]))
        with CaptureQueriesContext(connection) as five:
            response = client.get(url)
        assert len(response.context["batches"]) == 5
        assert len(five.captured_queries) == len(one.captured_queries)

    def test_the_import_validates_without_a_query_per_row(self, world, categories):
        def queries(rows: int) -> int:
            data = workbook_bytes([resource_row(n, committee="银闸社区") for n in range(rows)])
            with CaptureQueriesContext(connection) as captured:
                import_as(world.street_staff, world.street, data)
            return len(captured.captured_queries)

        queries(1)  # warm up: the user's grants and the audit log's content types are cached
        assert queries(5) == queries(60)

    def test_the_benchmark_workbook_imports_and_leaves_nothing_behind(
        self, world, categories, settings
    ):
        seconds = bench.resource_import_seconds(world.street_staff, world.street, rows=30)
        assert isinstance(seconds, float) and seconds > 0
        assert Resource.objects.count() == 0 and ImportBatch.objects.count() == 0
        assert not any((settings.MEDIA_ROOT).rglob("*.xlsx"))


# --- export ---------------------------------------------------------------------------------------

EXPORT_HEADERS = [*HEADERS, "剩余", "状态", "提供单位", "登记时间"]


def exported(response) -> list[dict]:
    return xl.exported(response, EXPORT_HEADERS)


class TestExport:
    @pytest.fixture
    def resources(self, world, categories):
        unit = mf.unit(world.community, name='=HYPERLINK("http://x")')
        return {
            "formula": f.resource(
                world.community,
                world.street_staff,
                title="=cmd|' /C calc'!A0",
                description="+86 东城区",
                unit=unit,
            ),
            "funds": f.resource(
                world.street,
                world.street_staff,
                title="助老资金",
                kind="funds",
                capacity="5000",
                capacity_unit="yuan",
                description="-1层",
            ),
            "sibling": f.resource(world.sibling_street, world.sibling_staff, title="景山场地"),
            "other": f.resource(world.other_street, world.other_admin, title="上海场地"),
        }

    def test_export_escapes_formulas_and_holds_only_what_the_user_may_see(
        self, world, client_for, resources
    ):
        client = client_for(world.street_staff)
        rows = exported(client.get(reverse("resources:resource_excel_export")))
        by_title = {row["资源名称"]: row for row in rows}
        assert set(by_title) == {"'=cmd|' /C calc'!A0", "助老资金"}
        formula = by_title["'=cmd|' /C calc'!A0"]
        assert formula["描述"] == "'+86 东城区"
        assert formula["提供单位"] == '\'=HYPERLINK("http://x")'
        assert formula["资源类型"] == "场地" and formula["类别"] == "养老服务"
        assert formula["服务范围"] == "多福巷社区" and formula["单位"] == "人"
        funds = by_title["助老资金"]
        assert (funds["总量"], funds["剩余"], funds["单位"]) == (5000, 5000, "元")
        assert funds["状态"] == "可用" and funds["描述"] == "'-1层"
        sheet = load_workbook(
            io.BytesIO(client.get(reverse("resources:resource_excel_export")).content)
        ).worksheets[0]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    def test_export_follows_the_lists_filters(self, world, client_for, resources):
        client = client_for(world.district_leader)
        url = reverse("resources:resource_excel_export")
        titles = {row["资源名称"] for row in exported(client.get(url))}
        assert titles == {"'=cmd|' /C calc'!A0", "助老资金", "景山场地"}
        assert [r["资源名称"] for r in exported(client.get(url, {"kind": "funds"}))] == ["助老资金"]
        by_committee = exported(client.get(url, {"committee": world.sibling_street.pk}))
        assert [r["资源名称"] for r in by_committee] == ["景山场地"]
        assert [r["资源名称"] for r in exported(client.get(url, {"offered_by": "unit"}))] == [
            "'=cmd|' /C calc'!A0"
        ]
        assert [
            r["资源名称"] for r in exported(client.get(url, {"sort": "title", "q": "资金"}))
        ] == ["助老资金"]
        assert exported(client.get(url, {"committee": world.other_street.pk})) == []

    def test_the_list_links_to_the_export_with_its_filters(self, world, client_for, resources):
        page = client_for(world.street_staff).get(
            reverse("resources:resource_list"), {"kind": "funds", "page": "1"}
        )
        link = reverse("resources:resource_excel_export") + "?kind=funds"
        assert link in page.content.decode()

    def test_the_other_tenant_exports_only_its_own(self, world, client_for, resources):
        rows = exported(
            client_for(world.other_admin).get(reverse("resources:resource_excel_export"))
        )
        assert [row["资源名称"] for row in rows] == ["上海场地"]
