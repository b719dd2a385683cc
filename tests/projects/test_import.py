"""The project list's Excel import through the one bulk-input pipeline: the template's columns,
a good file formed in one transaction (its demands in project), a bad file refused whole with
every bad row by row and column, and the import out of reach of other streets and leaders."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import ImportBatch
from demands.models import DemandStatus
from projects.models import Project, ProjectSource

from . import factories as f

pytestmark = pytest.mark.django_db

HEADER = [
    "项目名称",
    "牵头协调委员会",
    "牵头单位",
    "类别",
    "预算（元）",
    "开始日期",
    "完成期限",
    "对接需求编号",
    "项目内容",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook(client, rows) -> SimpleUploadedFile:
    template = client.get(reverse("projects:project_template"))
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["项目清单"]
    assert [c.value for c in sheet[1]] == HEADER
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("项目清单.xlsx", out.getvalue())


def test_a_good_file_is_imported_whole_and_its_demands_follow(world, client_for):
    claim, _contact = f.accepted_claim(world)
    unit = claim.unit
    today = timezone.localdate()
    client = client_for(world.street_staff)
    upload = workbook(
        client,
        [
            [
                "多福巷老年餐桌",
                "",
                unit.name,
                "养老服务",
                "50000",
                today.isoformat(),
                (today + dt.timedelta(days=90)).isoformat(),
                str(claim.demand_id),
                "午餐助餐",
            ],
            [
                "银闸社区楼道整治",
                "银闸社区",
                "",
                "",
                "",
                today.isoformat(),
                (today + dt.timedelta(days=30)).isoformat(),
                "",
                "",
            ],
        ],
    )
    response = client.post(
        reverse("projects:project_import"), {"committee": world.street.pk, "file": upload}
    )
    batch = ImportBatch.objects.get(kind="projects")
    assert response.status_code == 302 and response.url == reverse(
        "projects:import_detail", args=[batch.pk]
    )
    assert batch.status == "imported" and batch.created_count == 2
    meals = Project.objects.get(title="多福巷老年餐桌")
    assert meals.source == ProjectSource.IMPORT and meals.committee == world.street
    assert meals.lead_unit == unit and meals.budget == 50000
    claim.demand.refresh_from_db()
    assert claim.demand.status == DemandStatus.IN_PROJECT
    assert Project.objects.get(title="银闸社区楼道整治").committee == world.community2
    page = client.get(response.url)
    assert "已导入2个项目" in page.content.decode()
    records = client.get(reverse("projects:import_list")).content.decode()
    assert (
        "项目清单.xlsx" in records and reverse("projects:import_detail", args=[batch.pk]) in records
    )


def test_a_bad_file_is_refused_whole_with_every_bad_row(world, client_for):
    today = timezone.localdate()
    client = client_for(world.street_staff)
    upload = workbook(
        client,
        [
            [
                "好的项目",
                "",
                "",
                "",
                "1000",
                today.isoformat(),
                (today + dt.timedelta(days=10)).isoformat(),
                "",
                "",
            ],
            ["", "景山街道", "不存在的单位", "", "-5", "明天", today.isoformat(), "999999", ""],
            [
                "日期颠倒",
                "",
                "",
                "",
                "",
                today.isoformat(),
                (today - dt.timedelta(days=1)).isoformat(),
                "",
                "",
            ],
        ],
    )
    client.post(reverse("projects:project_import"), {"committee": world.street.pk, "file": upload})
    batch = ImportBatch.objects.get(kind="projects")
    assert batch.status == "rejected" and not Project.objects.exists()
    errors = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert errors[(3, "项目名称")] == "请填写“项目名称”。"
    assert "景山街道" in errors[(3, "牵头协调委员会")]
    assert "不存在的单位" in errors[(3, "牵头单位")]
    assert "不是有效的日期" in errors[(3, "开始日期")]
    assert errors[(3, "对接需求编号")] == "找不到编号为999999的需求。"
    assert errors[(4, "完成期限")] == "完成期限不能早于开始日期。"
    assert not any(e["row"] == 2 for e in batch.errors)
    page = client.get(reverse("projects:import_detail", args=[batch.pk])).content.decode()
    assert "文件未导入" in page


def test_the_import_is_out_of_reach_of_other_streets_and_leaders(world, client_for):
    today = timezone.localdate()
    staff = client_for(world.street_staff)
    upload = workbook(
        staff, [["项目", "", "", "", "", today.isoformat(), today.isoformat(), "", ""]]
    )
    staff.post(reverse("projects:project_import"), {"committee": world.street.pk, "file": upload})
    batch = ImportBatch.objects.get(kind="projects")
    for persona in ("sibling_staff", "other_admin"):
        client = client_for(getattr(world, persona))
        upload.seek(0)
        response = client.post(
            reverse("projects:project_import"), {"committee": world.street.pk, "file": upload}
        )
        assert response.status_code in (400, 404)
        assert client.get(reverse("projects:import_detail", args=[batch.pk])).status_code == 404
        assert client.get(reverse("projects:import_file", args=[batch.pk])).status_code == 404
    leader = client_for(world.district_leader)
    assert leader.get(reverse("projects:project_import")).status_code == 403
    assert ImportBatch.objects.filter(kind="projects").count() == 1
    assert Project.objects.count() == 1


def test_the_bulk_api_uses_the_same_row_form(world, client_for):
    today = timezone.localdate().isoformat()
    client = client_for(world.street_staff)
    bad = client.post(
        "/api/projects/bulk/",
        {
            "items": [
                {"title": "好", "committee": "东华门街道", "start_on": today, "due_on": today},
                {"title": "", "committee": "景山街道", "start_on": today, "due_on": today},
            ]
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert [failure["index"] for failure in bad.json()] == [1]
    assert set(bad.json()[0]["errors"]) == {"title", "committee"}
    assert not Project.objects.exists()
    good = client.post(
        "/api/projects/bulk/",
        [{"title": "好", "committee": "110101001000", "start_on": today, "due_on": today}],
        content_type="application/json",
    )
    assert good.status_code == 201 and good.json()[0]["source"] == "import"
