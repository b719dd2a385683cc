from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("成员与账号")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import audit
        from .middleware import stamp_session

        audit.register_audited_models()
        audit.connect_signals()
        user_logged_in.connect(stamp_session, dispatch_uid="members_stamp_session")
