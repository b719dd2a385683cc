"""Pages of party members: dual registration, service, points.

Thin: the base class scopes what a page reads (404 outside the scope, 403 for a reader), reads
go through `party_members.selectors` and the lists' FilterSets, writes through
`party_members.services`, which enforce `party_members.policies`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from committees.models import Committee
from core.choices import choice_label
from core.identifiers import mask_phone
from core.numbers import number
from core.pagination import CappedPaginator
from core.scoping import Action
from core.views import ScopedPageMixin, pk_urls, run_service

from . import certificates, policies, selectors, services
from .filtersets import PartyMemberFilterSet
from .forms import JoinForm, RejectForm, ServiceForm, StaffServiceForm
from .models import (
    PartyMember,
    Registration,
    RegistrationStatus,
    ServiceKind,
    ServiceRecord,
    ServiceTeam,
    TeamKind,
)

PAGE_SIZE = 50


class RosterView(ScopedPageMixin, View):
    """A community's roster of the dual registration: units and members, pending ones to confirm."""

    model = Committee

    def get(self, request, pk):
        community = self.get_scoped_object()
        context = {
            "committee": community,
            **selectors.committee_roster(user=request.user, community=community),
            "teams": selectors.community_teams(user=request.user, community=community),
            "team_kinds": TeamKind.choices,
            "can_change": policies.is_staff_of(request.user, community),
            "reject_form": RejectForm(),
        }
        return render(request, "members/roster.html", context)


class RegistrationDecideView(ScopedPageMixin, View):
    model = Registration
    confirm = True

    def post(self, request, pk):
        registration = self.get_scoped_object(
            queryset=Registration.objects.select_related("member", "unit")
        )
        who = registration.member.name if registration.member_id else registration.unit.name
        run_service(
            request,
            lambda: services.registration_decide(
                registration=registration,
                actor=request.user,
                confirm=self.confirm,
                reason=request.POST.get("reason", ""),
            ),
            success=(_("已确认%(who)s报到。") if self.confirm else _("已退回%(who)s的报到。"))
            % {"who": who},
        )
        return redirect("party_members:roster", pk=registration.community_id)


# --- party members ---------------------------------------------------------------------------------


