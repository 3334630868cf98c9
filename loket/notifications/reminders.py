"""Reminders and daily digests, run by the scheduler (`manage.py send_reminders`).

A request's reminder schedule (the firm's defaults, or its own) fires on trigger
days: so many days before the due date, on the due date, then every so many
days while overdue, at most so many times. A run sends a reminder to a recipient
when the latest trigger day up to today came after the request was sent and
after the last reminder they got; so a missed day is caught up once, and
running twice sends nothing twice. Only open requests are reminded: a response,
completion or cancellation stops them. Everything goes out in the firm's
morning hour (`send_hour`, in the firm's time zone).

A signature request reminds only the signers whose turn it is (never one who
signed or declined; in ordered mode only the first who has not signed), and
counts from when their turn started rather than from when it was sent: the
second signer's turn starts when the first signs.

A contact reminded of several requests on one day gets one e-mail listing them;
one who chose the digest for reminders gets them in the daily digest instead.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.actions import Entry, record_many
from loket.audit.models import Event
from loket.notifications import emails, outbox
from loket.notifications.models import (
    EmailSettings,
    Kind,
    Notification,
    Preference,
    ReminderSchedule,
    SentDigest,
    SentReminder,
)
from loket.notifications.notify import channels, notifications_enabled
from loket.notifications.outbox import Message
from loket.requests.models import Recipient, Request
from loket.signatures import signers

# Any constant: the lock that keeps two scheduler runs from overlapping.
_SCHEDULER_LOCK_ID = 7_405_372
DIGEST_NEWS_LIMIT = 100


def schedule_for(
    request: Request, schedule: ReminderSchedule | None, firm: EmailSettings
) -> dict[str, Any]:
    """The schedule in force for `request`."""
    return (schedule or ReminderSchedule(request=request)).effective(firm)


def latest_trigger(due: date, today: date, schedule: dict[str, Any]) -> date | None:
    """The last trigger day on or before `today`, if any."""
    candidates = []
    if schedule["days_before"]:
        before = due - timedelta(days=schedule["days_before"])
        if before <= today:
            candidates.append(before)
    if schedule["on_due_date"] and due <= today:
        candidates.append(due)
    every = schedule["every_days_overdue"]
    if every and today > due:
        steps = (today - due).days // every
        if steps >= 1:
            candidates.append(due + timedelta(days=steps * every))
    return max(candidates, default=None)


def next_trigger(due: date, today: date, schedule: dict[str, Any]) -> date | None:
    """The next trigger day after `today` (shown on the request's page)."""
    candidates = []
    if schedule["days_before"]:
        candidates.append(due - timedelta(days=schedule["days_before"]))
    if schedule["on_due_date"]:
        candidates.append(due)
    future = [day for day in candidates if day > today]
    every = schedule["every_days_overdue"]
    if every:
        steps = max(1, (today - due).days // every + 1)
        future.append(due + timedelta(days=steps * every))
    return min(future, default=None)


def in_send_hour(now: datetime, firm: EmailSettings) -> bool:
    return timezone.localtime(now).hour == firm.send_hour


def _lock() -> None:
    # SQLite's IMMEDIATE transactions already serialise writers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEDULER_LOCK_ID])


@dataclass
class RunReport:
    reminders: int = 0
    reminder_emails: int = 0
    digests: int = 0
    digest_users: set[int] = field(default_factory=set)


def _due(today: date, firm: EmailSettings) -> dict[int, list[tuple[Request, User]]]:
    """Per user id: the (request, user) pairs to remind today."""
    requests = {
        r.pk: r
        for r in Request.objects.open()
        .filter(due_date__isnull=False, sent_at__isnull=False)
        .select_related("entity", "signing")
    }
    if not requests:
        return {}
    # Signature requests: who must sign now, since when (one query).
    turns = signers.turns(
        pk for pk, r in requests.items() if r.kind == Request.Kind.SIGNATURE
    )
    schedules = {
        s.request_id: s.effective(firm)
        for s in ReminderSchedule.objects.filter(request_id__in=requests)
    }
    default = ReminderSchedule().effective(firm)
    sent = {
        (row["request_id"], row["user_id"]): (row["count"], row["last"])
        for row in SentReminder.objects.filter(request_id__in=requests)
        .values("request_id", "user_id")
        .annotate(count=Count("pk"), last=Max("day"))
    }
    due: dict[int, list[tuple[Request, User]]] = defaultdict(list)
    rows = (
        Recipient.objects.filter(request_id__in=requests, not_applicable=False)
        .select_related("user")
        .order_by("request_id", "pk")
    )
    for row in rows.iterator(chunk_size=2000):
        request = requests[row.request_id]
        schedule = schedules.get(request.pk, default)
        if not schedule["enabled"] or not row.user.is_active:
            continue
        due_date, sent_at = request.due_date, request.sent_at
        if due_date is None or sent_at is None:  # filtered out above
            continue
        if request.kind == Request.Kind.SIGNATURE:
            turn = turns.get(request.pk, {}).get(row.user_id)
            if turn is None:  # signed, declined, or not their turn yet
                continue
            sent_at = turn
        trigger = latest_trigger(due_date, today, schedule)
        if trigger is None or trigger <= timezone.localtime(sent_at).date():
            continue
        count, last = sent.get((request.pk, row.user_id), (0, None))
        if count >= schedule["max_count"] or (last is not None and last >= trigger):
            continue
        due[row.user_id].append((request, row.user))
    return due


def run_reminders(now: datetime, firm: EmailSettings) -> RunReport:
    """Send today's reminders (idempotent). The caller checks the hour."""
    report = RunReport()
    if not notifications_enabled(firm):
        return report
    today = timezone.localtime(now).date()
    with transaction.atomic():
        _lock()
        due = _due(today, firm)
        if not due:
            return report
        users = [pairs[0][1] for pairs in due.values()]
        chosen = channels(users, Kind.REMINDER)
        sent_rows: list[SentReminder] = []
        notes: list[Notification] = []
        queued: list[tuple[str, User | str, Message, Any, Any]] = []
        per_request: dict[int, list[str]] = defaultdict(list)
        for user_id, pairs in due.items():
            channel = chosen[user_id]
            if channel == Preference.Channel.OFF:
                continue
            pairs.sort(key=lambda pair: (pair[0].due_date, pair[0].pk))
            user = pairs[0][1]
            for request, _user in pairs:
                sent_rows.append(SentReminder(request=request, user=user, day=today))
                per_request[request.pk].append(user.email)
                notes.append(
                    Notification(
                        user=user,
                        kind=Kind.REMINDER,
                        entity=request.entity,
                        request=request,
                        data={
                            "subject": request.subject,
                            "entity": request.entity.name,
                        },
                        link=emails.waiting_link(request),
                        created_at=now,
                    )
                )
            report.reminders += len(pairs)
            if channel == Preference.Channel.DIGEST:
                report.digest_users.add(user_id)
                continue
            requests = [request for request, _user in pairs]
            single = requests[0] if len(requests) == 1 else None
            queued.append(
                (
                    Kind.REMINDER,
                    user,
                    emails.reminder(user, requests, firm),
                    single.entity if single else None,
                    single,
                )
            )
        SentReminder.objects.bulk_create(sent_rows, batch_size=1000)
        Notification.objects.bulk_create(notes, batch_size=1000)
        requests_by_pk = {r.pk: r for pairs in due.values() for r, _u in pairs}
        record_many(
            [
                Entry(
                    Event.Verb.REMINDER_SENT,
                    None,
                    target=requests_by_pk[pk],
                    entity=requests_by_pk[pk].entity,
                    data={"recipients": people, "manual": False},
                )
                for pk, people in per_request.items()
            ]
        )
        outbox.send_many(queued)
        report.reminder_emails = len(queued)
    return report


def waiting_for(user: User) -> list[Request]:
    """Open requests addressed to `user`, by due date (none last): for a
    signature request, only when it is their turn to sign."""
    found = list(
        Request.objects.open()
        .filter(
            recipient_rows__user=user,
            recipient_rows__not_applicable=False,
        )
        .select_related("entity", "signing")
        .order_by(F("due_date").asc(nulls_last=True), "pk")
        .distinct()
    )
    turns = signers.sign_turns(found, user)
    return [
        request
        for request in found
        if request.kind != Request.Kind.SIGNATURE or turns.get(request.pk) == []
    ]


def run_digests(now: datetime, firm: EmailSettings, extra_users: set[int]) -> int:
    """Send today's digests (idempotent): to each user with news waiting for
    their digest, or reminders they chose to get there."""
    if not notifications_enabled(firm):
        return 0
    today = timezone.localtime(now).date()
    sent = 0
    with transaction.atomic():
        _lock()
        candidates = set(
            Notification.objects.filter(digest_pending=True)
            .values_list("user_id", flat=True)
            .distinct()
        ) | set(extra_users)
        done = set(
            SentDigest.objects.filter(day=today, user_id__in=candidates).values_list(
                "user_id", flat=True
            )
        )
        off = set(
            Preference.objects.filter(
                kind=Kind.DIGEST, channel=Preference.Channel.OFF, user_id__in=candidates
            ).values_list("user_id", flat=True)
        )
        Notification.objects.filter(user_id__in=off, digest_pending=True).update(
            digest_pending=False
        )
        queued: list[tuple[str, User | str, Message, Any, Any]] = []
        people = User.objects.filter(
            pk__in=candidates - done - off, state=User.State.ACTIVE
        )
        for user in people.order_by("pk"):
            pending = Notification.objects.filter(user=user, digest_pending=True)
            news = list(pending.order_by("created_at", "pk")[:DIGEST_NEWS_LIMIT])
            waiting = waiting_for(user) if user.is_contact else []
            if not news and not waiting:
                continue
            SentDigest.objects.create(user=user, day=today)
            pending.update(digest_pending=False)
            queued.append(
                (
                    Kind.DIGEST,
                    user,
                    emails.digest(user, news, waiting, firm),
                    None,
                    None,
                )
            )
        outbox.send_many(queued)
        sent = len(queued)
    return sent


def run(now: datetime | None = None, *, force: bool = False) -> RunReport:
    """The scheduler's work: reminders, then digests, in the firm's hour."""
    now = now or timezone.now()
    firm = EmailSettings.load()
    if not force and not in_send_hour(now, firm):
        return RunReport()
    report = run_reminders(now, firm)
    report.digests = run_digests(now, firm, report.digest_users)
    return report
