from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import connections, models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from committees.models import Committee, Tenant
from core.scoping import (
    Action,
    Scope,
    ScopedQuerySetMixin,
    covers,
    scope_ids_q,
    scope_q,
    user_scopes,
)


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("租户管理员")
    STAFF = "staff", _("工作人员")
    LEADER = "leader", _("领导（只读）")
    # 三员分立: the three administrators hold separate duties and see no business records.
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全保密管理员")
    AUDIT_ADMIN = "audit_admin", _("安全审计员")
    # Scoped to one member unit: keeps the unit's own profile and acts for it.
    UNIT_CONTACT = "unit_contact", _("成员单位联络员")
    # Scoped to one member unit of kind department: answers the whistles that summon it.
    DEPARTMENT_OFFICER = "department_officer", _("职能部门报到员")


# Which roles a grant must carry for each action on the committees in its scope.
ROLES_FOR_ACTION: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset({Role.TENANT_ADMIN, Role.STAFF, Role.LEADER}),
    Action.CHANGE: frozenset({Role.TENANT_ADMIN, Role.STAFF}),
    Action.MANAGE_TREE: frozenset({Role.TENANT_ADMIN}),
}


class UserQuerySet(models.QuerySet):
    """Accounts as account managers see them: the accounts of their own tenant, for the tenant
    administrator and the system administrator (三员分立) only; for anyone else, their own
    account alone. Never an account of another tenant."""

    def visible_to(self, user, action: Action | str = Action.VIEW) -> models.QuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.tenant_id is not None and user.has_role(*ACCOUNT_MANAGER_ROLES):
            return self.filter(tenant_id=user.tenant_id)
        return self.filter(pk=user.pk)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


# Who manages the accounts of a tenant (which role each may grant where: accounts.policies).
ACCOUNT_MANAGER_ROLES = ("tenant_admin", "system_admin")


class User(AbstractUser):
    """An account of one tenant. Platform administrators (superusers) may have no tenant.
    Accounts are deactivated, never deleted: their history stays."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("租户"),
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Set with a one-time password (an account opened or reset by an administrator): every page
    # sends to the password change until the user chooses their own (accounts.middleware).
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False)

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return self.display_name or self.username

    def role_grants(self) -> list[RoleGrant]:
        """The user's grants with their committees, loaded once per request."""
        cached = getattr(self, "_role_grants", None)
        if cached is None:
            cached = self._role_grants = read_role_grants(self.pk, self.tenant_id)
        return cached

    def committee_scopes(self, action: Action) -> list[Scope]:
        """The ranges where the user may take the action, read off the grants once per request
        (a 10,000-row import asks for every row)."""
        if not self.is_active or self.tenant_id is None:
            return []
        grants = self.role_grants()
        cached = self.__dict__.get("_committee_scopes")
        if cached is None or cached[0] is not grants:
            cached = (grants, {})
            self._committee_scopes = cached
        scopes = cached[1].get(action)
        if scopes is None:
            scopes = cached[1][action] = self._scopes_for(grants, action)
        return list(scopes)

    def _scopes_for(self, grants: list[RoleGrant], action: Action) -> list[Scope]:
        roles = ROLES_FOR_ACTION.get(action, frozenset())
        return [
            Scope(
                tenant_id=grant.committee.tenant_id,
                tree_id=grant.committee.tree_id,
                lft=grant.committee.lft,
                rght=grant.committee.rght,
            )
            for grant in grants
            if grant.role in roles
            and grant.committee is not None
            and grant.committee.tenant_id == self.tenant_id
        ]

    def unit_ids(self) -> set[int]:
        """The member units this user acts for as their contact."""
        if not self.is_active or self.tenant_id is None:
            return set()
        return {
            grant.member_unit_id
            for grant in self.role_grants()
            if grant.role == Role.UNIT_CONTACT and grant.member_unit_id is not None
        }

    def department_ids(self) -> set[int]:
        """The government departments this user answers whistles for as their officer."""
        if not self.is_active or self.tenant_id is None:
            return set()
        return {
            grant.member_unit_id
            for grant in self.role_grants()
            if grant.role == Role.DEPARTMENT_OFFICER and grant.member_unit_id is not None
        }

    def own_party_member_id(self) -> int | None:
        """The user's own party-member record, looked up once per request (through the reverse
        relation, so this floor need not import the party-members room above it); a user read
        back from the session brings it along (accounts.backends)."""
        if not hasattr(self, "_own_party_member_id"):
            self._own_party_member_id = (
                type(self)
                .objects.filter(pk=self.pk, party_member__isnull=False)
                .values_list("party_member__pk", flat=True)
                .first()
            )
        return self._own_party_member_id

    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.role_grants())

    @property
    def scope_committees(self) -> list[Committee]:
        """The committees at which the user reads, outermost first, without nested repeats."""
        committees = sorted(
            {
                grant.committee.pk: grant.committee
                for grant in self.role_grants()
                if grant.committee is not None and grant.role in ROLES_FOR_ACTION[Action.VIEW]
            }.values(),
            key=lambda c: (c.tree_id, c.lft),
        )
        outermost: list[Committee] = []
        for committee in committees:
            if not any(covers(o, committee) for o in outermost):
                outermost.append(committee)
        return outermost


