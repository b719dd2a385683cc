"""What closing a committee means for the demands there (committees.closing)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from committees.closing import Impact


def demand_impacts(committee) -> list[Impact]:
    from .models import Demand, DemandStatus

    open_statuses = [
        DemandStatus.DRAFT,
        DemandStatus.PUBLISHED,
        DemandStatus.MATCHED,
        DemandStatus.IN_PROJECT,
    ]
    return [
        Impact(
            _("未办结的需求（在此提出或承办）"),
            Demand.objects.filter(Q(committee=committee) | Q(handling_committee=committee))
            .filter(status__in=open_statuses)
            .count(),
            _("需求及其办理记录保留，仍由上级看到；撤销后不能再在此录入新需求，请先办结或转交。"),
        ),
    ]
