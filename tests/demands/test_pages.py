"""Demand pages through the Django test client: entry on a phone-sized form, the filtered list
and its export, the detail with matches and one-click claims, transitions, wishes."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from demands import services
from demands.models import (
    Claim,
    ClaimStatus,
    Demand,
    DemandAttachment,
    DemandStatus,
    DemandTransition,
    Match,
)

from ..members import factories as mf
from ..party_members import factories as pf
from . import factories as f
from .factories import contact_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def committed(action):
    """Run a client call with its on-commit work (matching, deliveries) as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return action()


def form_data(world, **overrides) -> dict:
    category = f.category(world.city.tenant)
    data = {
        "committee": world.community.pk,
        "title": "独居老人助餐",
        "description": "多福巷社区独居老人30位，希望有老年餐桌助餐服务",
        "category": category.pk,
        "kind": "need",
        "source": "snapshot",
        "urgency": "high",
        "people_affected": "30",
        "needed_by": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
        "quantity": "30",
        "quantity_unit": "people",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def matched_demand(world):
    """A published demand at 多福巷社区 matched by a unit's resource at 东华门街道."""
    unit = mf.unit(world.street, name="公交集团保修三厂")
    contact = contact_of(unit)
    resource = f.resource(
        world.street, world.street_staff, title="老年餐桌", unit=unit, capacity="50"
    )
    demand = f.demand(world.community, world.community_staff, quantity="30", quantity_unit="people")
    return demand, resource, unit, contact


@pytest.mark.django_db
class TestEntryForm:
    def test_community_staff_publish_a_demand_with_a_photo_from_a_phone(
        self, world, client_for, media
    ):
        f.resource(world.street, world.street_staff, title="老年餐桌", description="为老年人助餐")
        client = client_for(world.community_staff)
        page = client.get(reverse("demands:demand_create"))
        html = page.content.decode()
        assert page.status_code == 200
        assert 'name="viewport"' in html and 'type="date"' in html and "保存草稿" in html
        assert page.context["form"]["committee"].value() == world.community.pk
        photo = SimpleUploadedFile("随手拍.png", PNG, content_type="image/png")
        response = committed(
            lambda: client.post(
                reverse("demands:demand_create"),
                {**form_data(world), "attachments": [photo], "publish": "1"},
            )
        )
        demand = Demand.objects.get()
        assert response.status_code == 302 and response.url == reverse(
            "demands:demand_detail", args=[demand.pk]
        )
        assert (demand.status, demand.committee, demand.source, demand.quantity) == (
            DemandStatus.PUBLISHED,
            world.community,
            "snapshot",
            Decimal("30.0"),
        )
        attachment = demand.attachments.get()
        assert attachment.original_name == "随手拍.png" and attachment.file.name.endswith(".png")
        assert "随手拍" not in attachment.file.name  # our own stored name
        assert Match.objects.filter(demand=demand).exists()

    def test_save_as_draft(self, world, client_for):
        response = client_for(world.community_staff).post(
            reverse("demands:demand_create"), {**form_data(world), "draft": "1"}
        )
        assert response.status_code == 302
        assert Demand.objects.get().status == DemandStatus.DRAFT

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"category": "999999"}, "category", "未知的需求类别"),
            ({"category": "不存在的类别"}, "category", "未知的需求类别"),
            ({"needed_by": "2020-01-01"}, "needed_by", "期望解决日期不能早于今天"),
            ({"quantity": "-5"}, "quantity", "需求数量应大于0"),
            ({"quantity": "5", "quantity_unit": ""}, "quantity_unit", "请选择数量单位"),
            ({"people_affected": "0"}, "people_affected", "涉及人数应为不小于1的整数"),
            ({"people_affected": "99999999999"}, "people_affected", "涉及人数过大"),
            ({"title": ""}, "title", "请填写标题"),
            ({"needed_by": "2026-13-45"}, "needed_by", "有效的日期"),
            ({"committee": "abc"}, "committee", "请从搜索结果中选择提出地"),
        ],
    )
    def test_bad_input_shows_a_chinese_error_on_its_field_and_saves_nothing(
        self, world, client_for, media, overrides, field, message
    ):
        photo = SimpleUploadedFile("a.png", PNG, content_type="image/png")
        response = client_for(world.community_staff).post(
            reverse("demands:demand_create"),
            {**form_data(world, **overrides), "attachments": [photo], "publish": "1"},
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert message in " ".join(errors[field]), errors
        assert f'data-field="{field}"' in response.content.decode()
        assert not Demand.objects.exists() and not DemandAttachment.objects.exists()
        assert stored_files(media) == []

    @pytest.mark.parametrize(
        ("files", "message"),
        [
            ([("virus.png", b"MZ\x90\x00" + b"\x00" * 64)], "不是图片或PDF文件"),
            ([("page.svg", b"<svg onload=alert(1)></svg>")], "不是图片或PDF文件"),
            ([("big.jpg", b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024))], "超过10 MB"),
            ([(f"p{i}.png", PNG) for i in range(6)], "最多5个附件"),
        ],
    )
    def test_bad_attachments_save_nothing(self, world, client_for, media, files, message):
        uploads = [SimpleUploadedFile(name, content) for name, content in files]
        response = client_for(world.community_staff).post(
            reverse("demands:demand_create"),
            {**form_data(world), "attachments": uploads, "publish": "1"},
        )
        assert response.status_code == 400
        assert message in " ".join(response.context["form"].errors["attachments"])
        assert not Demand.objects.exists() and stored_files(media) == []

    def test_a_committee_outside_the_scope_is_refused(self, world, client_for):
        response = client_for(world.community_staff).post(
            reverse("demands:demand_create"),
            form_data(world, committee=world.sibling_community.pk),
        )
        assert response.status_code == 400
        assert "工作范围" in response.context["form"].errors["committee"][0]
        assert not Demand.objects.exists()

    def test_a_leader_cannot_open_the_form(self, world, client_for):
        client = client_for(world.district_leader)
        assert client.get(reverse("demands:demand_create")).status_code == 403
        assert client.post(reverse("demands:demand_create"), form_data(world)).status_code == 403
        assert not Demand.objects.exists()


