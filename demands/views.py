"""Pages of the demand list (需求清单), two-way claims and wishes.

Thin, like every page: the base class scopes what a page reads (a demand outside the user's
scope is a 404, one the user may see but not act on a 403); reads go through
`demands.selectors` and the list's one FilterSet; writes through `demands.services`, which
enforce `demands.policies`. The pages only ask the policies which buttons to show.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core import excel
from core.choices import choice_label
from core.pagination import RowPaginator, sorted_on
from core.views import ScopedPageMixin, pk_urls, private_file, run_service, xlsx_response
from demands.models import (
    EDITABLE_STATUSES,
    Claim,
    ClaimDirection,
    ClaimStatus,
    Demand,
    DemandKind,
    DemandStatus,
    Match,
    Source,
    Urgency,
)
from party_members import selectors as party_selectors
from party_members.models import PartyMember
from resources.models import CapacityUnit, Resource, ResourceStatus

from . import policies, selectors, services
from .filtersets import DemandFilterSet
from .forms import ClaimForm, CommitForm, DemandForm, ReasonForm
from .selectors import DEFAULT_SORT

PAGE_SIZE = 30
# Moves that cannot be undone: the page asks first, and the view wants that confirmation.
IRREVERSIBLE_MOVES = {DemandStatus.FULFILLED}
COMPONENT_LABELS = {
    "text": gettext_lazy("内容相近"),
    "distance": gettext_lazy("距离"),
    "capacity": gettext_lazy("容量"),
    "window": gettext_lazy("时间"),
    "record": gettext_lazy("以往评价"),
}
SORT_LABELS = [
    ("-created", gettext_lazy("最新录入")),
    ("created", gettext_lazy("最早录入")),
    ("needed_by", gettext_lazy("期望日期最近")),
    ("-urgency", gettext_lazy("最紧急")),
    ("-people", gettext_lazy("涉及人数最多")),
]


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


class DemandListMixin(ScopedPageMixin):
    """The list and its export read the same rows through the same FilterSet."""

    model = Demand

    def get_filterset(self) -> DemandFilterSet:
        rows = selectors.demand_rows(self.get_scoped_queryset())
        return DemandFilterSet(self.request.GET, queryset=rows, request=self.request)


# What `demand_rows` reads: the page loads these values alone, no model instances.
ROW_COLUMNS = (
    *("pk", "title", "kind", "urgency", "people_affected", "needed_by", "status"),
    *("committee_id", "handling_committee_id", "category__name", "committee__name"),
    *("handling_committee__name", "raised_by_unit__name"),
)


def demand_rows(values, today) -> list[dict]:
    """The list's rows (`ROW_COLUMNS` values) as the plain values they show, worked out once in
    Python (the template engine reads a dict's key at once, where a model instance costs it a
    failed subscript and an attribute lookup for every dotted name of every row), the row's two
    sentences translated once for the page. The keys are what `demands/list.html` and the
    include it shares with the detail page (`_urgency.html`) read."""
    raised = _("%(unit)s提出")
    escalated = _("已上报至%(to)s")
    detail_url = pk_urls("demands:demand_detail")
    field = Demand._meta.get_field
    urgency, status = field("urgency"), field("status")
    rows = []
    for value in values:
        unit = value["raised_by_unit__name"]
        needed_by = value["needed_by"]
        rows.append(
            {
                "pk": value["pk"],
                "url": detail_url(value["pk"]),
                "title": value["title"],
                "wish": value["kind"] == DemandKind.WISH,
                "category_name": value["category__name"],
                "committee_name": value["committee__name"],
                "raised_by": raised % {"unit": unit} if unit is not None else "",
                "escalated_to": escalated % {"to": value["handling_committee__name"]}
                if value["handling_committee_id"] != value["committee_id"]
                else "",
                "urgency": value["urgency"],
                "get_urgency_display": choice_label(urgency, value["urgency"]),
                "people_affected": value["people_affected"],
                "needed_by": needed_by.isoformat() if needed_by else "—",  # as date:"Y-m-d"
                "late": bool(
                    needed_by and needed_by < today and value["status"] == DemandStatus.PUBLISHED
                ),
                "status": value["status"],
                "status_label": choice_label(status, value["status"]),
            }
        )
    return rows


class DemandListView(DemandListMixin, View):
    def get(self, request):
        user = request.user
        filterset = self.get_filterset()
        counts = selectors.status_counts(filterset)
        chosen = filterset.chosen()
        paginator = RowPaginator(
            sorted_on(filterset.qs.values(*ROW_COLUMNS), filterset.qs), PAGE_SIZE
        )
        # The tabs' counts already hold the list's length: no count(*) of its own.
        filterset.is_valid()  # what the list filters on: its valid fields (as its qs reads them)
        statuses = filterset.form.cleaned_data.get("status") or list(counts)
        paginator.count = sum(counts.get(value, 0) for value in set(statuses))
        page = paginator.get_page(request.GET.get("page"))
        today = timezone.localdate()
        context = {
            "page": page,
            "rows": demand_rows(page, today),
            "filters": chosen,
            "counts": [(value, label, counts[value]) for value, label in DemandStatus.choices],
            "total": sum(counts.values()),
            "query_string": query_string(chosen),
            "tab_query": query_string({**chosen, "status": ""}),
            "sorts": SORT_LABELS,
            "categories": selectors.categories_for(user),
            "sources": Source.choices,
            "urgencies": Urgency.choices,
            "kinds": DemandKind.choices,
            "committees": selectors.committee_filter_options(user, filterset.selected_committee()),
            "today": today,
            "can_create": policies.may_enter_demands(user),
            "can_raise": policies.may_raise_demands(user),
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


class DemandExportView(DemandListMixin, View):
    """The demand list as the user filtered and sorted it, as an Excel workbook."""

    def get(self, request):
        rows = (
            self.get_filterset()
            .qs.values(*(column.field for column in EXPORT_COLUMNS))
            .iterator(chunk_size=2000)
        )
        content = excel.write_workbook(EXPORT_COLUMNS, rows, sheet_title=_("需求清单"))
        filename = _("需求清单_%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
        return xlsx_response(content, filename)


# --- one demand ----------------------------------------------------------------------------------


def match_row(
    user, demand: Demand, match: Match, open_units: set[int], committed: set[int]
) -> dict:
    return {
        "match": match,
        "components": [
            (label, round(float(match.components[name]) * 100))
            for name, label in COMPONENT_LABELS.items()
            if name in match.components
        ],
        "action": policies.match_action(user, demand, match.resource, open_units, committed),
        "quantity": suggested_quantity(demand, match.resource),
    }


def transition_row(transition, labels: dict) -> dict:
    escalation = transition.from_status == transition.to_status
    return {
        "from_label": labels.get(transition.from_status, ""),
        "to_label": _("上报") if escalation else labels[transition.to_status],
        "actor": transition.actor,
        "at": transition.at,
        "reason": transition.reason,
    }


class DemandDetailView(ScopedPageMixin, View):
    model = Demand

    def get(self, request, pk):
        user = request.user
        demand = self.get_scoped_object(queryset=selectors.demand_detail_rows())
        claims = list(selectors.demand_claims(user=user, demand=demand))
        open_units = {
            c.unit_id for c in claims if c.status in (ClaimStatus.PENDING, ClaimStatus.ACCEPTED)
        }
        labels = dict(DemandStatus.choices)
        committed = {
            c.resource_id
            for c in claims
            if c.direction == ClaimDirection.COMMITTEE_COMMITS and c.status == ClaimStatus.ACCEPTED
        }
        committable = (
            list(selectors.committable_resources(user=user, demand=demand)[:50])
            if demand.status in policies.COMMITTABLE_STATUSES
            else []
        )
        context = {
            "demand": demand,
            "quantity_unit": dict(CapacityUnit.choices).get(demand.quantity_unit, ""),
            "moves": policies.moves(user, demand),
            "can_edit": policies.may_edit(user, demand) and demand.status in EDITABLE_STATUSES,
            "attachments": list(selectors.demand_attachments(demand=demand)),
            "transitions": [
                transition_row(t, labels) for t in selectors.demand_transitions(demand=demand)
            ],
            "committable": [
                {"resource": r, "quantity": suggested_quantity(demand, r) or ""}
                for r in committable
            ],
            "matches": [
                match_row(user, demand, match, open_units, committed)
                for match in selectors.demand_matches(user=user, demand=demand)
            ],
            "claims": [
                {
                    "claim": claim,
                    "answer": claim.status == ClaimStatus.PENDING
                    and policies.may_answer(user, claim),
                    "release": claim.status == ClaimStatus.ACCEPTED
                    and policies.may_release(user, claim),
                }
                for claim in claims
            ],
            "today": timezone.localdate(),
        }
        return render(request, "demands/detail.html", context)


def committee_choices(user) -> list[tuple[int, str]]:
    """Where the user may enter demands (the policy's list), indented as a tree."""
    committees = list(policies.entry_committees(user).order_by("tree_id", "lft")[:1000])
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


def demand_data(data: dict) -> services.DemandData:
    """The form's fields for the service; a field the form leaves out (a unit chooses no kind
    nor source) is empty, and the service decides it."""
    values = {name: data.get(name) for name in services.DEMAND_FIELDS}
    text = ("title", "description", "source", "kind", "urgency", "quantity_unit")
    return services.DemandData(**{**values, **{k: values[k] or "" for k in text}})


def saved_message(demand: Demand) -> str:
    if demand.status == DemandStatus.PUBLISHED:
        return _("已发布“%(title)s”，系统正在匹配资源。") % {"title": demand.title}
    return _("已保存草稿“%(title)s”。") % {"title": demand.title}


class DemandFormMixin(ScopedPageMixin):
    """Entering a demand: the form, the one service call, its errors back on the fields."""

    model = Demand
    title = ""
    # The service names the raising unit `raised_by_unit`; the form calls it `unit`.
    aliases = {"raised_by_unit": "unit"}

    def make_form(self, *args, **kwargs) -> DemandForm:  # pragma: no cover
        raise NotImplementedError

    def place(self, data: dict) -> dict:  # pragma: no cover
        """Where the demand arises, as the form gave it, in the service's words."""
        raise NotImplementedError

    def post(self, request):
        form = self.make_form(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                demand = services.demand_create(
                    actor=request.user,
                    data=demand_data(data),
                    publish="publish" in request.POST,
                    attachments=data["attachments"],
                    **self.place(data),
                )
            except ValidationError as error:
                form.add_service_errors(error, aliases=self.aliases)
            else:
                messages.success(request, saved_message(demand))
                return redirect("demands:demand_detail", pk=demand.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        context = {"form": form, "title": self.title, "can_publish": True}
        return render(self.request, "demands/form.html", context, status=status)


class DemandCreateView(DemandFormMixin, View):
    """Staff enter a demand, on a phone on the spot or at a desk: saved as a draft or published."""

    title = gettext_lazy("录入需求")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policies.may_enter_demands(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def make_form(self, *args, **kwargs):
        return DemandForm(
            *args,
            tenant_id=self.request.user.tenant_id,
            categories=selectors.categories_for(self.request.user),
            committees=committee_choices(self.request.user),
            **kwargs,
        )

    def get(self, request):
        initial = {"committee": default_committee(request.user)}
        return self.render_form(self.make_form(initial=initial))

    def place(self, data):
        return {"committee": data["committee"]}


class DemandRaiseView(DemandFormMixin, View):
    """A member unit raises a demand of its own (双向收集): it arises where the unit stands."""

    title = gettext_lazy("提出本单位的需求")

    def units(self):
        units = list(policies.raising_units(self.request.user).order_by("name"))
        if not units:
            raise PermissionDenied
        return units

    def make_form(self, *args, **kwargs):
        return DemandForm(
            *args,
            tenant_id=self.request.user.tenant_id,
            categories=selectors.categories_for(self.request.user),
            units=[(u.pk, u.name) for u in self.units()],
            staff=False,
            **kwargs,
        )

    def get(self, request):
        form = self.make_form()
        form.initial["unit"] = form.fields["unit"].widget.choices[0][0]
        return self.render_form(form)

    def place(self, data):
        return {"raised_by_unit": data["unit"]}


class DemandEditView(ScopedPageMixin, View):
    """Correct a draft or published demand; a draft may be published from here."""

    model = Demand

    def get_demand(self) -> Demand:
        demand = self.get_scoped_object()
        policies.require_edit(self.request.user, demand)
        return demand

    def make_form(self, demand, *args, **kwargs):
        return DemandForm(
            *args,
            tenant_id=self.request.user.tenant_id,
            categories=selectors.categories_for(self.request.user),
            staff=not policies.kept_fields(self.request.user, demand),
            **kwargs,
        )

    def get(self, request, pk):
        demand = self.get_demand()
        if demand.status not in EDITABLE_STATUSES:
            messages.error(
                request, _("“%(s)s”状态的需求不能再修改。") % {"s": demand.get_status_display()}
            )
            return redirect("demands:demand_detail", pk=demand.pk)
        initial = services.demand_values(demand)
        initial["category"] = str(demand.category_id)
        return self.render_form(demand, self.make_form(demand, initial=initial))

    def post(self, request, pk):
        demand = self.get_demand()
        form = self.make_form(demand, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                demand = services.demand_update(
                    actor=request.user,
                    demand=demand,
                    data=demand_data(data),
                    attachments=data["attachments"],
                    publish="publish" in request.POST,
                )
            except ValidationError as error:
                form.add_service_errors(error)
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
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
            return redirect("demands:demand_detail", pk=demand.pk)
        if request.POST.get("to") in IRREVERSIBLE_MOVES and request.POST.get("confirm") != "yes":
            # What cannot be undone is asked first (the page's confirmation sends confirm=yes).
            messages.error(request, _("办结不能撤销，请在确认后再提交。"))
            return redirect("demands:demand_detail", pk=demand.pk)
        moved = run_service(
            request,
            lambda: services.demand_transition(
                demand=demand,
                to=request.POST.get("to", ""),
                actor=request.user,
                reason=form.cleaned_data["reason"],
            ),
        )
        if moved:
            messages.success(request, _("需求已变为“%(s)s”。") % {"s": moved.get_status_display()})
        return redirect("demands:demand_detail", pk=demand.pk)


class AttachmentView(ScopedPageMixin, View):
    """A demand's photo or scan, served only to whoever may see the demand (never from /media/)."""

    def get(self, request, pk):
        attachment = get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk)
        return private_file(
            attachment.file, types=services.ATTACHMENT_TYPES, filename=attachment.original_name
        )


# --- two-way claims -----------------------------------------------------------------------------------


class MatchActionView(ScopedPageMixin, View):
    """One click on a proposed match: staff ask the unit for its resource (申请资源), or the unit
    whose resource it is claims the demand (认领)."""

    model = Match
    claim = False

    def post(self, request, pk):
        match = self.get_scoped_object(
            queryset=Match.objects.select_related("demand", "resource", "resource__offered_by")
        )
        demand, resource = match.demand, match.resource
        form = ClaimForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
        elif self.claim:
            run_service(
                request,
                lambda: services.claim_by_unit(
                    actor=request.user, demand=demand, resource=resource, **form.cleaned_data
                ),
                success=_("已认领，等待协调委员会回应。"),
            )
        else:
            run_service(
                request,
                lambda: services.claim_request_resource(
                    actor=request.user, demand=demand, resource=resource, **form.cleaned_data
                ),
                success=_("已向%(unit)s发出申请，等待对方回应。")
                % {"unit": resource.offered_by.name if resource.offered_by else ""},
            )
        return redirect("demands:demand_detail", pk=demand.pk)


class CommitView(ScopedPageMixin, View):
    """直接对接 a committee's own resource to this demand, in two steps: the confirmation says
    what will happen (how much is taken, what remains, the demand becomes matched), and only
    the confirmed POST commits. Who may is the service's rule (the offering committee's staff)."""

    model = Demand

    def resource(self, demand, value, *, confirming: bool) -> Resource:
        """To confirm: one the user may commit now. To commit: any committee resource the user
        sees, so a commitment raced away is told why by the service, not with a 404."""
        if not str(value).isdigit():
            raise Http404
        if confirming:
            resource = selectors.committable_resource(
                user=self.request.user, demand=demand, pk=value
            )
        else:
            resource = selectors.committee_resource(user=self.request.user, pk=value)
        if resource is None:
            raise Http404
        return resource

    @staticmethod
    def from_resource(data) -> bool:
        """Whether the commitment was begun on the resource's side (its page of demands), so
        that the steps lead back there."""
        return data.get("back") == "resource"

    def back(self, data, demand, resource_id):
        if self.from_resource(data) and str(resource_id).isdigit():
            return redirect("resources:resource_detail", pk=resource_id)
        return redirect("demands:demand_detail", pk=demand.pk)

    def get(self, request, pk):
        demand = self.get_scoped_object(queryset=selectors.demand_detail_rows())
        form = CommitForm(request.GET)
        resource = self.resource(demand, request.GET.get("resource"), confirming=True)
        if not form.is_valid():
            messages.error(request, form.error_text())
            if self.from_resource(request.GET):
                return redirect("demands:resource_commit", pk=resource.pk)
            return redirect("demands:demand_detail", pk=demand.pk)
        quantity = form.cleaned_data["quantity"]
        context = {
            "demand": demand,
            "resource": resource,
            "quantity": quantity,
            "message": form.cleaned_data["message"],
            "left_after": resource.remaining - quantity,
            "enough": quantity <= resource.remaining,
            "becomes_matched": demand.status == DemandStatus.PUBLISHED,
            "from_resource": self.from_resource(request.GET),
        }
        return render(request, "demands/commit_confirm.html", context)

    def post(self, request, pk):
        demand = self.get_scoped_object()
        form = CommitForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
            return self.back(request.POST, demand, request.POST.get("resource"))
        resource = self.resource(demand, form.cleaned_data["resource"], confirming=False)
        run_service(
            request,
            lambda: services.resource_commit(
                actor=request.user,
                demand=demand,
                resource=resource,
                quantity=form.cleaned_data["quantity"],
                message=form.cleaned_data["message"],
            ),
            success=_("已把“%(r)s”对接到本需求，可据此立项。") % {"r": resource.title}
            if not self.from_resource(request.POST)
            else _("已把“%(r)s”对接到需求“%(d)s”，可据此立项。")
            % {"r": resource.title, "d": demand.title},
        )
        return self.back(request.POST, demand, resource.pk)


class ClaimDecideView(ScopedPageMixin, View):
    """The answering side accepts or declines (with a reason); either side releases an accepted
    claim. Who may is the service's rule (staff answer a unit's claim, the unit staff's request)."""

    model = Claim
    decision = "accept"
    SUCCESS = {
        "accept": gettext_lazy("已接受，可据此立项。"),
        "decline": gettext_lazy("已谢绝。"),
        "release": gettext_lazy("已释放，占用的资源已退回。"),
    }

    def post(self, request, pk):
        claim = self.get_scoped_object()
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
            return redirect("demands:demand_detail", pk=claim.demand_id)
        reason = form.cleaned_data["reason"]
        calls = {
            "accept": lambda: services.claim_accept(claim=claim, actor=request.user),
            "decline": lambda: services.claim_decline(
                claim=claim, actor=request.user, reason=reason
            ),
            "release": lambda: services.claim_release(
                claim=claim, actor=request.user, reason=reason
            ),
        }
        run_service(request, calls[self.decision], success=str(self.SUCCESS[self.decision]))
        return redirect("demands:demand_detail", pk=claim.demand_id)


# --- wishes (心愿认领) -------------------------------------------------------------------------------


class WishMixin(ScopedPageMixin):
    """A party member's own pages: a 404 for anyone who is not one."""

    model = PartyMember

    def get_member(self) -> PartyMember:
        return get_object_or_404(party_selectors.own_party_members(self.request.user))


class WishListView(WishMixin, View):
    """A party member's phone page: the open wishes of their community, and the ones they took."""

    def get(self, request):
        member = self.get_member()
        context = {
            "member": member,
            "wishes": selectors.open_wishes(member=member)[:100],
            "claimed": selectors.claimed_wishes(member=member)[:50],
            "today": timezone.localdate(),
        }
        return render(request, "demands/wishes.html", context)


class WishClaimView(WishMixin, View):
    def post(self, request, pk):
        wish = get_object_or_404(selectors.community_wishes(member=self.get_member()), pk=pk)
        run_service(
            request,
            lambda: services.wish_claim(actor=request.user, demand=wish),
            success=_("已认领“%(title)s”，请与社区联系后尽快完成。") % {"title": wish.title},
        )
        return redirect("demands:wish_list")


# --- a resource's claims and matches (loaded into the resource page) ------------------------------


class ResourcePairingsView(ScopedPageMixin, View):
    """The claims on a resource and the demands it is proposed for, as a part of the resource's
    page: they are this room's records, and the resources room does not import it."""

    model = Resource

    def get(self, request, pk):
        resource = self.get_scoped_object()
        context = {
            "resource": resource,
            "claims": selectors.resource_claims(user=request.user, resource=resource),
            "matches": selectors.resource_matches(user=request.user, resource=resource),
            "can_commit": committable_now(request.user, resource),
        }
        return render(request, "demands/_resource_pairings.html", context)


def committable_now(user, resource: Resource) -> bool:
    return (
        policies.may_commit_resource(user, resource)
        and resource.status == ResourceStatus.ACTIVE
        and resource.remaining > 0
    )


class ResourceCommitView(ScopedPageMixin, View):
    """直接对接 from the resource's side: staff of the committee offering its own resource (or
    above) pick one of the open demands of the place it serves — those it is matched to first,
    or searched by title — and go on to the same confirmation as from the demand's page, which
    commits through the same service and leads back to the resource."""

    model = Resource

    def get(self, request, pk):
        resource = self.get_scoped_object(queryset=Resource.objects.select_related("committee"))
        if resource.offered_by_id is not None:
            raise Http404  # a unit's resource is claimed, never committed
        if not policies.may_commit_resource(request.user, resource):
            raise PermissionDenied(
                _("只有提供该资源的协调委员会（或其上级）的工作人员，可以直接对接。")
            )
        query = request.GET.get("q", "").strip()
        demands = list(
            selectors.committable_demands(user=request.user, resource=resource, query=query)
            if committable_now(request.user, resource)
            else []
        )
        context = {
            "resource": resource,
            "query": query,
            "available": committable_now(request.user, resource),
            "rows": [
                {"demand": d, "quantity": suggested_quantity(d, resource) or ""} for d in demands
            ],
        }
        return render(request, "demands/resource_commit.html", context)


# --- why a resource is (not) proposed -----------------------------------------------------------


class DemandExplainView(ScopedPageMixin, View):
    """匹配说明: every candidate of a demand scored now, what is proposed, and for a resource
    staff ask about, where it stands or every reason it is not proposed. Scoped like the demand
    (404 outside the scope); a unit contact, who sees only its own proposals, gets 403."""

    model = Demand

    def get(self, request, pk):
        from . import matching

        demand = self.get_scoped_object(queryset=selectors.demand_detail_rows())
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
