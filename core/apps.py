from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("基础")
    audited_models = {"ImportBatch": {}}

    def ready(self) -> None:
        from . import sql  # noqa: F401  (registers the lookups)
