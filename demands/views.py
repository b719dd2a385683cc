"""Pages of the demand list (需求清单), two-way claims and wishes.

Thin, like every page: reads go through `demands.selectors` (each built on `visible_to`), writes
through `demands.services`. A demand outside the user's scope is a 404, like one that does not
exist; a demand the user may see but not act on is a 403.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from committees.models import Committee
from core import excel
from core.forms import add_service_errors
from core.scoping import Action, can
from core.views import ScopedPageMixin
from demands.models import (
    Claim,
    ClaimStatus,
    Demand,
    DemandKind,
    DemandStatus,
    Match,
    Source,
    Urgency,
)
from members.models import MemberUnit
from resources.models import CapacityUnit

from . import selectors, services
from .forms import ClaimForm, DemandForm, ReasonForm
from .selectors import DEFAULT_SORT, DemandFilters, Rights, may_answer, may_release

PAGE_SIZE = 30
EDITABLE = (DemandStatus.DRAFT, DemandStatus.PUBLISHED)
COMPONENT_LABELS = {
    "text": gettext_lazy("内容相近"),
    "distance": gettext_lazy("距离"),
    "capacity": gettext_lazy("容量"),
    "window": gettext_lazy("时间"),
    "record": gettext_lazy("以往评价"),
}


def error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "；".join(m for ms in error.message_dict.values() for m in ms)
    return "；".join(error.messages)


def form_error_text(form) -> str:
    return "；".join(e for errors in form.errors.values() for e in errors)


def query_string(values: dict[str, str]) -> str:
    return urlencode(
        {k: v for k, v in values.items() if v and not (k == "sort" and v == DEFAULT_SORT)}
    )


def suggested_quantity(demand: Demand, resource) -> Decimal | None:
    """What to prefill on a one-click claim: the demand's quantity when both count the same way."""
    if demand.quantity and resource.capacity_unit == demand.quantity_unit:
        return min(demand.quantity, resource.remaining)
    return None


# --- the list, its export -----------------------------------------------------------------------


def committee_options(user, selected: Committee | None) -> list[Committee]:
    """For the list's place filter: the user's own committees and the ones right below them."""
    own = [c.pk for c in getattr(user, "scope_committees", [])]
    if not own:
        return [selected] if selected else []
    options = list(
        Committee.objects.visible_to(user)
        .filter(Q(pk__in=own) | Q(parent_id__in=own))
        .order_by("tree_id", "lft")
    )
    if selected is not None and selected.pk not in {c.pk for c in options}:
        options.append(selected)
    return options


class DemandListView(ScopedPageMixin, View):
    model = Demand

    def get(self, request):
        user = request.user
        filters = DemandFilters.from_params(request.GET)
        demands = selectors.demand_list(user=user, filters=filters)
        page = Paginator(demands, PAGE_SIZE).get_page(request.GET.get("page"))
        counts = selectors.status_counts(user=user, filters=filters)
        selected = (
            selectors.visible_committee(user, filters.committee) if filters.committee else None
        )
        values = filters.as_dict()
        context = {
            "page": page,
            "filters": filters,
            "counts": [(value, label, counts[value]) for value, label in DemandStatus.choices],
            "total": sum(counts.values()),
            "query_string": query_string(values),
            "tab_query": query_string({**values, "status": ""}),
            "sorts": [
                ("-created", _("最新录入")),
                ("created", _("最早录入")),
                ("needed_by", _("期望日期最近")),
                ("-urgency", _("最紧急")),
                ("-people", _("涉及人数最多")),
            ],
            "categories": selectors.categories_for(user),
            "sources": Source.choices,
            "urgencies": Urgency.choices,
            "kinds": DemandKind.choices,
            "committees": committee_options(user, selected),
            "today": timezone.localdate(),
            "can_create": bool(user.committee_scopes(Action.CHANGE)),
            "can_raise": bool(user.unit_ids()),
        }
        return render(request, "demands/list.html", context)


