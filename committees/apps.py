from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteesConfig(AppConfig):
    name = "committees"
    verbose_name = _("协调委员会")
    # What the audit trail records of this app (see audit.services.audited_model_options).
    audited_models = {
        "Tenant": {"tenant": "pk"},
        # MPTT's bookkeeping changes with every neighbour's move; the parent change says it all.
        "Committee": {"exclude": {"lft", "rght", "tree_id", "depth"}},
    }
