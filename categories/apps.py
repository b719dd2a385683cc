from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CategoriesConfig(AppConfig):
    name = "categories"
    verbose_name = _("需求类别")
    audited_models = {"Category": {}, "ThesaurusEntry": {}}

    def ready(self):
        from django.db.models.signals import post_save

        from committees.models import Tenant

        from .signals import tenant_created

        post_save.connect(tenant_created, sender=Tenant, dispatch_uid="categories-defaults")
