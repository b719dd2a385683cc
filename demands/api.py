"""The demands API: demands, two-way claims and the matching engine's proposals.

Thin, like the pages: the base viewset reads through `visible_to` with the action of the method
(an object outside the scope is a 404, one only readable a 403 on writes); writes go through
`demands.services`, which enforce `demands.policies`. The API's exception handler turns a
service's `ValidationError` into a 400 with field errors and its refusal into a 403.
"""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LeanListSerializer, PkUrlField, RowValue, ScopedReadOnlyViewSet
from demands.models import (
    Claim,
    ClaimDirection,
    Demand,
    DemandAttachment,
    DemandStatus,
    Match,
)

from . import matching, selectors, services
from .filtersets import DemandFilterSet

# --- demands -------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    url = PkUrlField("demands:attachment")

    class Meta:
        model = DemandAttachment
        fields = ["id", "name", "url"]
        read_only_fields = fields
        list_serializer_class = LeanListSerializer


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
        list_serializer_class = LeanListSerializer
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

        # The list reads value rows: whether a wish is claimed, as SQL of the row.
        value_expressions = {
            "wish_claimed": ExpressionWrapper(
                Q(claimed_by_member__isnull=False), output_field=BooleanField()
            )
        }

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
    list_values = True
    filterset_class = DemandFilterSet
    list_columns = (
        *("kind", "title", "description", "source", "people_affected", "urgency", "needed_by"),
        *("quantity", "quantity_unit", "status", "status_reason", "claimed_by_member"),
        *("created_at", "published_at", "escalation_due_at"),
        *("category__name", "committee__name", "handling_committee__name"),
        "raised_by_unit__name",
    )
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.demand_rows(super().get_queryset()).prefetch_related(
            Prefetch("attachments", queryset=DemandAttachment.objects.order_by("pk"))
        )

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
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )
    party_name = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy("对接方：认领的单位，或直接对接时提供资源的协调委员会"),
    )
    resource_title = serializers.CharField(
        source="resource.title", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Claim
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "demand",
            "demand_title",
            "direction",
            "unit",
            "unit_name",
            "party_name",
            "resource",
            "resource_title",
            "quantity",
            "message",
            "status",
            "reason",
            "created_at",
            "decided_at",
        ]
        # `Claim.party_name` as SQL: the unit's name, else the resource's committee's.
        value_expressions = {
            "party_name": Coalesce("unit__name", "resource__committee__name", Value(""))
        }


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
    resource for a demand (`staff_requests`); the other side accepts or declines. Staff of the
    committee offering its own resource commit it directly (`committee_commits`, 直接对接): the
    claim is accepted at once, its quantity taken from the resource, the demand matched."""

    model = Claim
    serializer_class = ClaimSerializer
    list_values = True
    filterset_fields = ["demand", "status", "direction", "unit"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "demand", "unit", "resource", "resource__committee", "demand__committee"
            )
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
    unit = serializers.IntegerField(
        source="resource.offered_by_id", read_only=True, allow_null=True
    )
    unit_name = serializers.CharField(
        source="resource.offered_by.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Match
        list_serializer_class = LeanListSerializer
        # The reason with the capacity now, worded from the row's demand and resource columns,
        # so the list reads value rows, not three model instances a row.
        row_values = {"reason": RowValue(matching.REASON_COLUMNS, matching.reason_now_of_row)}
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

    reason = serializers.CharField(source="reason_text", read_only=True)


MATCH_ROW_FIELDS = (
    *("id", "tenant_id", "demand_id", "resource_id", "rank", "score", "components"),
    *("reason", "computed_at", "demand__quantity", "demand__quantity_unit"),
    *("resource__title", "resource__remaining", "resource__capacity_unit"),
    *("resource__offered_by_id", "resource__offered_by__name"),
)


class MatchViewSet(ScopedReadOnlyViewSet):
    """The engine's proposals with their score, its components and the reason in words; staff
    see every match in their subtree, a unit the matches of its own resources."""

    model = Match
    serializer_class = MatchSerializer
    filterset_fields = ["demand", "resource"]
    list_values = True
    sorted_on_own_table = True

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("demand", "resource", "resource__offered_by")
            # Only what a row shows and its reason reads: the two texts' descriptions and the
            # rest of the three rows are most of what the join would otherwise carry and build.
            .only(*MATCH_ROW_FIELDS)
            .order_by("demand_id", "rank")
        )


# --- matching: several demands at once, and why a resource is (not) proposed ----------------------

MAX_DEMANDS_PER_CALL = 100


class CandidateSerializer(serializers.Serializer):
    resource = serializers.IntegerField(source="resource.id")
    resource_title = serializers.CharField(source="resource.title")
    rank = serializers.IntegerField()
    proposed = serializers.BooleanField()
    score = serializers.FloatField()
    components = serializers.DictField(child=serializers.FloatField())
    reason = serializers.CharField(source="reason_text")


class DemandMatchingSerializer(serializers.Serializer):
    demand = serializers.IntegerField()
    matching = serializers.ChoiceField(choices=["pending", "done", "closed"])
    matched_at = serializers.DateTimeField(allow_null=True)
    matches = MatchSerializer(many=True)


class DemandMatchesResponseSerializer(serializers.Serializer):
    results = DemandMatchingSerializer(many=True)


class ExplanationSerializer(serializers.Serializer):
    demand = serializers.IntegerField()
    matching = serializers.ChoiceField(choices=["pending", "done", "closed"])
    resource = serializers.IntegerField(allow_null=True)
    proposed = serializers.BooleanField()
    verdict = serializers.CharField()
    why_not = serializers.ListField(child=serializers.CharField())
    candidate = CandidateSerializer(allow_null=True)
    threshold = serializers.FloatField()
    candidates = CandidateSerializer(many=True)


class DemandMatchesView(APIView):
    """`GET /api/demand-matches/?demand=1&demand=2` (or `?demands=1,2`): for each demand the
    caller may see, whether its matching is pending or done (closed: it is not open) and its
    proposals, in two queries whatever the number of demands (at most 100)."""

    serializer_class = DemandMatchesResponseSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("demand", int, many=True, description="需求编号，可重复"),
            OpenApiParameter("demands", str, description="逗号分隔的需求编号"),
        ],
        responses=DemandMatchesResponseSerializer,
    )
    def get(self, request):
        raw = request.query_params.getlist("demand") + [
            part for value in request.query_params.getlist("demands") for part in value.split(",")
        ]
        try:
            ids = list(dict.fromkeys(int(value) for value in raw if value.strip()))
        except ValueError:
            raise serializers.ValidationError({"demand": [_("需求编号应为整数。")]}) from None
        if not ids:
            raise serializers.ValidationError({"demand": [_("请给出至少一个需求编号。")]})
        if len(ids) > MAX_DEMANDS_PER_CALL:
            raise serializers.ValidationError(
                {"demand": [_("一次最多%(n)d个需求。") % {"n": MAX_DEMANDS_PER_CALL}]}
            )
        demands = list(
            Demand.objects.visible_to(request.user)
            .filter(pk__in=ids)
            .only("pk", "status", "matched_at", "matching_requested_at")
            .order_by("pk")
        )
        matches: dict[int, list] = {d.pk: [] for d in demands}
        for match in (
            Match.objects.visible_to(request.user)
            .filter(demand_id__in=list(matches))
            .select_related("demand", "resource", "resource__offered_by")
            .order_by("demand_id", "rank")
        ):
            matches[match.demand_id].append(match)
        return Response(
            {
                "results": [
                    {
                        "demand": demand.pk,
                        "matching": matching.matching_state(demand),
                        "matched_at": demand.matched_at,
                        "matches": MatchSerializer(matches[demand.pk], many=True).data,
                    }
                    for demand in demands
                ]
            }
        )


class DemandExplainView(APIView):
    """`GET /api/demands/{id}/explain/?resource={id}`: where a resource stands for a demand,
    scored now — proposed at which rank, or every reason it is not — beside every candidate's
    score components. Scoped like the demand: 404 outside the caller's scope; a unit contact,
    who only sees its own proposals, gets 403."""

    serializer_class = ExplanationSerializer

    @extend_schema(
        parameters=[OpenApiParameter("resource", int, description="资源编号")],
        responses=ExplanationSerializer,
    )
    def get(self, request, pk):
        demand = get_object_or_404(
            Demand.objects.visible_to(request.user).select_related(
                "category", "committee", "handling_committee"
            ),
            pk=pk,
        )
        resource = None
        if request.query_params.get("resource"):
            try:
                resource_id = int(request.query_params["resource"])
            except ValueError:
                raise serializers.ValidationError({"resource": [_("资源编号应为整数。")]}) from None
            resource = matching.explainable_resource(request.user, demand, resource_id)
            if resource is None:
                raise NotFound(_("找不到该资源。"))
        explanation = matching.explain(user=request.user, demand=demand, resource=resource)
        scored = explanation.scored
        return Response(
            {
                "demand": demand.pk,
                "matching": matching.matching_state(demand),
                "resource": resource.pk if resource else None,
                "proposed": bool(scored and scored.proposed),
                "verdict": explanation.verdict,
                "why_not": explanation.why_not,
                "candidate": CandidateSerializer(scored).data if scored else None,
                "threshold": matching.MIN_TEXT,
                "candidates": CandidateSerializer(explanation.candidates, many=True).data,
            }
        )
