"""Pages of party members: dual registration, service, points. Thin: scoping through `visible_to`, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from audit import services as audit
from committees.models import Committee
from core.forms import add_service_errors
from core.identifiers import mask_phone
from core.scoping import Action, can
from core.views import ScopedPageMixin

from . import certificates, selectors, services
from .forms import JoinForm, RejectForm, ServiceForm, StaffServiceForm
from .models import (
    PartyMember,
    RecordStatus,
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
            "teams": ServiceTeam.objects.visible_to(request.user)
            .filter(community=community)
            .annotate(size=Count("members"))
            .order_by("kind", "name"),
            "team_kinds": TeamKind.choices,
            "can_change": can(request.user, Action.CHANGE, community),
            "reject_form": RejectForm(),
        }
        return render(request, "members/roster.html", context)


class RegistrationDecideView(ScopedPageMixin, View):
    model = Registration
    action = Action.CHANGE
    confirm = True

    def post(self, request, pk):
        registration = self.get_scoped_object()
        reason = request.POST.get("reason", "")
        try:
            services.registration_decide(
                registration=registration, actor=request.user, confirm=self.confirm, reason=reason
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            who = registration.member.name if registration.member_id else registration.unit.name
            messages.success(
                request,
                (_("已确认%(who)s报到。") if self.confirm else _("已退回%(who)s的报到。"))
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
                community, community_error = (
                    self.find_community(data["tenant"], data["community"]),
                    None,
                )
            except ValidationError as error:
                community, community_error = None, error
            try:
                member = services.member_self_register(
                    tenant=data["tenant"],
                    username=data["username"],
                    password=data["password"],
                    name=data["name"],
                    phone=data["phone"],
                    community=community,
                    employer_name=data["employer_name"],
                )
            except ValidationError as error:
                # Every field's problem at once; the community lookup's message is the more precise.
                errors = error.message_dict
                if community_error is not None:
                    errors.update(community_error.message_dict)
                add_service_errors(form, ValidationError(errors))
            else:
                login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _("报到申请已提交，待%(community)s确认。")
                    % {"community": member.community.name},
                )
                return redirect("party_members:me")
        return render(request, "members/join.html", {"form": form}, status=400)

    @staticmethod
    def find_community(tenant, reference: str) -> Committee:
        reference = reference.strip()
        directory = Committee.objects.public_directory()
        if reference.isdigit():
            found = directory.filter(division_code=reference)
            # Another city's code is passed on, so the service can say it is not in this city.
            match = found.filter(tenant=tenant).first() or found.first()
        else:
            named = list(directory.filter(tenant=tenant, name=reference)[:2]) or list(
                directory.filter(tenant=tenant, name=reference + "居委会")[:2]
            )
            if len(named) > 1:
                raise ValidationError(
                    {
                        "community": _("有多个名为“%(ref)s”的社区，请改填区划代码。")
                        % {"ref": reference}
                    }
                )
            match = (
                named[0]
                if named
                else directory.exclude(tenant=tenant).filter(name=reference).first()
            )
        if match is None:
            raise ValidationError(
                {"community": _("找不到社区“%(ref)s”，请核对名称或区划代码。") % {"ref": reference}}
            )
        return match


class JoinCommunitySearchView(View):
    """Suggestions for the join form's community field (public administrative names only)."""

    def get(self, request):
        query = request.GET.get("community", "").strip()
        tenant_id = request.GET.get("tenant", "")
        matches = []
        if len(query) >= 2 and tenant_id.isdigit():
            matches = (
                Committee.objects.public_directory()
                .filter(tenant_id=tenant_id, name__contains=query)
                .order_by("division_code")[:10]
            )
        return render(request, "members/_community_options.html", {"matches": matches})


