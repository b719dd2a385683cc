"""Pages of whistles and summons (街乡吹哨、部门报到), two-way evaluation, residents'
satisfaction and bulletins. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from committees.models import Committee
from core.choices import choice_label
from core.errors import field_messages
from core.pagination import RowPaginator, counted_as
from core.scoping import Action
from core.views import ScopedPageMixin, pk_urls, private_file
from members.models import MemberUnit

from . import bulletins, evaluations, policies, satisfaction, whistles
from . import whistle_selectors as selectors
from .models import (
    Bulletin,
    Project,
    RhythmKind,
    SatisfactionLink,
    Summons,
    SummonsStatus,
    Whistle,
    WhistleKind,
    WhistleStatus,
)
from .whistle_forms import (
    BulletinForm,
    CancelForm,
    EntryForm,
    LinkForm,
    RateForm,
    ReportForm,
    WhistleForm,
)

PAGE_SIZE = 30


def _all_errors(error: ValidationError) -> dict[str, list[str]]:
    return field_messages(error)


# --- whistles ------------------------------------------------------------------------------------


# What `whistle_rows` reads: the page loads these values alone, no model instances.
WHISTLE_ROW_COLUMNS = ("pk", "kind", "title", "status", "committee__name", "place", "blown_at")


def whistle_rows(values) -> list[dict]:
    """The list's rows (`WHISTLE_ROW_COLUMNS` values) as the plain values `whistles/_rows.jinja`
    shows, with their summons counted (`selectors.summons_counts`)."""
    values = list(values)
    counts = selectors.summons_counts([row["pk"] for row in values])
    detail_url = pk_urls("projects:whistle_detail")
    field = Whistle._meta.get_field
    kind, status = field("kind"), field("status")
    zone = timezone.get_current_timezone()
    rows = []
    for row in values:
        summoned, reported, late = counts.get(row["pk"], (0, 0, 0))
        rows.append(
            {
                "pk": row["pk"],
                "url": detail_url(row["pk"]),
                "kind_label": choice_label(kind, row["kind"]),
                "title": row["title"],
                "status": row["status"],
                "status_label": choice_label(status, row["status"]),
                "committee_name": row["committee__name"],
                "place": row["place"],
                "blown_at": row["blown_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "n_summons": summoned,
                "n_reported": reported,
                "n_late": late,
            }
        )
    return rows


class WhistleListView(ScopedPageMixin, View):
    model = Whistle

    def get(self, request):
        status = request.GET.get("status", "")
        kind = request.GET.get("kind", "")
        q = (request.GET.get("q") or "").strip()[:50]
        whistles = selectors.whistle_list(user=request.user, status=status, kind=kind, q=q)
        rows = counted_as(whistles.values(*WHISTLE_ROW_COLUMNS), whistles)
        page = RowPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        return render(
            request,
            "projects/whistles/list.html",
            {
                "page": page,
                "rows": whistle_rows(page),
                "status": status,
                "kind": kind,
                "q": q,
                "statuses": WhistleStatus.choices,
                "kinds": WhistleKind.choices,
                "query_string": params.urlencode(),
                "may_blow": selectors.may_blow_anywhere(request.user),
            },
        )


class WhistleCreateView(ScopedPageMixin, View):
    """Blow a whistle: what, where, what is asked, and the departments with their hours."""

    model = Whistle

    def committees(self):
        committees = selectors.blowing_committees(self.request.user)
        if not committees:
            raise PermissionDenied
        return committees

    def chosen(self, committees, value) -> Committee:
        for committee in committees:
            if str(committee.pk) == str(value):
                return committee
        return committees[0]

    def get(self, request):
        committees = self.committees()
        committee = self.chosen(committees, request.GET.get("committee"))
        form = WhistleForm(committees=committees, initial={"committee": committee.pk})
        return self.render_page(committee, form, chosen={}, errors={})

    def render_page(self, committee, form, *, chosen, errors, status=200):
        departments = list(selectors.departments_for(committee))
        return render(
            request=self.request,
            template_name="projects/whistles/form.html",
            context={
                "form": form,
                "committee": committee,
                "departments": [(d, chosen.get(d.pk)) for d in departments],
                "default_hours": whistles.DEFAULT_HOURS,
                "summons_errors": errors.get("summons", []),
            },
            status=status,
        )

    def post(self, request):
        committees = self.committees()
        form = WhistleForm(request.POST, committees=committees)
        committee = self.chosen(committees, request.POST.get("committee"))
        chosen = {}
        for value in request.POST.getlist("department"):
            if value.isdigit():
                chosen[int(value)] = request.POST.get(f"hours_{value}", "") or ""
        departments = {
            d.pk: d for d in selectors.departments_for(committee).filter(pk__in=list(chosen))
        }
        errors: dict = {}
        # The service checks everything at once, so the page reports every problem together
        # (the form only parses; its own errors are the same ones the service gives).
        form.is_valid()
        post = request.POST
        try:
            whistle = whistles.whistle_blow(
                actor=request.user,
                committee=committee,
                data=whistles.WhistleData(
                    kind=post.get("kind", ""),
                    title=post.get("title", ""),
                    place=post.get("place", ""),
                    request=post.get("request", ""),
                    description=post.get("description", ""),
                    summons=[
                        whistles.SummonsData(departments.get(pk), hours)
                        for pk, hours in chosen.items()
                        if pk in departments
                    ],
                ),
            )
        except ValidationError as error:
            errors = _all_errors(error)
            form = WhistleForm(request.POST, committees=committees)
            form.is_valid()
            for name, messages_ in errors.items():
                if name in form.fields and name not in form.errors:
                    form.add_error(name, messages_)
        else:
            messages.success(request, _("已吹哨，召集%(n)d个部门。") % {"n": len(departments)})
            return redirect("projects:whistle_detail", pk=whistle.pk)
        return self.render_page(committee, form, chosen=chosen, errors=errors, status=400)


class WhistleDetailView(ScopedPageMixin, View):
    """The whistle page: the summons and their reports, the daily rhythm (日会商、日销账、日反馈),
    closing and rating, residents' satisfaction."""

    model = Whistle
    action = Action.VIEW

    def get(self, request, pk, *, rating_errors=None, status=200, forms=None):
        whistle = selectors.whistle_detail(user=request.user, pk=pk)
        summons = selectors.summons_of(user=request.user, whistle=whistle)
        manage = policies.may_manage_whistle(request.user, whistle)
        forms = forms or {}
        context = {
            "whistle": whistle,
            "summons": summons,
            "manage": manage,
            "rhythm": selectors.rhythm_of(user=request.user, whistle=whistle),
            "entry_form": forms.get("entry") or EntryForm(),
            "cancel_form": forms.get("cancel") or CancelForm(),
            "link_form": LinkForm(),
            "rating_errors": rating_errors or {},
            "posted": request.POST if rating_errors else {},
            "satisfaction": satisfaction.satisfaction_of_whistle(whistle),
            "links": selectors.satisfaction_links(user=request.user, whistle=whistle)
            if manage
            else [],
            "rhythm_kinds": RhythmKind.choices,
        }
        return render(request, "projects/whistles/detail.html", context, status=status)


