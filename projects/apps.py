from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("项目清单")
    # What the audit trail records of this app (see audit.services.audited_model_options). The
    # scan's bookkeeping column changes every minute for due rows; the stamps say what happened.
    audited_models = {
        "SupervisionPolicy": {},
        "Project": {"exclude": {"supervise_at", "updated_at"}},
        "ProjectTransition": {},
        "ProjectDemand": {},
        "ProjectResource": {},
        "ProjectUnit": {},
        "Milestone": {"exclude": {"supervise_at"}},
        "ProgressUpdate": {},
        "ProgressPhoto": {},
        "Meeting": {},
        "AgendaItem": {},
        "Attendee": {},
        "Decision": {},
        "Task": {"exclude": {"supervise_at"}},
        "Whistle": {"exclude": {"updated_at"}},
        "WhistleDemand": {},
        "Summons": {"exclude": {"supervise_at"}},
        "SummonsReport": {},
        "SummonsPhoto": {},
        "WhistleEntry": {},
        "DepartmentRating": {},
        "DepartmentRobot": {},
        "Evaluation": {},
        "SatisfactionLink": {},
        "Bulletin": {},
    }
