"""The member-unit list's filters, shared by the list page, its Excel export and the API, so the
three read a list the same way."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from committees.filtersets import SubtreeFilter
from core.identifiers import normalize_credit_code

from .models import MemberUnit, UnitKind
from .selectors import member_units


class MemberUnitFilterSet(django_filters.FilterSet):
    """kind (one or more); committee (a committee's id, code or name: the units standing in its
    subtree); q (the name contains); credit_code (exactly)."""

    kind = django_filters.MultipleChoiceFilter(choices=UnitKind.choices, label=_("单位类型"))
    committee = SubtreeFilter(label=_("所在地"))
    q = django_filters.CharFilter(method="filter_q", label=_("单位名称"))
    credit_code = django_filters.CharFilter(
        method="filter_credit_code", label=_("统一社会信用代码")
    )

    class Meta:
        model = MemberUnit
        fields = ["kind", "committee", "q", "credit_code"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__icontains=value) if value else queryset

    def filter_credit_code(self, queryset, name, value):
        code = normalize_credit_code(value)
        return queryset.filter(credit_code=code) if code else queryset


def filtered_units(request) -> tuple[MemberUnitFilterSet, QuerySet[MemberUnit]]:
    """The member-unit list as the user filtered it: the page and its export agree (the API
    applies the same FilterSet through its filter backend)."""
    filterset = MemberUnitFilterSet(
        request.GET, queryset=member_units(user=request.user), request=request
    )
    return filterset, filterset.qs