@pytest.mark.django_db
class TestEdit:
    def test_edit_a_draft_add_a_pdf_and_publish(self, world, client_for):
        demand = f.demand(world.community, world.community_staff, publish=False)
        client = client_for(world.community_staff)
        page = client.get(reverse("demands:demand_edit", args=[demand.pk]))
        assert page.status_code == 200
        assert page.context["form"]["needed_by"].value() == demand.needed_by
        assert f'value="{demand.needed_by.isoformat()}"' in page.content.decode()
        scan = SimpleUploadedFile("来信.pdf", PDF, content_type="application/pdf")
        response = committed(
            lambda: client.post(
                reverse("demands:demand_edit", args=[demand.pk]),
                {
                    **form_data(world, title="老年助餐（修改）"),
                    "attachments": [scan],
                    "publish": "1",
                },
            )
        )
        assert response.status_code == 302
        demand.refresh_from_db()
        assert demand.title == "老年助餐（修改）" and demand.status == DemandStatus.PUBLISHED
        assert demand.attachments.get().file.name.endswith(".pdf")

    def test_bad_edit_changes_nothing(self, world, client_for):
        demand = f.demand(world.community, world.community_staff)
        response = client_for(world.community_staff).post(
            reverse("demands:demand_edit", args=[demand.pk]),
            form_data(world, title="改了", category="99999"),
        )
        assert response.status_code == 400
        demand.refresh_from_db()
        assert demand.title == "老年人助餐点"

    def test_a_fulfilled_demand_cannot_be_edited(self, world, client_for):
        demand = f.demand(world.community, world.community_staff)
        services.demand_transition(
            demand=demand, to=DemandStatus.FULFILLED, actor=world.community_staff
        )
        client = client_for(world.community_staff)
        response = client.get(reverse("demands:demand_edit", args=[demand.pk]), follow=True)
        assert "不能再修改" in response.content.decode()
        response = client.post(
            reverse("demands:demand_edit", args=[demand.pk]), form_data(world, title="改了")
        )
        assert response.status_code == 400
        demand.refresh_from_db()
        assert demand.title == "老年人助餐点"


