"""The REST API's routes: one router for every app's viewsets."""

from rest_framework.routers import DefaultRouter

from committees.api import CommitteeViewSet
from demands import api as demands_api
from demands import resource_api
from members import api as members_api

router = DefaultRouter()
router.register("committees", CommitteeViewSet, basename="committee")
router.register("member-units", members_api.MemberUnitViewSet, basename="memberunit")
router.register("memberships", members_api.MembershipViewSet, basename="membership")
router.register("party-members", members_api.PartyMemberViewSet, basename="partymember")
router.register("service-records", members_api.ServiceRecordViewSet, basename="servicerecord")
demands_api.register(router)
resource_api.register(router)

urlpatterns = router.urls
