"""Where each user lands after signing in: what waits for them.

Staff, unit contacts and party members land on their to-do list (`config.todo`); leaders on
the leaders' dashboard; the separated administrators land on their work: the security administrator on locked accounts, the audit administrator on the audit
log, the system administrator on the accounts. An account with no role yet lands on its profile,
which says whom to ask: nobody lands on an empty page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts import policies as account_policies
from audit.policies import is_auditor
from core.scoping import Action
from members.models import Role

from .todo import todo_for

DASHBOARD_URL_NAMES = ("dashboard:index", "dashboard:home", "dashboard")


def dashboard_url() -> str | None:
    """The leaders' dashboard, once it is built (another room); None until then."""
    for name in DASHBOARD_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


@login_required
def home(request):
    user = request.user
    acts = bool(user.committee_scopes(Action.CHANGE))
    unit_ids = user.unit_ids()
    member_id = user.own_party_member_id()
    if not acts and not unit_ids and member_id is None:
        if user.committee_scopes(Action.VIEW):
            return redirect(dashboard_url() or reverse("committees:tree"))
        if account_policies.is_security_admin(user):
            return redirect("accounts:locked")
        if is_auditor(user):
            return redirect("audit_log")
        if account_policies.is_account_manager(user):
            return redirect("accounts:account_list")
        if user.is_superuser:
            return redirect("admin:index")
        messages.info(
            request, _("您的账号尚未授予角色。如需办理业务，请联系本级的租户管理员授权。")
        )
        return redirect("accounts:profile")
    context = {
        "todo": todo_for(user),
        "acts": acts,
        "is_contact": bool(unit_ids),
        "is_member": member_id is not None,
        "is_tenant_admin": user.has_role(Role.TENANT_ADMIN),
        "dashboard_url": dashboard_url(),
        "reads": bool(user.committee_scopes(Action.VIEW)),
    }
    return render(request, "home/todo.html", context)
