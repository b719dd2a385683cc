"""The project list's buttons where the user already is: on a demand's accepted claims and its
matches ("立项"), and the projects a demand is part of. The demand page's view knows nothing of
projects (demands stand below them); these tags ask the projects room's own policy."""

from __future__ import annotations

from django import template

from demands.models import ClaimStatus, DemandStatus

from .. import policies, selectors

register = template.Library()

FORMABLE = (DemandStatus.PUBLISHED, DemandStatus.MATCHED)


def _may_form(context, demand) -> bool:
    user = context["request"].user
    return demand.status in FORMABLE and policies.may_create_project(
        user, demand.handling_committee
    )


@register.inclusion_tag("projects/_form_button.html", takes_context=True)
def project_from_claim(context, claim, demand):
    show = claim.status == ClaimStatus.ACCEPTED and _may_form(context, demand)
    return {"show": show, "param": "claim", "pk": claim.pk}


@register.inclusion_tag("projects/_form_button.html", takes_context=True)
def project_from_match(context, match, demand):
    return {"show": _may_form(context, demand), "param": "match", "pk": match.pk}


@register.inclusion_tag("projects/_demand_projects.html", takes_context=True)
def demand_projects(context, demand):
    user = context["request"].user
    return {"projects": selectors.projects_of_demand(user=user, demand=demand)}
