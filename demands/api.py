"""The demands API: demands, two-way claims and the matching engine's proposals.

Thin, like the pages: the base viewset reads through `visible_to` with the action of the method
(an object outside the scope is a 404, one only readable a 403 on writes); writes go through
`demands.services`, which enforce `demands.policies`. The API's exception handler turns a
service's `ValidationError` into a 400 with field errors and its refusal into a 403.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ScopedReadOnlyViewSet
from demands.models import Claim, ClaimDirection, Demand, DemandStatus, Match

from . import selectors, services
from .filtersets import DemandFilterSet

# --- demands -------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse("demands:attachment", args=[attachment.pk])


class DemandSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    handling_committee_name = serializers.CharField(
        source="handling_committee.name", read_only=True
    )
    raised_by_unit_name = serializers.CharField(
        source="raised_by_unit.name", read_only=True, allow_null=True, default=None
    )
    wish_claimed = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Demand
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "category",
            "category_name",
            "source",
            "people_affected",
            "urgency",
            "needed_by",
            "quantity",
            "quantity_unit",
            "status",
            "status_reason",
            "committee",
            "committee_name",
            "handling_committee",
            "handling_committee_name",
            "raised_by_unit",
            "raised_by_unit_name",
            "wish_claimed",
            "attachments",
            "created_at",
            "published_at",
            "escalation_due_at",
        ]

    def get_wish_claimed(self, demand) -> bool:
        # Who claimed a wish is a party member's personal data: the API says only whether.
        return demand.claimed_by_member_id is not None


class DemandWriteSerializer(serializers.Serializer):
    """Input only: the rules (known category, needed-by not in the past, ...) are the service's."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(
        max_length=50, required=False, help_text=gettext_lazy("类别的编号或名称")
    )
    kind = serializers.CharField(max_length=16, required=False)
    source = serializers.CharField(max_length=16, required=False)
    urgency = serializers.CharField(max_length=16, required=False)
    people_affected = serializers.IntegerField(required=False)
    needed_by = serializers.DateField(required=False, allow_null=True)
    quantity = serializers.CharField(max_length=30, required=False, allow_blank=True)
    quantity_unit = serializers.CharField(max_length=16, required=False, allow_blank=True)
    committee = serializers.IntegerField(
        required=False, help_text=gettext_lazy("提出地（协调委员会编号）")
    )
    raised_by_unit = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("单位联络员以本单位名义提出时填写；提出地即该单位所在地"),
    )
    publish = serializers.BooleanField(required=False, default=False)