EXPORT_COLUMNS = [
    excel.Column(gettext_lazy("编号"), "id", width=8),
    excel.Column(gettext_lazy("标题"), "title", width=30),
    excel.Column(gettext_lazy("类型"), "kind", choices=DemandKind.choices, width=8),
    excel.Column(gettext_lazy("类别"), "category__name", width=12),
    excel.Column(gettext_lazy("来源"), "source", choices=Source.choices, width=12),
    excel.Column(gettext_lazy("紧急程度"), "urgency", choices=Urgency.choices, width=10),
    excel.Column(gettext_lazy("状态"), "status", choices=DemandStatus.choices, width=10),
    excel.Column(gettext_lazy("提出地"), "committee__name", width=20),
    excel.Column(gettext_lazy("承办地"), "handling_committee__name", width=20),
    excel.Column(gettext_lazy("提出单位"), "raised_by_unit__name", width=24),
    excel.Column(gettext_lazy("涉及人数"), "people_affected", width=10),
    excel.Column(gettext_lazy("需求数量"), "quantity", width=10),
    excel.Column(gettext_lazy("数量单位"), "quantity_unit", choices=CapacityUnit.choices, width=10),
    excel.Column(gettext_lazy("期望解决日期"), "needed_by", width=14),
    excel.Column(gettext_lazy("录入时间"), "created_at", width=20),
    excel.Column(gettext_lazy("发布时间"), "published_at", width=20),
    excel.Column(gettext_lazy("状态说明"), "status_reason", width=24),
    excel.Column(gettext_lazy("描述"), "description", width=50),
]


