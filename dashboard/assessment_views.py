"""The assessment's pages (考核评价) where people enter what the scoring reads: the tenant
administrator's indicators, categories and periods; staff's hand-kept scores with evidence; a
community's five stars; weak committees and their rectification; back-to-back feedback. Views
parse the request, call dashboard.assessment's services and render; the rules are the services'
and dashboard.policies'."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from committees.models import Committee, Level
from core.references import as_id
from core.scoping import Action, can, subtree_q
from core.views import ScopedPageMixin, private_file, run_service
from members.models import MemberUnit
from members.selectors import UnitResolver

from . import assessment, policies, selectors
from .forms import (
    CategoryForm,
    FeedbackForm,
    IndicatorForm,
    ManualScoreForm,
    PeriodForm,
    StarsForm,
    StepForm,
    WeakFlagForm,
)
from .models import (
    Indicator,
    IndicatorCategory,
    ManualScore,
    Period,
    Star,
    WeakCommittee,
)


def _submit(form, call) -> bool:
    """Call the service with the form's data once the form is valid; its refusals land on the
    form's fields. True when the service ran."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except ValidationError as error:
        form.add_service_errors(error)
        return False
    return True


def with_latest_step(weak_rows) -> list:
    """The rows (their steps prefetched), each with `latest`: its last step or None."""
    rows = list(weak_rows)
    for row in rows:
        steps = list(row.steps.all())
        row.latest = steps[-1] if steps else None
    return rows


def _period(request, tenant_id):
    periods = Period.objects.filter(tenant_id=tenant_id)
    chosen = as_id(request.GET.get("period") or request.POST.get("period") or "")
    return (periods.filter(pk=chosen).first() if chosen else None) or periods.first()


class SetupView(LoginRequiredMixin, TemplateView):
    """/dashboard/assessment/setup/: the tenant's indicator categories, indicators and periods,
    with a form for each. Only a tenant administrator may open it (403 otherwise); everything
    read is the administrator's own tenant's."""

    template_name = "dashboard/assessment_setup.html"
    FORMS = {"category": CategoryForm, "indicator": IndicatorForm, "period": PeriodForm}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            policies.ensure_defines(request.user)
        return super().dispatch(request, *args, **kwargs)

    def categories(self):
        return list(
            IndicatorCategory.objects.filter(
                tenant_id=self.request.user.tenant_id
            ).prefetch_related(
                Prefetch(
                    "indicators",
                    queryset=Indicator.objects.order_by("position", "pk"),
                )
            )
        )

    def make_form(self, kind, categories, data=None):
        extra = {}
        if kind == "indicator":
            extra["categories"] = categories
        elif kind == "period":
            extra["tenant_id"] = self.request.user.tenant_id
        return self.FORMS[kind](data, prefix=kind, **extra)

    def get_context_data(self, bound=None, **kwargs):
        categories = self.categories()
        forms = {kind: self.make_form(kind, categories) for kind in self.FORMS}
        if bound is not None:
            forms[bound[0]] = bound[1]
        labels = {fig.key: fig.label for fig in selectors.rate_figures()}
        return {
            **super().get_context_data(**kwargs),
            "categories": categories,
            "periods": Period.objects.filter(tenant_id=self.request.user.tenant_id),
            "forms": forms,
            "figure_labels": labels,
            "home": selectors.home_committee(self.request.user),
        }

    def post(self, request):
        kind = request.POST.get("do")
        if kind not in self.FORMS:
            raise Http404
        categories = self.categories()
        form = self.make_form(kind, categories, request.POST)
        by_pk = {c.pk: c for c in categories}
        calls = {
            "category": lambda d: assessment.category_create(
                actor=request.user, name=d["name"], position=d["position"] or 0
            ),
            "indicator": lambda d: assessment.indicator_create(
                actor=request.user,
                category=by_pk[d["category"]],
                name=d["name"],
                weight=d["weight"],
                source=d["source"],
                subject=d["subject"],
                veto=d["veto"],
                veto_below=d["veto_below"],
                position=d["position"] or 0,
            ),
            "period": lambda d: assessment.period_create(
                actor=request.user,
                **{k: d[k] for k in PeriodForm.base_fields},
            ),
        }
        if _submit(form, calls[kind]):
            messages.success(request, _("已保存。"))
            return redirect("dashboard:assessment_setup")
        return self.render_to_response(self.get_context_data(bound=(kind, form)), status=400)