class WhistleActionView(ScopedPageMixin, View):
    """The street's buttons on a whistle: a rhythm entry, close and rate, cancel."""

    model = Whistle
    step = ""

    def post(self, request, pk):
        whistle = self.get_scoped_object(queryset=Whistle.objects.select_related("committee"))
        page = WhistleDetailView()
        page.request, page.kwargs = request, {"pk": pk}
        try:
            if self.step == "entry":
                form = EntryForm(request.POST)
                if not form.is_valid():
                    return page.get(request, pk, forms={"entry": form}, status=400)
                whistles.whistle_entry_add(actor=request.user, whistle=whistle, **form.cleaned_data)
                messages.success(request, _("已记录。"))
            elif self.step == "cancel":
                form = CancelForm(request.POST)
                if not form.is_valid():
                    return page.get(request, pk, forms={"cancel": form}, status=400)
                whistles.whistle_cancel(
                    actor=request.user, whistle=whistle, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("已撤销。"))
            elif self.step == "close":
                ratings = {}
                for summons in whistle.summons.only("pk"):
                    p = request.POST.get(f"punctuality_{summons.pk}")
                    if p is None and request.POST.get(f"attitude_{summons.pk}") is None:
                        continue
                    ratings[summons.pk] = whistles.RatingData(
                        punctuality=p,
                        attitude=request.POST.get(f"attitude_{summons.pk}"),
                        result=request.POST.get(f"result_{summons.pk}"),
                        comment=request.POST.get(f"comment_{summons.pk}", ""),
                    )
                whistles.whistle_close(
                    actor=request.user,
                    whistle=whistle,
                    summary=request.POST.get("summary", ""),
                    ratings=ratings,
                )
                messages.success(request, _("已办结，并完成对各部门的评价。"))
            else:
                raise Http404
        except ValidationError as error:
            errors = _all_errors(error)
            if self.step == "close":
                return page.get(request, pk, rating_errors=errors, status=400)
            form = EntryForm(request.POST) if self.step == "entry" else CancelForm(request.POST)
            form.is_valid()
            form.add_service_errors(error)
            return page.get(request, pk, forms={self.step: form}, status=400)
        return redirect("projects:whistle_detail", pk=whistle.pk)


