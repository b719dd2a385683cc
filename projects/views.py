"""Pages of the project list (项目清单), meetings (议事协调) and supervision (督导落实).

Thin, like every page: parse, call one selector or service, render. Reads go through the models'
`visible_to` (a project outside the user's scope is a 404, like one that does not exist); writes
through `projects.services`, which enforce `projects.policies` (a refusal is a 403) and raise
one ValidationError with every problem by field.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from committees.models import Committee
from core import bulk_views, excel
from core.choices import choice_label
from core.errors import error_text
from core.numbers import number
from core.pagination import RowPaginator, sorted_on
from core.scoping import Action
from core.views import ScopedPageMixin, pk_urls, private_file, run_service, xlsx_response
from demands.models import ClaimDirection, Demand
from resources.models import Resource

from . import exports, imports, policies, selectors, services
from .filtersets import page_filterset
from .forms import (
    AgendaForm,
    AnswerForm,
    DecisionForm,
    ImportForm,
    MeetingForm,
    MilestoneForm,
    MinutesForm,
    ProgressForm,
    ProjectForm,
    ReasonForm,
    RescheduleForm,
    TransitionForm,
)
from .models import (
    PROJECT_TRANSITIONS,
    RUNNING,
    Attendee,
    Meeting,
    Milestone,
    Project,
    ProjectStatus,
    Task,
)

PAGE_SIZE = 30


def _form_errors(request, form) -> None:
    messages.error(request, form.error_text())


# --- the project list ----------------------------------------------------------------------------


# What `project_rows` reads: the page loads these values alone, no model instances.
ROW_COLUMNS = (
    *("pk", "title", "year", "status", "budget", "due_on", "overdue_at"),
    *("committee__name", "lead_unit__name", "category__name"),
)


def project_rows(values) -> list[dict]:
    """The list's rows (`ROW_COLUMNS` values) as the plain values they show, worked out once in
    Python (the template engine reads a dict's key at once, where a model instance costs it a
    failed subscript and an attribute lookup for every dotted name of every row): the line under
    the title is text (the year, committee, lead unit, category, budget and due date, its words
    translated once for the page), the keys what `projects/list.html` reads."""
    lead, budget, yuan, due = _("牵头"), _("预算"), _("元"), _("期限")
    detail_url = pk_urls("projects:project_detail")
    status = Project._meta.get_field("status")
    rows = []
    for value in values:
        line = f"{value['year']} · {value['committee__name']}"
        if value["lead_unit__name"] is not None:
            line += f" · {lead}{value['lead_unit__name']}"
        if value["category__name"] is not None:
            line += f" · {value['category__name']}"
        line += (
            f" · {budget}{floatformat(value['budget'], '-2')}{yuan}"
            f" · {due}{date_filter(value['due_on'], 'Y-m-d')}"
        )
        rows.append(
            {
                "pk": value["pk"],
                "url": detail_url(value["pk"]),
                "title": value["title"],
                "status": value["status"],
                "status_label": choice_label(status, value["status"]),
                "line": line,
                "overdue": bool(value["overdue_at"] and value["status"] in RUNNING),
            }
        )
    return rows


class ProjectListView(ScopedPageMixin, View):
    model = Project

    def get(self, request):
        filterset = page_filterset(
            request.GET, queryset=selectors.project_list(user=request.user), request=request
        )
        rows = sorted_on(filterset.qs.values(*ROW_COLUMNS), filterset.qs)
        page = RowPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        year = timezone.localdate().year
        context = {
            "page": page,
            "rows": project_rows(page),
            "filters": filterset.form.cleaned_data if filterset.is_bound else {},
            "statuses": ProjectStatus.choices,
            "years": list(range(year + 1, year - 5, -1)),
            "query_string": params.urlencode(),
            "committees": selectors.filter_committees(request.user),
            "can_import": bool(request.user.committee_scopes(Action.CHANGE)),
            "today": timezone.localdate(),
        }
        return render(request, "projects/list.html", context)


class ProjectExportView(ScopedPageMixin, View):
    """The project list as the user filtered it, as an Excel workbook."""

    model = Project

    def get(self, request):
        filterset = page_filterset(
            request.GET, queryset=selectors.project_list(user=request.user), request=request
        )
        content = exports.project_workbook(filterset.qs)
        filename = _("项目清单_%(d)s.xlsx") % {"d": timezone.localdate().strftime("%Y%m%d")}
        return xlsx_response(content, filename)


# --- forming a project ---------------------------------------------------------------------------


class ProjectCreateView(ScopedPageMixin, View):
    """立项 where the user already is: from an accepted claim (?claim=), a proposed match
    (?match=), a committee's own resource committed to a demand (?demand=&resource=), or a
    demand alone (?demand=). A meeting's decision forms its project on the meeting page."""

    model = Project

    def origin(self) -> dict:
        origin = self.find_origin()
        # The form is the first step of the write: someone who may not form it is told at once.
        if not policies.may_create_project(self.request.user, origin["demand"].handling_committee):
            raise PermissionDenied
        return origin

    def find_origin(self) -> dict:
        user, params = self.request.user, self.request.GET
        if params.get("claim", "").isdigit():
            claim = selectors.claim_for_project(user=user, pk=params["claim"])
            return {
                "kind": "resource"
                if claim.direction == ClaimDirection.COMMITTEE_COMMITS
                else "claim",
                "claim": claim,
                "demand": claim.demand,
                "resource": claim.resource,
                "unit": claim.unit,
            }
        if params.get("match", "").isdigit():
            match = selectors.match_for_project(user=user, pk=params["match"])
            return {
                "kind": "match",
                "match": match,
                "demand": match.demand,
                "resource": match.resource,
                "unit": match.resource.offered_by,
            }
        if params.get("demand", "").isdigit():
            demand = selectors.demand_for_project(user=user, pk=params["demand"])
            if params.get("resource", "").isdigit():
                # A committee's own resource forms a project from its commitment record.
                claim = selectors.commitment_for_project(
                    user=user, demand=demand, resource_pk=params["resource"]
                )
                return {
                    "kind": "resource",
                    "claim": claim,
                    "demand": demand,
                    "resource": claim.resource,
                    "unit": None,
                }
            return {"kind": "demand", "demand": demand, "resource": None, "unit": None}
        raise Http404

    def make_form(self, origin, *args, **kwargs):
        user = self.request.user
        units = [(u.pk, u.name) for u in selectors.unit_choices(user)[:500]]
        return ProjectForm(
            *args, committees=selectors.committee_choices(user), units=units, **kwargs
        )

    def get(self, request):
        origin = self.origin()
        demand = origin["demand"]
        today = timezone.localdate()
        initial = {
            "title": demand.title,
            "description": demand.description,
            "committee": demand.handling_committee_id,
            "lead_unit": origin["unit"].pk if origin["unit"] else None,
            "start_on": today,
            "due_on": demand.needed_by if demand.needed_by and demand.needed_by > today else None,
        }
        return self.render_form(origin, self.make_form(origin, initial=initial))

    def post(self, request):
        origin = self.origin()
        form = self.make_form(origin, request.POST)
        if form.is_valid():
            try:
                project = services_for_origin(request.user, origin, project_data(request, form))
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request, _("已立项“%(t)s”，需求已转为“已立项”。") % {"t": project.title}
                )
                return redirect("projects:project_detail", pk=project.pk)
        return self.render_form(origin, form, status=400)

    def render_form(self, origin, form, status=200):
        context = {"form": form, "origin": origin, "title": _("立项")}
        return render(self.request, "projects/form.html", context, status=status)


