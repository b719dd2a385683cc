from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("成员单位与账号")
    audited_models = {
        "User": {"exclude": {"password", "last_login"}, "m2m": {"groups", "user_permissions"}},
        "RoleGrant": {},
        "MemberUnit": {},
        "Membership": {},
        "Seat": {},
        "Subcommittee": {},
        "RotationSlot": {},
        "Alliance": {"m2m": {"units"}},
        "AllianceSpan": {},
    }

    def ready(self) -> None:
        from committees import closing

        from .closing import member_impacts

        closing.register(member_impacts)