# --- the officer's phone pages -------------------------------------------------------------------


class SummonsListView(ScopedPageMixin, View):
    model = Summons

    def get(self, request):
        rows = selectors.my_summons(user=request.user)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "projects/whistles/summons_list.html", {"page": page})


class SummonsDetailView(ScopedPageMixin, View):
    """The officer's phone page: acknowledged, arrived on site, action taken, notes and photos."""

    model = Summons
    action = Action.VIEW

    def get(self, request, pk, form=None, status=200):
        summons = selectors.summons_detail(user=request.user, pk=pk)
        answer = policies.may_answer_summons(request.user, summons)
        return render(
            request,
            "projects/whistles/summons.html",
            {
                "summons": summons,
                "whistle": summons.whistle,
                "answer": answer,
                "steps": [(s, SummonsStatus(s).label) for s in selectors.next_steps(summons)]
                if answer
                else [],
                "form": form or ReportForm(),
            },
            status=status,
        )

    def post(self, request, pk):
        self.action = Action.CHANGE
        summons = self.get_scoped_object(
            queryset=Summons.objects.select_related("whistle", "department")
        )
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["to"]:
                    whistles.summons_advance(
                        actor=request.user,
                        summons=summons,
                        to=data["to"],
                        note=data["note"],
                        photos=data["photos"],
                    )
                    messages.success(
                        request,
                        _("已报送：%(s)s") % {"s": dict(SummonsStatus.choices).get(data["to"], "")},
                    )
                else:
                    whistles.summons_note(
                        actor=request.user,
                        summons=summons,
                        note=data["note"],
                        photos=data["photos"],
                    )
                    messages.success(request, _("情况说明已报送。"))
            except ValidationError as error:
                form.add_service_errors(error, aliases={"to": "__all__"})
            else:
                return redirect("projects:summons_detail", pk=summons.pk)
        self.action = Action.VIEW
        return self.get(request, pk, form=form, status=400)


class SummonsPhotoView(ScopedPageMixin, View):
    """A summons photo, served only to whoever may see the summons."""

    action = Action.VIEW

    def get(self, request, pk):
        photo = selectors.summons_photo(user=request.user, pk=pk)
        # Shown in the page (an img), never offered as a download.
        return private_file(
            photo.file,
            types=whistles.demand_services.ATTACHMENT_TYPES,
            filename=photo.original_name,
            as_attachment=False,
        )


# --- two-way evaluation --------------------------------------------------------------------------