class ScoresView(ScopedPageMixin, TemplateView):
    """/dashboard/<pk>/assessment/scores/: the hand-kept scores of a period for the committees
    directly below `pk` and the units of its subtree, and the form staff enter them with."""

    model = Committee
    template_name = "dashboard/assessment_scores.html"

    def setup_page(self):
        committee = self.get_scoped_object()
        user = self.request.user
        period = _period(self.request, committee.tenant_id)
        if period is None:
            raise Http404
        children = list(
            Committee.objects.visible_to(user, Action.VIEW)
            .filter(parent=committee, closed_at__isnull=True)
            .order_by("lft")
        )
        units = MemberUnit.objects.visible_to(user, Action.VIEW).filter(
            subtree_q(committee), tenant_id=committee.tenant_id
        )
        indicators = list(
            Indicator.objects.filter(tenant_id=committee.tenant_id, source=Indicator.MANUAL)
        )
        return committee, period, children, units, indicators

    def form(self, data=None, files=None, page=None):
        _committee, _period_, children, units, indicators = page
        resolver = UnitResolver(
            units.select_related("committee"),
            field="unit",
            label=_("单位"),
            scope=_("本级及下级的成员单位、职能部门"),
        )
        return ManualScoreForm(
            data,
            files,
            indicators=indicators,
            committees=children,
            units=resolver,
            user=self.request.user,
        )

    def get_context_data(self, form=None, page=None, **kwargs):
        page = page or self.setup_page()
        committee, period, children, units, _indicators = page
        rows = (
            ManualScore.objects.filter(period=period)
            .filter(Q(committee__in=children) | Q(unit__in=units))
            .select_related("indicator", "committee", "unit", "entered_by")
            .order_by("indicator__category__position", "indicator__position", "pk")
        )
        return {
            **super().get_context_data(**kwargs),
            "committee": committee,
            "period": period,
            "periods": Period.objects.filter(tenant_id=committee.tenant_id),
            "rows": rows,
            "form": form or self.form(page=page),
            "may_assess": can(self.request.user, Action.CHANGE, committee),
        }

    def post(self, request, pk):
        page = self.setup_page()
        period = page[1]
        form = self.form(request.POST, request.FILES, page=page)

        def enter(d):
            assessment.manual_score_enter(
                actor=request.user,
                period=period,
                indicator=d["indicator_obj"],
                score=d["score"],
                evidence=d["evidence"],
                evidence_file=d["evidence_file"],
                committee=d["committee_obj"],
                unit=d["unit_obj"],
            )

        if _submit(form, enter):
            messages.success(request, _("已录入得分。"))
            return redirect(f"{request.path}?period={period.pk}")
        return self.render_to_response(self.get_context_data(form=form, page=page), status=400)


class EvidenceView(LoginRequiredMixin, View):
    """A hand score's evidence file, served only to whoever may read the scored committee or
    unit (never from /media/), as a download."""

    def get(self, request, pk):
        row = get_object_or_404(
            assessment.manual_scores_readable(request.user).exclude(evidence_file=""), pk=pk
        )
        return private_file(
            row.evidence_file,
            types=assessment.EVIDENCE_TYPES,
            filename=Path(row.evidence_file.name).name,
            as_attachment=True,
            cache="private, no-store",
        )


class StarsView(ScopedPageMixin, TemplateView):
    """/dashboard/<pk>/assessment/stars/: a community's five stars (党建五星), year by year,
    and the form its street's staff rate a year with."""

    model = Committee
    template_name = "dashboard/assessment_stars.html"

    def community(self):
        committee = self.get_scoped_object(queryset=Committee.objects.filter(level=Level.COMMUNITY))
        return committee

    def get_context_data(self, form=None, committee=None, **kwargs):
        committee = committee or self.community()
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "committee": committee,
            "history": assessment.star_history(user, committee),
            "star_names": Star.choices,
            "form": form or StarsForm(),
            "may_rate": committee.parent is not None and can(user, Action.CHANGE, committee.parent),
        }

    def post(self, request, pk):
        committee = self.community()
        policies.ensure_assesses(request.user, committee.parent or committee)
        form = StarsForm(request.POST)

        def rate(d):
            assessment.stars_rate(
                actor=request.user,
                committee=committee,
                year=d["year"],
                grades={star: d[star] for star in Star.values},
                note=d["note"],
            )

        if _submit(form, rate):
            messages.success(request, _("五星评定已保存。"))
            return redirect(request.path)
        return self.render_to_response(
            self.get_context_data(form=form, committee=committee), status=400
        )