@pytest.mark.django_db
class TestList:
    @pytest.fixture
    def demands(self, world):
        return f.listed_demands(world)

    def titles(self, client, **params):
        response = client.get(reverse("demands:demand_list"), params)
        assert response.status_code == 200
        return [d["title"] for d in response.context["page"]]

    def test_filters(self, world, client_for, demands):
        client = client_for(world.street_staff)
        parking = f.category(world.city.tenant, "交通停车")
        assert set(self.titles(client)) == {
            "老年助餐",
            "错时停车",
            "楼道堆物清理",
            "想要一台收音机",
        }
        assert self.titles(client, status="draft") == ["楼道堆物清理"]
        assert self.titles(client, category=parking.pk) == ["错时停车"]
        assert self.titles(client, source="hotline") == ["错时停车"]
        assert self.titles(client, urgency="critical") == ["错时停车"]
        assert self.titles(client, kind="wish") == ["想要一台收音机"]
        assert set(self.titles(client, committee=world.community.pk)) == {
            "老年助餐",
            "想要一台收音机",
        }
        assert self.titles(client, q="停车") == ["错时停车"]
        # Another street's committee is no filter at all: it shows nothing.
        assert self.titles(client, committee=world.sibling_street.pk) == []
        # Unknown values are dropped, not errors.
        assert len(self.titles(client, status="bogus", sort="hack", category="x")) == 4

    def test_sort(self, world, client_for, demands):
        client = client_for(world.street_staff)
        assert self.titles(client, sort="-urgency")[:2] == ["错时停车", "楼道堆物清理"]
        assert self.titles(client, sort="-people")[0] == "错时停车"
        assert self.titles(client, sort="needed_by")[0] == "错时停车"
        assert self.titles(client, sort="needed_by")[-1] == "楼道堆物清理"  # no date: last
        assert self.titles(client, sort="created")[0] == "老年助餐"

    def test_counts_by_status_follow_the_other_filters(self, world, client_for, demands):
        client = client_for(world.street_staff)
        response = client.get(reverse("demands:demand_list"), {"status": "draft"})
        counts = {value: n for value, _label, n in response.context["counts"]}
        assert counts["published"] == 3 and counts["draft"] == 1
        html = response.content.decode()
        assert 'data-count="published:3"' in html
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("demands:demand_list"), {"kind": "wish"})
        counts = {value: n for value, _label, n in response.context["counts"]}
        assert counts["published"] == 1 and counts["draft"] == 0
        # COUNT(*), not COUNT(id): a city's tabs are then read off (tenant, status, category)
        # alone, without the table (40,000 demands: 25 -> 7 ms).
        (tabs,) = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
        assert "COUNT(*)" in tabs

    def test_export_link_carries_the_filters_and_the_workbook_follows_them(
        self, world, client_for, demands
    ):
        f.demand(world.community, world.community_staff, title="=HYPERLINK(1)+居民")
        client = client_for(world.street_staff)
        page = client.get(
            reverse("demands:demand_list"), {"status": "published", "sort": "-people"}
        )
        assert page.context["query_string"] == "status=published&sort=-people"
        assert (
            f"{reverse('demands:demand_export')}?status=published&amp;sort=-people"
            in page.content.decode()
        )
        response = client.get(
            reverse("demands:demand_export"), {"status": "published", "sort": "-people"}
        )
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.values)
        assert rows[0][:7] == ("编号", "标题", "类型", "类别", "来源", "紧急程度", "状态")
        titles = [row[1] for row in rows[1:]]
        assert titles[0] == "错时停车"
        assert set(titles) == {"错时停车", "老年助餐", "想要一台收音机", "'=HYPERLINK(1)+居民"}
        parking = rows[1]
        assert parking[4] == "12345热线" and parking[5] == "特急" and parking[6] == "已发布"

    def test_the_list_takes_the_same_queries_for_3_or_33_demands(self, world, client_for):
        client = client_for(world.district_leader)
        for i in range(3):
            f.demand(world.community, world.community_staff, title=f"需求{i}")
        params = {"sort": "-urgency", "committee": world.street.pk, "q": "需求"}
        client.get(reverse("demands:demand_list"), params)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("demands:demand_list"), params)
        for i in range(30):
            f.demand(world.community2, world.street_staff, title=f"需求b{i}", publish=i % 2 == 0)
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("demands:demand_list"), params)
        assert response.context["page"].paginator.count == 33
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_the_export_takes_the_same_queries_for_3_or_33_demands(self, world, client_for):
        client = client_for(world.street_staff)
        for i in range(3):
            f.demand(world.community, world.community_staff, title=f"需求{i}")
        client.get(reverse("demands:demand_export"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("demands:demand_export"))
        for i in range(30):
            f.demand(world.community2, world.street_staff, title=f"需求b{i}")
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("demands:demand_export"))
        assert len(list(load_workbook(io.BytesIO(response.content)).active.values)) == 34
        assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
