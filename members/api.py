"""The members API: thin serializers over the services, every list read through `visible_to`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from committees.models import Committee
from core.api import ScopedReadOnlyViewSet
from core.identifiers import mask_phone
from core.scoping import Action, can
from members.models import Membership, MemberUnit, UnitKind

from . import services
from .selectors import can_see_unit_contact


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
        user = self.context["request"].user
        return (
            unit.contact_phone
            if can_see_unit_contact(user, unit)
            else mask_phone(unit.contact_phone)
        )


class MemberUnitFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=UnitKind.choices)
    committee = filters.NumberFilter(field_name="committee_id")
    name = filters.CharFilter(lookup_expr="icontains")
    credit_code = filters.CharFilter()

    class Meta:
        model = MemberUnit
        fields = ["kind", "committee", "name", "credit_code"]


class MemberUnitWriteSerializer(serializers.Serializer):
    """Input only: the business rules live in `services.clean_unit_data`."""

    name = serializers.CharField(max_length=200, required=False)
    credit_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    kind = serializers.CharField(max_length=32, required=False)
    committee = serializers.IntegerField(required=False)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    party_org_type = serializers.CharField(max_length=32, required=False)
    party_member_count = serializers.IntegerField(required=False)


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )


class MemberUnitViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """Member units in the caller's scope. Staff create and edit units in their subtrees; a
    unit's contact edits its own contact and party details (PATCH)."""

    model = MemberUnit
    serializer_class = MemberUnitSerializer
    filterset_class = MemberUnitFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("committee").order_by("pk")

    def committee_for_write(self, committee_id) -> Committee:
        committee = (
            Committee.objects.visible_to(self.request.user, Action.CHANGE)
            .filter(pk=committee_id)
            .first()
            if committee_id
            else None
        )
        if committee is None:
            raise serializers.ValidationError(
                {"committee": [_("请选择您工作范围内的协调委员会。")]}
            )
        return committee

    @extend_schema(request=MemberUnitWriteSerializer, responses=MemberUnitSerializer)
    def create(self, request, *args, **kwargs):
        data = MemberUnitWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        committee = self.committee_for_write(fields.pop("committee", None))
        try:
            unit = services.member_unit_create(
                tenant=committee.tenant,
                committee=committee,
                data=services.UnitData(**{"name": "", "kind": "", **fields}),
            )
        except DjangoValidationError as error:
            raise service_errors(error) from error
        return Response(self.get_serializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberUnitWriteSerializer, responses=MemberUnitSerializer)
    def partial_update(self, request, *args, **kwargs):
        unit = self.get_object()
        data = MemberUnitWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        current = {name: getattr(unit, name) for name in services.UNIT_FIELDS}
        try:
            if can(request.user, Action.CHANGE, unit.committee):
                committee = (
                    self.committee_for_write(changes.pop("committee"))
                    if "committee" in changes
                    else None
                )
                services.member_unit_update(
                    unit=unit, data=services.UnitData(**{**current, **changes}), committee=committee
                )
            elif unit.pk in request.user.unit_ids():
                refused = set(changes) - services.CONTACT_EDITABLE_FIELDS
                if refused:
                    raise serializers.ValidationError(
                        {name: [_("单位联络员不能修改此项。")] for name in refused}
                    )
                services.member_unit_update(
                    unit=unit,
                    data=services.UnitData(**{**current, **changes}),
                    fields=services.CONTACT_EDITABLE_FIELDS,
                )
            else:
                raise PermissionDenied
        except DjangoValidationError as error:
            raise service_errors(error) from error
        unit.refresh_from_db()
        return Response(self.get_serializer(unit).data)

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