class WeakListView(ScopedPageMixin, TemplateView):
    """/dashboard/<pk>/assessment/weak/: the committees of the subtree flagged as weak (软弱涣散),
    open ones first, and the form that flags one."""

    model = Committee
    template_name = "dashboard/assessment_weak.html"

    def flag_form(self, committee, data=None):
        return WeakFlagForm(data, within=committee, user=self.request.user)

    def get_context_data(self, form=None, committee=None, **kwargs):
        committee = committee or self.get_scoped_object()
        rows = (
            WeakCommittee.objects.visible_to(self.request.user, Action.VIEW)
            .filter(subtree_q(committee))
            .select_related("committee")
            .prefetch_related("steps")
            .order_by("lifted_at", "due_on", "pk")
        )
        rows = with_latest_step(rows)
        may_assess = can(self.request.user, Action.CHANGE, committee)
        return {
            **super().get_context_data(**kwargs),
            "committee": committee,
            "rows": rows,
            "form": form or (self.flag_form(committee) if may_assess else None),
            "may_assess": may_assess,
        }

    def post(self, request, pk):
        committee = self.get_scoped_object()
        form = self.flag_form(committee, request.POST)

        def flag(d):
            assessment.weak_flag(
                actor=request.user,
                committee=d["committee_obj"],
                reason=d["reason"],
                plan=d["plan"],
                due_on=d["due_on"],
            )

        if _submit(form, flag):
            messages.success(request, _("已列为软弱涣散整顿对象。"))
            return redirect(request.path)
        return self.render_to_response(
            self.get_context_data(form=form, committee=committee), status=400
        )


class WeakDetailView(ScopedPageMixin, TemplateView):
    """/dashboard/assessment/weak/<pk>/: one rectification, its progress, the form to record a
    step and the button (confirmed) that lifts it (销号)."""

    model = WeakCommittee
    template_name = "dashboard/assessment_weak_detail.html"

    def weak(self):
        return self.get_scoped_object(queryset=WeakCommittee.objects.select_related("committee"))

    def get_context_data(self, form=None, weak=None, **kwargs):
        weak = weak or self.weak()
        steps = list(weak.steps.select_related("recorded_by"))
        return {
            **super().get_context_data(**kwargs),
            "weak": weak,
            "steps": steps,
            "form": form or StepForm(),
            "may_record": weak.lifted_at is None
            and can(self.request.user, Action.CHANGE, weak.committee),
            "may_lift": weak.lifted_at is None
            and can(self.request.user, Action.CHANGE, weak.committee.parent or weak.committee),
        }

    def post(self, request, pk):
        weak = self.weak()
        if request.POST.get("do") == "lift":
            run_service(
                request,
                lambda: assessment.weak_lift(actor=request.user, weak=weak),
                _("已销号。"),
            )
            return redirect(request.path)
        form = StepForm(request.POST)

        def record(d):
            assessment.weak_progress(
                actor=request.user, weak=weak, text=d["text"], percent=d["percent"]
            )

        if _submit(form, record):
            messages.success(request, _("已记录整改进展。"))
            return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form, weak=weak), status=400)


class FeedbackView(ScopedPageMixin, TemplateView):
    """/dashboard/<pk>/assessment/feedback/: give back-to-back feedback (背靠背) on a committee;
    the page shows only the aggregate, never a rater's row. The policy decides who may give it
    (not the committee's own people), so a POST only needs to read the committee."""

    model = Committee
    action = Action.VIEW
    template_name = "dashboard/assessment_feedback.html"

    def get_context_data(self, form=None, committee=None, **kwargs):
        committee = committee or self.get_scoped_object()
        periods = list(Period.objects.filter(tenant_id=committee.tenant_id))
        period = _period(self.request, committee.tenant_id)
        return {
            **super().get_context_data(**kwargs),
            "committee": committee,
            "period": period,
            "periods": periods,
            "summary": assessment.feedback_summary(self.request.user, period, committee)
            if period
            else None,
            "form": form
            or FeedbackForm(periods=periods, initial={"period": getattr(period, "pk", None)}),
            "may_give": policies.may_give_feedback(self.request.user, committee),
        }

    def post(self, request, pk):
        committee = self.get_scoped_object()
        periods = list(Period.objects.filter(tenant_id=committee.tenant_id))
        by_pk = {p.pk: p for p in periods}
        form = FeedbackForm(request.POST, periods=periods)

        def give(d):
            assessment.feedback_give(
                actor=request.user,
                period=by_pk[d["period"]],
                committee=committee,
                score=d["score"],
                comment=d["comment"],
            )

        if _submit(form, give):
            messages.success(request, _("评价已提交（背靠背，被评价方只看到汇总）。"))
            return redirect(f"{request.path}?period={form.cleaned_data['period']}")
        return self.render_to_response(
            self.get_context_data(form=form, committee=committee), status=400
        )
