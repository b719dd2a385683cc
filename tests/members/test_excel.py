"""Excel import and export of member units: the template, a good and a bad workbook, the caps,
the export's escaping and scope, and isolation of the import pages between tenants and streets."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core import excel
from core.identifiers import credit_code_check_character
from core.models import ImportBatch, ImportStatus
from members import imports, services
from members.models import Membership, MemberUnit, PartyOrgType, Role, UnitKind

from .. import excel_helpers as xl
from ..factories import UserFactory
from ..pickers import picked
from .factories import contact_for as unit_contact
from .factories import registrar

pytestmark = pytest.mark.django_db

HEADERS = [
    "单位名称",
    "统一社会信用代码",
    "单位类型",
    "所在地",
    "地址",
    "联系人",
    "联系电话",
    "党组织类型",
    "党员人数",
]
FIELDS = [column.field for column in imports.UNIT_ROWS.columns()]


def credit_code(n: int) -> str:
    first17 = f"91110101{n:09d}"
    return first17 + credit_code_check_character(first17)


def bad_check_code(n: int) -> str:
    good = credit_code(n)
    wrong = next(c for c in "0123456789" if c != good[-1])
    return good[:17] + wrong


SHEET = xl.Sheet(
    headers=HEADERS,
    fields=FIELDS,
    title="成员单位",
    filename="成员单位.xlsx",
    good=lambda n: {
        "name": f"测试单位{n}",
        "credit_code": credit_code(n),
        "kind": "民营企业",
        "committee": "110101001001",
        "address": "东城区东华门大街1号",
        "contact_name": "张三",
        "contact_phone": "13812345678",
        "party_org_type": "党支部",
        "party_member_count": 3,
    },
)
unit_row, workbook_bytes, upload, kept_bytes = (
    SHEET.row,
    SHEET.workbook,
    SHEET.upload,
    xl.kept_bytes,
)


def make_unit(committee, name, n, **fields) -> MemberUnit:
    data = services.UnitData(name=name, kind=UnitKind.PRIVATE, credit_code=credit_code(n), **fields)
    return services.member_unit_create(actor=registrar(committee), committee=committee, data=data)


def post_import(client, committee, data: bytes, name="成员单位.xlsx"):
    return client.post(
        reverse("members:unit_excel_import"),
        {"committee": committee.pk, "file": upload(data, name)},
    )


# --- the template ---------------------------------------------------------------------------------


class TestTemplate:
    def test_template_has_headers_drop_downs_and_instructions(self, world, client_for):
        response = client_for(world.street_staff).get(reverse("members:unit_excel_template"))
        assert response.status_code == 200
        assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
        assert "attachment" in response["Content-Disposition"]
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames[0] == "成员单位"
        sheet = workbook["成员单位"]
        assert [c.value for c in sheet[1]] == HEADERS
        assert sheet.max_row == 1  # no example row that could be imported by mistake

        lists = workbook["选项"]
        assert lists.sheet_state == "hidden"
        validations = {str(dv.sqref)[0]: dv for dv in sheet.data_validations.dataValidation}
        assert set(validations) == {"C", "H"}  # 单位类型, 党组织类型
        for letter, choices in (("C", UnitKind.choices), ("H", PartyOrgType.choices)):
            validation = validations[letter]
            assert validation.type == "list"
            assert validation.showErrorMessage
            source_sheet, source_range = validation.formula1.split("!")
            assert source_sheet.strip("'") == "选项"
            start, end = source_range.replace("$", "").split(":")
            labels = [row[0].value for row in lists[start:end]]
            assert labels == [str(label) for _value, label in choices]
            assert str(validation.sqref) == f"{letter}2:{letter}10001"

        notes = workbook["说明"]
        text = "\n".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
        assert "填写说明" in text and "10000行" in text and "单位类型" in text

        places = workbook["可填所在地"]
        codes = {row[0] for row in places.iter_rows(min_row=2, values_only=True)}
        assert codes == {"110101001000", "110101001001", "110101001002"}

    def test_the_filled_in_template_imports(self, world, client_for):
        client = client_for(world.street_staff)
        template = client.get(reverse("members:unit_excel_template")).content
        workbook = load_workbook(io.BytesIO(template))
        sheet = workbook["成员单位"]
        sheet.append(unit_row(1))
        sheet.append(unit_row(2, committee="银闸社区", kind="医院", party_org_type="党委"))
        output = io.BytesIO()
        workbook.save(output)

        response = post_import(client, world.street, output.getvalue())
        batch = ImportBatch.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("members:unit_excel_import_detail", args=[batch.pk])
        assert batch.status == ImportStatus.IMPORTED and batch.created_count == 2
        page = client.get(response.url).content.decode()
        assert "已导入2家成员单位。" in page
        hospital = MemberUnit.objects.get(name="测试单位2")
        assert hospital.committee == world.community2
        assert hospital.kind == UnitKind.HOSPITAL
        assert hospital.party_org_type == PartyOrgType.COMMITTEE

    @pytest.mark.parametrize("persona", ["district_leader", "unit_contact"])
    def test_readers_cannot_download_the_template(self, world, client_for, persona):
        if persona == "unit_contact":
            user = unit_contact(make_unit(world.community, "某医院", 9))
        else:
            user = getattr(world, persona)
        client = client_for(user)
        assert client.get(reverse("members:unit_excel_template")).status_code == 403


# --- importing --------------------------------------------------------------------------------


class TestImport:
    def test_a_good_workbook_imports_every_row(self, world):
        rows = [
            unit_row(1),  # by division code
            unit_row(2, committee="银闸社区"),  # by exact name
            unit_row(3, committee=""),  # left empty: the committee chosen for the import
            unit_row(4, committee=110101001002, contact_phone=13912345678),  # typed as numbers
            unit_row(5, kind="部队", credit_code="", party_member_count=None, committee=""),
            unit_row(6, kind="social_org", party_org_type="未建立党组织", committee="东华门街道"),
        ]
        rows.insert(3, [None] * 9)  # an empty row in between is skipped
        data = workbook_bytes(rows)
        batch = imports.member_units_import(
            actor=world.street_staff, committee=world.street, uploaded_file=upload(data)
        )
        assert batch.status == ImportStatus.IMPORTED, batch.errors
        assert (batch.row_count, batch.created_count, batch.errors) == (6, 6, [])
        units = {u.name: u for u in MemberUnit.objects.select_related("committee")}
        assert {name: u.committee.name for name, u in units.items()} == {
            "测试单位1": "多福巷社区",
            "测试单位2": "银闸社区",
            "测试单位3": "东华门街道",
            "测试单位4": "银闸社区",
            "测试单位5": "东华门街道",
            "测试单位6": "东华门街道",
        }
        assert units["测试单位4"].contact_phone == "13912345678"
        assert units["测试单位5"].kind == UnitKind.MILITARY
        assert units["测试单位5"].party_member_count == 0
        assert units["测试单位6"].party_org_type == PartyOrgType.NONE
        assert units["测试单位1"].credit_code == credit_code(1)
        # Each unit joined the committee where it stands, as single entry does.
        assert Membership.objects.count() == 6
        assert kept_bytes(batch) == data
        assert batch.tenant == world.street.tenant and batch.uploaded_by == world.street_staff

    def test_wrong_columns_reject_the_file_with_one_clear_message(self, world):
        headers = [h for h in HEADERS if h != "联系电话"] + ["备注"]
        data = workbook_bytes([unit_row(1)[:-1]], headers=headers)
        batch = imports.member_units_import(
            actor=world.street_staff, committee=world.street, uploaded_file=upload(data)
        )
        assert batch.status == ImportStatus.REJECTED
        assert len(batch.errors) == 1
        error = batch.errors[0]
        assert error["row"] is None
        message = error["message"]
        assert "表头与模板不一致" in message
        assert "缺少列：联系电话" in message and "多出列：备注" in message
        assert "、".join(HEADERS) in message  # the expected columns, named
        assert MemberUnit.objects.count() == 0
        assert kept_bytes(batch) == data

    def test_columns_in_another_order_are_rejected(self, world):
        headers = [HEADERS[1], HEADERS[0], *HEADERS[2:]]
        data = workbook_bytes([], headers=headers)
        batch = imports.member_units_import(
            actor=world.street_staff, committee=world.street, uploaded_file=upload(data)
        )
        assert batch.status == ImportStatus.REJECTED
        assert "列的顺序不同" in batch.errors[0]["message"]

    def test_five_bad_rows_among_a_thousand_are_each_reported_and_nothing_is_imported(
        self, world, client_for
    ):
        rows = [unit_row(n) for n in range(1, 1001)]
        bad = {
            # Excel row number = list index + 2 (the header is row 1)
            102: ("credit_code", "校验位错误"),
            305: ("credit_code", "与第7行"),
            480: ("committee", "找不到所在地“不存在社区”"),
            615: ("contact_phone", "不是有效的电话号码"),
            999: ("committee", "找不到所在地“110101002001”"),
        }
        rows[100] = unit_row(101, credit_code=bad_check_code(101))
        rows[303] = unit_row(304, credit_code=credit_code(6))  # row 7 holds unit 6
        rows[478] = unit_row(479, committee="不存在社区")
        rows[613] = unit_row(614, contact_phone="12345")
        rows[997] = unit_row(998, committee="110101002001")  # 黄化门社区, in the sibling street
        data = workbook_bytes(rows)

        response = post_import(client_for(world.street_staff), world.street, data)
        batch = ImportBatch.objects.get()
        assert response.status_code == 302
        assert batch.status == ImportStatus.REJECTED
        assert batch.row_count == 1000 and batch.created_count == 0
        assert MemberUnit.objects.count() == 0 and Membership.objects.count() == 0
        assert kept_bytes(batch) == data
        reported = {(e["row"], e["field"]) for e in batch.errors}
        assert reported == {(row, field) for row, (field, _text) in bad.items()}
        for error in batch.errors:
            field, text = bad[error["row"]]
            assert text in error["message"], error
            assert error["column"] == HEADERS[FIELDS.index(field)]

        page = client_for(world.street_staff).get(response.url)
        html = page.content.decode()
        assert page.status_code == 200
        assert "共1000行数据，其中5行有问题" in html
        for row in bad:
            assert f">{row}</td>" in html
        assert "统一社会信用代码校验位错误" in html
        assert reverse("members:unit_excel_import_file", args=[batch.pk]) in html

    def test_every_problem_of_a_row_is_listed(self, world):
        bad = unit_row(
            2,
            name="",
            credit_code="9111010100000000012",
            kind="银行",
            party_org_type=None,
            contact_phone="110",
            address="东" * 256,
        )
        data = workbook_bytes([unit_row(1), [None] * 9, [None] * 9, bad])
        batch = imports.member_units_import(
            actor=world.street_staff, committee=world.street, uploaded_file=upload(data)
        )
        assert [(e["row"], e["column"]) for e in batch.errors] == [
            (5, "单位名称"),
            (5, "统一社会信用代码"),
            (5, "单位类型"),
            (5, "地址"),
            (5, "联系电话"),
            (5, "党组织类型"),
        ]
        by_field = {e["field"]: e["message"] for e in batch.errors}
        assert by_field["name"] == "请填写“单位名称”。"
        assert by_field["credit_code"] == "统一社会信用代码应为18位，当前为19位。"
        assert by_field["kind"] == "“银行”不是可选的单位类型，请从下拉列表中选择。"
        assert by_field["address"] == "“地址”不能超过255个字，当前为256个字。"
        assert "“110”不是有效的电话号码" in by_field["contact_phone"]
        assert by_field["party_org_type"] == "请填写“党组织类型”。"

    def test_a_code_already_registered_is_a_row_error(self, world):
        make_unit(world.community, "已登记单位", 5)
        data = workbook_bytes([unit_row(4), unit_row(5)])
        batch = imports.member_units_import(
            actor=world.street_staff, committee=world.street, uploaded_file=upload(data)
        )
        assert batch.status == ImportStatus.REJECTED
        assert [(e["row"], e["field"]) for e in batch.errors] == [(3, "credit_code")]
        assert "已由“已登记单位”登记" in batch.errors[0]["message"]
        assert MemberUnit.objects.count() == 1

    def test_a_place_outside_the_chosen_committee_is_a_row_error(self, world):
        """District staff importing at one street cannot slip a unit into the other street."""
        district_staff = UserFactory(
            tenant=world.district.tenant, role=Role.STAFF, committee=world.district
        )
        data = workbook_bytes([unit_row(1, committee="景山街道")])
        batch = imports.member_units_import(
            actor=district_staff, committee=world.street, uploaded_file=upload(data)
        )
        assert batch.status == ImportStatus.REJECTED
        assert "找不到所在地“景山街道”" in batch.errors[0]["message"]

    def test_the_row_cap_stops_the_import(self, world, settings):
        settings.IMPORT_MAX_ROWS = 5
        rows = [unit_row(n) for n in range(1, 6)]
        rows.insert(2, [None] * 9)  # empty rows do not count
        batch = imports.member_units_import(
            actor=world.street_staff,
            committee=world.street,
            uploaded_file=upload(workbook_bytes(rows)),
        )
        assert batch.status == ImportStatus.IMPORTED

        rows = [unit_row(n) for n in range(11, 17)]
        data = workbook_bytes(rows)
        batch = imports.member_units_import(
            actor=world.street_staff, committee=world.street, uploaded_file=upload(data)
        )
        assert batch.status == ImportStatus.REJECTED
        assert batch.errors == [
            {
                "row": None,
                "field": "",
                "column": "",
                "message": "数据超过5行（第7行起超出）。每次最多导入5行，请分成几个文件导入。",
            }
        ]
        assert MemberUnit.objects.count() == 5
        assert kept_bytes(batch) == data

    def test_a_sheet_claiming_a_million_rows_is_read_quickly(self, world):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "成员单位"
        sheet.append(HEADERS)
        sheet.append(unit_row(1))
        sheet.cell(row=1_048_576, column=9, value=None).number_format = "@"
        sheet.cell(row=1_048_576, column=16_384).number_format = "@"
        output = io.BytesIO()
        workbook.save(output)
        batch = imports.member_units_import(
            actor=world.street_staff,
            committee=world.street,
            uploaded_file=upload(output.getvalue()),
        )
        assert batch.status == ImportStatus.IMPORTED and batch.created_count == 1

    def test_an_oversized_upload_is_refused_before_it_is_read(self, world, client_for, settings):
        settings.IMPORT_MAX_BYTES = 4096
        data = workbook_bytes([unit_row(n) for n in range(1, 200)])
        assert len(data) > 4096
        response = post_import(client_for(world.street_staff), world.street, data)
        assert response.status_code == 400
        html = response.content.decode()
        assert "文件过大" in html and "不能超过4 KB" in html
        assert MemberUnit.objects.count() == 0
        assert ImportBatch.objects.count() == 0  # an oversized file is not stored at all

    def test_a_zip_bomb_is_refused(self, world, settings):
        settings.IMPORT_MAX_UNZIPPED_BYTES = 50_000
        rows = [unit_row(n, address="东城区" * 60) for n in range(1, 200)]
        batch = imports.member_units_import(
            actor=world.street_staff,
            committee=world.street,
            uploaded_file=upload(workbook_bytes(rows)),
        )
        assert batch.status == ImportStatus.REJECTED
        assert "解压后过大" in batch.errors[0]["message"]

    @pytest.mark.parametrize(
        "content",
        [
            b"name,credit_code\n\xe5\x8d\x95\xe4\xbd\x8d,91110101\n",  # a CSV renamed .xlsx
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,  # an old .xls
            b"PK\x03\x04 not really a zip",
        ],
    )
    def test_a_file_that_is_not_an_xlsx_is_rejected_and_kept(self, world, content):
        batch = imports.member_units_import(
            actor=world.street_staff,
            committee=world.street,
            uploaded_file=upload(content, "单位.xlsx"),
        )
        assert batch.status == ImportStatus.REJECTED
        assert "不是有效的Excel工作簿（.xlsx）" in batch.errors[0]["message"]
        assert kept_bytes(batch) == content
        assert batch.original_name == "单位.xlsx"

    def test_an_empty_template_is_rejected(self, world):
        batch = imports.member_units_import(
            actor=world.street_staff,
            committee=world.street,
            uploaded_file=upload(workbook_bytes([])),
        )
        assert batch.status == ImportStatus.REJECTED
        assert "没有数据行" in batch.errors[0]["message"]

    def test_validation_takes_the_same_queries_whatever_the_number_of_rows(self, world):
        """The places and the tenant's registered credit codes are read once for the whole
        file; the single-entry validation then runs row by row in memory."""

        def queries_for(n: int) -> int:
            places = ["110101001001", "银闸社区", "", "东华门街道", "不存在社区"]
            rows = [unit_row(i, committee=places[i % 5]) for i in range(1, n + 1)]
            with CaptureQueriesContext(connection) as captured:
                batch = imports.member_units_import(
                    actor=world.street_staff,
                    committee=world.street,
                    uploaded_file=upload(workbook_bytes(rows)),
                )
            assert batch.status == ImportStatus.REJECTED  # 不存在社区: nothing is written
            return len(captured.captured_queries)

        queries_for(10)  # the user's grants and content types, loaded once
        assert queries_for(100) == queries_for(50)


# --- who may import -----------------------------------------------------------------------------


class TestImportAccess:
    def test_staff_see_the_form_with_their_committee(self, world, client_for):
        client = client_for(world.street_staff)
        response = client.get(reverse("members:unit_excel_import"))
        assert response.status_code == 200
        html = response.content.decode()
        # A picker shows the chosen committee by name; its id travels in the hidden input.
        assert picked(html, "committee") == (str(world.street.pk), "东华门街道")
        assert reverse("members:unit_excel_template") in html
        response = client.get(
            reverse("members:unit_excel_import"), {"committee": world.community.pk}
        )
        html = response.content.decode()
        assert picked(html, "committee") == (str(world.community.pk), "多福巷社区")
        assert f"?committee={world.community.pk}" in html  # the template lists its places

    def test_a_form_without_a_file_is_a_400(self, world, client_for):
        response = client_for(world.street_staff).post(
            reverse("members:unit_excel_import"), {"committee": world.street.pk}
        )
        assert response.status_code == 400
        assert ImportBatch.objects.count() == 0

    @pytest.mark.parametrize("persona", ["district_leader", "unit_contact"])
    def test_readers_get_403_and_nothing_changes(self, world, client_for, persona):
        if persona == "unit_contact":
            user = unit_contact(make_unit(world.community, "某医院", 9))
        else:
            user = getattr(world, persona)
        client = client_for(user)
        url = reverse("members:unit_excel_import")
        assert client.get(url).status_code == 403
        assert client.get(url, {"committee": world.street.pk}).status_code == 403
        response = post_import(client, world.street, workbook_bytes([unit_row(1)]))
        assert response.status_code == 403
        assert ImportBatch.objects.count() == 0
        assert MemberUnit.objects.filter(name="测试单位1").count() == 0

    @pytest.mark.parametrize("persona", ["sibling_staff", "other_admin"])
    def test_a_committee_out_of_reach_is_404(self, world, client_for, persona):
        client = client_for(getattr(world, persona))
        url = reverse("members:unit_excel_import")
        assert client.get(url, {"committee": world.street.pk}).status_code == 404
        response = post_import(client, world.street, workbook_bytes([unit_row(1)]))
        assert response.status_code == 404
        assert client.get(url, {"committee": "x"}).status_code == 404
        assert ImportBatch.objects.count() == 0 and MemberUnit.objects.count() == 0

    def test_community_staff_can_import_in_their_community_only(self, world, client_for):
        client = client_for(world.community_staff)
        data = workbook_bytes([unit_row(1, committee="")])
        assert post_import(client, world.street, data).status_code == 404
        assert post_import(client, world.community, data).status_code == 302
        assert MemberUnit.objects.get().committee == world.community

    def test_anonymous_is_sent_to_login(self, world, client):
        for name in ("unit_excel_import", "unit_excel_template", "unit_excel_export"):
            response = client.get(reverse(f"members:{name}"))
            assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- the result, the kept file and past imports: isolation ---------------------------------------


@pytest.fixture
def street_batch(world) -> ImportBatch:
    return imports.member_units_import(
        actor=world.street_staff,
        committee=world.street,
        uploaded_file=upload(workbook_bytes([unit_row(1, contact_phone="bad")])),
    )


class TestBatchIsolation:
    @pytest.mark.parametrize("persona", ["street_staff", "district_leader", "tenant_admin"])
    def test_those_who_see_the_street_see_the_result_and_the_file(
        self, world, client_for, street_batch, persona
    ):
        client = client_for(getattr(world, persona))
        detail = client.get(reverse("members:unit_excel_import_detail", args=[street_batch.pk]))
        assert detail.status_code == 200
        file = client.get(reverse("members:unit_excel_import_file", args=[street_batch.pk]))
        assert file.status_code == 200
        assert b"".join(file.streaming_content) == kept_bytes(street_batch)
        assert "attachment" in file["Content-Disposition"]
        listing = client.get(reverse("members:unit_excel_import_list"))
        assert list(listing.context["batches"]) == [street_batch]

    @pytest.mark.parametrize("persona", ["sibling_staff", "other_admin", "community_staff"])
    def test_others_get_404_on_the_result_and_the_file(
        self, world, client_for, street_batch, persona
    ):
        client = client_for(getattr(world, persona))
        for name in ("unit_excel_import_detail", "unit_excel_import_file"):
            response = client.get(reverse(f"members:{name}", args=[street_batch.pk]))
            assert response.status_code == 404, name
        assert list(client.get(reverse("members:unit_excel_import_list")).context["batches"]) == []

    def test_a_unit_contact_sees_no_batch(self, world, client_for, street_batch):
        client = client_for(unit_contact(make_unit(world.community, "某医院", 9)))
        url = reverse("members:unit_excel_import_detail", args=[street_batch.pk])
        assert client.get(url).status_code == 404

    def test_the_list_takes_the_same_queries_for_1_or_5_batches(
        self, world, client_for, street_batch
    ):
        client = client_for(world.street_staff)
        url = reverse("members:unit_excel_import_list")
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        for n in range(2, 6):
            imports.member_units_import(
                actor=world.street_staff,
                committee=world.street,
                uploaded_file=upload(workbook_bytes([unit_row(n, name="")])),
            )
        with CaptureQueriesContext(connection) as five:
            response = client.get(url)
        assert len(response.context["batches"]) == 5
        assert len(five.captured_queries) == len(one.captured_queries)


# --- export ---------------------------------------------------------------------------------------


def exported(response) -> list[dict]:
    return xl.exported(response, HEADERS, keys=FIELDS)


class TestExport:
    @pytest.fixture
    def units(self, world):
        return {
            "formula": make_unit(
                world.community,
                "=cmd|' /C calc'!A0",
                1,
                address="+86 东城区",
                contact_name="@SUM(1+1)",
                contact_phone="13812345678",
            ),
            "hospital": services.member_unit_create(
                actor=world.street_staff,
                committee=world.community2,
                data=services.UnitData(
                    name="东华门医院",
                    kind=UnitKind.HOSPITAL,
                    credit_code=credit_code(2),
                    address="-1层",
                ),
            ),
            "sibling": make_unit(world.sibling_community, "景山单位", 3),
            "other": make_unit(world.other_street, "上海单位", 4),
        }

    def test_export_escapes_formulas_and_holds_only_what_the_user_may_see(
        self, world, client_for, units
    ):
        rows = exported(client_for(world.street_staff).get(reverse("members:unit_excel_export")))
        by_name = {row["name"]: row for row in rows}
        assert set(by_name) == {"'=cmd|' /C calc'!A0", "东华门医院"}
        formula = by_name["'=cmd|' /C calc'!A0"]
        assert formula["address"] == "'+86 东城区"
        assert formula["contact_name"] == "'@SUM(1+1)"
        assert formula["contact_phone"] == "13812345678"  # staff who work with the unit
        assert formula["kind"] == "民营企业" and formula["committee"] == "多福巷社区"
        assert by_name["东华门医院"]["address"] == "'-1层"
        assert by_name["东华门医院"]["kind"] == "医院"

    def test_no_cell_of_the_export_is_a_formula(self, world, client_for, units):
        response = client_for(world.street_staff).get(reverse("members:unit_excel_export"))
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    def test_export_respects_the_filter(self, world, client_for, units):
        client = client_for(world.district_leader)
        url = reverse("members:unit_excel_export")
        names = {row["name"] for row in exported(client.get(url))}
        assert names == {"'=cmd|' /C calc'!A0", "东华门医院", "景山单位"}
        assert [r["name"] for r in exported(client.get(url, {"kind": "hospital"}))] == [
            "东华门医院"
        ]
        assert [r["name"] for r in exported(client.get(url, {"q": "景山"}))] == ["景山单位"]
        by_committee = exported(client.get(url, {"committee": world.sibling_street.pk}))
        assert [r["name"] for r in by_committee] == ["景山单位"]
        both = exported(client.get(url, {"committee": world.street.pk, "kind": "private"}))
        assert [r["name"] for r in both] == ["'=cmd|' /C calc'!A0"]
        # A committee out of reach filters to nothing rather than widening the list.
        assert exported(client.get(url, {"committee": world.other_street.pk})) == []

    def test_a_leader_gets_masked_phones(self, world, client_for, units):
        rows = exported(client_for(world.district_leader).get(reverse("members:unit_excel_export")))
        phones = {row["name"]: row["contact_phone"] for row in rows}
        assert phones["'=cmd|' /C calc'!A0"] == "138****5678"

    def test_a_unit_contact_exports_their_own_unit(self, world, client_for, units):
        client = client_for(unit_contact(units["hospital"]))
        rows = exported(client.get(reverse("members:unit_excel_export")))
        assert [row["name"] for row in rows] == ["东华门医院"]

    def test_the_other_tenant_exports_only_its_own(self, world, client_for, units):
        rows = exported(client_for(world.other_admin).get(reverse("members:unit_excel_export")))
        assert [row["name"] for row in rows] == ["上海单位"]


# --- the generic module -----------------------------------------------------------------------------


class TestExcelModule:
    def test_escape_formula(self):
        for text in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
            assert excel.escape_formula(text) == "'" + text
        for text in ("东城区", "1-1", "a=b", ""):
            assert excel.escape_formula(text) == text

    def test_cell_text_keeps_what_was_typed(self):
        assert excel.cell_text(13812345678) == "13812345678"
        assert excel.cell_text(1.3812345678e10) == "13812345678"
        assert excel.cell_text(2.5) == "2.5"
        assert excel.cell_text("  多福巷社区 ") == "多福巷社区"
        assert excel.cell_text(None) == ""

    def test_the_header_check_ignores_trailing_empty_header_cells(self):
        columns = imports.UNIT_ROWS.columns()
        data = workbook_bytes([unit_row(1)], headers=[*HEADERS, None, ""])
        rows = excel.read_rows(data, columns, 10)
        assert [row.values["name"] for row in rows] == ["测试单位1"]
