"""Changes made from the notification pages: the firm's e-mail settings, a
user's preferences, the notification centre, following a request, a request's
reminder schedule and "send a reminder now". Atomic; callers check permissions."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.core.changes import apply_changes
from loket.core.effects import promise
from loket.notifications import notify, outbox
from loket.notifications.models import (
    ESSENTIAL,
    EmailSettings,
    Follow,
    Kind,
    Notification,
    OutgoingEmail,
    Preference,
    ReminderSchedule,
    SentReminder,
)
from loket.requests.models import Request
from loket.signatures import signers

# The settings a Settings Administrator edits, besides the logo.
EMAIL_SETTINGS_FIELDS = (
    "notifications_enabled",
    "sender_name",
    "reply_to",
    "footer",
    "detailed",
    "remind_days_before",
    "remind_on_due_date",
    "remind_every_days_overdue",
    "remind_max",
    "send_hour",
    "log_retention_days",
)
SCHEDULE_FIELDS = (
    "enabled",
    "days_before",
    "on_due_date",
    "every_days_overdue",
    "max_count",
)


@transaction.atomic
def update_email_settings(
    firm: EmailSettings,
    *,
    actor: User,
    changes: dict[str, Any],
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> EmailSettings:
    """Save the firm's e-mail settings; `logo` is (image bytes, MIME type)."""
    diff = apply_changes(
        firm, {k: v for k, v in changes.items() if k in EMAIL_SETTINGS_FIELDS}
    )
    if logo is not None:
        firm.logo, firm.logo_type = logo
        diff["logo"] = ["", logo[1]]
    elif remove_logo and firm.logo:
        firm.logo, firm.logo_type = b"", ""
        diff["logo"] = ["", "removed"]
    if not diff:
        return firm
    firm.save()
    record(Event.Verb.EMAIL_SETTINGS_CHANGED, actor=actor, target=firm, data=diff)
    return firm


@transaction.atomic
def set_preferences(user: User, *, actor: User, choices: dict[str, str]) -> None:
    """Save `user`'s channel per kind; essential kinds cannot be refused."""
    for kind, channel in choices.items():
        if kind in ESSENTIAL or kind not in Kind.values:
            continue
        if channel not in Preference.Channel.values:
            raise ValidationError(_("Choose how you want to be told."), code="channel")
        if kind == Kind.DIGEST and channel == Preference.Channel.DIGEST:
            channel = Preference.Channel.IMMEDIATE
        Preference.objects.update_or_create(
            user=user, kind=kind, defaults={"channel": channel}
        )


@transaction.atomic
def unsubscribe(user: User, *, kind: str) -> bool:
    """The one-click unsubscribe link: no more e-mail of `kind` for `user`.
    Returns False for a kind that cannot be refused."""
    if kind in ESSENTIAL or kind not in Kind.values:
        return False
    set_preferences(user, actor=user, choices={kind: Preference.Channel.OFF})
    return True


def mark_read(user: User, notifications: Iterable[Notification] | None = None) -> int:
    """Mark `user`'s notifications read: those given, or all of them."""
    unread = Notification.objects.unread().filter(user=user)
    if notifications is not None:
        unread = unread.filter(pk__in=[n.pk for n in notifications])
    return unread.update(read_at=timezone.now())


@transaction.atomic
def follow_request(request: Request, *, user: User, following: bool) -> Follow:
    """`user` follows `request` (or stops): followers hear of responses and
    comments. A request's creator follows it until they unfollow it."""
    follow, _created = Follow.objects.update_or_create(
        request=request, user=user, defaults={"following": following}
    )
    return follow


def is_following(request: Request, user: User) -> bool:
    choice = (
        Follow.objects.filter(request=request, user=user)
        .values_list("following", flat=True)
        .first()
    )
    if choice is None:
        return request.created_by_id == user.pk
    return choice


@transaction.atomic
def set_reminder_schedule(
    request: Request, *, actor: User, changes: dict[str, Any]
) -> ReminderSchedule:
    """A request's own reminder schedule; an empty value takes the firm's."""
    schedule = ReminderSchedule.objects.filter(request=request).first()
    schedule = schedule or ReminderSchedule(request=request)
    diff = apply_changes(
        schedule, {k: v for k, v in changes.items() if k in SCHEDULE_FIELDS}
    )
    if diff or schedule.pk is None:
        schedule.save()
    if diff:
        record(
            Event.Verb.REMINDERS_CHANGED,
            actor=actor,
            target=request,
            entity=request.entity,
            data=diff,
        )
    return schedule


@transaction.atomic
def send_reminder_now(request: Request, *, actor: User) -> int:
    """Staff remind every recipient who has not answered (a signature request's
    signers whose turn it is), now. Counts toward the request's reminders;
    returns how many people are reminded."""
    if not request.is_open:
        raise ValidationError(
            _("Only a request that waits for a response can be reminded."),
            code="not_open",
        )
    people = [user for user in signers.to_remind(request) if user.is_active]
    if not people:
        raise ValidationError(
            _("Nobody on this request can be reminded."), code="nobody"
        )
    today = timezone.localdate()
    SentReminder.objects.bulk_create(
        [
            SentReminder(request=request, user=user, day=today, manual=True)
            for user in people
        ]
    )
    record(
        Event.Verb.REMINDER_SENT,
        actor=actor,
        target=request,
        entity=request.entity,
        data={"recipients": [user.email for user in people], "manual": True},
    )
    promise(notify.remind_now, request.pk, actor.pk)
    return len(people)


@transaction.atomic
def retry_email(email: OutgoingEmail, *, actor: User) -> OutgoingEmail:
    """Put a failed e-mail back in the queue for a fresh series of tries."""
    if email.status != OutgoingEmail.Status.FAILED or not email.message:
        raise ValidationError(
            _("Only a failed e-mail can be sent again."), code="not_failed"
        )
    email.status = OutgoingEmail.Status.QUEUED
    email.attempts = 0
    email.next_attempt_at = email.enqueued_at = timezone.now()
    email.save(update_fields=["status", "attempts", "next_attempt_at", "enqueued_at"])
    promise(outbox.send_emails, [email.pk])
    return email