def read_role_grants(user_id: int, tenant_id: int | None) -> list[RoleGrant]:
    """A user's grants with their committee and member unit, as
    `RoleGrant.objects.filter(user=…, tenant=…).select_related("committee", "member_unit")`
    would give them. Every signed-in request reads them before anything else; Django compiling
    that two-join select and building its rows cost twice the query itself (0.9 against 0.4 ms
    here), so the statement is written once per process from the models' own columns."""
    if tenant_id is None:
        return []
    statement, (grant_columns, *related_parts) = _role_grants_statement()
    db = RoleGrant.objects.db
    with connections[db].cursor() as cursor:
        cursor.execute(statement, [user_id, tenant_id])
        rows = cursor.fetchall()
    grants = []
    for row in rows:
        grant = RoleGrant.from_db(db, grant_columns, row[: len(grant_columns)])
        start = len(grant_columns)
        for relation, model, columns in related_parts:
            values = row[start : start + len(columns)]
            start += len(columns)
            # A grant has a committee or a member unit: the other's joined row is all NULL.
            related = None if values[0] is None else model.from_db(db, columns, values)
            grant._state.fields_cache[relation] = related
        grants.append(grant)
    return grants


_ROLE_GRANTS_STATEMENT: tuple[str, list] | None = None


def _role_grants_statement() -> tuple[str, list]:
    """The statement and, in its order, the grant's columns then each relation's."""
    global _ROLE_GRANTS_STATEMENT
    if _ROLE_GRANTS_STATEMENT is None:
        joined = [("c", "committee", Committee), ("u", "member_unit", MemberUnit)]
        selected = [f'g."{f.column}"' for f in RoleGrant._meta.concrete_fields]
        parts: list = [[f.attname for f in RoleGrant._meta.concrete_fields]]
        joins = []
        for alias, relation, model in joined:
            fields = model._meta.concrete_fields
            selected += [f'{alias}."{f.column}"' for f in fields]
            parts.append((relation, model, [f.attname for f in fields]))
            key = RoleGrant._meta.get_field(relation).column
            joins.append(
                f'LEFT JOIN "{model._meta.db_table}" {alias}'
                f' ON {alias}."{model._meta.pk.column}" = g."{key}"'
            )
        statement = (
            f'SELECT {", ".join(selected)} FROM "{RoleGrant._meta.db_table}" g {" ".join(joins)}'
            " WHERE g.user_id = %s AND g.tenant_id = %s ORDER BY g.id"
        )
        _ROLE_GRANTS_STATEMENT = statement, parts
    return _ROLE_GRANTS_STATEMENT


class RoleGrantQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Grants at the committees of the user's scope, or for units standing there."""

    committee_paths = ("committee", "member_unit__committee")

    def extra_terms(self, user, action):
        # Account managers read every grant of their tenant (they grant and revoke them).
        if user.has_role(*ACCOUNT_MANAGER_ROLES):
            return [Q(tenant_id=user.tenant_id)]
        return []


