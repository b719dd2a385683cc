from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计")

    def ready(self) -> None:
        from . import context, recording

        recording.register_triggers()
        context.connect_task_signals()
