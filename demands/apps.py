from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "demands"
    verbose_name = _("需求清单")
    # Not Match: the engine's proposals are recomputed from audited rows on every pass.
    audited_models = {"Demand": {}, "DemandTransition": {}, "DemandAttachment": {}, "Claim": {}}

    def ready(self) -> None:
        from committees import closing
        from resources.signals import resources_changed

        from .closing import demand_impacts

        closing.register(demand_impacts)

        from .matching import on_resources_changed
        from .services import rematch_for_changed_resources

        # A paused or withdrawn resource leaves every proposal at once, before any rescoring.
        resources_changed.connect(on_resources_changed, dispatch_uid="demands_drop_unavailable")
        resources_changed.connect(rematch_for_changed_resources, dispatch_uid="demands_rematch")