class TestDetail:
    def test_matches_with_score_and_reason_and_the_history(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        response = client_for(world.street_staff).get(
            reverse("demands:demand_detail", args=[demand.pk])
        )
        html = response.content.decode()
        row = response.context["matches"][0]
        assert row["match"].resource == resource and row["action"] == "request"
        assert row["quantity"] == Decimal("30.0")
        assert "场地，由东华门街道提供，覆盖多福巷社区" in html and "内容相符：" in html
        assert f"匹配度{round(row['match'].score * 100)}%" in html and "申请资源" in html
        history = response.context["transitions"]
        assert [(t["from_label"], t["to_label"]) for t in history] == [
            ("", "草稿"),
            ("草稿", "已发布"),
        ]
        assert history[0]["actor"] == world.community_staff

    def test_a_unit_contact_sees_its_own_match_and_a_claim_button(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        response = client_for(contact).get(reverse("demands:demand_detail", args=[demand.pk]))
        assert response.status_code == 200
        assert [row["action"] for row in response.context["matches"]] == ["claim"]
        assert "认领" in response.content.decode()
        assert response.context["moves"] == []

    def test_a_leader_reads_but_gets_no_buttons(self, world, client_for):
        demand, *_ = matched_demand(world)
        response = client_for(world.district_leader).get(
            reverse("demands:demand_detail", args=[demand.pk])
        )
        assert response.status_code == 200
        assert [row["action"] for row in response.context["matches"]] == [None]
        assert response.context["moves"] == [] and not response.context["can_edit"]

    def test_the_detail_takes_the_same_queries_with_more_matches_claims_and_history(
        self, world, client_for
    ):
        demand, resource, unit, contact = matched_demand(world)
        client = client_for(world.street_staff)
        url = reverse("demands:demand_detail", args=[demand.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for i in range(4):
            other = mf.unit(world.street, name=f"单位{i}")
            res = f.resource(world.street, world.street_staff, title=f"助餐{i}", unit=other)
            services.claim_request_resource(actor=world.street_staff, demand=demand, resource=res)
            DemandAttachment.objects.create(
                tenant_id=demand.tenant_id, demand=demand, file=f"x{i}.png", original_name="x.png"
            )
            DemandTransition.objects.create(
                tenant_id=demand.tenant_id,
                demand=demand,
                from_status="published",
                to_status="published",
                actor=world.tenant_admin,
                reason=f"上报{i}",
            )
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert len(response.context["matches"]) == 5 and len(response.context["claims"]) == 4
        assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
class TestOneClickClaims:
    def test_staff_request_the_unit_accepts_then_releases(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        match = Match.objects.get(demand=demand)
        staff = client_for(world.street_staff)
        response = staff.post(
            reverse("demands:match_request", args=[match.pk]),
            {"quantity": "30", "message": "请支持"},
        )
        assert response.status_code == 302
        claim = Claim.objects.get()
        assert (claim.direction, claim.status, claim.quantity) == (
            "staff_requests",
            ClaimStatus.PENDING,
            Decimal("30.0"),
        )
        # Staff asked: staff do not answer their own request.
        page = staff.get(reverse("demands:demand_detail", args=[demand.pk]))
        assert page.context["claims"][0]["answer"] is False
        assert staff.post(reverse("demands:claim_accept", args=[claim.pk])).status_code == 403

        unit_client = client_for(contact)
        page = unit_client.get(reverse("demands:demand_detail", args=[demand.pk]))
        assert page.context["claims"][0]["answer"] is True
        unit_client.post(reverse("demands:claim_accept", args=[claim.pk]))
        claim.refresh_from_db()
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert claim.status == ClaimStatus.ACCEPTED and claim.decided_by == contact
        assert resource.remaining == Decimal("20.0") and demand.status == DemandStatus.MATCHED

        committed(
            lambda: unit_client.post(
                reverse("demands:claim_release", args=[claim.pk]), {"reason": "场地检修"}
            )
        )
        claim.refresh_from_db()
        resource.refresh_from_db()
        demand.refresh_from_db()
        assert claim.status == ClaimStatus.RELEASED and resource.remaining == Decimal("50.0")
        assert demand.status == DemandStatus.PUBLISHED
        assert Match.objects.filter(demand=demand).exists()  # open again, matched again

    def test_a_unit_claims_and_staff_decline_only_with_a_reason(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        match = Match.objects.get(demand=demand)
        unit_client = client_for(contact)
        unit_client.post(reverse("demands:match_claim", args=[match.pk]), {"quantity": "30"})
        claim = Claim.objects.get()
        assert (claim.direction, claim.unit, claim.resource) == ("unit_claims", unit, resource)
        assert unit_client.post(reverse("demands:claim_accept", args=[claim.pk])).status_code == 403

        staff = client_for(world.community_staff)
        response = staff.post(
            reverse("demands:claim_decline", args=[claim.pk]), {"reason": ""}, follow=True
        )
        assert "谢绝时请说明原因" in response.content.decode()
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PENDING
        staff.post(reverse("demands:claim_decline", args=[claim.pk]), {"reason": "已由街道解决"})
        claim.refresh_from_db()
        assert (claim.status, claim.reason) == (ClaimStatus.DECLINED, "已由街道解决")

    def test_a_negative_quantity_is_refused_and_nothing_is_claimed(self, world, client_for):
        demand, resource, unit, contact = matched_demand(world)
        match = Match.objects.get(demand=demand)
        response = client_for(contact).post(
            reverse("demands:match_claim", args=[match.pk]), {"quantity": "-3"}, follow=True
        )
        assert "数量不能为负数" in response.content.decode()
        assert not Claim.objects.exists()

    def test_two_units_for_the_last_capacity_the_second_is_told_why(self, world, client_for):
        resource = f.resource(world.street, world.street_staff, title="最后10个名额", capacity="10")
        claims = []
        for i, community in enumerate([world.community, world.community2]):
            demand = f.demand(community, world.street_staff, title=f"助餐{i}")
            unit = mf.unit(world.street, name=f"认领单位{i}")
            claims.append(f.unit_claim(demand, unit, quantity="10"))
            Claim.objects.filter(pk=claims[-1].pk).update(resource=resource)
        client = client_for(world.street_staff)
        client.post(reverse("demands:claim_accept", args=[claims[0].pk]))
        response = client.post(reverse("demands:claim_accept", args=[claims[1].pk]), follow=True)
        assert "剩余0人，不足10：已被其他认领占用" in response.content.decode()
        assert [c.status for c in Claim.objects.order_by("pk")] == ["accepted", "pending"]

    def test_a_committee_resource_is_committed_by_its_committee_not_requested(
        self, world, client_for
    ):
        f.resource(world.street, world.street_staff, title="街道助餐场地")
        demand = f.demand(world.community, world.community_staff)
        url = reverse("demands:demand_detail", args=[demand.pk])
        street = client_for(world.street_staff).get(url)
        assert [row["action"] for row in street.context["matches"]] == ["commit"]
        community = client_for(world.community_staff).get(url)
        assert [row["action"] for row in community.context["matches"]] == [None]


@pytest.mark.django_db
class TestTransitions:
    def url(self, demand):
        return reverse("demands:demand_transition", args=[demand.pk])

    def test_publish_a_draft(self, world, client_for):
        demand = f.demand(world.community, world.community_staff, publish=False)
        committed(
            lambda: client_for(world.community_staff).post(self.url(demand), {"to": "published"})
        )
        demand.refresh_from_db()
        assert demand.status == DemandStatus.PUBLISHED and demand.published_at

    def test_reject_needs_a_reason_and_is_recorded_with_who_and_why(self, world, client_for):
        demand = f.demand(world.community, world.community_staff)
        client = client_for(world.street_staff)
        response = client.post(self.url(demand), {"to": "rejected", "reason": " "}, follow=True)
        assert "请说明原因" in response.content.decode()
        demand.refresh_from_db()
        assert demand.status == DemandStatus.PUBLISHED
        committed(
            lambda: client.post(self.url(demand), {"to": "rejected", "reason": "不属于本辖区"})
        )
        demand.refresh_from_db()
        assert (demand.status, demand.status_reason) == (DemandStatus.REJECTED, "不属于本辖区")
        last = demand.transitions.last()
        assert (last.actor, last.reason) == (world.street_staff, "不属于本辖区")
        page = client.get(reverse("demands:demand_detail", args=[demand.pk])).content.decode()
        assert "已驳回：不属于本辖区" in page and str(world.street_staff) in page
        assert not Match.objects.filter(demand=demand).exists()

    def test_a_reason_too_long_is_refused(self, world, client_for):
        demand = f.demand(world.community, world.community_staff)
        response = client_for(world.street_staff).post(
            self.url(demand), {"to": "withdrawn", "reason": "长" * 301}, follow=True
        )
        assert "300" in response.content.decode()
        demand.refresh_from_db()
        assert demand.status == DemandStatus.PUBLISHED

    def test_mark_fulfilled_and_fulfilled_is_final(self, world, client_for):
        demand = f.demand(world.community, world.community_staff)
        client = client_for(world.community_staff)
        # Asked first: without the confirmation nothing moves.
        asked = client.post(self.url(demand), {"to": "fulfilled"}, follow=True)
        assert "办结不能撤销，请在确认后再提交" in asked.content.decode()
        demand.refresh_from_db()
        assert demand.status == DemandStatus.PUBLISHED
        page = client.get(f"/demands/{demand.pk}/").content.decode()
        assert 'data-testid="fulfil"' in page and "确定已经办结" in page
        client.post(self.url(demand), {"to": "fulfilled", "confirm": "yes"})
        response = client.post(self.url(demand), {"to": "withdrawn", "reason": "x"}, follow=True)
        assert "不能从“已办结”变为“已撤回”" in response.content.decode()
        demand.refresh_from_db()
        assert demand.status == DemandStatus.FULFILLED

    def test_moves_that_are_not_offered_are_refused(self, world, client_for):
        demand = f.demand(world.community, world.community_staff)
        response = client_for(world.street_staff).post(self.url(demand), {"to": "in_project"})
        assert response.status_code == 403


@pytest.mark.django_db
class TestUnitRaisesADemand:
    def test_a_unit_raises_a_demand_where_it_stands(self, world, client_for):
        unit = mf.unit(world.community2, name="银闸小学")
        contact = contact_of(unit)
        client = client_for(contact)
        page = client.get(reverse("demands:demand_raise"))
        assert page.status_code == 200 and "source" not in page.context["form"].fields
        data = form_data(world, title="学校门口停车难", committee=None, source=None, kind=None)
        data["unit"] = unit.pk
        response = committed(
            lambda: client.post(reverse("demands:demand_raise"), {**data, "publish": "1"})
        )
        demand = Demand.objects.get()
        assert response.status_code == 302
        assert (demand.raised_by_unit, demand.committee, demand.source, demand.status) == (
            unit,
            world.community2,
            "member_unit",
            DemandStatus.PUBLISHED,
        )
        # The unit keeps its own demand; staff of the street see it in their list.
        assert client.get(reverse("demands:demand_edit", args=[demand.pk])).status_code == 200
        staff = client_for(world.street_staff)
        titles = [d["title"] for d in staff.get(reverse("demands:demand_list")).context["page"]]
        assert titles == ["学校门口停车难"]

    def test_another_units_id_is_refused(self, world, client_for):
        unit = mf.unit(world.community2, name="银闸小学")
        other = mf.unit(world.sibling_community, name="别的单位")
        data = form_data(world, committee=None, source=None, kind=None)
        data["unit"] = other.pk
        response = client_for(contact_of(unit)).post(reverse("demands:demand_raise"), data)
        assert response.status_code == 400 and not Demand.objects.exists()

    def test_staff_without_a_unit_get_403(self, world, client_for):
        assert (
            client_for(world.street_staff).get(reverse("demands:demand_raise")).status_code == 403
        )


@pytest.mark.django_db
class TestWishes:
    def test_a_member_claims_a_wish_of_their_community_and_the_second_is_told(
        self, world, client_for
    ):
        wish = f.demand(world.community, world.community_staff, title="想要一台收音机", kind="wish")
        f.demand(world.community, world.community_staff, title="普通需求")
        f.demand(world.community2, world.street_staff, title="银闸的心愿", kind="wish")
        first = pf.party_member(world.community, name="李强")
        second = pf.party_member(world.community, name="王芳")
        client = client_for(first.user)
        page = client.get(reverse("demands:wish_list"))
        assert [w.title for w in page.context["wishes"]] == ["想要一台收音机"]
        assert 'name="viewport"' in page.content.decode()
        client.post(reverse("demands:wish_claim", args=[wish.pk]))
        wish.refresh_from_db()
        assert (wish.status, wish.claimed_by_member) == (DemandStatus.MATCHED, first)
        assert wish.transitions.last().actor == first.user
        page = client.get(reverse("demands:wish_list"))
        assert [w.title for w in page.context["claimed"]] == ["想要一台收音机"]

        client = client_for(second.user)
        response = client.post(reverse("demands:wish_claim", args=[wish.pk]), follow=True)
        assert "该心愿已被其他党员认领" in response.content.decode()
        wish.refresh_from_db()
        assert wish.claimed_by_member == first

    def test_a_pending_member_sees_no_wishes_and_cannot_claim(self, world, client_for):
        wish = f.demand(world.community, world.community_staff, kind="wish")
        member = pf.party_member(world.community, confirmed=False)
        client = client_for(member.user)
        page = client.get(reverse("demands:wish_list"))
        assert list(page.context["wishes"]) == [] and "报到经社区确认后" in page.content.decode()
        assert client.post(reverse("demands:wish_claim", args=[wish.pk])).status_code == 404
        wish.refresh_from_db()
        assert wish.claimed_by_member is None

    def test_a_member_of_another_community_cannot_claim(self, world, client_for):
        wish = f.demand(world.community, world.community_staff, kind="wish")
        member = pf.party_member(world.sibling_community)
        client = client_for(member.user)
        assert list(client.get(reverse("demands:wish_list")).context["wishes"]) == []
        assert client.post(reverse("demands:wish_claim", args=[wish.pk])).status_code == 404
        wish.refresh_from_db()
        assert wish.status == DemandStatus.PUBLISHED

    def test_the_wish_list_takes_the_same_queries_for_2_or_12_wishes(self, world, client_for):
        member = pf.party_member(world.community)
        client = client_for(member.user)
        for i in range(2):
            f.demand(world.community, world.community_staff, title=f"心愿{i}", kind="wish")
        client.get(reverse("demands:wish_list"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("demands:wish_list"))
        for i in range(10):
            wish = f.demand(world.community, world.community_staff, title=f"心愿b{i}", kind="wish")
            if i % 3 == 0:
                services.wish_claim(actor=member.user, demand=wish)
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("demands:wish_list"))
        assert len(response.context["wishes"]) == 8 and len(response.context["claimed"]) == 4
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_the_communitys_staff_hear_of_a_claimed_wish(self, world, client_for):
        from notifications.models import Notification

        wish = f.demand(world.community, world.community_staff, kind="wish")
        member = pf.party_member(world.community, name="李强")
        client_for(member.user).post(reverse("demands:wish_claim", args=[wish.pk]))
        note = Notification.objects.get(recipient=world.community_staff, event="claim")
        assert "党员李强认领了心愿" in note.title

    def test_staff_get_404_on_the_wish_list(self, world, client_for):
        assert client_for(world.street_staff).get(reverse("demands:wish_list")).status_code == 404


@pytest.mark.django_db
class TestAttachments:
    def test_served_through_the_scoped_view_only(self, world, client_for, media, client):
        data = services.DemandData(
            title="井盖缺失",
            description="随手拍",
            category=f.category(world.city.tenant, "平安建设"),
            source="snapshot",
        )
        demand = services.demand_create(
            actor=world.community_staff,
            committee=world.community,
            data=data,
            attachments=[SimpleUploadedFile("井盖.png", PNG)],
        )
        attachment = demand.attachments.get()
        url = reverse("demands:attachment", args=[attachment.pk])
        response = client_for(world.street_staff).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert client_for(world.sibling_staff).get(url).status_code == 404
        assert client_for(world.other_admin).get(url).status_code == 404
        client.logout()
        assert client.get(url).status_code == 302  # to the login page
        assert client.get(f"/media/{attachment.file.name}").status_code == 404
