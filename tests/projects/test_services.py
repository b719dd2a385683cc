"""The project state machine, the demands that follow their project, and the rules each service
enforces (every refusal clear, in Chinese, and changing nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from demands.models import DemandStatus, DemandTransition
from projects import services
from projects.models import Milestone, Project, ProjectStatus, ProjectTransition
from projects.services import MilestoneData

from . import factories as f

pytestmark = pytest.mark.django_db


def messages(error: ValidationError) -> str:
    return " ".join(m for ms in error.message_dict.values() for m in ms)


def test_an_accepted_claim_becomes_a_project_and_its_demand_is_in_project(world):
    project, contact = f.project(world)
    demand = project.demands.get()
    assert project.status == ProjectStatus.PLANNED
    assert project.lead_unit.name == "东华门老年餐桌"
    assert project.year == timezone.localdate().year
    assert project.resources.count() == 1
    assert [m.title for m in project.milestones.order_by("due_on")] == ["场地改造", "开餐运营"]
    assert demand.status == DemandStatus.IN_PROJECT
    assert DemandTransition.objects.filter(demand=demand).last().to_status == "in_project"
    assert ProjectTransition.objects.get(project=project).actor == world.street_staff
    # The lead unit's contact hears of it.
    assert contact.notifications.filter(title__contains="已立项").count() == 1


def test_every_transition_is_recorded_and_the_demands_follow(world):
    project, _contact = f.project(world)
    demand = project.demands.get()
    staff = world.street_staff
    project = services.project_transition(actor=staff, project=project, to="in_progress")
    assert project.started_at is not None
    with pytest.raises(ValidationError) as refused:
        services.project_transition(actor=staff, project=project, to="completed")
    assert "还有2个里程碑未完成" in messages(refused.value)
    for milestone in project.milestones.all():
        services.milestone_finish(actor=staff, milestone=milestone)
    project = services.project_transition(actor=staff, project=project, to="completed")
    demand.refresh_from_db()
    assert demand.status == DemandStatus.FULFILLED
    project = services.project_mark_evaluated(actor=staff, project=project)
    assert project.status == ProjectStatus.EVALUATED
    assert list(
        ProjectTransition.objects.filter(project=project).values_list("from_status", "to_status")
    ) == [
        ("", "planned"),
        ("planned", "in_progress"),
        ("in_progress", "completed"),
        ("completed", "evaluated"),
    ]
    assert project.supervise_at is None


@pytest.mark.parametrize(
    ("path", "to", "message"),
    [
        ([], "completed", "项目当前为“计划中”，不能变为“已完成”。"),
        ([], "evaluated", "项目当前为“计划中”，不能变为“已评价”。"),
        (["in_progress", ("cancelled", "资金未落实")], "in_progress", "不能变为“实施中”"),
        ([], "nonsense", "未知的项目状态。"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(world, path, to, message):
    project, _contact = f.project(world)
    for step in path:
        to_status, reason = step if isinstance(step, tuple) else (step, "")
        services.project_transition(
            actor=world.street_staff, project=project, to=to_status, reason=reason
        )
    project.refresh_from_db()
    before = (project.status, ProjectTransition.objects.count())
    with pytest.raises(ValidationError) as refused:
        services.project_transition(actor=world.street_staff, project=project, to=to)
    assert message in messages(refused.value)
    project.refresh_from_db()
    assert (project.status, ProjectTransition.objects.count()) == before


def test_suspending_and_cancelling_need_a_reason_and_cancel_returns_the_demands(world):
    project, _contact = f.project(world)
    demand = project.demands.get()
    for to in ("suspended", "cancelled"):
        with pytest.raises(ValidationError) as refused:
            services.project_transition(actor=world.street_staff, project=project, to=to)
        assert refused.value.message_dict == {"reason": ["请说明原因。"]}
    project = services.project_transition(
        actor=world.street_staff, project=project, to="suspended", reason="等待场地审批"
    )
    assert project.supervise_at is None
    assert Milestone.objects.filter(project=project, supervise_at__isnull=False).count() == 0
    demand.refresh_from_db()
    assert demand.status == DemandStatus.IN_PROJECT  # still in project while suspended
    project = services.project_transition(actor=world.street_staff, project=project, to="planned")
    assert project.supervise_at is not None
    services.project_transition(
        actor=world.street_staff, project=project, to="cancelled", reason="单位撤出"
    )
    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED
    assert "单位撤出" in demand.status_reason


def test_a_leader_and_a_sibling_street_may_not_manage_the_project(world):
    project, contact = f.project(world)
    for actor in (world.district_leader, world.sibling_staff, contact):
        with pytest.raises(PermissionDenied):
            services.project_transition(actor=actor, project=project, to="in_progress")
    project.refresh_from_db()
    assert project.status == ProjectStatus.PLANNED


def test_bad_input_is_refused_by_field_all_at_once_and_nothing_is_written(world):
    claim, _contact = f.accepted_claim(world)
    today = timezone.localdate()
    data = f.project_data(
        world,
        title="",
        budget="五万",
        start_on=today,
        due_on=today - dt.timedelta(days=1),
        milestones=[MilestoneData("", today + dt.timedelta(days=400))],
    )
    with pytest.raises(ValidationError) as refused:
        services.project_from_claim(actor=world.street_staff, claim=claim, data=data)
    errors = refused.value.message_dict
    assert errors["title"] == ["请填写项目名称。"]
    assert errors["budget"] == ["预算应为金额（元），如50000。"]
    assert errors["due_on"] == ["完成期限不能早于开始日期。"]
    assert "第1个里程碑：请填写里程碑名称。" in errors["milestones"]
    assert not Project.objects.exists()
    claim.demand.refresh_from_db()
    assert claim.demand.status == DemandStatus.MATCHED


def test_a_demand_cannot_be_in_two_running_projects(world):
    project, _contact = f.project(world)
    with pytest.raises(ValidationError) as refused:
        services.project_from_claim(
            actor=world.street_staff, claim=project.claim, data=f.project_data(world)
        )
    assert "该认领已经立项" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError) as refused:
        services.project_create(
            actor=world.street_staff,
            data=f.project_data(world, title="另一个项目"),
            demands=[project.demands.get()],
        )
    assert "当前为“已立项”，不能立项" in messages(refused.value)


def test_a_project_meets_only_demands_of_its_committees_subtree(world):
    claim, _contact = f.accepted_claim(world)
    with pytest.raises(ValidationError) as refused:
        services.project_create(
            actor=world.tenant_admin,
            data=f.project_data(world, committee=world.sibling_street),
            demands=[claim.demand],
        )
    assert "不在景山街道辖区内" in messages(refused.value)


def test_progress_by_the_lead_units_contact_with_a_photo_checked_by_content(
    world, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    project, contact = f.project(world)
    milestone = project.milestones.order_by("due_on").first()
    with pytest.raises(ValidationError) as refused:
        services.progress_post(
            actor=contact,
            project=project,
            text="",
            photos=[SimpleUploadedFile("假照片.jpg", b"<script>alert(1)</script>")],
        )
    assert refused.value.message_dict == {
        "text": ["请填写进展情况。"],
        "photos": ["“假照片.jpg”不是照片（JPG、PNG等）。"],
    }
    update = services.progress_post(
        actor=contact,
        project=project,
        text="场地改造完成，厨房设备已进场",
        photos=[SimpleUploadedFile("现场.png", png)],
        milestone=milestone,
        finish_milestone=True,
    )
    assert update.unit_id == project.lead_unit_id
    assert update.photos.get().file.name.endswith(".png")
    milestone.refresh_from_db()
    assert milestone.done_at is not None and milestone.supervise_at is None
    assert world.street_staff.notifications.filter(title__contains="有新进展").count() == 1
    # Another unit's contact may not report.
    other = f.contact_of(f.mf.unit(world.street, name="另一单位"))
    with pytest.raises(PermissionDenied):
        services.progress_post(actor=other, project=project, text="越权")
