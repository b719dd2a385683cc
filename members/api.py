"""The members API: thin serializers over the services, every list read through `visible_to`."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from core.api import ScopedReadOnlyViewSet, form_serializer
from core.bulk import row_data
from members.models import Membership, MemberUnit

from . import services
from .filtersets import MemberUnitFilterSet
from .forms import UnitContext, UnitForm, unit_values
from .selectors import unit_contact_phone

UNIT_INPUT = form_serializer(UnitForm, "MemberUnitInput")


class MemberUnitSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    contact_phone = serializers.SerializerMethodField()

    class Meta:
        model = MemberUnit
        fields = [
            "id",
            "name",
            "credit_code",
            "kind",
            "address",
            "committee",
            "committee_name",
            "contact_name",
            "contact_phone",
            "party_org_type",
            "party_member_count",
            "is_active",
        ]

    def get_contact_phone(self, unit) -> str:
        return unit_contact_phone(self.context["request"].user, unit)


def valid_form(form: UnitForm) -> UnitForm:
    if not form.is_valid():
        raise serializers.ValidationError(form.error_dict())
    return form


class MemberUnitViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """Member units in the caller's scope. Staff register units in their subtrees and edit those
    standing there; a unit's contact edits its own contact and party details (PATCH). Input is
    the page's form (`members.forms.UnitForm`): `committee` by id, 12-digit code or exact name.
    Filters: kind (one or more), committee (its subtree), q (name contains), credit_code."""

    model = MemberUnit
    serializer_class = MemberUnitSerializer
    filterset_class = MemberUnitFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("committee").order_by("pk")

    @extend_schema(request=UNIT_INPUT, responses={201: MemberUnitSerializer})
    def create(self, request, *args, **kwargs):
        form = valid_form(UnitForm(row_data(request.data), context=UnitContext(request.user)))
        unit = services.member_unit_create(
            actor=request.user, committee=form.item.committee, data=form.item.data
        )
        return Response(self.get_serializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UNIT_INPUT, responses=MemberUnitSerializer)
    def partial_update(self, request, *args, **kwargs):
        unit = self.get_object()
        changes = {**unit_values(unit), **row_data(request.data)}
        context = UnitContext(request.user, instance=unit)
        form = valid_form(UnitForm(changes, context=context))
        services.member_unit_update(
            actor=request.user, unit=unit, data=form.item.data, committee=form.item.committee
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=unit.pk)).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "unit", "committee", "joined_on", "status", "subcommittee"]


class MembershipViewSet(ScopedReadOnlyViewSet):
    model = Membership
    serializer_class = MembershipSerializer
    filterset_fields = ["unit", "committee", "status"]

    def get_queryset(self):
        return super().get_queryset().order_by("pk")
