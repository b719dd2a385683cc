"""Account management pages (/accounts/manage/), the profile, the password change and the
security administrator's locked accounts.

Thin: every rule is `accounts.policies`, every write `accounts.services`, every read
`accounts.selectors` (through `User.objects.visible_to`). For anyone who manages no accounts the
management pages do not exist (404), as for an account of another tenant.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from committees.views import CommitteeLookupView
from core import bulk_views, excel
from core.references import as_id
from core.views import ScopedPageMixin, run_service, xlsx_response
from members.models import Role, RoleGrant, User
from members.views import UnitLookupView

from . import imports, policies, selectors, services
from .forms import (
    AccountContext,
    AccountCreateForm,
    AccountImportForm,
    GrantForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
)

PAGE_SIZE = 50


class ManagerPage(ScopedPageMixin, View):
    """A page for account managers only: a 404 for everyone else."""

    model = User

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policies.is_account_manager(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_account(self, pk) -> User:
        pk = as_id(str(pk))
        account = selectors.account_for(self.request.user, pk) if pk is not None else None
        if account is None:
            raise Http404
        return account


class AccountListView(ManagerPage):
    template_name = "accounts/list.html"

    def get(self, request):
        query = request.GET.get("q", "")
        role = request.GET.get("role", "")
        active = request.GET.get("active", "")
        accounts = selectors.accounts_for(request.user, query=query, role=role, active=active)
        page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "accounts": page.object_list,
            "q": query,
            "role": role,
            "active": active,
            "roles": [(rule.role, rule.label) for rule in policies.grant_rules()],
        }
        return render(request, self.template_name, context)


class AccountCreateView(ManagerPage):
    template_name = "accounts/form.html"

    def get(self, request):
        context = AccountContext(request.user)
        initial = {"password": services.random_password()}
        if request.GET.get("role"):
            initial["role"] = request.GET["role"]
        return self.render_form(AccountCreateForm(context=context, initial=initial))

    def post(self, request):
        form = AccountCreateForm(request.POST, context=AccountContext(request.user))
        if form.is_valid():
            try:
                account = services.account_create(actor=request.user, data=form.item)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("已开设账号“%(name)s”，首次登录须修改初始密码。")
                    % {"name": account.username},
                )
                return redirect("accounts:account_detail", pk=account.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        rules = policies.grantable_rules(self.request.user)
        context = {"form": form, "rules": rules}
        return render(self.request, self.template_name, context, status=status)


class AccountDetailView(ManagerPage):
    template_name = "accounts/detail.html"

    def get(self, request, pk):
        account = self.get_account(pk)
        return self.render_page(account)

    def render_page(self, account, grant_form=None, password_form=None, status=200):
        user = self.request.user
        grantable = {rule.role for rule in policies.grantable_rules(user)}
        context = {
            "account": account,
            "grants": account.shown_grants,
            "grantable": grantable,
            "grant_form": grant_form or GrantForm(context=AccountContext(user)),
            "password_form": password_form
            or PasswordResetForm(initial={"password": services.random_password()}),
            "rules": policies.grantable_rules(user),
            "is_self": account.pk == user.pk,
        }
        return render(self.request, self.template_name, context, status=status)


class AccountGrantView(AccountDetailView):
    def post(self, request, pk):
        account = self.get_account(pk)
        form = GrantForm(request.POST, context=AccountContext(request.user))
        if form.is_valid():
            try:
                services.account_grant(
                    actor=request.user,
                    account=account,
                    role=form.cleaned_data["role"],
                    committee=form.cleaned_data["committee_obj"],
                    member_unit=form.cleaned_data["unit_obj"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已授权。"))
                return redirect("accounts:account_detail", pk=account.pk)
        return self.render_page(account, grant_form=form, status=400)


class GrantRevokeView(ManagerPage):
    def post(self, request, pk):
        grant = (
            RoleGrant.objects.visible_to(request.user)
            .filter(pk=as_id(str(pk)) or 0, user__in=selectors.accounts_for(request.user))
            .select_related("user", "committee", "member_unit__committee")
            .first()
        )
        if grant is None:
            raise Http404
        run_service(
            request,
            lambda: services.account_revoke(actor=request.user, grant=grant),
            success=_("已撤销“%(role)s”。") % {"role": grant.get_role_display()},
        )
        return redirect("accounts:account_detail", pk=grant.user_id)


class AccountActiveView(ManagerPage):
    def post(self, request, pk):
        account = self.get_account(pk)
        active = request.POST.get("active") == "1"
        run_service(
            request,
            lambda: services.account_set_active(actor=request.user, account=account, active=active),
            success=_("账号已启用。") if active else _("账号已停用：不能再登录，历史记录保留。"),
        )
        return redirect("accounts:account_detail", pk=account.pk)


class AccountPasswordView(AccountDetailView):
    def post(self, request, pk):
        account = self.get_account(pk)
        form = PasswordResetForm(request.POST)
        if form.is_valid():
            try:
                services.account_password_reset(
                    actor=request.user, account=account, password=form.cleaned_data["password"]
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已设置一次性密码，该账号下次登录时须修改。"))
                return redirect("accounts:account_detail", pk=account.pk)
        return self.render_page(account, password_form=form, status=400)


# --- the Excel import -----------------------------------------------------------------------------


class AccountTemplateView(ManagerPage):
    def get(self, request):
        return xlsx_response(imports.account_template(user=request.user), _("账号导入模板.xlsx"))


class AccountImportView(ManagerPage):
    template_name = "accounts/import_form.html"

    def get(self, request):
        form = AccountImportForm(initial={"password": services.random_password()})
        return self.render_form(form)

    def post(self, request):
        form = AccountImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                batch = imports.accounts_import(
                    actor=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    password=form.cleaned_data["password"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("accounts:import_detail", pk=batch.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        context = {"form": form, "max_rows": excel.max_rows_setting()}
        return render(self.request, self.template_name, context, status=status)


class AccountBatchPages:
    kind = imports.KIND_ACCOUNTS

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policies.is_account_manager(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def may_import(self, batch=None) -> bool:
        return policies.is_account_manager(self.request.user)


class ImportListView(AccountBatchPages, bulk_views.ImportListView):
    template_name = "accounts/import_list.html"


class ImportDetailView(AccountBatchPages, bulk_views.ImportDetailView):
    template_name = "accounts/import_result.html"


class ImportFileView(AccountBatchPages, bulk_views.ImportFileView):
    pass


# --- every user: the profile and the password -----------------------------------------------------


class ProfileView(LoginRequiredMixin, View):
    template_name = "accounts/profile.html"

    def get(self, request):
        user = request.user
        form = ProfileForm(
            initial={"display_name": user.display_name, "email": user.email, "phone": user.phone}
        )
        return self.render_page(form)

    def post(self, request):
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.profile_update(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("个人信息已保存。"))
                return redirect("accounts:profile")
        return self.render_page(form, status=400)

    def render_page(self, form, status=200):
        user = self.request.user
        context = {"form": form, "grants": user.role_grants()}
        return render(self.request, self.template_name, context, status=status)


class PasswordChangeView(LoginRequiredMixin, View):
    """Every user changes their password here; an account with a one-time password is sent here
    by every page until it has (`accounts.middleware.PasswordChangeRequiredMiddleware`)."""

    template_name = "accounts/password_change.html"

    def get(self, request):
        return self.render_page(PasswordChangeForm(user=request.user))

    def post(self, request):
        form = PasswordChangeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.password_change(
                    user=request.user,
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                update_session_auth_hash(request, request.user)
                messages.success(request, _("密码已修改。"))
                next_url = request.POST.get("next", "")
                if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                    next_url = reverse("home")
                return redirect(next_url or "home")
        return self.render_page(form, status=400)

    def render_page(self, form, status=200):
        context = {
            "form": form,
            "forced": self.request.user.must_change_password,
            "next": self.request.GET.get("next") or self.request.POST.get("next", ""),
        }
        return render(self.request, self.template_name, context, status=status)


# --- the security administrator -------------------------------------------------------------------


class LockedAccountsView(LoginRequiredMixin, View):
    template_name = "accounts/locked.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policies.is_security_admin(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(
            request, self.template_name, {"locks": selectors.locked_accounts(request.user)}
        )

    def post(self, request):
        username = request.POST.get("username", "")
        run_service(
            request,
            lambda: services.account_unlock(actor=request.user, username=username),
            success=_("已解除“%(name)s”的锁定。") % {"name": username},
        )
        return redirect("accounts:locked")


ROLE_LABELS = dict(Role.choices)


class GrantCommitteeLookupView(CommitteeLookupView):
    """The committee picker of the account pages: where this manager may grant roles (the
    subtrees of their grants, for the system administrator too), account managers only."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policies.is_account_manager(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def rows(self, action):
        return selectors.grantable_committees(self.request.user)


class GrantUnitLookupView(UnitLookupView):
    """The unit picker of the account pages: the units of the manager's subtrees."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not policies.is_account_manager(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def rows(self, action):
        return selectors.grantable_units(self.request.user)
