"""The members API: thin serializers over the services, every list read through `visible_to`."""

from django_filters import rest_framework as filters
from rest_framework import serializers

from committees.scoped import ScopedReadOnlyViewSet

from .identifiers import mask_phone
from .models import Membership, MemberUnit, PartyMember, ServiceRecord, UnitKind
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


class MemberUnitViewSet(ScopedReadOnlyViewSet):
    model = MemberUnit
    serializer_class = MemberUnitSerializer
    filterset_class = MemberUnitFilter

    def get_queryset(self):
        return super().get_queryset().select_related("committee").order_by("pk")


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


class PartyMemberSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "name",
            "phone",
            "employer_name",
            "community",
            "registration_status",
            "points",
        ]

    def get_phone(self, member) -> str:
        return mask_phone(member.phone)


class PartyMemberViewSet(ScopedReadOnlyViewSet):
    model = PartyMember
    serializer_class = PartyMemberSerializer
    filterset_fields = ["community", "registration_status"]

    def get_queryset(self):
        return super().get_queryset().order_by("pk")


class ServiceRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "community",
            "member",
            "team",
            "served_on",
            "hours",
            "kind",
            "description",
            "location",
            "status",
            "verified_at",
        ]


class ServiceRecordViewSet(ScopedReadOnlyViewSet):
    model = ServiceRecord
    serializer_class = ServiceRecordSerializer
    filterset_fields = ["community", "member", "team", "status", "kind"]

    def get_queryset(self):
        return super().get_queryset().order_by("-served_on", "pk")
