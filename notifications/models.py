"""The notification outbox. Business services hand this app recipients and text inside their
own transaction; it stores the in-app notification (the authority) and one delivery row per
outside channel, which Celery sends after commit. Each delivery has a unique key, so a retried or
re-swept delivery never becomes a second one.

This app imports none of the business apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from committees.models import Tenant

# Keys longer than this are shortened to a digest by `services.bounded_key`.
KEY_LENGTH = 200


class Event(models.TextChoices):
    NEW_MATCH = "new_match", _("新的匹配")
    CLAIM = "claim", _("认领与申请")
    CLAIM_DECIDED = "claim_decided", _("认领处理结果")
    ESCALATION = "escalation", _("需求上报")
    WHISTLE = "whistle", _("吹哨报到")
    DEADLINE_NEAR = "deadline_near", _("临近期限")
    OVERDUE = "overdue", _("已逾期")
    EVALUATION_REQUESTED = "evaluation_requested", _("请求评价")
    BULLETIN = "bulletin", _("通报")
    REGISTRATION = "registration", _("报到")


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("电子邮件")


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("即时")
    DIGEST = "digest", _("每日汇总")
    OFF = "off", _("不接收")


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """A notification belongs to its recipient alone, whatever their roles: nobody reads
        another's inbox, not even a tenant administrator."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(recipient_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    # No index of their own for the two keys: the unique constraint leads with the tenant and
    # the inbox indexes with the recipient, and a bulletin to 17,000 units writes every index.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    event = models.CharField(_("事件"), max_length=32, choices=Event.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # The same event about the same thing reaches a recipient once, however often it is raised.
    key = models.CharField(max_length=KEY_LENGTH)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)  # in the inbox index
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # With the tenant, as every per-tenant unique constraint (DESIGN: Citus-ready).
            models.UniqueConstraint(
                fields=["tenant", "recipient", "key"], name="notification_once_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The inbox: one recipient's notifications, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def safe_link(self) -> str:
        """The link if it stays on this site (a path), else nothing: a link is never a way out."""
        link = self.link or ""
        if link.startswith("/") and not link.startswith(("//", "/\\")):
            return link
        return ""


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("Webhook")
    # A group robot's deliveries wait for the minute's summary instead of going one by one.
    ROBOT = "robot", _("群机器人（汇总）")


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """The deliveries of the webhook endpoints a user administers; an email delivery is
        nobody's to browse."""
        from core.scoping import Action, scope_q, user_scopes

        condition = scope_q(user_scopes(user, Action.MANAGE_TREE), "endpoint__committee")
        return self.filter(condition) if condition is not None else self.none()


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    DEAD = "dead", _("发送失败")


class Delivery(models.Model):
    """One send of one notification over one outside channel (email, or a webhook endpoint)."""

    # The unique constraint leads with the tenant: no index of its own.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        "WebhookEndpoint",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    channel = models.CharField(max_length=16, choices=DeliveryChannel.choices)
    # The idempotency key: one delivery per key, however often the event is raised, and the
    # `webhook-id` a receiver uses to drop a repeat.
    key = models.CharField(max_length=KEY_LENGTH)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()  # what is due is in `delivery_due`, pending only
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="delivery_once_per_key"),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="delivery_due",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Preference(models.Model):
    """How a user wants one event on one channel: at once, in a daily digest, or not at all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("账号"),
    )
    event = models.CharField(_("事件"), max_length=32, choices=Event.choices)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    mode = models.CharField(
        max_length=16, choices=Mode.choices, default=Mode.IMMEDIATE, verbose_name=_("方式")
    )

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "channel"], name="preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}/{self.channel}: {self.mode}"


class WebhookFormat(models.TextChoices):
    STANDARD = "standard", _("标准Webhook（签名JSON）")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class WebhookEndpointQuerySet(models.QuerySet):
    committee_paths = ("committee",)

    def visible_to(self, user, action: str = "view"):
        """Readers of a subtree see its endpoints exist; only its tenant administrators
        (any action but "view") may list, change or read their secrets."""
        from core.scoping import scope_q, user_scopes

        scopes = user_scopes(user, "manage_tree" if action != "view" else "view")
        condition = scope_q(scopes, "committee")
        return self.filter(condition) if condition is not None else self.none()


class WebhookEndpoint(models.Model):
    """A program or a group robot that hears a committee subtree's events."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("租户")
    )
    committee = models.ForeignKey(
        "committees.Committee",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("协调委员会"),
    )
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500)
    format = models.CharField(_("格式"), max_length=16, choices=WebhookFormat.choices)
    secret = models.CharField(_("签名密钥"), max_length=200, blank=True)
    events = models.JSONField(_("事件"), default=list, blank=True)  # empty: every event
    is_active = models.BooleanField(_("启用"), default=True)
    # An endpoint that hears only what is addressed to it (a department's robot gets its
    # summons), not every event of its committee's subtree.
    addressed_only = models.BooleanField(_("仅接收定向消息"), default=False)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("Webhook")
        verbose_name_plural = _("Webhook")

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)
