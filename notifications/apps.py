from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")
    audited_models = {
        # A group robot's address carries its key (WeCom's ?key=, DingTalk's access_token).
        "WebhookEndpoint": {"exclude": {"secret", "url"}},
        "Preference": {"tenant": "user__tenant"},
    }