def project_data(request, form) -> services.ProjectData:
    """The form's ids as the objects they name, each found only among what the user may see."""
    data = form.cleaned_data
    user = request.user
    committee = (
        selectors.change_committees(user).filter(pk=data["committee"]).first()
        if data.get("committee")
        else None
    )
    units = selectors.unit_choices(user)
    wanted = [data["lead_unit"], *data["units"]] if data.get("lead_unit") else list(data["units"])
    found = {u.pk: u for u in units.filter(pk__in=[pk for pk in wanted if pk])}
    milestones = [
        services.MilestoneData(data.get(f"milestone_{n}_title", ""), data.get(f"milestone_{n}_due"))
        for n in range(1, 4)
        if data.get(f"milestone_{n}_title") or data.get(f"milestone_{n}_due")
    ]
    return services.ProjectData(
        title=data["title"],
        description=data["description"],
        committee=committee,
        lead_unit=found.get(data.get("lead_unit")),
        units=[found[pk] for pk in data["units"] if pk in found],
        budget=data["budget"],
        start_on=data["start_on"],
        due_on=data["due_on"],
        milestones=milestones,
    )


def services_for_origin(user, origin: dict, data: services.ProjectData) -> Project:
    if data.committee is None:
        raise ValidationError({"committee": _("请选择您工作范围内的协调委员会。")})
    kind = origin["kind"]
    if kind == "claim":
        return services.project_from_claim(actor=user, claim=origin["claim"], data=data)
    if kind == "match":
        return services.project_from_match(actor=user, match=origin["match"], data=data)
    if kind == "resource":
        return services.project_from_committed_resource(
            actor=user, claim=origin["claim"], data=data
        )
    return services.project_create(actor=user, data=data, demands=[origin["demand"]])