class JoinView(View):
    """Self-service registration of an in-service party member, phone-sized, no account needed."""

    def get(self, request):
        return render(request, "members/join.html", {"form": JoinForm()})

    def post(self, request):
        form = JoinForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = services.member_self_register(
                    tenant=data["tenant"],
                    username=data["username"],
                    password=data["password"],
                    name=data["name"],
                    phone=data["phone"],
                    community=form.chosen_community(),
                    employer_name=data["employer_name"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                login(request, member.user, backend="accounts.backends.UserWithTenantBackend")
                messages.success(
                    request,
                    _("报到申请已提交，待%(community)s确认。")
                    % {"community": member.community.name},
                )
                return redirect("party_members:me")
        return render(request, "members/join.html", {"form": form}, status=400)


class JoinCommunitySearchView(View):
    """Suggestions for the join form's community field (public administrative names only)."""

    def get(self, request):
        query = request.GET.get("community", "").strip()
        matches = selectors.community_suggestions(
            tenant_id=request.GET.get("tenant", ""), query=query
        )
        options = [{"value": c.pk, "label": c.name, "hint": c.division_code} for c in matches]
        # Under two characters nothing is searched, so nothing is said to be missing either.
        shown = query if len(query) >= 2 else ""
        return render(request, "includes/picker_results.html", {"options": options, "query": shown})


class TeamCreateView(ScopedPageMixin, View):
    """Community staff found a service team (心愿认领队, 组团服务队, 先锋队)."""

    model = Committee

    def post(self, request, pk):
        community = self.get_scoped_object()
        run_service(
            request,
            lambda: services.team_create(
                actor=request.user,
                community=community,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
            ),
            success=_("已成立服务队。"),
        )
        return redirect("party_members:roster", pk=community.pk)


class TeamJoinView(ScopedPageMixin, View):
    """A confirmed member joins a team of their community."""

    model = ServiceTeam
    # A member's reach over teams is reading the ones they may join; joining is their own act,
    # which the service allows or refuses.
    action = Action.VIEW

    def post(self, request, pk):
        team = self.get_scoped_object()
        run_service(
            request,
            lambda: services.team_join(actor=request.user, team=team),
            success=_("已加入“%(team)s”。") % {"team": team.name},
        )
        return redirect("party_members:me")


class OwnRecordMixin(ScopedPageMixin):
    """A party member's own pages: a 404 for anyone who is not one."""

    model = PartyMember

    def get_member(self) -> PartyMember:
        return get_object_or_404(selectors.own_party_members(self.request.user))


class MyServiceView(OwnRecordMixin, View):
    """A party member's own page: registration, service record, points and certificate."""

    def get(self, request):
        return self.render_page(
            self.get_member(), ServiceForm(initial={"served_on": timezone.localdate()})
        )

    def post(self, request):
        member = self.get_member()
        form = ServiceForm(request.POST)
        if form.is_valid():
            try:
                services.service_record_log(
                    actor=request.user,
                    community=member.community,
                    member=member,
                    data=services.ServiceData(**form.cleaned_data),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("服务记录已提交，待社区核实。"))
                return redirect("party_members:me")
        return self.render_page(member, form, status=400)

    def render_page(self, member, form, status=200):
        user = self.request.user
        context = {
            "member": member,
            "records": selectors.own_records(user=user, member=member)[:50],
            "summary": selectors.member_service_summary(member),
            "form": form,
            "teams": selectors.teams_to_join(user=user, member=member),
        }
        return render(self.request, "members/me.html", context, status=status)


class CertificateView(OwnRecordMixin, View):
    def get(self, request):
        member = self.get_member()
        records = selectors.verified_records(user=request.user, member=member)
        if not records:
            messages.error(request, _("还没有经核实的服务记录，暂不能开具证明。"))
            return redirect("party_members:me")
        pdf = certificates.service_certificate(member=member, records=records)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="service-certificate.pdf"'
        return response


# What `party_member_rows` reads: the page loads these values alone, no model instances.
ROW_COLUMNS = (
    *("pk", "name", "employer_name", "community__name", "phone"),
    *("registration_status", "points"),
)


def party_member_rows(values) -> list[dict]:
    """The list's rows (`ROW_COLUMNS` values) as the plain values `members/_party_member_rows.jinja` shows: the
    phone masked, the points as people write them."""
    detail_url = pk_urls("party_members:party_member_detail")
    status = PartyMember._meta.get_field("registration_status")
    return [
        {
            "url": detail_url(value["pk"]),
            "name": value["name"],
            "employer_name": value["employer_name"],
            "community_name": value["community__name"] or "",
            "phone": mask_phone(value["phone"]),
            "status_label": choice_label(status, value["registration_status"]),
            "points": number(value["points"]),
        }
        for value in values
    ]


class PartyMemberListView(ScopedPageMixin, View):
    model = PartyMember

    def get(self, request):
        rows = selectors.party_member_rows(self.get_scoped_queryset(), user=request.user)
        filterset = PartyMemberFilterSet(request.GET, queryset=rows, request=request)
        listed = selectors.walked_in_tree_order(
            filterset.qs, user=request.user, columns=ROW_COLUMNS
        )
        page = CappedPaginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "rows": party_member_rows(page),
            "filters": filterset.chosen(),
            "statuses": RegistrationStatus.choices,
        }
        return render(request, "members/party_member_list.html", context)


class PartyMemberDetailView(ScopedPageMixin, View):
    """Staff's view of one member. Party membership is sensitive: every read is audited."""

    model = PartyMember

    def get(self, request, pk):
        member = self.get_scoped_object(
            queryset=selectors.party_member_for_staff().exclude(user=request.user)
        )
        services.party_member_read(actor=request.user, member=member, request=request)
        can_record = policies.may_record_service_of(request.user, member)
        context = {
            "member": member,
            # The community's own staff call members; everyone else sees the number masked.
            "phone": member.phone if can_record else mask_phone(member.phone),
            "records": selectors.member_records(member),
            "summary": selectors.member_service_summary(member),
            "form": StaffServiceForm(
                initial={"member": member.pk, "served_on": timezone.localdate()}
            )
            if can_record
            else None,
        }
        return render(request, "members/party_member_detail.html", context)


class StaffServiceCreateView(ScopedPageMixin, View):
    """Community staff record a member's service; whoever records it certifies it."""

    model = PartyMember

    def post(self, request, pk):
        member = self.get_scoped_object()
        form = ServiceForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
        else:
            run_service(
                request,
                lambda: services.service_record_log(
                    actor=request.user,
                    community=member.community,
                    member=member,
                    data=services.ServiceData(**form.cleaned_data),
                    certified=True,
                ),
                success=_("已记录并核实。"),
            )
        return redirect("party_members:party_member_detail", pk=member.pk)


# --- verification and rankings ---------------------------------------------------------------------


class _EMPTY:  # an absent member, team or community: shown as nothing, as the template did
    name = ""


def pending_service_rows(records) -> list[dict]:
    """The records waiting for verification as the plain values `_pending_service_rows.jinja`
    shows, each row's two forms' URLs at the cost of one reverse each (not two per row)."""
    verify_url = pk_urls("party_members:service_verify")
    reject_url = pk_urls("party_members:service_reject")
    return [
        {
            "pk": record.pk,
            "who": (record.member or record.team or _EMPTY).name,
            "community_name": (record.community or _EMPTY).name,
            "served_on": date_filter(record.served_on),
            "kind_label": record.get_kind_display(),
            "hours": number(record.hours),
            "description": record.description,
            "location": record.location,
            "verify_url": verify_url(record.pk),
            "reject_url": reject_url(record.pk),
        }
        for record in records
    ]


class PendingServiceListView(ScopedPageMixin, View):
    model = ServiceRecord

    def get(self, request):
        records = selectors.pending_records(user=request.user)
        page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "members/pending_services.html",
            {"page": page, "rows": pending_service_rows(page), "kinds": dict(ServiceKind.choices)},
        )


class ServiceDecideView(ScopedPageMixin, View):
    model = ServiceRecord
    verify = True

    def post(self, request, pk):
        record = self.get_scoped_object()
        decide = services.service_record_verify if self.verify else services.service_record_reject
        run_service(
            request,
            lambda: decide(record=record, actor=request.user),
            success=_("已核实，积分已计入。") if self.verify else _("已标记为未通过。"),
        )
        return redirect("party_members:pending_services")


class RankingView(ScopedPageMixin, View):
    model = Committee

    def get(self, request):
        committee = selectors.ranking_committee(
            user=request.user, committee_id=request.GET.get("committee", "")
        )
        if committee is None:
            raise Http404
        quarter = request.GET.get("quarter") or services.quarter_of(timezone.localdate())
        by = "team" if request.GET.get("by") == "team" else "member"
        context = {
            "committee": committee,
            "quarter": quarter,
            "by": by,
            "quarters": recent_quarters(),
            "ranking": selectors.points_ranking(
                user=request.user, committee=committee, quarter=quarter, by=by
            ),
        }
        return render(request, "members/ranking.html", context)


def recent_quarters(count: int = 4) -> list[str]:
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    result = []
    for _i in range(count):
        result.append(f"{year}Q{quarter}")
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
    return result
