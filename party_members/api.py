"""The party members API: thin serializers over the services, every list read through
`visible_to` and filtered by the same FilterSets as the pages."""

from rest_framework import serializers
from rest_framework.response import Response

from core.api import KeysetPagination, LeanListSerializer, ScopedReadOnlyViewSet
from core.identifiers import mask_phone

from . import services
from .filtersets import PartyMemberFilterSet, ServiceRecordFilterSet
from .models import PartyMember, ServiceRecord


class MaskedPhoneField(serializers.CharField):
    """A phone number as everyone but the member's own community sees it (138****1234). A
    field of the column, not a method, so that the list reads value rows. It reads nothing of the
    request, so a list builds its fields once per process (`core.api.value_plan_of`)."""

    context_free = True

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return mask_phone(str(value))


class PartyMemberSerializer(serializers.ModelSerializer):
    phone = MaskedPhoneField()

    class Meta:
        model = PartyMember
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "name",
            "phone",
            "employer_name",
            "community",
            "registration_status",
            "points",
        ]


class PartyMemberPagination(KeysetPagination):
    # By the column's own name: a value row has no "pk" for the cursor to read its position.
    ordering = ("id",)


class PartyMemberViewSet(ScopedReadOnlyViewSet):
    """Party members of the caller's subtree in the order they registered, a page at a time by
    cursor (`next`/`previous`, no count: a city holds 720,000, and counting them alone took
    80 ms)."""

    model = PartyMember
    serializer_class = PartyMemberSerializer
    filterset_class = PartyMemberFilterSet
    list_values = True
    pagination_class = PartyMemberPagination

    def retrieve(self, request, *args, **kwargs):
        """Party membership is sensitive: reading one member's record is audited."""
        member = services.party_member_read(
            actor=request.user, member=self.get_object(), request=request
        )
        return Response(self.get_serializer(member).data)


class ServiceRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceRecord
        list_serializer_class = LeanListSerializer
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


class ServiceRecordPagination(KeysetPagination):
    # Newest service first; the index servicerecord_recent serves this order for any scope.
    ordering = ("-served_on", "-pk")


class ServiceRecordViewSet(ScopedReadOnlyViewSet):
    """Service records of the caller's subtree, newest first, a page at a time by cursor
    (`next`/`previous` links, no count: a district holds hundreds of thousands)."""

    model = ServiceRecord
    serializer_class = ServiceRecordSerializer
    filterset_class = ServiceRecordFilterSet
    list_values = True
    pagination_class = ServiceRecordPagination