# --- one project ---------------------------------------------------------------------------------


def transition_moves(project: Project) -> list[tuple[str, str, bool]]:
    moves = []
    for to in (
        ProjectStatus.IN_PROGRESS,
        ProjectStatus.PLANNED,
        ProjectStatus.COMPLETED,
        ProjectStatus.SUSPENDED,
        ProjectStatus.CANCELLED,
    ):
        if to in PROJECT_TRANSITIONS[project.status]:
            moves.append(
                (
                    to,
                    services.MOVE_LABELS[to],
                    to in (ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED),
                )
            )
    return moves


class ProjectDetailView(ScopedPageMixin, View):
    """The project on one page: its demands, resources, milestones, progress and history."""

    model = Project

    def get(self, request, pk):
        project = selectors.project_detail(user=request.user, pk=pk)
        rights = policies.project_rights(request.user, project)
        parts = selectors.project_parts(project)
        labels = dict(ProjectStatus.choices)
        context = {
            "project": project,
            "rights": rights,
            "moves": transition_moves(project) if rights["manage"] else [],
            "milestone_form": MilestoneForm(),
            "today": timezone.localdate(),
            **parts,
            "transitions": [
                {
                    "from_label": labels.get(t.from_status, ""),
                    "to_label": labels.get(t.to_status, t.to_status),
                    "actor": t.actor,
                    "at": t.at,
                    "reason": t.reason,
                }
                for t in parts["transitions"]
            ],
        }
        return render(request, "projects/detail.html", context)


