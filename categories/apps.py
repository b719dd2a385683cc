from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CategoriesConfig(AppConfig):
    name = "categories"
    verbose_name = _("需求类别")
    audited_models = {"Category": {}, "ThesaurusEntry": {}}
