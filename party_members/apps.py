from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyMembersConfig(AppConfig):
    name = "party_members"
    verbose_name = _("在职党员")
    audited_models = {
        "PartyMember": {},
        "Registration": {},
        "ServiceTeam": {"m2m": {"members"}},
        "ServiceRecord": {},
        "PointsRule": {},
        "PointsEntry": {},
    }