class RoleGrant(models.Model):
    """A role held at a scope: a committee (which means its whole subtree) or a member unit."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="role_grants", verbose_name=_("租户")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="grants", verbose_name=_("账号")
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    committee = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        related_name="role_grants",
        verbose_name=_("范围"),
        null=True,
        blank=True,
    )
    member_unit = models.ForeignKey(
        "MemberUnit",
        on_delete=models.CASCADE,
        related_name="role_grants",
        verbose_name=_("成员单位"),
        null=True,
        blank=True,
    )
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "role", "committee"],
                condition=Q(committee__isnull=False),
                name="rolegrant_unique_committee",
            ),
            models.UniqueConstraint(
                fields=["tenant", "user", "role", "member_unit"],
                condition=Q(member_unit__isnull=False),
                name="rolegrant_unique_unit",
            ),
            models.CheckConstraint(
                condition=Q(committee__isnull=False) | Q(member_unit__isnull=False),
                name="rolegrant_has_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.committee}"


# --- member units ------------------------------------------------------------------------------


class UnitKind(models.TextChoices):
    CENTRAL_AGENCY = "central_agency", _("中央单位")
    MUNICIPAL_AGENCY = "municipal_agency", _("市属单位")
    DISTRICT_AGENCY = "district_agency", _("区属单位")
    DEPARTMENT = "department", _("政府职能部门")
    STATE_OWNED = "state_owned", _("国有企业")
    PRIVATE = "private", _("民营企业")
    HOSPITAL = "hospital", _("医院")
    UNIVERSITY = "university", _("高校")
    SCHOOL = "school", _("中小学校")
    MILITARY = "military", _("部队")
    SOCIAL_ORGANISATION = "social_org", _("社会组织")
    NEW_ECONOMY = "new_economy", _("新经济组织")
    OTHER = "other", _("其他")


class PartyOrgType(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    JOINT_BRANCH = "joint_branch", _("联合党支部")
    NONE = "none", _("未建立党组织")


class MemberUnitQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """Units visible to a user: those standing in the user's subtrees, those that are members of
    a committee in them, and the units the user is contact for. A unit is changed where it stands
    (or by its contact): membership lets staff read a unit, not change it."""

    committee_paths = ("committee",)
    # Where a unit stands, or its id among its contact's units and the members of a committee
    # in scope: one OR on this table's own keys, as arrays. As hashed subqueries, a district's
    # 674 units were found by testing all 17,000 (20 ms of a 30 ms page).
    extra_terms_on_own_keys = True

    def extra_terms(self, user, action):
        terms = []
        unit_ids = user.unit_ids()
        if unit_ids:
            terms.append(Q(pk__in=unit_ids, tenant_id=user.tenant_id))
        if action != Action.VIEW:
            return terms
        member_of = scope_ids_q(user_scopes(user, action), "committee", Membership, as_array=True)
        if member_of is not None:
            terms.append(Q(pk__scope_in=Membership.objects.filter(member_of).values("unit_id")))
        return terms


class MemberUnit(models.Model):
    """An organisation in the area that takes part in a committee's work (驻区单位/成员单位)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="member_units", verbose_name=_("租户")
    )
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="located_units", verbose_name=_("所在地")
    )
    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    kind = models.CharField(_("单位类型"), max_length=32, choices=UnitKind.choices)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    party_org_type = models.CharField(
        _("党组织类型"), max_length=32, choices=PartyOrgType.choices, default=PartyOrgType.BRANCH
    )
    party_member_count = models.PositiveIntegerField(_("党员人数"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)
    # The unit's record as rated by others (two-way evaluation of completed projects, a street's
    # ratings of a department's response to whistles): kept by projects.evaluations, read by the
    # matching engine. `rating_average` is 1–5, null until the first rating.
    rating_count = models.PositiveIntegerField(_("评价次数"), default=0)
    rating_average = models.DecimalField(
        _("平均评分"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("成员单位")
        verbose_name_plural = _("成员单位")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "credit_code"],
                condition=~Q(credit_code=""),
                name="memberunit_unique_credit_code",
            )
        ]
        indexes = [models.Index(fields=["tenant", "committee", "name"], name="memberunit_list")]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    SUSPENDED = "suspended", _("暂停")
    LEFT = "left", _("已退出")


class CommitteeScopedQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("committee",)