class DemandExportView(ScopedPageMixin, View):
    """The demand list as the user filtered and sorted it, as an Excel workbook."""

    model = Demand

    def get(self, request):
        filters = DemandFilters.from_params(request.GET)
        rows = (
            selectors.demand_list(user=request.user, filters=filters)
            .values(*(column.field for column in EXPORT_COLUMNS))
            .iterator(chunk_size=2000)
        )
        content = excel.write_workbook(EXPORT_COLUMNS, rows, sheet_title=_("需求清单"))
        response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
        filename = _("需求清单_%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["Cache-Control"] = "private, no-store"
        return response


# --- one demand ----------------------------------------------------------------------------------


class DemandDetailView(ScopedPageMixin, View):
    model = Demand

    def get(self, request, pk):
        user = request.user
        demand = selectors.demand_detail(user=user, pk=pk)
        rights = Rights.of(user, demand)
        unit_ids = user.unit_ids()
        claims = list(selectors.demand_claims(user=user, demand=demand))
        open_units = {
            c.unit_id for c in claims if c.status in (ClaimStatus.PENDING, ClaimStatus.ACCEPTED)
        }
        published = demand.status == DemandStatus.PUBLISHED
        matches = []
        for match in selectors.demand_matches(user=user, demand=demand):
            unit_id = match.resource.offered_by_id
            action = None
            if published and unit_id and unit_id not in open_units:
                if unit_id in unit_ids:
                    action = "claim"
                elif rights.change:
                    action = "request"
            matches.append(
                {
                    "match": match,
                    "percent": round(match.score * 100),
                    "components": [
                        (label, round(float(match.components[name]) * 100))
                        for name, label in COMPONENT_LABELS.items()
                        if name in match.components
                    ],
                    "action": action,
                    "quantity": suggested_quantity(demand, match.resource),
                }
            )
        claim_rows = [
            {
                "claim": claim,
                "answer": claim.status == ClaimStatus.PENDING
                and may_answer(user, claim, change=rights.change),
                "release": claim.status == ClaimStatus.ACCEPTED
                and may_release(user, claim, change=rights.change),
            }
            for claim in claims
        ]
        labels = dict(DemandStatus.choices)
        context = {
            "demand": demand,
            "quantity_unit": dict(CapacityUnit.choices).get(demand.quantity_unit, ""),
            "rights": rights,
            "moves": rights.moves(),
            "can_edit": rights.edit and demand.status in EDITABLE,
            "attachments": list(selectors.demand_attachments(demand=demand)),
            "transitions": [
                {
                    "from_label": labels.get(t.from_status, ""),
                    "to_label": _("上报") if t.from_status == t.to_status else labels[t.to_status],
                    "actor": t.actor,
                    "at": t.at,
                    "reason": t.reason,
                }
                for t in selectors.demand_transitions(demand=demand)
            ],
            "matches": matches,
            "claims": claim_rows,
            "today": timezone.localdate(),
        }
        return render(request, "demands/detail.html", context)


def committee_choices(user) -> list[tuple[int, str]]:
    """Where the user may enter demands: the open committees of their subtrees, indented."""
    committees = list(
        Committee.objects.visible_to(user, Action.CHANGE).open().order_by("tree_id", "lft")[:1000]
    )
    top = min((c.depth for c in committees), default=0)
    return [(c.pk, "\u3000" * (c.depth - top) + c.name) for c in committees]


def default_committee(user) -> int | None:
    """The committee a worker most likely enters for: the deepest one they hold a grant at."""
    scopes = [
        grant.committee
        for grant in user.role_grants()
        if grant.committee is not None and grant.role in services.STAFF_ROLES
    ]
    return max(scopes, key=lambda c: c.depth).pk if scopes else None


def demand_data(data: dict, *, source: str | None = None, kind: str | None = None):
    return services.DemandData(
        title=data.get("title", ""),
        description=data.get("description", ""),
        category=data.get("category"),
        source=source or data.get("source", ""),
        kind=kind or data.get("kind", ""),
        people_affected=data.get("people_affected"),
        urgency=data.get("urgency", ""),
        needed_by=data.get("needed_by"),
        quantity=data.get("quantity"),
        quantity_unit=data.get("quantity_unit", ""),
    )


class DemandCreateView(LoginRequiredMixin, View):
    """Staff enter a demand, on a phone on the spot or at a desk: saved as a draft or published."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.committee_scopes(Action.CHANGE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def make_form(self, *args, **kwargs):
        return DemandForm(
            *args,
            categories=selectors.categories_for(self.request.user),
            committees=committee_choices(self.request.user),
            **kwargs,
        )

    def get(self, request):
        initial = {"committee": default_committee(request.user)}
        return self.render_form(self.make_form(initial=initial))

    def post(self, request):
        form = self.make_form(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            committee = (
                Committee.objects.visible_to(request.user, Action.CHANGE)
                .open()
                .filter(pk=data["committee"])
                .first()
            )
            if committee is None:
                form.add_error("committee", _("请选择您工作范围内的协调委员会。"))
            else:
                try:
                    demand = services.demand_create(
                        actor=request.user,
                        committee=committee,
                        data=demand_data(data),
                        publish="publish" in request.POST,
                        attachments=data["attachments"],
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, saved_message(demand))
                    return redirect("demands:demand_detail", pk=demand.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        context = {"form": form, "title": _("录入需求"), "can_publish": True}
        return render(self.request, "demands/form.html", context, status=status)


def saved_message(demand: Demand) -> str:
    if demand.status == DemandStatus.PUBLISHED:
        return _("已发布“%(title)s”，系统正在匹配资源。") % {"title": demand.title}
    return _("已保存草稿“%(title)s”。") % {"title": demand.title}


class DemandRaiseView(LoginRequiredMixin, View):
    """A member unit raises a demand of its own (双向收集): it arises where the unit stands."""

    def units(self) -> list[MemberUnit]:
        units = list(
            MemberUnit.objects.visible_to(self.request.user)
            .filter(pk__in=self.request.user.unit_ids(), is_active=True)
            .select_related("committee")
            .order_by("name")
        )
        if not units:
            raise PermissionDenied
        return units

    def make_form(self, units, *args, **kwargs):
        return DemandForm(
            *args,
            categories=selectors.categories_for(self.request.user),
            units=[(u.pk, u.name) for u in units],
            staff=False,
            **kwargs,
        )

    def get(self, request):
        units = self.units()
        return self.render_form(self.make_form(units, initial={"unit": units[0].pk}))

    def post(self, request):
        units = self.units()
        form = self.make_form(units, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            unit = next((u for u in units if u.pk == data["unit"]), None)
            if unit is None:
                form.add_error("unit", _("只能以本单位的名义提出需求。"))
            else:
                try:
                    demand = services.demand_create(
                        actor=request.user,
                        committee=unit.committee,
                        data=demand_data(data, source=Source.MEMBER_UNIT, kind=DemandKind.NEED),
                        publish="publish" in request.POST,
                        raised_by_unit=unit,
                        attachments=data["attachments"],
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, saved_message(demand))
                    return redirect("demands:demand_detail", pk=demand.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        context = {"form": form, "title": _("提出本单位的需求"), "can_publish": True}
        return render(self.request, "demands/form.html", context, status=status)


class DemandEditView(ScopedPageMixin, View):
    """Correct a draft or published demand; a draft may be published from here."""

    model = Demand

    def get_demand(self) -> tuple[Demand, Rights]:
        demand = self.get_scoped_object()
        rights = Rights.of(self.request.user, demand)
        if not rights.edit:
            raise PermissionDenied
        return demand, rights

    def make_form(self, demand, rights, *args, **kwargs):
        return DemandForm(
            *args,
            categories=selectors.categories_for(self.request.user),
            staff=rights.change,
            **kwargs,
        )

    def get(self, request, pk):
        demand, rights = self.get_demand()
        if demand.status not in EDITABLE:
            messages.error(
                request, _("“%(s)s”状态的需求不能再修改。") % {"s": demand.get_status_display()}
            )
            return redirect("demands:demand_detail", pk=demand.pk)
        initial = {
            name: getattr(demand, name)
            for name in (
                "title",
                "description",
                "kind",
                "source",
                "urgency",
                "people_affected",
                "needed_by",
                "quantity",
                "quantity_unit",
            )
        }
        initial["category"] = str(demand.category_id)
        return self.render_form(demand, self.make_form(demand, rights, initial=initial))

    def post(self, request, pk):
        demand, rights = self.get_demand()
        form = self.make_form(demand, rights, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    demand = services.demand_update(
                        actor=request.user,
                        demand=demand,
                        data=demand_data(
                            data,
                            source=None if rights.change else demand.source,
                            kind=None if rights.change else demand.kind,
                        ),
                        attachments=data["attachments"],
                    )
                    if "publish" in request.POST and demand.status == DemandStatus.DRAFT:
                        demand = services.demand_publish(demand=demand, actor=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已保存。"))
                return redirect("demands:demand_detail", pk=demand.pk)
        return self.render_form(demand, form, status=400)

    def render_form(self, demand, form, status=200):
        context = {
            "form": form,
            "title": _("修改需求"),
            "demand": demand,
            "can_publish": demand.status == DemandStatus.DRAFT,
            "existing": demand.attachments.count(),
        }
        return render(self.request, "demands/form.html", context, status=status)


class DemandTransitionView(ScopedPageMixin, View):
    """Publish, reject or withdraw (with a reason), mark fulfilled: one button each."""

    model = Demand

    def post(self, request, pk):
        demand = self.get_scoped_object()
        to = request.POST.get("to", "")
        rights = Rights.of(request.user, demand)
        if not rights.may(to):
            raise PermissionDenied
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_text(form))
            return redirect("demands:demand_detail", pk=demand.pk)
        try:
            if to == DemandStatus.PUBLISHED and demand.status == DemandStatus.DRAFT:
                services.demand_publish(demand=demand, actor=request.user)
            else:
                services.demand_transition(
                    demand=demand, to=to, actor=request.user, reason=form.cleaned_data["reason"]
                )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("需求已变为“%(s)s”。") % {"s": DemandStatus(to).label})
        return redirect("demands:demand_detail", pk=demand.pk)


class AttachmentView(LoginRequiredMixin, View):
    """A demand's photo or scan, served only to whoever may see the demand (never from /media/)."""

    def get(self, request, pk):
        attachment = selectors.attachment_detail(user=request.user, pk=pk)
        extension = Path(attachment.file.name).suffix.lower()
        content_type = services.ATTACHMENT_TYPES.get(extension, "application/octet-stream")
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as error:
            raise Http404 from error
        response = FileResponse(
            handle,
            content_type=content_type,
            as_attachment=extension not in services.ATTACHMENT_TYPES,
            filename=attachment.original_name,
        )
        response["Cache-Control"] = "private, max-age=600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- two-way claims -----------------------------------------------------------------------------------


def claim_form_values(request) -> tuple[Decimal | None, str] | None:
    form = ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return None
    return form.cleaned_data["quantity"], form.cleaned_data["message"]


class MatchActionView(LoginRequiredMixin, View):
    """One click on a proposed match: staff ask the unit for its resource (申请资源), or the unit
    whose resource it is claims the demand (认领)."""

    claim = False

    def post(self, request, pk):
        match = get_object_or_404(
            Match.objects.visible_to(request.user).select_related(
                "demand", "demand__committee", "resource", "resource__offered_by"
            ),
            pk=pk,
        )
        demand, resource = match.demand, match.resource
        if self.claim:
            if (
                resource.offered_by_id is None
                or resource.offered_by_id not in request.user.unit_ids()
            ):
                raise PermissionDenied
        elif not can(request.user, Action.CHANGE, demand.committee):
            raise PermissionDenied
        values = claim_form_values(request)
        if values is not None:
            quantity, message = values
            try:
                if self.claim:
                    services.claim_by_unit(
                        actor=request.user,
                        unit=resource.offered_by,
                        demand=demand,
                        resource=resource,
                        quantity=quantity,
                        message=message,
                    )
                else:
                    services.claim_request_resource(
                        actor=request.user,
                        demand=demand,
                        resource=resource,
                        quantity=quantity,
                        message=message,
                    )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(
                    request,
                    _("已认领，等待协调委员会回应。")
                    if self.claim
                    else _("已向%(unit)s发出申请，等待对方回应。")
                    % {"unit": resource.offered_by.name if resource.offered_by else ""},
                )
        return redirect("demands:demand_detail", pk=demand.pk)


class ClaimDecideView(LoginRequiredMixin, View):
    """The answering side accepts or declines (with a reason); either side releases an accepted
    claim. Staff answer a unit's claim, the unit answers staff's request."""

    decision = "accept"

    def post(self, request, pk):
        claim = get_object_or_404(
            Claim.objects.visible_to(request.user).select_related("demand", "demand__committee"),
            pk=pk,
        )
        change = can(request.user, Action.CHANGE, claim.demand.committee)
        if self.decision == "release":
            allowed = may_release(request.user, claim, change=change)
        else:
            allowed = may_answer(request.user, claim, change=change)
        if not allowed:
            raise PermissionDenied
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_text(form))
            return redirect("demands:demand_detail", pk=claim.demand_id)
        reason = form.cleaned_data["reason"]
        try:
            if self.decision == "accept":
                services.claim_accept(claim=claim, actor=request.user)
            elif self.decision == "decline":
                services.claim_decline(claim=claim, actor=request.user, reason=reason)
            else:
                services.claim_release(claim=claim, actor=request.user, reason=reason)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                {
                    "accept": _("已接受，可据此立项。"),
                    "decline": _("已谢绝。"),
                    "release": _("已释放，占用的资源已退回。"),
                }[self.decision],
            )
        return redirect("demands:demand_detail", pk=claim.demand_id)


