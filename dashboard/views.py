"""The dashboard's pages: a committee's figures, its wall-screen (大屏) mode and its export.
Views only parse the request, call the selector and render."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from committees.models import Committee, Level
from core.references import as_id
from core.scoping import Action, can
from core.views import ScopedPageMixin, run_service, xlsx_response

from . import assessment, exports, policies, selectors
from .assessment_views import with_latest_step
from .models import Period, Star, Subject

WALL_REFRESH_SECONDS = 300


def _months(request) -> int:
    try:
        months = int(request.GET.get("months", selectors.DEFAULT_MONTHS))
    except ValueError:
        return selectors.DEFAULT_MONTHS
    return months if months in selectors.PERIODS else selectors.DEFAULT_MONTHS


def read_dashboard(request, committee) -> selectors.Dashboard:
    return selectors.dashboard(
        request.user,
        committee,
        months=_months(request),
        sort=request.GET.get("sort", "demands"),
    )


class IndexView(LoginRequiredMixin, View):
    """/dashboard/: the dashboard of the widest committee where the user holds a grant."""

    def get(self, request):
        committee = selectors.home_committee(request.user)
        if committee is None:
            raise Http404
        return redirect("dashboard:committee", pk=committee.pk)


class CommitteeDashboardView(ScopedPageMixin, TemplateView):
    """A committee's dashboard: a 404 outside the reader's scope, like any page."""

    model = Committee
    template_name = "dashboard/committee.html"
    wall = False

    def get_context_data(self, **kwargs):
        board = read_dashboard(self.request, self.get_scoped_object())
        months = [f"{m:%Y-%m}" for m in board.months]
        charts = {
            "months": months,
            "series": {
                "demands": board.series["demands"],
                "resources": board.series["resources"],
                "projects": board.series["projects"],
                "projects_completed": board.series["projects_completed"],
                "whistles": board.series["whistles"],
            },
            "labels": {
                "demands": _("需求数"),
                "resources": _("资源数"),
                "projects": _("项目数"),
                "projects_completed": _("完成项目数"),
                "whistles": _("吹哨数"),
            },
            "category_mix": [{"name": n, "value": v} for n, v in board.category_mix],
            "source_mix": [{"name": n, "value": v} for n, v in board.source_mix],
            "rates": [
                {
                    "name": str(selectors.FIGURES[k].label),
                    "value": round((board.totals[k] or 0) * 100, 1),
                }
                for k in (
                    "match_rate",
                    *selectors.THREE_RATES,
                    "project_on_time_rate",
                    "report_on_time_rate",
                )
            ],
            "wall": self.wall,
        }
        return {
            **super().get_context_data(**kwargs),
            "board": board,
            "months": _months(self.request),
            "periods": selectors.PERIODS,
            "charts": charts,
            "wall": self.wall,
            "refresh_seconds": WALL_REFRESH_SECONDS,
            "overdue_definition": selectors.OVERDUE_DEFINITION,
            "loaded_definition": selectors.LOADED_DEFINITION,
            "worst_definition": selectors.WORST_DEFINITION,
            "mix_definition": selectors.MIX_DEFINITION,
        }


class WallView(CommitteeDashboardView):
    """The wall-screen mode: the same figures, full screen, reloading itself."""

    template_name = "dashboard/wall.html"
    wall = True


class ExportView(ScopedPageMixin, View):
    """The dashboard as a workbook: every table and figure exactly as the page shows it."""

    model = Committee

    def get(self, request, pk: int):
        board = read_dashboard(request, self.get_scoped_object())
        filename = f"{board.committee.name}-看板-{board.months[-1]:%Y%m}.xlsx"
        return xlsx_response(exports.workbook(board), filename)


class AssessmentView(ScopedPageMixin, TemplateView):
    """A committee's assessment: the period's results of the committees, units and departments
    below it, its weak committees under rectification, the stars of its communities and the
    aggregate of the back-to-back feedback on it. Staff score the period and publish it."""

    model = Committee
    action = Action.VIEW
    template_name = "dashboard/assessment.html"

    def period(self, committee):
        periods = Period.objects.filter(tenant_id=committee.tenant_id)
        chosen = as_id(self.request.GET.get("period") or self.request.POST.get("period") or "")
        return (periods.filter(pk=chosen).first() if chosen else None) or periods.first()

    def get_context_data(self, **kwargs):
        committee = self.get_scoped_object()
        period = self.period(committee)
        user = self.request.user
        results = {}
        if period is not None:
            for subject in Subject.values:
                results[subject] = list(assessment.results(user, period, committee, subject))
        communities = list(
            Committee.objects.visible_to(user, Action.VIEW)
            .filter(parent=committee, level=Level.COMMUNITY)
            .order_by("lft")
        )
        histories = assessment.star_histories(user, communities)
        return {
            **super().get_context_data(**kwargs),
            "committee": committee,
            "period": period,
            "periods": Period.objects.filter(tenant_id=committee.tenant_id),
            "results": results,
            "subjects": Subject.choices,
            "weak": with_latest_step(assessment.weak_committees(user, committee)),
            "stars": [(c, histories[c.pk]) for c in communities],
            "star_names": Star.choices,
            "feedback": assessment.feedback_summary(user, period, committee) if period else None,
            "may_assess": can(user, Action.CHANGE, committee),
            "may_define": policies.may_define(user),
        }

    def post(self, request, pk):
        committee = self.get_scoped_object()
        period = self.period(committee)
        if period is None:
            raise Http404
        if request.POST.get("do") == "publish":
            run_service(
                request,
                lambda: assessment.publish_results(
                    actor=request.user, period=period, committee=committee
                ),
                _("考核结果已发布为通报。"),
            )
        else:
            run_service(
                request,
                lambda: assessment.score_period(
                    actor=request.user, period=period, committee=committee
                ),
                _("已按当前数据计分。"),
            )
        return redirect(f"{request.path}?period={period.pk}")