class Membership(models.Model):
    """A unit's membership of a committee (加入/共建关系)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    unit = models.ForeignKey(
        MemberUnit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("成员单位")
    )
    committee = models.ForeignKey(
        Committee,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("协调委员会"),
    )
    joined_on = models.DateField(_("加入日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    subcommittee = models.ForeignKey(
        "Subcommittee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("所在专委会"),
    )

    objects = CommitteeScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("成员关系")
        verbose_name_plural = _("成员关系")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "unit", "committee"], name="membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.committee}"


# --- the committee's own structure --------------------------------------------------------------


class SeatRole(models.TextChoices):
    DIRECTOR = "director", _("主任")
    DEPUTY_DIRECTOR = "deputy_director", _("副主任")
    MEMBER = "member", _("委员")
    PART_TIME_MEMBER = "part_time_member", _("兼职委员")


class Seat(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="seats", verbose_name=_("协调委员会")
    )
    role = models.CharField(_("职务"), max_length=32, choices=SeatRole.choices)
    person_name = models.CharField(_("姓名"), max_length=64)
    title = models.CharField(_("本单位职务"), max_length=100, blank=True)
    unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="seats",
        verbose_name=_("所在单位"),
    )
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期结束"), null=True, blank=True)

    objects = CommitteeScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("委员席位")
        verbose_name_plural = _("委员席位")
        ordering = ["committee", "role", "person_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="seat_term_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.person_name}"


class SubcommitteeField(models.TextChoices):
    ECONOMY = "economy", _("经济发展")
    SAFETY = "safety", _("平安建设")
    CULTURE = "culture", _("文化文明")
    LIVELIHOOD = "livelihood", _("社会民生")
    URBAN_GOVERNANCE = "urban_governance", _("城市治理")


class Subcommittee(models.Model):
    """A specialised committee by field, chaired in turn by its member units' leaders (轮值).

    The rotation is set once (a start date, a term in months, the order of chairs); who chairs on
    any day follows from it, so it advances by itself without a job having to run.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    committee = models.ForeignKey(
        Committee,
        on_delete=models.CASCADE,
        related_name="subcommittees",
        verbose_name=_("协调委员会"),
    )
    field = models.CharField(_("领域"), max_length=32, choices=SubcommitteeField.choices)
    name = models.CharField(_("名称"), max_length=100)
    rotation_start = models.DateField(_("轮值起始日"), null=True, blank=True)
    rotation_months = models.PositiveSmallIntegerField(_("每任月数"), default=3)

    objects = CommitteeScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("专业委员会")
        verbose_name_plural = _("专业委员会")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "committee", "field"], name="subcommittee_field_unique"
            ),
            models.CheckConstraint(
                condition=Q(rotation_months__gte=1), name="subcommittee_term_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RotationSlotQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("subcommittee__committee",)


class RotationSlot(models.Model):
    """One turn in a subcommittee's rotation: a unit whose leader acts as chair."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    subcommittee = models.ForeignKey(
        Subcommittee,
        on_delete=models.CASCADE,
        related_name="rotation",
        verbose_name=_("专业委员会"),
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    unit = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("轮值单位")
    )
    chair_name = models.CharField(_("代理主任"), max_length=64)

    objects = RotationSlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("轮值安排")
        verbose_name_plural = _("轮值安排")
        ordering = ["subcommittee", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["subcommittee", "position"], name="rotation_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.chair_name} ({self.unit})"


class AllianceKind(models.TextChoices):
    WORK = "work", _("行业联盟")  # units of one committee grouped by the kind of work they do
    CROSS_REGION = "cross_region", _("跨区域联盟")


class AllianceQuerySet(ScopedQuerySetMixin, models.QuerySet):
    """An alliance is visible to every committee it spans, and changed from its home committee."""

    committee_paths = ("home_committee",)

    def extra_terms(self, user, action):
        if action != Action.VIEW:
            return []
        spans = scope_q(user_scopes(user, action), "committee")
        if spans is None:
            return []
        return [Exists(AllianceSpan.objects.filter(alliance=OuterRef("pk")).filter(spans))]


class Alliance(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=AllianceKind.choices)
    description = models.TextField(_("简介"), blank=True)
    home_committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="+", verbose_name=_("牵头协调委员会")
    )
    committees = models.ManyToManyField(
        Committee, through="AllianceSpan", related_name="alliances", verbose_name=_("覆盖范围")
    )
    units = models.ManyToManyField(
        MemberUnit, related_name="alliances", blank=True, verbose_name=_("成员单位")
    )

    objects = AllianceQuerySet.as_manager()

    class Meta:
        verbose_name = _("联盟")
        verbose_name_plural = _("联盟")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "home_committee", "name"], name="alliance_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AllianceSpanQuerySet(ScopedQuerySetMixin, models.QuerySet):
    committee_paths = ("committee", "alliance__home_committee")


class AllianceSpan(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    alliance = models.ForeignKey(
        Alliance, on_delete=models.CASCADE, related_name="spans", verbose_name=_("联盟")
    )
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="+", verbose_name=_("覆盖的协调委员会")
    )

    objects = AllianceSpanQuerySet.as_manager()

    class Meta:
        verbose_name = _("联盟覆盖范围")
        verbose_name_plural = _("联盟覆盖范围")
        constraints = [
            models.UniqueConstraint(fields=["alliance", "committee"], name="alliancespan_unique")
        ]

    def __str__(self) -> str:
        return f"{self.alliance} · {self.committee}"
