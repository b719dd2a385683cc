"""What closing a committee means for member units, memberships and accounts (committees.closing)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from committees.closing import Impact


def member_impacts(committee) -> list[Impact]:
    from .models import Membership, MembershipStatus, MemberUnit, RoleGrant

    return [
        Impact(
            _("登记在此的成员单位"),
            MemberUnit.objects.filter(committee=committee, is_active=True).count(),
            _("单位及其资源、认领记录保留；其所在地仍显示为本委员会，请先将单位迁至其他委员会。"),
        ),
        Impact(
            _("在此的成员关系（共建单位）"),
            Membership.objects.filter(committee=committee, status=MembershipStatus.ACTIVE).count(),
            _("成员关系保留为历史记录，这些单位的资源不再因本委员会而参与匹配。"),
        ),
        Impact(
            _("在此授权的账号"),
            RoleGrant.objects.filter(committee=committee).values("user_id").distinct().count(),
            _("账号不会被删除，但在本委员会的授权随之失去作用，请为他们另行授权。"),
        ),
    ]
