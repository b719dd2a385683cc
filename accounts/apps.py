from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("登录与账号安全")
    # The second factors and API tokens of accounts, never their keys (what the audit trail
    # records: see audit.recording). A token's key is its primary key, so it is named by its user.
    audited_models = {
        "otp_totp.TOTPDevice": {
            "exclude": {
                "key",
                "last_t",
                "drift",
                "throttling_failure_timestamp",
                "throttling_failure_count",
                "last_used_at",
            },
            "tenant": "user__tenant",
            "label": _("双因素认证设备"),
        },
        "authtoken.Token": {
            "exclude": {"key"},
            "tenant": "user__tenant",
            "object": "user",
            "label": _("API令牌"),
        },
    }

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .middleware import stamp_session

        user_logged_in.connect(stamp_session, dispatch_uid="accounts_stamp_session")
