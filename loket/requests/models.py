"""Activities: what staff ask of contacts (file requests, update requests and
signature requests), the contacts' responses and the comment thread.

Requests import no app built on them: a signature request's signing side
(`loket.signatures`) points here, and is read back through its relation
(`request.signing`, `signing__state`)."""

import uuid
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from loket.accounts.models import User


class RequestQuerySet(models.QuerySet["Request"]):
    def open(self) -> "RequestQuerySet":
        """Waiting for a contact: sent and neither responded nor closed."""
        return self.filter(
            status__in=[Request.Status.AWAITING, Request.Status.RETURNED]
        )

    def overdue(self) -> "RequestQuerySet":
        return self.open().filter(due_date__lt=timezone.localdate())


class Request(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", _("File request")
        SIGNATURE = "signature", _("Signature request")

    class Status(models.TextChoices):
        NOT_SENT = "not_sent", _("Not sent")
        AWAITING = "awaiting", _("Awaiting response")
        RESPONDED = "responded", _("Responded")
        RETURNED = "returned", _("Returned")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entity = models.ForeignKey(
        "entities.Entity",
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("entity"),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.FILE
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Goes into the notification e-mail, when the firm sends them.
    additional_message = models.TextField(_("additional message"), blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NOT_SENT
    )
    limited = models.BooleanField(_("limited"), default=False)
    recipients: "models.ManyToManyField[User, Recipient]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Recipient",
        related_name="requests_received",
        verbose_name=_("recipients"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requests_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["entity", "status"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("requests:detail", args=[self.uuid])

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.AWAITING, self.Status.RETURNED)

    @property
    def is_overdue(self) -> bool:
        return (
            self.is_open
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )

    @property
    def shown_status(self) -> str:
        """The status as people read it: a signature request a signer declined
        is cancelled, and shown as *declined*. (Reads `signing`: lists
        select_related it.)"""
        if self.kind == self.Kind.SIGNATURE and self.status == self.Status.CANCELLED:
            signing = getattr(self, "signing", None)
            if getattr(signing, "state", None) == DECLINED:
                return DECLINED
        return str(self.status)

    def get_shown_status_display(self) -> str:
        return str(dict(SHOWN_STATUS_CHOICES)[self.shown_status])

    def days_left(self, today: date | None = None) -> int | None:
        if self.due_date is None:
            return None
        return (self.due_date - (today or timezone.localdate())).days


# The statuses as shown (lists, filters, badges): a declined signature request
# is cancelled in `status` and shown apart. Also the state its signing side
# takes (signatures.models.SignatureRequest.State.DECLINED is this value).
DECLINED = "declined"
SHOWN_STATUS_CHOICES: list[tuple[str, str | Promise]] = [
    *Request.Status.choices,
    (DECLINED, _("Declined")),
]

# Where each action on a request may start from: the actions refuse the other
# statuses, and loket.access shows a button only where its action would act.
SENDABLE = frozenset({Request.Status.NOT_SENT})
EDITABLE = frozenset(
    {
        Request.Status.NOT_SENT,
        Request.Status.AWAITING,
        Request.Status.RESPONDED,
        Request.Status.RETURNED,
    }
)
ANSWERABLE = frozenset({Request.Status.AWAITING, Request.Status.RETURNED})
REVIEWABLE = frozenset({Request.Status.RESPONDED})
CANCELLABLE = EDITABLE


class Recipient(models.Model):
    """A contact a request is addressed to, and where they stand with it."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="recipient_rows"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    # "This does not apply to us", with the contact's reason.
    not_applicable = models.BooleanField(default=False)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "user"], name="request_recipient_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request} → {self.user}"


class RequestFile(models.Model):
    """A file linked to a request: an attachment from staff (which makes the
    request an update request for that file) or a file a contact sent back."""

    class Role(models.TextChoices):
        ATTACHMENT = "attachment", _("Attachment")
        RESPONSE = "response", _("Response")

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="request_files"
    )
    file = models.ForeignKey(
        "files.File", on_delete=models.PROTECT, related_name="request_links"
    )
    # For a response: the version the contact's upload made.
    version = models.ForeignKey(
        "files.FileVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    # Which round of the request it answers (a returned request starts a new one).
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at"]

    def __str__(self) -> str:
        return f"{self.request}: {self.file}"


class Comment(models.Model):
    """One message in a request's thread. Internal comments are staff-only."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"))
    internal = models.BooleanField(_("internal (staff only)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:50]
