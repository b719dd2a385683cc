"""Pages of the project list, meetings and supervision, under /projects/."""

from django.urls import path

from . import views
from . import whistle_views as wv

app_name = "projects"

A = views.MeetingActionView
W = wv.WhistleActionView

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="project_list"),
    path("export.xlsx", views.ProjectExportView.as_view(), name="project_export"),
    path("new/", views.ProjectCreateView.as_view(), name="project_create"),
    path("import/", views.ProjectImportView.as_view(), name="project_import"),
    path("import/template.xlsx", views.ProjectTemplateView.as_view(), name="project_template"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/file/", views.ImportFileView.as_view(), name="import_file"),
    path("overdue/", views.OverdueListView.as_view(), name="overdue"),
    path("overdue/<str:kind>/<int:pk>/remind/", views.ReminderView.as_view(), name="remind"),
    path("<int:pk>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("<int:pk>/edit/", views.ProjectEditView.as_view(), name="project_edit"),
    path("<int:pk>/transition/", views.ProjectTransitionView.as_view(), name="project_transition"),
    path("<int:pk>/milestones/", views.MilestoneAddView.as_view(), name="milestone_add"),
    path("<int:pk>/progress/", views.ProgressView.as_view(), name="progress"),
    path(
        "milestones/<int:pk>/finish/", views.MilestoneFinishView.as_view(), name="milestone_finish"
    ),
    path("photos/<int:pk>/", views.PhotoView.as_view(), name="photo"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/close/", views.TaskCloseView.as_view(), name="task_close"),
    path("meetings/", views.CalendarView.as_view(), name="calendar"),
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/invitation.ics", views.MeetingIcsView.as_view(), name="meeting_ics"),
    path("meetings/<int:pk>/invite/", A.as_view(step="invite"), name="meeting_invite"),
    path("meetings/<int:pk>/reschedule/", A.as_view(step="reschedule"), name="meeting_reschedule"),
    path("meetings/<int:pk>/cancel/", A.as_view(step="cancel"), name="meeting_cancel"),
    path("meetings/<int:pk>/attendance/", A.as_view(step="attendance"), name="meeting_attendance"),
    path("meetings/<int:pk>/minutes/", A.as_view(step="minutes"), name="meeting_minutes"),
    path("meetings/<int:pk>/agenda/", A.as_view(step="agenda"), name="meeting_agenda"),
    path("meetings/<int:pk>/decisions/", A.as_view(step="decision"), name="meeting_decision"),
    path("attendees/<int:pk>/answer/", views.AttendeeAnswerView.as_view(), name="attendee_answer"),
    # whistles and summons (街乡吹哨、部门报到)
    path("whistles/", wv.WhistleListView.as_view(), name="whistle_list"),
    path("whistles/new/", wv.WhistleCreateView.as_view(), name="whistle_create"),
    path("whistles/<int:pk>/", wv.WhistleDetailView.as_view(), name="whistle_detail"),
    path("whistles/<int:pk>/entries/", W.as_view(step="entry"), name="whistle_entry"),
    path("whistles/<int:pk>/close/", W.as_view(step="close"), name="whistle_close"),
    path("whistles/<int:pk>/cancel/", W.as_view(step="cancel"), name="whistle_cancel"),
    path("summons/", wv.SummonsListView.as_view(), name="summons_list"),
    path("summons/<int:pk>/", wv.SummonsDetailView.as_view(), name="summons_detail"),
    path("summons/photos/<int:pk>/", wv.SummonsPhotoView.as_view(), name="summons_photo"),
    # two-way evaluation, residents' satisfaction, bulletins
    path("<int:pk>/evaluate/", wv.EvaluationView.as_view(), name="evaluate"),
    path("feedback/", wv.FeedbackView.as_view(), name="feedback"),
    path("satisfaction/new/", wv.SatisfactionLinkCreateView.as_view(), name="satisfaction_new"),
    path("satisfaction/<int:pk>/qr.svg", wv.SatisfactionQrView.as_view(), name="satisfaction_qr"),
    path("rate/<str:token>/", wv.RateView.as_view(), name="rate"),
    path("bulletins/", wv.BulletinListView.as_view(), name="bulletin_list"),
    path("bulletins/new/", wv.BulletinCreateView.as_view(), name="bulletin_create"),
    path("bulletins/<int:pk>/", wv.BulletinDetailView.as_view(), name="bulletin_detail"),
]
