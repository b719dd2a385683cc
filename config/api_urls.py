"""The REST API's routes: one router for every app's viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import AccountViewSet
from categories.api import CategoryViewSet
from committees.api import CommitteeViewSet
from demands import api as demands_api
from members import api as members_api
from party_members import api as party_members_api
from projects import api as projects_api
from projects import whistle_api
from resources import api as resources_api

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("committees", CommitteeViewSet, basename="committee")
router.register("member-units", members_api.MemberUnitViewSet, basename="memberunit")
router.register("memberships", members_api.MembershipViewSet, basename="membership")
router.register("party-members", party_members_api.PartyMemberViewSet, basename="partymember")
router.register("service-records", party_members_api.ServiceRecordViewSet, basename="servicerecord")
router.register("categories", CategoryViewSet, basename="category")
router.register("resources", resources_api.ResourceViewSet, basename="resource")
router.register("demands", demands_api.DemandViewSet, basename="demand")
router.register("claims", demands_api.ClaimViewSet, basename="claim")
router.register("matches", demands_api.MatchViewSet, basename="match")
router.register("projects", projects_api.ProjectViewSet, basename="project")
router.register("milestones", projects_api.MilestoneViewSet, basename="milestone")
router.register("meetings", projects_api.MeetingViewSet, basename="meeting")
router.register("attendees", projects_api.AttendeeViewSet, basename="attendee")
router.register("tasks", projects_api.TaskViewSet, basename="task")
router.register("overdue", projects_api.OverdueViewSet, basename="overdue")
router.register("whistles", whistle_api.WhistleViewSet, basename="whistle")
router.register("summons", whistle_api.SummonsViewSet, basename="summons")
router.register("evaluations", whistle_api.EvaluationViewSet, basename="evaluation")
router.register("bulletins", whistle_api.BulletinViewSet, basename="bulletin")

urlpatterns = router.urls + [
    path("demand-matches/", demands_api.DemandMatchesView.as_view(), name="demand-matches"),
    path(
        "demands/<int:pk>/explain/",
        demands_api.DemandExplainView.as_view(),
        name="demand-explain",
    ),
]