class EvaluationView(ScopedPageMixin, View):
    """A completed project's two-way evaluation: the demand side rates the providers, each
    provider's contact rates the organising committee. Nobody sees the other side's ratings."""

    model = Project
    action = Action.VIEW

    def get(self, request, pk, errors=None, status=200):
        project = self.get_scoped_object(
            queryset=Project.objects.select_related("committee", "lead_unit")
        )
        state = evaluations.project_evaluation_state(project, request.user)
        units = {u.pk: u for u in MemberUnit.objects.filter(pk__in=state["providers"])}
        return render(
            request,
            "projects/evaluate.html",
            {
                "project": project,
                "state": state,
                "providers": [units[pk] for pk in state["providers"] if pk in units],
                "my_units": [(units[pk], state["given_by_units"].get(pk)) for pk in state["units"]],
                "errors": errors or {},
                "posted": request.POST if errors else {},
                "satisfaction": satisfaction.satisfaction_of_project(project),
                "links": selectors.satisfaction_links(user=request.user, project=project)
                if policies.is_staff_at(request.user, project.committee)
                else [],
                "link_form": LinkForm(),
            },
            status=status,
        )

    def post(self, request, pk):
        project = self.get_scoped_object(
            queryset=Project.objects.select_related("committee", "lead_unit")
        )
        try:
            if request.POST.get("side") == "committee":
                unit_id = int(request.POST.get("unit") or 0)
                evaluations.committee_rate(
                    actor=request.user,
                    project=project,
                    unit_id=unit_id,
                    score=evaluations.Score(
                        request.POST.get("score"), request.POST.get("comment", "")
                    ),
                )
            else:
                scores = {}
                for pk_ in evaluations.providers_of(project):
                    if request.POST.get(f"score_{pk_}") is not None:
                        scores[pk_] = evaluations.Score(
                            request.POST.get(f"score_{pk_}"), request.POST.get(f"comment_{pk_}", "")
                        )
                evaluations.providers_rate(actor=request.user, project=project, scores=scores)
        except ValidationError as error:
            return self.get(request, pk, errors=_all_errors(error), status=400)
        except ValueError as error:
            raise Http404 from error
        messages.success(request, _("评价已提交，谢谢。"))
        return redirect("projects:evaluate", pk=project.pk)


class FeedbackView(ScopedPageMixin, View):
    """背靠背: what a unit (its contact, a department's officer) or a committee (its staff) may
    read about itself — an aggregate of at least three ratings, never who said what."""

    def get(self, request):
        user = request.user
        unit_ids = sorted(set(user.unit_ids()) | set(user.department_ids()))
        units = list(MemberUnit.objects.filter(pk__in=unit_ids).order_by("name"))
        committees = selectors.publishing_committees(user)
        return render(
            request,
            "projects/feedback.html",
            {
                "units": [(u, evaluations.feedback_about_unit(u.pk)) for u in units],
                "committees": [(c, evaluations.feedback_about_committee(c.pk)) for c in committees],
                "minimum": evaluations.MIN_RATINGS_SHOWN,
            },
        )


# --- residents' satisfaction ---------------------------------------------------------------------


