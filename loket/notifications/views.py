"""The notification centre, preferences, one-click unsubscribe, the firm's
e-mail settings and log, and a request's reminders."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.core.http import act_and_report, signed_in_user
from loket.notifications import actions, emails
from loket.notifications.forms import (
    EmailSettingsForm,
    LogFilterForm,
    PreferencesForm,
    ReminderScheduleForm,
    essential_kinds,
)
from loket.notifications.models import (
    EmailSettings,
    Kind,
    Notification,
    OutgoingEmail,
    ReminderSchedule,
    SentReminder,
)
from loket.notifications.notify import notifications_enabled
from loket.notifications.reminders import schedule_for
from loket.requests.lookups import get_request_for_user
from loket.requests.models import Request

PAGE_SIZE = 30
LOG_PAGE_SIZE = 50


# The notification centre


def notification_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = Paginator(Notification.objects.filter(user=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "notification": item,
            "text": emails.describe(item),
            "new": item.read_at is None,
        }
        for item in page.object_list
    ]
    actions.mark_read(user, page.object_list)  # opened: read
    return render(request, "notifications/list.html", {"page": page, "rows": rows})


def notification_open(request: HttpRequest, notification_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    item = get_object_or_404(Notification, user=user, uuid=notification_uuid)
    actions.mark_read(user, [item])
    if item.link and url_has_allowed_host_and_scheme(item.link, allowed_hosts=None):
        return redirect(item.link)
    return redirect("notifications:list")


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    actions.mark_read(user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


# Preferences and unsubscribing


def preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = PreferencesForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.set_preferences(user, actor=user, choices=form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    essential = [Kind(kind).label for kind in essential_kinds(user)]
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "essential": essential},
    )


@login_not_required
@csrf_exempt  # the signed token is the authority; mail clients POST it (RFC 8058)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = emails.read_unsubscribe_token(token)
    user = (
        User.objects.filter(uuid=found[0]).first()
        if found and _is_uuid(found[0])
        else None
    )
    if found is None or user is None or found[1] not in Kind.values:
        raise Http404
    kind = Kind(found[1])
    context: dict[str, Any] = {"kind": kind.label, "email": user.email}
    if request.method == "POST":
        context["done"] = actions.unsubscribe(user, kind=kind)
    return render(request, "notifications/unsubscribe.html", context)


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


# The firm's e-mail settings and the e-mail log


def _settings_admin(request: HttpRequest) -> User:
    user = signed_in_user(request)
    access.require(access.can(user, Capability.SETTINGS_MANAGE))
    return user


def email_settings(request: HttpRequest) -> HttpResponse:
    user = _settings_admin(request)
    firm = EmailSettings.load()
    form = EmailSettingsForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        instance=firm,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.update_email_settings(
            EmailSettings.load(),
            actor=user,
            changes={name: data[name] for name in actions.EMAIL_SETTINGS_FIELDS},
            logo=data.get("logo_file"),
            remove_logo=data.get("remove_logo", False),
        )
        messages.success(request, _("The e-mail settings are saved."))
        return redirect("notifications:settings")
    firm.refresh_from_db()
    queue = OutgoingEmail.objects.aggregate(
        queued=Count("pk", filter=Q(status=OutgoingEmail.Status.QUEUED)),
        failed=Count("pk", filter=Q(status=OutgoingEmail.Status.FAILED)),
        oldest=Min("created_at", filter=Q(status=OutgoingEmail.Status.QUEUED)),
    )
    return render(
        request,
        "notifications/email_settings.html",
        {
            "form": form,
            "firm": firm,
            "logo_data": _logo_data(firm),
            "queue": queue,
            "enabled": notifications_enabled(firm),
        },
    )


def _logo_data(firm: EmailSettings) -> str:
    import base64

    if not firm.logo:
        return ""
    encoded = base64.b64encode(bytes(firm.logo)).decode()
    return f"data:{firm.logo_type};base64,{encoded}"


def email_log(request: HttpRequest) -> HttpResponse:
    _settings_admin(request)
    form = LogFilterForm(request.GET)
    rows = OutgoingEmail.objects.select_related("entity", "request").defer("message")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            rows = rows.filter(
                Q(to__icontains=data["q"]) | Q(subject__icontains=data["q"])
            )
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["kind"]:
            rows = rows.filter(kind=data["kind"])
    page = Paginator(rows, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/email_log.html", {"form": form, "page": page})


@require_POST
def email_retry(request: HttpRequest, email_uuid: UUID) -> HttpResponse:
    user = _settings_admin(request)
    email = get_object_or_404(OutgoingEmail, uuid=email_uuid)
    return act_and_report(
        request,
        lambda: actions.retry_email(email, actor=user),
        _("The e-mail is queued again."),
        reverse("notifications:log"),
    )


# A request's reminders and followers (staff)


def _staff_request(
    request: HttpRequest, request_uuid: UUID, may: Callable[[frozenset[str]], bool]
) -> tuple[User, Request]:
    """The request (404 unseen), 403 unless what the signed-in user holds on its
    entity passes `may` (access.may_follow, access.may_manage_reminders)."""
    user = signed_in_user(request)
    found, caps = get_request_for_user(user, request_uuid)
    access.require(may(caps))
    return user, found


def request_reminders(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user, found = _staff_request(request, request_uuid, access.may_manage_reminders)
    firm = EmailSettings.load()
    schedule = ReminderSchedule.objects.filter(request=found).first()
    form = ReminderScheduleForm(
        request.POST if request.method == "POST" else None,
        instance=schedule or ReminderSchedule(request=found),
        firm=firm,
    )
    if request.method == "POST" and form.is_valid():
        actions.set_reminder_schedule(found, actor=user, changes=form.cleaned_data)
        messages.success(request, _("The reminder schedule is saved."))
        return redirect("notifications:reminders", request_uuid=found.uuid)
    sent = SentReminder.objects.filter(request=found).select_related("user")
    return render(
        request,
        "notifications/reminders.html",
        {
            "request_obj": found,
            "form": form,
            "effective": schedule_for(found, schedule, firm),
            "sent": sent.order_by("-created_at")[:50],
            "following": actions.is_following(found, user),
            "enabled": notifications_enabled(firm),
        },
    )


@require_POST
def request_remind(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user, found = _staff_request(request, request_uuid, access.may_manage_reminders)
    back = reverse("notifications:reminders", args=[found.uuid])
    try:
        count = actions.send_reminder_now(found, actor=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("A reminder is on its way to %(count)s people.") % {"count": count}
            if count != 1
            else _("A reminder is on its way."),
        )
    return redirect(request.POST["next"] if _safe_next(request) else back)


def _safe_next(request: HttpRequest) -> bool:
    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts=None)


@require_POST
def request_follow(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    user, found = _staff_request(request, request_uuid, access.may_follow)
    following = request.POST.get("follow") == "1"
    actions.follow_request(found, user=user, following=following)
    messages.success(
        request,
        _("You follow this request.")
        if following
        else _("You no longer follow this request."),
    )
    if _safe_next(request):
        return redirect(request.POST["next"])
    return redirect("notifications:reminders", request_uuid=found.uuid)