DATA_FIELDS = services.DEMAND_FIELDS


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[
            DemandStatus.PUBLISHED,
            DemandStatus.REJECTED,
            DemandStatus.WITHDRAWN,
            DemandStatus.FULFILLED,
        ]
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DemandViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """The demand list of the caller's subtree (a unit contact: the demands its unit raised,
    matched or claimed), filtered by the same FilterSet as the page. Staff create and correct
    demands and move them along their states; the unit that raised one keeps it. Who may do
    what is the services' rule: a refusal is a 403, bad input a 400 with field errors."""

    model = Demand
    serializer_class = DemandSerializer
    filterset_class = DemandFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.demand_rows(super().get_queryset()).prefetch_related("attachments")

    def shown(self, demand: Demand, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=demand.pk)).data, code)

    @extend_schema(request=DemandWriteSerializer, responses=DemandSerializer)
    def create(self, request, *args, **kwargs):
        body = DemandWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        values = {"title": "", "description": "", "category": None}
        values.update({k: v for k, v in fields.items() if k in DATA_FIELDS})
        demand = services.demand_create(
            actor=request.user,
            committee=fields.get("committee"),
            raised_by_unit=fields.get("raised_by_unit"),
            data=services.DemandData(**values),
            publish=fields.get("publish", False),
        )
        return self.shown(demand, status.HTTP_201_CREATED)

    @extend_schema(request=DemandWriteSerializer, responses=DemandSerializer)
    def partial_update(self, request, *args, **kwargs):
        demand = self.get_object()
        body = DemandWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        # A PATCH names what changes; the rest stays as it is.
        values = services.demand_values(demand)
        values.update({k: v for k, v in body.validated_data.items() if k in DATA_FIELDS})
        demand = services.demand_update(
            actor=request.user, demand=demand, data=services.DemandData(**values)
        )
        return self.shown(demand)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=TransitionSerializer, responses=DemandSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Publish, reject or withdraw (with a reason), or mark fulfilled."""
        demand = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        demand = services.demand_transition(
            demand=demand,
            to=body.validated_data["to"],
            actor=request.user,
            reason=body.validated_data["reason"],
        )
        return self.shown(demand)

    @extend_schema(request=None, responses=DemandSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        demand = services.demand_publish(demand=self.get_object(), actor=request.user)
        return self.shown(demand)


# --- claims --------------------------------------------------------------------------------------


class ClaimSerializer(serializers.ModelSerializer):
    demand_title = serializers.CharField(source="demand.title", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    resource_title = serializers.CharField(
        source="resource.title", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "demand",
            "demand_title",
            "direction",
            "unit",
            "unit_name",
            "resource",
            "resource_title",
            "quantity",
            "message",
            "status",
            "reason",
            "created_at",
            "decided_at",
        ]


class ClaimWriteSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=ClaimDirection.choices)
    demand = serializers.IntegerField()
    resource = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy(
            "单位认领时：以哪个单位认领（默认为资源的提供单位，或联络员唯一的单位）"
        ),
    )
    quantity = serializers.CharField(max_length=30, required=False, allow_blank=True)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ClaimViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Two-way claims (双向认领): a unit claims a demand (`unit_claims`), or staff request a unit's
    resource for a demand (`staff_requests`); the other side accepts or declines."""

    model = Claim
    serializer_class = ClaimSerializer
    filterset_fields = ["demand", "status", "direction", "unit"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("demand", "unit", "resource", "demand__committee")
            .order_by("-created_at", "-pk")
        )

    def shown(self, claim: Claim, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data, code)

    @extend_schema(request=ClaimWriteSerializer, responses=ClaimSerializer)
    def create(self, request, *args, **kwargs):
        body = ClaimWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        demand = Demand.objects.visible_to(request.user).filter(pk=fields["demand"]).first()
        if demand is None:
            raise NotFound(_("找不到该需求。"))
        resource = selectors.resource_for_claim(
            user=request.user, demand=demand, resource_id=fields.get("resource")
        )
        if fields.get("resource") is not None and resource is None:
            raise NotFound(_("找不到该资源。"))
        claim = services.claim_open(
            actor=request.user,
            direction=fields["direction"],
            demand=demand,
            resource=resource,
            unit=fields.get("unit"),
            quantity=fields.get("quantity"),
            message=fields["message"],
        )
        return self.shown(claim, status.HTTP_201_CREATED)

    def decide(self, request, decision: str):
        claim = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["reason"]
        if decision == "accept":
            claim = services.claim_accept(claim=claim, actor=request.user)
        elif decision == "decline":
            claim = services.claim_decline(claim=claim, actor=request.user, reason=reason)
        else:
            claim = services.claim_release(claim=claim, actor=request.user, reason=reason)
        return self.shown(claim)

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The answering side accepts: capacity is committed and the demand is matched."""
        return self.decide(request, "accept")

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The answering side declines, with a reason."""
        return self.decide(request, "decline")

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Either side gives an accepted claim's capacity back."""
        return self.decide(request, "release")


# --- matches -------------------------------------------------------------------------------------


class MatchSerializer(serializers.ModelSerializer):
    resource_title = serializers.CharField(source="resource.title", read_only=True)
    unit = serializers.IntegerField(source="resource.offered_by_id", read_only=True)
    unit_name = serializers.CharField(
        source="resource.offered_by.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "demand",
            "resource",
            "resource_title",
            "unit",
            "unit_name",
            "rank",
            "score",
            "components",
            "reason",
            "computed_at",
        ]


class MatchViewSet(ScopedReadOnlyViewSet):
    """The engine's proposals with their score, its components and the reason in words; staff
    see every match in their subtree, a unit the matches of its own resources."""

    model = Match
    serializer_class = MatchSerializer
    filterset_fields = ["demand", "resource"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("resource", "resource__offered_by")
            .order_by("demand_id", "rank")
        )
