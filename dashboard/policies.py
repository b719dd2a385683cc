"""Who may do what in the assessment (考核评价): the one place these rules live.

- Tenant administrators define the indicators, their categories and the periods.
- Staff of a committee score the committees, units and departments below it (they enter the
  hand-kept scores with evidence and run the scoring), rate communities' stars, flag weak
  committees and record their rectification, and publish the results.
- Any staff or leader whose scope covers a committee may give back-to-back feedback on it,
  except those who hold a grant at the committee itself (nobody rates their own committee).
- The assessed committee's own people see the feedback only in aggregate.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotAllowed
from core.scoping import Action, can
from members.models import Role


def ensure_defines(user) -> None:
    if not may_define(user):
        raise NotAllowed(_("只有租户管理员可以设置考核指标和考核周期。"))


def ensure_assesses(user, committee) -> None:
    if not can(user, Action.CHANGE, committee):
        raise NotAllowed(_("只有本级及上级工作人员可以开展考核评价。"))


def may_define(user) -> bool:
    return user.has_role(Role.TENANT_ADMIN)


def may_give_feedback(user, committee) -> bool:
    try:
        ensure_gives_feedback(user, committee)
    except NotAllowed:
        return False
    return True


def ensure_gives_feedback(user, committee) -> None:
    if not can(user, Action.VIEW, committee):
        raise NotAllowed(_("只能评价本人管辖范围内的委员会。"))
    if any(grant.committee_id == committee.pk for grant in user.role_grants()):
        raise NotAllowed(_("不能评价本人所在的委员会。"))