class ProjectEditView(ScopedPageMixin, View):
    model = Project

    def make_form(self, *args, **kwargs):
        units = [(u.pk, u.name) for u in selectors.unit_choices(self.request.user)[:500]]
        return ProjectForm(
            *args,
            committees=selectors.committee_choices(self.request.user),
            units=units,
            milestones=False,
            **kwargs,
        )

    def get(self, request, pk):
        project = self.get_scoped_object()
        if not policies.may_manage_project(request.user, project):
            raise PermissionDenied  # the form is the first step of the write
        initial = {
            "title": project.title,
            "description": project.description,
            "committee": project.committee_id,
            "lead_unit": project.lead_unit_id,
            "units": list(project.units.values_list("pk", flat=True)),
            "budget": number(project.budget),
            "start_on": project.start_on,
            "due_on": project.due_on,
        }
        return self.render_form(project, self.make_form(initial=initial))

    def post(self, request, pk):
        project = self.get_scoped_object()
        form = self.make_form(request.POST)
        form.fields["committee"].required = False
        if form.is_valid():
            try:
                services.project_update(
                    actor=request.user, project=project, data=project_data(request, form)
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已保存。"))
                return redirect("projects:project_detail", pk=project.pk)
        return self.render_form(project, form, status=400)

    def render_form(self, project, form, status=200):
        form.fields["committee"].disabled = True
        context = {"form": form, "project": project, "title": _("修改项目")}
        return render(self.request, "projects/form.html", context, status=status)


class ProjectTransitionView(ScopedPageMixin, View):
    model = Project

    def post(self, request, pk):
        project = self.get_scoped_object()
        form = TransitionForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            to = form.cleaned_data["to"]
            run_service(
                request,
                lambda: services.project_transition(
                    actor=request.user, project=project, to=to, reason=form.cleaned_data["reason"]
                ),
                _("项目已变为“%(s)s”。") % {"s": ProjectStatus(to).label},
            )
        return redirect("projects:project_detail", pk=project.pk)


class MilestoneAddView(ScopedPageMixin, View):
    model = Project

    def post(self, request, pk):
        project = self.get_scoped_object()
        form = MilestoneForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            run_service(
                request,
                lambda: services.milestone_add(
                    actor=request.user, project=project, **form.cleaned_data
                ),
                _("已添加里程碑。"),
            )
        return redirect("projects:project_detail", pk=project.pk)


class MilestoneFinishView(ScopedPageMixin, View):
    model = Milestone

    def post(self, request, pk):
        milestone = self.get_scoped_object()
        run_service(
            request,
            lambda: services.milestone_finish(actor=request.user, milestone=milestone),
            _("里程碑“%(t)s”已完成。") % {"t": milestone.title},
        )
        return redirect("projects:project_detail", pk=milestone.project_id)


class ProgressView(ScopedPageMixin, View):
    """The phone page of a lead unit's contact: post progress with photos from the site."""

    model = Project

    def make_form(self, project, *args, **kwargs):
        open_milestones = [
            (m.pk, f"{m.title}（{m.due_on:%m-%d}）")
            for m in project.milestones.filter(done_at__isnull=True).order_by("due_on", "pk")
        ]
        return ProgressForm(*args, milestones=open_milestones, **kwargs)

    def get(self, request, pk):
        project = self.get_object_for_report()
        return self.render_page(project, self.make_form(project))

    def get_object_for_report(self) -> Project:
        # Opening the form is the first step of a change: a reader is told no at once.
        project = self.get_scoped_object(
            queryset=Project.objects.select_related("committee", "lead_unit")
        )
        if not policies.may_report_progress(self.request.user, project):
            raise PermissionDenied
        return project

    def post(self, request, pk):
        project = self.get_scoped_object(
            queryset=Project.objects.select_related("committee", "lead_unit")
        )
        form = self.make_form(project, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            milestone = (
                project.milestones.filter(pk=data["milestone"]).first()
                if data["milestone"]
                else None
            )
            try:
                services.progress_post(
                    actor=request.user,
                    project=project,
                    text=data["text"],
                    photos=data["photos"],
                    milestone=milestone,
                    finish_milestone=data["finish_milestone"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("进展已报送。"))
                return redirect("projects:progress", pk=project.pk)
        return self.render_page(project, form, status=400)

    def render_page(self, project, form, status=200):
        updates = list(
            project.updates.select_related("author")
            .prefetch_related("photos")
            .order_by("-posted_at", "-pk")[:5]
        )
        context = {"project": project, "form": form, "updates": updates}
        return render(self.request, "projects/progress.html", context, status=status)


class PhotoView(ScopedPageMixin, View):
    """A progress photo, served only to whoever may see its project (never from /media/)."""

    action = Action.VIEW

    def get(self, request, pk):
        photo = selectors.photo_detail(user=request.user, pk=pk)
        # Shown in the page (an img), never offered as a download.
        return private_file(
            photo.file,
            types=services.demand_services.ATTACHMENT_TYPES,
            filename=photo.original_name,
            as_attachment=False,
        )


# --- supervision ---------------------------------------------------------------------------------


class OverdueListView(ScopedPageMixin, View):
    """What is overdue in the user's subtree, oldest first, with a reminder button."""

    model = Project

    def get(self, request):
        committee = selectors.visible_committee(request.user, request.GET.get("committee", ""))
        rows = selectors.overdue_list(user=request.user, committee=committee)
        page = RowPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "rows": overdue_page_rows(selectors.overdue_rows(page.object_list)),
            "committee": committee,
            "today": timezone.localdate(),
        }
        return render(request, "projects/overdue.html", context)


def overdue_page_rows(rows: list[dict]) -> list[dict]:
    """The overdue rows (`selectors.overdue_rows`) with what `_overdue_rows.jinja` shows worked
    out once: the links, the reminder's action and the dates as the reader's calendar has them."""
    opens = {
        "project": pk_urls("projects:project_detail"),
        "milestone": pk_urls("projects:project_detail"),
        "task": pk_urls("projects:task_detail"),
    }
    reminds = {kind: pk_urls("projects:remind", kind) for kind in opens}
    since = _("%(when)s起逾期")
    zone = timezone.get_current_timezone()
    return [
        {
            **row,
            "url": opens[row["kind"]](row["link"]),
            "remind_url": reminds[row["kind"]](row["pk"]),
            "due_on": row["due_on"].isoformat() if row["due_on"] else "",  # as date:"Y-m-d"
            "overdue_since": since % {"when": row["overdue_at"].astimezone(zone).date().isoformat()}
            if row["overdue_at"]
            else since % {"when": ""},
        }
        for row in rows
    ]


class ReminderView(ScopedPageMixin, View):
    # Leaders send reminders too: the service's policy decides, the scope only finds the row.
    action = Action.VIEW

    def post(self, request, kind, pk):
        run_service(
            request,
            lambda: services.reminder_send(actor=request.user, kind=kind, pk=pk),
            _("已发送督办提醒。"),
        )
        return redirect(request.POST.get("next") or reverse("projects:overdue"))


class TaskDetailView(ScopedPageMixin, View):
    model = Task

    def get(self, request, pk):
        task = selectors.task_detail(user=request.user, pk=pk)
        context = {
            "task": task,
            "may_close": task.status == "open" and policies.may_close_task(request.user, task),
            "today": timezone.localdate(),
        }
        return render(request, "projects/task.html", context)


class TaskCloseView(ScopedPageMixin, View):
    model = Task

    def post(self, request, pk):
        task = self.get_scoped_object(
            queryset=Task.objects.select_related("committee", "owner_committee")
        )
        form = ReasonForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        run_service(
            request,
            lambda: services.task_close(actor=request.user, task=task, note=note),
            _("任务已办结。"),
        )
        return redirect("projects:task_detail", pk=task.pk)


# --- meetings ------------------------------------------------------------------------------------


class MeetingCreateView(ScopedPageMixin, View):
    """Schedule a meeting of a committee (?committee=) or one of its subcommittees: when, where,
    the agenda, and the attendees from its seats and member units."""

    model = Meeting

    def committee(self):
        committees = selectors.change_committees(self.request.user)
        wanted = self.request.GET.get("committee") or self.request.POST.get("committee")
        found = committees.filter(pk=wanted).first() if str(wanted).isdigit() else None
        if found is None:
            found = committees.order_by("-depth").first() if wanted in (None, "") else None
        if found is None:
            raise Http404
        return found

    def make_form(self, committee, *args, **kwargs):
        people = selectors.invitable(committee)
        return MeetingForm(
            *args,
            committees=selectors.committee_choices(self.request.user),
            subcommittees=[
                (s.pk, s.name) for s in selectors.subcommittees_of([committee]).order_by("pk")
            ],
            seats=[
                (
                    s.pk,
                    f"{s.person_name}（{s.get_role_display()}{' · ' + s.title if s.title else ''}）",
                )
                for s in people["seats"]
            ],
            units=[(u.pk, u.name) for u in people["units"]],
            **kwargs,
        )

    def get(self, request):
        committee = self.committee()
        form = self.make_form(
            committee,
            initial={
                "committee": committee.pk,
                "seats": [s for s, _label in self.make_form(committee).fields["seats"].choices],
                "invite": True,
            },
        )
        return self.render_form(committee, form)

    def post(self, request):
        committee = self.committee()
        form = self.make_form(committee, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            people = selectors.invitable(committee)
            sub = (
                selectors.subcommittees_of([committee]).filter(pk=data["subcommittee"]).first()
                if data["subcommittee"]
                else None
            )
            try:
                meeting = services.meeting_schedule(
                    actor=request.user,
                    data=services.MeetingData(
                        title=data["title"],
                        committee=committee,
                        subcommittee=sub,
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        location=data["location"],
                    ),
                    agenda=[
                        services.AgendaData(line)
                        for line in data["agenda"].splitlines()
                        if line.strip()
                    ],
                    seats=[s for s in people["seats"] if s.pk in data["seats"]],
                    units=[u for u in people["units"] if u.pk in data["units"]],
                    invite=data["invite"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已安排会议“%(t)s”。") % {"t": meeting.title})
                return redirect("projects:meeting_detail", pk=meeting.pk)
        return self.render_form(committee, form, status=400)

    def render_form(self, committee, form, status=200):
        context = {"form": form, "committee": committee}
        return render(self.request, "projects/meeting_form.html", context, status=status)


class MeetingDetailView(ScopedPageMixin, View):
    """The meeting page: agenda, attendees and their answers, attendance, minutes, decisions."""

    model = Meeting

    def get(self, request, pk):
        meeting = selectors.meeting_detail(user=request.user, pk=pk)
        parts = selectors.meeting_parts(meeting)
        manage = policies.may_manage_meeting(request.user, meeting)
        unit_ids = request.user.unit_ids()
        units = {a.unit_id: a.unit for a in parts["attendees"] if a.unit_id}
        context = {
            "meeting": meeting,
            "manage": manage,
            "mine": [a for a in parts["attendees"] if a.unit_id in unit_ids],
            "answer_form": AnswerForm(),
            "minutes_form": MinutesForm(initial={"minutes": meeting.minutes}),
            "reschedule_form": RescheduleForm(
                initial={
                    "starts_at": timezone.localtime(meeting.starts_at),
                    "ends_at": timezone.localtime(meeting.ends_at),
                    "location": meeting.location,
                }
            ),
            "agenda_form": AgendaForm(),
            "decision_form": DecisionForm(
                agenda=[(i.pk, f"{i.position}. {i.title}") for i in parts["agenda"]],
                units=[(pk, unit.name) for pk, unit in units.items()],
                committees=selectors.committee_choices(request.user, limit=300) if manage else [],
                initial={"due_on": timezone.localdate() + dt.timedelta(days=30)},
            ),
            "started": meeting.starts_at <= timezone.now(),
            **parts,
        }
        return render(request, "projects/meeting.html", context)


class MeetingIcsView(ScopedPageMixin, View):
    """The meeting's calendar file (.ics), for whoever may see the meeting."""

    model = Meeting

    def get(self, request, pk):
        meeting = selectors.meeting_detail(user=request.user, pk=pk)
        response = HttpResponse(
            services.meeting_ics(meeting),
            content_type="text/calendar; charset=utf-8; method=REQUEST",
        )
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
        return response


class MeetingActionView(ScopedPageMixin, View):
    """The meeting page's buttons: each parses its form and calls one service."""

    model = Meeting
    step = ""

    def post(self, request, pk):
        meeting = self.get_scoped_object(
            queryset=Meeting.objects.select_related("committee", "subcommittee")
        )
        call, success = getattr(self, f"do_{self.step}")(request, meeting)
        if call is not None:
            run_service(request, call, success)
        return redirect("projects:meeting_detail", pk=meeting.pk)

    def parsed(self, request, form):
        if not form.is_valid():
            _form_errors(request, form)
            return None
        return form.cleaned_data

    def do_invite(self, request, meeting):
        return (
            lambda: services.meeting_invite(actor=request.user, meeting=meeting),
            _("会议通知已发出。"),
        )

    def do_reschedule(self, request, meeting):
        data = self.parsed(request, RescheduleForm(request.POST))
        if data is None:
            return None, ""
        return (
            lambda: services.meeting_reschedule(actor=request.user, meeting=meeting, **data),
            _("会议已改期，已重新发出通知。"),
        )

    def do_cancel(self, request, meeting):
        reason = request.POST.get("reason", "")
        return (
            lambda: services.meeting_cancel(actor=request.user, meeting=meeting, reason=reason),
            _("会议已取消。"),
        )

    def do_attendance(self, request, meeting):
        present = [int(v) for v in request.POST.getlist("present") if v.isdigit()]
        return (
            lambda: services.attendance_record(
                actor=request.user, meeting=meeting, present=present
            ),
            _("已登记出席情况。"),
        )

    def do_minutes(self, request, meeting):
        data = self.parsed(request, MinutesForm(request.POST))
        if data is None:
            return None, ""
        return (
            lambda: services.minutes_publish(
                actor=request.user, meeting=meeting, minutes=data["minutes"]
            ),
            _("会议纪要已印发。"),
        )

    def do_agenda(self, request, meeting):
        data = self.parsed(request, AgendaForm(request.POST))
        if data is None:
            return None, ""
        user = request.user
        refs = {
            "demand": Demand.objects.visible_to(user).filter(pk=data["demand"]).first()
            if data["demand"]
            else None,
            "resource": Resource.objects.visible_to(user).filter(pk=data["resource"]).first()
            if data["resource"]
            else None,
            "project": Project.objects.visible_to(user).filter(pk=data["project"]).first()
            if data["project"]
            else None,
        }
        for name, value in refs.items():
            if data[name] and value is None:
                messages.error(request, _("找不到编号为%(n)s的记录。") % {"n": data[name]})
                return None, ""
        item = services.AgendaData(data["title"], data["notes"], **refs)
        return (
            lambda: services.agenda_item_add(actor=user, meeting=meeting, item=item),
            _("已添加议题。"),
        )

    def do_decision(self, request, meeting):
        parts = selectors.meeting_parts(meeting)
        units = {a.unit_id: a.unit for a in parts["attendees"] if a.unit_id}
        form = DecisionForm(
            request.POST,
            agenda=[(i.pk, i.title) for i in parts["agenda"]],
            units=[(pk, u.name) for pk, u in units.items()],
            committees=selectors.committee_choices(request.user, limit=300),
        )
        data = self.parsed(request, form)
        if data is None:
            return None, ""
        decision = services.DecisionData(
            kind=data["kind"],
            text=data["text"],
            due_on=data["due_on"],
            agenda_item=next((i for i in parts["agenda"] if i.pk == data["agenda_item"]), None),
            owner_unit=units.get(data["owner_unit"]),
            owner_committee=selectors.change_committees(request.user)
            .filter(pk=data["owner_committee"])
            .first()
            if data["owner_committee"]
            else None,
            budget=data["budget"],
        )
        return (
            lambda: services.decision_record(actor=request.user, meeting=meeting, data=decision),
            _("已记录决定。"),
        )


class AttendeeAnswerView(ScopedPageMixin, View):
    """An invited unit answers: attend, cannot attend, or send a deputy."""

    model = Attendee

    def post(self, request, pk):
        attendee = self.get_scoped_object(
            queryset=Attendee.objects.select_related("meeting", "meeting__committee")
        )
        form = AnswerForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
        else:
            try:
                services.attendee_answer(actor=request.user, attendee=attendee, **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("已回复。"))
        return redirect("projects:meeting_detail", pk=attendee.meeting_id)


class CalendarView(ScopedPageMixin, View):
    """A committee's meetings of one month (?committee=, ?month=2026-04)."""

    model = Meeting

    def get(self, request):
        user = request.user
        committee = selectors.visible_committee(user, request.GET.get("committee", ""))
        if committee is None and request.GET.get("committee"):
            raise Http404
        try:
            month = dt.date.fromisoformat(f"{request.GET.get('month', '')}-01")
        except ValueError:
            month = timezone.localdate().replace(day=1)
        meetings = selectors.calendar_month(user=user, committee=committee, month=month)
        days: dict[dt.date, list[Meeting]] = {}
        for meeting in meetings:
            days.setdefault(timezone.localdate(meeting.starts_at), []).append(meeting)
        previous = (month - dt.timedelta(days=1)).replace(day=1)
        following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        weeks, day = [], month - dt.timedelta(days=month.weekday())
        while day < following or day.weekday() != 0:
            if day.weekday() == 0:
                weeks.append([])
            weeks[-1].append((day, days.get(day, []), day.month == month.month))
            day += dt.timedelta(days=1)
        context = {
            "committee": committee,
            "month": month,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "weeks": weeks,
            "meetings": meetings,
            "today": timezone.localdate(),
            "can_schedule": bool(user.committee_scopes(Action.CHANGE)),
        }
        return render(request, "projects/calendar.html", context)


# --- Excel import (the one bulk-input pipeline) ----------------------------------------------------


class ProjectImportView(ScopedPageMixin, View):
    """Staff upload a year's project list at one of their committees."""

    model = Committee
    action = Action.CHANGE

    def make_form(self, *args, **kwargs):
        return ImportForm(
            *args, committees=selectors.committee_choices(self.request.user), **kwargs
        )

    def get(self, request):
        if not request.user.committee_scopes(Action.CHANGE):
            raise PermissionDenied
        return self.render_form(self.make_form())

    def post(self, request):
        form = self.make_form(request.POST, request.FILES)
        if form.is_valid():
            committee = self.get_scoped_object(pk=form.cleaned_data["committee"])
            try:
                batch = imports.projects_import(
                    actor=request.user, committee=committee, uploaded_file=form.cleaned_data["file"]
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("projects:import_detail", pk=batch.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        context = {"form": form, "max_rows": excel.max_rows_setting()}
        return render(self.request, "projects/import_form.html", context, status=status)


class ProjectTemplateView(ScopedPageMixin, View):
    """The blank template, with the committees the user may fill in (?committee= to narrow)."""

    model = Committee
    action = Action.CHANGE

    def get(self, request):
        if not request.user.committee_scopes(Action.CHANGE):
            raise PermissionDenied
        pk = request.GET.get("committee")
        committee = self.get_scoped_object(pk=pk) if pk else None
        content = imports.project_template(user=request.user, committee=committee)
        return xlsx_response(content, _("项目清单导入模板.xlsx"))


class ProjectBatchPages:
    kind = imports.KIND_PROJECTS

    def may_import(self, batch=None) -> bool:
        return bool(self.request.user.committee_scopes(Action.CHANGE))


class ImportListView(ProjectBatchPages, bulk_views.ImportListView):
    template_name = "projects/import_list.html"


class ImportDetailView(ProjectBatchPages, bulk_views.ImportDetailView):
    template_name = "projects/import_result.html"


class ImportFileView(ProjectBatchPages, bulk_views.ImportFileView):
    pass