class SatisfactionLinkCreateView(ScopedPageMixin, View):
    model = SatisfactionLink

    def post(self, request):
        form = LinkForm(request.POST)
        whistle = project = None
        if request.POST.get("whistle"):
            whistle = selectors.whistle_detail(user=request.user, pk=request.POST["whistle"])
            back = ("projects:whistle_detail", whistle.pk)
        else:
            project = (
                Project.objects.visible_to(request.user)
                .select_related("committee")
                .filter(pk=request.POST.get("project") or 0)
                .first()
            )
            if project is None:
                raise Http404
            back = ("projects:evaluate", project.pk)
        if not form.is_valid():
            messages.error(request, form.error_text())
            return redirect(*back)
        try:
            satisfaction.link_create(
                actor=request.user,
                project=project,
                whistle=whistle,
                mode=form.cleaned_data["mode"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as error:
            messages.error(request, "；".join(sum(_all_errors(error).values(), [])))
        else:
            messages.success(request, _("已生成评价链接和二维码。"))
        return redirect(*back)


class SatisfactionQrView(ScopedPageMixin, View):
    action = Action.VIEW

    def get(self, request, pk):
        link = (
            SatisfactionLink.objects.visible_to(request.user, Action.CHANGE).filter(pk=pk).first()
        )
        if link is None:
            raise Http404
        svg = satisfaction.qr_svg(link, request.build_absolute_uri("/"))
        return HttpResponse(svg, content_type="image/svg+xml")


DEVICE_COOKIE = "rate_device"


class RateView(View):
    """The resident's page, without an account: a score and an optional comment."""

    def dispatch(self, request, token):
        link = satisfaction.link_for_token(token)
        if link is None:
            raise Http404
        self.link = link
        return super().dispatch(request, token)

    def device(self, request) -> str:
        value = request.COOKIES.get(DEVICE_COOKIE, "")
        return value if 16 <= len(value) <= 64 else ""

    def page(self, request, form, *, done=False, status=200):
        link = self.link
        subject = link.project or link.whistle
        response = render(
            request,
            "projects/rate.html",
            {
                "link": link,
                "subject": subject,
                "form": form,
                "done": done,
                "expired": satisfaction.is_expired(link),
                "rated": bool(self.device(request) or link.mode == "per_link")
                and satisfaction.already_rated(link, self.device(request)),
            },
            status=status,
        )
        if not self.device(request):
            import secrets

            response.set_cookie(
                DEVICE_COOKIE,
                secrets.token_urlsafe(24),
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get(self, request, token):
        return self.page(request, RateForm())

    def post(self, request, token):
        form = RateForm(request.POST)
        if not form.is_valid():
            return self.page(request, form, status=400)
        try:
            satisfaction.response_submit(
                link=self.link,
                device=self.device(request),
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                address=request.META.get("REMOTE_ADDR", ""),
            )
        except satisfaction.Throttled:
            response = self.page(request, form, status=429)
            response["Retry-After"] = str(int(satisfaction.WINDOW.total_seconds()))
            return response
        except ValidationError as error:
            form.add_service_errors(error)
            return self.page(request, form, status=400)
        return self.page(request, RateForm(), done=True)


# --- bulletins -----------------------------------------------------------------------------------


class BulletinListView(ScopedPageMixin, View):
    model = Bulletin

    def get(self, request):
        page = Paginator(selectors.bulletin_list(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "projects/bulletins/list.html",
            {"page": page, "may_publish": bool(selectors.publishing_committees(request.user))},
        )


class BulletinDetailView(ScopedPageMixin, View):
    model = Bulletin
    action = Action.VIEW

    def get(self, request, pk):
        bulletin = selectors.bulletin_detail(user=request.user, pk=pk)
        return render(request, "projects/bulletins/detail.html", {"bulletin": bulletin})


class BulletinCreateView(ScopedPageMixin, View):
    model = Bulletin

    def committees(self):
        committees = selectors.publishing_committees(self.request.user)
        if not committees:
            raise PermissionDenied
        return committees

    def get(self, request):
        form = BulletinForm(committees=self.committees())
        return render(request, "projects/bulletins/form.html", {"form": form})

    def post(self, request):
        committees = self.committees()
        form = BulletinForm(request.POST, committees=committees)
        if form.is_valid():
            data = form.cleaned_data
            committee = next(c for c in committees if c.pk == data["committee"])
            try:
                bulletin = bulletins.publish_bulletin(
                    actor=request.user,
                    committee=committee,
                    title=data["title"],
                    body=data["body"],
                    kind=data["kind"],
                    period=data["period"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request, _("通报已发布，通知%(n)d人。") % {"n": bulletin.recipients}
                )
                return redirect("projects:bulletin_detail", pk=bulletin.pk)
        return render(request, "projects/bulletins/form.html", {"form": form}, status=400)
