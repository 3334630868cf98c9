"""Notifications: the firm's e-mail settings, the e-mail log (which is also the
state of the outgoing queue), in-app notifications, each user's preferences,
who follows a request, and reminder schedules."""

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What an e-mail or a notification is about."""

    INVITATION = "invitation", _("Invitation")
    PASSWORD_RESET = "password_reset", _("Password reset")
    REQUEST_SENT = "request_sent", _("New request")
    REQUEST_RETURNED = "request_returned", _("Request returned to you")
    REMINDER = "reminder", _("Reminder")
    DIGEST = "digest", _("Daily digest")
    RESPONSE_RECEIVED = "response_received", _("Response received")
    REQUEST_COMPLETED = "request_completed", _("Request completed")
    COMMENT = "comment", _("New comment")
    ACCESS_GRANTED = "access_granted", _("Access to an entity")
    SIGNATURE_REQUESTED = "signature_requested", _("Signature requested")
    DOCUMENT_SIGNED = "document_signed", _("Document signed")
    SIGNING_FAILED = "signing_failed", _("Signing failed")


# Nobody can refuse these: their account, or something addressed to them.
ESSENTIAL = frozenset(
    {
        Kind.INVITATION,
        Kind.PASSWORD_RESET,
        Kind.REQUEST_SENT,
        Kind.REQUEST_RETURNED,
        Kind.SIGNATURE_REQUESTED,
        # Staff must act on it: the firm finishes the signing.
        Kind.SIGNING_FAILED,
    }
)


class EmailSettings(models.Model):
    """The firm's e-mail settings: one row, read through `EmailSettings.load()`."""

    notifications_enabled = models.BooleanField(
        _("send e-mail notifications"), default=True
    )
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    footer = models.TextField(_("footer"), max_length=2000, blank=True)
    # A small image, kept in the database and sent inside each e-mail.
    logo = models.BinaryField(_("logo"), blank=True, default=b"")
    logo_type = models.CharField(max_length=40, blank=True)
    detailed = models.BooleanField(_("detailed notifications"), default=True)
    remind_days_before = models.PositiveSmallIntegerField(
        _("days before the due date"),
        default=3,
        validators=[MaxValueValidator(60)],
    )
    remind_on_due_date = models.BooleanField(_("on the due date"), default=True)
    remind_every_days_overdue = models.PositiveSmallIntegerField(
        _("every so many days while overdue"),
        default=3,
        validators=[MaxValueValidator(60)],
    )
    remind_max = models.PositiveSmallIntegerField(
        _("at most this many reminders"),
        default=5,
        validators=[MaxValueValidator(50)],
    )
    send_hour = models.PositiveSmallIntegerField(
        _("hour for reminders and digests"),
        default=8,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
    )
    log_retention_days = models.PositiveIntegerField(
        _("keep the e-mail log for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mail settings")
        verbose_name_plural = _("e-mail settings")

    def __str__(self) -> str:
        return str(_("E-mail settings"))

    @classmethod
    def load(cls) -> "EmailSettings":
        found: EmailSettings = cls.objects.get_or_create(pk=1)[0]
        return found


class OutgoingEmailQuerySet(models.QuerySet["OutgoingEmail"]):
    def due(self) -> "OutgoingEmailQuerySet":
        """Queued and due for a (next) try."""
        return self.filter(
            status=OutgoingEmail.Status.QUEUED, next_attempt_at__lte=timezone.now()
        )


class OutgoingEmail(models.Model):
    """One e-mail: the log row an administrator reads, and the queue's record of
    it. The message itself is kept until it is delivered, then dropped."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to = models.EmailField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    entity = models.ForeignKey(
        "entities.Entity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entity"),
    )
    request = models.ForeignKey(
        "requests.Request",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a delivery task was last enqueued for it (see outbox.requeue).
    enqueued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # from, reply_to, headers, text, html, attachments (base64): see outbox.py.
    message = models.JSONField(default=dict, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One line in a user's notification centre (the bell)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entity = models.ForeignKey(
        "entities.Entity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    request = models.ForeignKey(
        "requests.Request",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Labels as they were (subject, entity name, actor), so the line still reads.
    data = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The user wants this kind in their daily digest; cleared when it is sent.
    digest_pending = models.BooleanField(default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["user"],
                condition=models.Q(digest_pending=True),
                name="notification_digest_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"


class Preference(models.Model):
    """How one user wants one kind of notification. No row: immediately."""

    class Channel(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        DIGEST = "digest", _("In my daily digest")
        OFF = "off", _("Off")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="notification_preference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.channel}"


class Follow(models.Model):
    """A staff member following (or, having created it, unfollowing) a request."""

    request = models.ForeignKey(
        "requests.Request", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    following = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "user"], name="notification_follow_unique"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} {'follows' if self.following else 'unfollows'} {self.request}"
        )


class ReminderSchedule(models.Model):
    """A request's own reminder schedule; an empty field takes the firm's."""

    request = models.OneToOneField(
        "requests.Request", on_delete=models.CASCADE, related_name="+"
    )
    enabled = models.BooleanField(_("send reminders"), default=True)
    days_before = models.PositiveSmallIntegerField(
        _("days before the due date"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
    )
    on_due_date = models.BooleanField(_("on the due date"), null=True, blank=True)
    every_days_overdue = models.PositiveSmallIntegerField(
        _("every so many days while overdue"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
    )
    max_count = models.PositiveSmallIntegerField(
        _("at most this many reminders"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(50)],
    )

    def __str__(self) -> str:
        return f"reminders for {self.request}"

    def effective(self, firm: EmailSettings) -> dict[str, Any]:
        def pick(own: Any, default: Any) -> Any:
            return default if own is None else own

        return {
            "enabled": self.enabled,
            "days_before": pick(self.days_before, firm.remind_days_before),
            "on_due_date": pick(self.on_due_date, firm.remind_on_due_date),
            "every_days_overdue": pick(
                self.every_days_overdue, firm.remind_every_days_overdue
            ),
            "max_count": pick(self.max_count, firm.remind_max),
        }


class SentReminder(models.Model):
    """A reminder sent to one recipient: counts toward the maximum, and the
    scheduler sends at most one a day (running it twice sends nothing twice)."""

    request = models.ForeignKey(
        "requests.Request", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    manual = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "user", "day"],
                condition=models.Q(manual=False),
                name="sent_reminder_once_a_day",
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.request} → {self.user} on {self.day}"


class SentDigest(models.Model):
    """One digest a day per user, whatever how often the scheduler runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"], name="sent_digest_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"digest → {self.user} on {self.day}"
