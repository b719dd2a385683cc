from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")
    audited_models = {"WebhookEndpoint": {"exclude": {"secret"}}, "Preference": {}}
