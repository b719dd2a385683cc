from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("领导看板")
    # What people enter for the assessment. Left out: the rollups and results (rebuilt by the
    # platform) and the back-to-back feedback (recording it would name each rater to the
    # auditor, which the feedback promises no one sees).
    audited_models = {
        "Period": {},
        "IndicatorCategory": {},
        "Indicator": {},
        "ManualScore": {},
        "StarRating": {},
        "WeakCommittee": {},
        "RectificationStep": {},
    }