# --- wishes (心愿认领) -------------------------------------------------------------------------------


def member_or_404(user):
    member = selectors.party_member_of(user)
    if member is None:
        raise Http404
    return member


class WishListView(LoginRequiredMixin, View):
    """A party member's phone page: the open wishes of their community, and the ones they took."""

    def get(self, request):
        member = member_or_404(request.user)
        context = {
            "member": member,
            "wishes": selectors.open_wishes(member=member)[:100],
            "claimed": selectors.claimed_wishes(member=member)[:50],
            "today": timezone.localdate(),
        }
        return render(request, "demands/wishes.html", context)


class WishClaimView(LoginRequiredMixin, View):
    def post(self, request, pk):
        member = member_or_404(request.user)
        wish = get_object_or_404(selectors.community_wishes(member=member), pk=pk)
        try:
            services.wish_claim(member=member, demand=wish)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request, _("已认领“%(title)s”，请与社区联系后尽快完成。") % {"title": wish.title}
            )
        return redirect("demands:wish_list")


# --- why a resource is (not) proposed -----------------------------------------------------------


class DemandExplainView(ScopedPageMixin, View):
    """匹配说明: every candidate of a demand scored now, what is proposed, and for a resource
    staff ask about, where it stands or every reason it is not proposed. Scoped like the demand
    (404 outside the scope); a unit contact, who sees only its own proposals, gets 403."""

    model = Demand

    def get(self, request, pk):
        from . import matching

        demand = selectors.demand_detail(user=request.user, pk=pk)
        asked = request.GET.get("resource", "").strip()
        resource = None
        if asked:
            if not asked.isdigit():
                raise Http404
            resource = matching.explainable_resource(request.user, demand, int(asked))
            if resource is None:
                raise Http404
        explanation = matching.explain(user=request.user, demand=demand, resource=resource)
        rows = [
            {
                "scored": scored,
                "percent": round(scored.score * 100),
                "components": [
                    (COMPONENT_LABELS[name], round(value * 100))
                    for name, value in scored.components.items()
                    if name in COMPONENT_LABELS
                ],
                "asked": resource is not None and scored.resource.id == resource.pk,
                "relevant": scored.components["text"] >= matching.MIN_TEXT,
            }
            for scored in explanation.candidates
        ]
        return render(
            request,
            "demands/explain.html",
            {
                "demand": demand,
                "explanation": explanation,
                "rows": rows,
                "asked": asked,
                "threshold": round(matching.MIN_TEXT * 100),
                "top": matching.TOP_MATCHES,
            },
        )
