"""The tenant's taxonomy (需求类别): what demands ask for and resources offer, with how long an
unmatched demand may wait at each level before it rises one level up.

A room of its own below both lists: a resource is filed under a category as much as a demand is,
and the resources room stands below the demands room.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from committees.models import Tenant
from core.scoping import Action


class CategoryQuerySet(models.QuerySet):
    def visible_to(self, user, action: Action | str = Action.VIEW) -> CategoryQuerySet:
        """Everyone of a tenant reads its whole taxonomy (it is the city's vocabulary); only its
        root administrators change it. Fails closed for anyone without a tenant."""
        from .policies import may_edit_categories

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.tenant_id:
            return self.none()
        if Action(action) != Action.VIEW and not may_edit_categories(user):
            return self.none()
        return self.filter(Q(tenant_id=user.tenant_id))


class Category(models.Model):
    """A tenant's taxonomy of needs, each with how long an unmatched demand may wait at each level
    before it escalates one level up."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户")
    )
    name = models.CharField(_("名称"), max_length=50)
    keywords = models.CharField(
        _("关键词"), max_length=300, blank=True, help_text=_("用空格分隔，帮助匹配。")
    )
    # {"community": 7, "street": 14, "district": 30}: days; a level not listed never escalates.
    escalation_days = models.JSONField(_("上报期限（天）"), default=dict)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("需求类别")
        verbose_name_plural = _("需求类别")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ThesaurusEntry(models.Model):
    """A word of the tenant's matching vocabulary (同义词库): the headword, the words that mean
    the same on the lists (洗澡 for 助浴), and related words that count for less (助浴 and 失能
    老人). The engine reads every synonym as its headword. An entry may hold for one category
    only, where a word means something else elsewhere (工作 is 就业 only in 就业创业)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="thesaurus_entries",
        verbose_name=_("适用类别"),
        help_text=_("留空表示适用于所有类别。"),
    )
    headword = models.CharField(_("词条"), max_length=12)
    synonyms = models.CharField(
        _("同义词"), max_length=300, blank=True, help_text=_("与词条意思相同的说法，用空格分隔。")
    )
    related = models.CharField(
        _("相关词"), max_length=300, blank=True, help_text=_("相关但不相同的词，计分减半。")
    )
    # Who a need is for (老人, 孩子) says less about which resource meets it than what is needed
    # (助餐, 辅导作业): such words count like a plain bigram.
    is_target = models.BooleanField(
        _("服务对象词"), default=False, help_text=_("如“老人”“孩子”：说明为谁服务，计分较低。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Read and changed like the taxonomy it sits beside.
    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("同义词条")
        verbose_name_plural = _("同义词库")
        ordering = ["category_id", "headword"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "headword"], name="thesaurus_unique_headword")
        ]

    def __str__(self) -> str:
        return self.headword

    def synonym_list(self) -> list[str]:
        return self.synonyms.split()

    def related_list(self) -> list[str]:
        return self.related.split()
