"""The accounts API (/api/accounts/): for account managers (the tenant administrator, the system
administrator), thin over `accounts.services`. Input of a new account is the page's row form
(`accounts.forms.AccountForm`) plus `password`, the one-time password changed at first sign-in.
Nobody else has accounts to list (an empty list), and an account of another tenant is a 404."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import form_serializer
from core.bulk import row_data
from core.errors import NotAllowed
from core.references import as_id
from members.models import RoleGrant, User

from . import policies, selectors, services
from .forms import AccountContext, AccountCreateForm, GrantForm, PasswordResetForm

ACCOUNT_INPUT = form_serializer(AccountCreateForm, "AccountInput")
GRANT_INPUT = form_serializer(GrantForm, "GrantInput")
PASSWORD_INPUT = form_serializer(PasswordResetForm, "OneTimePasswordInput")
ACTIVE_INPUT = inline_serializer("AccountActiveInput", {"active": serializers.BooleanField()})


class GrantSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    committee_name = serializers.CharField(
        source="committee.name", default=None, allow_null=True, read_only=True
    )
    member_unit_name = serializers.CharField(
        source="member_unit.name", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = RoleGrant
        fields = [
            "id",
            "role",
            "role_label",
            "committee",
            "committee_name",
            "member_unit",
            "member_unit_name",
            "granted_at",
        ]


class AccountSerializer(serializers.ModelSerializer):
    grants = GrantSerializer(source="shown_grants", many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "phone",
            "email",
            "is_active",
            "must_change_password",
            "last_login",
            "date_joined",
            "grants",
        ]


def _valid(form):
    if not form.is_valid():
        errors = getattr(form, "error_dict", None)
        raise serializers.ValidationError(errors() if errors else form.errors)
    return form


class AccountViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Accounts of the caller's tenant. Filters: q (username, name or phone), role, active (1/0).
    Accounts are never deleted: `active` deactivates them."""

    serializer_class = AccountSerializer
    queryset = User.objects.none()

    def get_queryset(self):
        params = self.request.query_params
        return selectors.accounts_for(
            self.request.user,
            query=params.get("q", ""),
            role=params.get("role", ""),
            active=params.get("active", ""),
        )

    def get_object(self):
        pk = as_id(str(self.kwargs["pk"]))
        account = selectors.account_for(self.request.user, pk) if pk is not None else None
        if account is None:
            raise Http404
        return account

    def _context(self) -> AccountContext:
        policies.require_account_manager(self.request.user)
        return AccountContext(self.request.user)

    def _fresh(self, account):
        return self.get_serializer(selectors.account_for(self.request.user, account.pk)).data

    @extend_schema(request=ACCOUNT_INPUT, responses={201: AccountSerializer})
    def create(self, request, *args, **kwargs):
        form = _valid(AccountCreateForm(row_data(request.data), context=self._context()))
        account = services.account_create(actor=request.user, data=form.item)
        return Response(self._fresh(account), status=status.HTTP_201_CREATED)

    @extend_schema(request=GRANT_INPUT, responses={201: GrantSerializer})
    @action(detail=True, methods=["post"])
    def grants(self, request, pk=None):
        """Grant a role: `committee` (code, name or id) or `member_unit` (credit code, name or
        id), as the role's row of the policy's table says."""
        account = self.get_object()
        form = _valid(GrantForm(row_data(request.data), context=self._context()))
        grant = services.account_grant(
            actor=request.user,
            account=account,
            role=form.cleaned_data["role"],
            committee=form.cleaned_data["committee_obj"],
            member_unit=form.cleaned_data["unit_obj"],
        )
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"grants/(?P<grant_id>\d+)")
    def revoke(self, request, pk=None, grant_id=None):
        account = self.get_object()
        grant = next((g for g in account.shown_grants if g.pk == int(grant_id)), None)
        if grant is None:
            raise Http404
        services.account_revoke(actor=request.user, grant=grant)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ACTIVE_INPUT, responses=AccountSerializer)
    @action(detail=True, methods=["post"])
    def active(self, request, pk=None):
        account = self.get_object()
        value = request.data.get("active")
        if not isinstance(value, bool):
            raise serializers.ValidationError({"active": [_("请提交 true 或 false。")]})
        services.account_set_active(actor=request.user, account=account, active=value)
        return Response(self._fresh(account))

    @extend_schema(request=PASSWORD_INPUT, responses=AccountSerializer)
    @action(detail=True, methods=["post"])
    def password(self, request, pk=None):
        account = self.get_object()
        form = _valid(PasswordResetForm(row_data(request.data)))
        services.account_password_reset(
            actor=request.user, account=account, password=form.cleaned_data["password"]
        )
        return Response(self._fresh(account))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not policies.is_account_manager(
            request.user
        ):
            raise NotAllowed(_("只有租户管理员和系统管理员可以管理账号。"))