class TeamCreateView(ScopedPageMixin, View):
    """Community staff found a service team (心愿认领队, 组团服务队, 先锋队)."""

    model = Committee
    action = Action.CHANGE

    def post(self, request, pk):
        community = self.get_scoped_object()
        try:
            services.team_create(
                community=community,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已成立服务队。"))
        return redirect("party_members:roster", pk=community.pk)


class TeamJoinView(ScopedPageMixin, View):
    """A confirmed member joins a team of their community."""

    model = ServiceTeam

    def post(self, request, pk):
        member = PartyMember.objects.visible_to(request.user).filter(user=request.user).first()
        team = ServiceTeam.objects.visible_to(request.user).filter(pk=pk).first()
        if member is None or team is None:
            raise Http404
        try:
            services.team_join(team=team, member=member)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已加入“%(team)s”。") % {"team": team.name})
        return redirect("party_members:me")


class MyServiceView(ScopedPageMixin, View):
    """A party member's own page: registration, service record, points and certificate."""

    model = PartyMember

    def get_member(self) -> PartyMember:
        member = (
            PartyMember.objects.visible_to(self.request.user)
            .filter(user=self.request.user)
            .select_related("community")
            .first()
        )
        if member is None:
            raise Http404
        return member

    def get(self, request):
        return self.render_page(
            self.get_member(), ServiceForm(initial={"served_on": timezone.localdate()})
        )

    def post(self, request):
        member = self.get_member()
        form = ServiceForm(request.POST)
        if form.is_valid():
            try:
                if member.registration_status != RegistrationStatus.CONFIRMED:
                    raise ValidationError(_("报到经社区确认后才能记录服务。"))
                services.service_record_log(
                    actor=request.user,
                    community=member.community,
                    member=member,
                    data=services.ServiceData(**form.cleaned_data),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("服务记录已提交，待社区核实。"))
                return redirect("party_members:me")
        return self.render_page(member, form, status=400)

    def render_page(self, member, form, status=200):
        records = (
            ServiceRecord.objects.visible_to(self.request.user)
            .filter(member=member)
            .select_related("community")
            .order_by("-served_on", "-pk")[:50]
        )
        teams = (
            ServiceTeam.objects.visible_to(self.request.user)
            .filter(community_id=member.community_id)
            .order_by("kind", "name")
        )
        joined = set(member.teams.values_list("pk", flat=True))
        context = {
            "member": member,
            "records": records,
            "summary": selectors.member_service_summary(member),
            "form": form,
            "teams": [(team, team.pk in joined) for team in teams],
        }
        return render(self.request, "members/me.html", context, status=status)


class CertificateView(MyServiceView):
    def get(self, request):
        member = self.get_member()
        records = list(
            ServiceRecord.objects.visible_to(request.user)
            .filter(member=member, status=RecordStatus.VERIFIED)
            .select_related("community")
            .order_by("served_on")
        )
        if not records:
            messages.error(request, _("还没有经核实的服务记录，暂不能开具证明。"))
            return redirect("party_members:me")
        pdf = certificates.service_certificate(member=member, records=records)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="service-certificate.pdf"'
        return response


class PartyMemberListView(ScopedPageMixin, View):
    model = PartyMember

    def get(self, request):
        members = (
            PartyMember.objects.visible_to(request.user)
            .exclude(user=request.user)
            .select_related("community")
            .order_by("community__lft", "name")
        )
        status = request.GET.get("status", "")
        if status in RegistrationStatus.values:
            members = members.filter(registration_status=status)
        page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [(member, mask_phone(member.phone)) for member in page]
        context = {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": RegistrationStatus.choices,
        }
        return render(request, "members/party_member_list.html", context)


class PartyMemberDetailView(ScopedPageMixin, View):
    """Staff's view of one member. Party membership is sensitive: every read is audited."""

    model = PartyMember

    def get(self, request, pk):
        member = get_object_or_404(
            PartyMember.objects.visible_to(request.user)
            .exclude(user=request.user)
            .select_related("community", "employer"),
            pk=pk,
        )
        pass

        audit.record_personal_data_access(request.user, member, request)
        can_record = member.community is not None and can(
            request.user, Action.CHANGE, member.community
        )
        context = {
            "member": member,
            # The community's own staff call members; everyone else sees the number masked.
            "phone": member.phone if can_record else mask_phone(member.phone),
            "records": member.service_records.select_related("community").order_by("-served_on")[
                :50
            ],
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
    action = Action.CHANGE

    def committee_of(self, obj):
        if obj.community is None:
            raise PermissionDenied
        return obj.community

    def post(self, request, pk):
        member = self.get_scoped_object()
        form = ServiceForm(request.POST)
        if form.is_valid():
            try:
                services.service_record_log(
                    actor=request.user,
                    community=member.community,
                    member=member,
                    data=services.ServiceData(**form.cleaned_data),
                    certified=True,
                )
            except ValidationError as error:
                messages.error(
                    request,
                    "；".join(m for ms in error.message_dict.values() for m in ms)
                    if hasattr(error, "error_dict")
                    else "；".join(error.messages),
                )
                return redirect("party_members:party_member_detail", pk=member.pk)
            messages.success(request, _("已记录并核实。"))
        else:
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("party_members:party_member_detail", pk=member.pk)


# --- verification and rankings ---------------------------------------------------------------------


class PendingServiceListView(ScopedPageMixin, View):
    model = ServiceRecord

    def get(self, request):
        records = (
            ServiceRecord.objects.visible_to(request.user, Action.CHANGE)
            .filter(status=RecordStatus.PENDING)
            .select_related("member", "team", "community")
            .order_by("served_on", "pk")
        )
        page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "members/pending_services.html",
            {"page": page, "kinds": dict(ServiceKind.choices)},
        )


class ServiceDecideView(ScopedPageMixin, View):
    model = ServiceRecord
    action = Action.CHANGE
    verify = True

    def post(self, request, pk):
        record = self.get_scoped_object()
        try:
            if self.verify:
                services.service_record_verify(record=record, actor=request.user)
            else:
                services.service_record_reject(record=record, actor=request.user)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(
                request, _("已核实，积分已计入。") if self.verify else _("已标记为未通过。")
            )
        return redirect("party_members:pending_services")


class RankingView(ScopedPageMixin, View):
    model = Committee

    def get(self, request):
        visible = Committee.objects.visible_to(request.user)
        committee_id = request.GET.get("committee", "")
        committee = visible.filter(pk=committee_id).first() if committee_id.isdigit() else None
        if committee is None and request.user.scope_committees:
            committee = request.user.scope_committees[0]
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
