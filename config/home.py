"""Where each user starts: staff and leaders at their tree, unit contacts at their unit, party
members at their own service page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from core.scoping import Action
from party_members.models import PartyMember


@login_required
def home(request):
    user = request.user
    if user.committee_scopes(Action.VIEW):
        return redirect("committees:tree")
    if user.unit_ids():
        return redirect("members:unit_list")
    if PartyMember.objects.visible_to(user).filter(user=user).exists():
        return redirect("party_members:me")
    return redirect("committees:tree")
