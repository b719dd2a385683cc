"""The filters of the party members' lists, once for the page and the API (`community` is the
committee with everything below it, as on every list)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.filtersets import IdFilter, ListFilterSet, SubtreeFilter

from .models import PartyMember, RecordStatus, RegistrationStatus, ServiceKind, ServiceRecord


class PartyMemberFilterSet(ListFilterSet):
    community = SubtreeFilter(path="community", label=_("报到社区（含下级）"))
    registration_status = filters.ChoiceFilter(
        choices=RegistrationStatus.choices, label=_("报到状态")
    )

    class Meta:
        model = PartyMember
        fields = ["community", "registration_status"]


class ServiceRecordFilterSet(ListFilterSet):
    community = SubtreeFilter(path="community", label=_("服务社区（含下级）"))
    member = IdFilter(field_name="member_id", label=_("党员"))
    team = IdFilter(field_name="team_id", label=_("服务队"))
    status = filters.ChoiceFilter(choices=RecordStatus.choices, label=_("状态"))
    kind = filters.ChoiceFilter(choices=ServiceKind.choices, label=_("服务类型"))

    class Meta:
        model = ServiceRecord
        fields = ["community", "member", "team", "status", "kind"]
