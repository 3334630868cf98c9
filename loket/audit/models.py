import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class Event(models.Model):
    """One entry of the history: append-only, each chained to the one before.

    `hash` is SHA-256 over the previous event's hash and this event's canonical
    content, so changing, removing or reordering any row breaks the chain.
    Database triggers (see migrations) refuse UPDATE and DELETE.
    """

    class Verb(models.TextChoices):
        SIGNED_IN = "account.signed_in", _("Signed in")
        SIGN_IN_FAILED = "account.sign_in_failed", _("Sign-in failed")
        SIGNED_OUT = "account.signed_out", _("Signed out")
        LOCKED_OUT = "account.locked_out", _("Locked out")
        PASSWORD_CHANGED = "account.password_changed", _("Password changed")
        PASSWORD_RESET_REQUESTED = (
            "account.password_reset_requested",
            _("Password reset requested"),
        )
        PASSWORD_RESET = "account.password_reset", _("Password reset")
        INVITATION_SENT = "account.invitation_sent", _("Invitation sent")
        ACTIVATED = "account.activated", _("Account activated")
        DEACTIVATED = "account.deactivated", _("Account deactivated")
        REACTIVATED = "account.reactivated", _("Account reactivated")
        API_TOKEN_CREATED = "account.api_token_created", _("API token created")
        API_TOKEN_REVOKED = "account.api_token_revoked", _("API token revoked")
        CONTACT_CREATED = "contact.created", _("Contact created")
        CONTACT_CHANGED = "contact.changed", _("Contact changed")
        CONTACTS_IMPORTED = "contact.imported", _("Contacts imported")
        STAFF_CREATED = "staff.created", _("Staff member created")
        STAFF_CHANGED = "staff.changed", _("Staff member changed")
        GROUP_CREATED = "group.created", _("Group created")
        GROUP_CHANGED = "group.changed", _("Group changed")
        GROUP_MEMBER_ADDED = "group.member_added", _("Group member added")
        GROUP_MEMBER_REMOVED = "group.member_removed", _("Group member removed")
        ENTITY_CREATED = "entity.created", _("Entity created")
        ENTITY_CHANGED = "entity.changed", _("Entity changed")
        ENTITY_ARCHIVED = "entity.archived", _("Entity archived")
        ENTITY_RESTORED = "entity.restored", _("Entity restored")
        ROLE_CREATED = "role.created", _("Role created")
        ROLE_CHANGED = "role.changed", _("Role changed")
        ACCESS_GRANTED = "access.granted", _("Access granted")
        ACCESS_CHANGED = "access.changed", _("Access changed")
        ACCESS_REVOKED = "access.revoked", _("Access revoked")
        FOLDER_CREATED = "folder.created", _("Folder created")
        FOLDER_RENAMED = "folder.renamed", _("Folder renamed")
        FOLDER_MOVED = "folder.moved", _("Folder moved")
        FOLDER_DELETED = "folder.deleted", _("Folder deleted")
        FOLDER_RESTORED = "folder.restored", _("Folder restored")
        FILE_UPLOADED = "file.uploaded", _("File uploaded")
        FILE_VERSION_ADDED = "file.version_added", _("New version uploaded")
        FILE_VERSION_RESTORED = "file.version_restored", _("Older version restored")
        FILE_DOWNLOADED = "file.downloaded", _("File downloaded")
        FILE_RENAMED = "file.renamed", _("File renamed")
        FILE_MOVED = "file.moved", _("File moved")
        FILE_DELETED = "file.deleted", _("File moved to the trash")
        FILE_RESTORED = "file.restored", _("File restored from the trash")
        FILE_PURGED = "file.purged", _("File removed from the trash for good")
        FILE_LIMITED = "file.limited", _("File access limited")
        FILE_SHARED = "file.shared", _("Limited file shared")
        FILE_SCANNED = "file.scanned", _("File scanned for viruses")
        FILE_QUARANTINED = "file.quarantined", _("Infected file quarantined")
        REQUEST_CREATED = "request.created", _("Request created")
        REQUEST_SENT = "request.sent", _("Request sent")
        REQUEST_CHANGED = "request.changed", _("Request changed")
        REQUEST_FILE_RECEIVED = "request.file_received", _("File received")
        REQUEST_RESPONDED = "request.responded", _("Request responded")
        REQUEST_NOT_APPLICABLE = (
            "request.not_applicable",
            _("Request marked as not applicable"),
        )
        REQUEST_ACCEPTED = "request.accepted", _("Response accepted")
        REQUEST_RETURNED = "request.returned", _("Request returned to the contact")
        REQUEST_CANCELLED = "request.cancelled", _("Request cancelled")
        REQUEST_COMMENTED = "request.commented", _("Comment added")
        REMINDER_SENT = "request.reminder_sent", _("Reminder sent")
        REMINDERS_CHANGED = "request.reminders_changed", _("Reminder schedule changed")
        NOTIFICATION_SENT = "notification.sent", _("Notification e-mail sent")
        NOTIFICATION_FAILED = (
            "notification.failed",
            _("Notification e-mail could not be delivered"),
        )
        EMAIL_SETTINGS_CHANGED = "settings.email_changed", _("E-mail settings changed")
        SIGNING_CERTIFICATE_GENERATED = (
            "settings.signing_certificate_generated",
            _("Self-signed signing certificate generated"),
        )
        SIGNING_CERTIFICATE_IMPORTED = (
            "settings.signing_certificate_imported",
            _("Signing certificate imported"),
        )
        SIGNING_SETTINGS_CHANGED = (
            "settings.signing_changed",
            _("Signing settings changed"),
        )
        SIGNATURE_VIEWED = "signature.viewed", _("Document viewed for signing")
        SIGNATURE_CONSENTED = (
            "signature.consented",
            _("Consented to sign electronically"),
        )
        SIGNATURE_SIGNED = "signature.signed", _("Document signed")
        SIGNATURE_DECLINED = "signature.declined", _("Signing declined")
        SIGNATURE_COMPLETED = (
            "signature.completed",
            _("Signed document sealed and stored"),
        )
        SIGNATURE_FAILED = "signature.failed", _("Signing failed")
        SIGNATURE_ATTEMPT_FAILED = (
            "signature.attempt_failed",
            _("Signing attempt failed, to be tried again"),
        )
        SIGNATURE_RETRIED = "signature.retried", _("Signing tried again")
        SIGNATURE_CODE_SENT = "signature.code_sent", _("Signing code e-mailed")
        SIGNATURE_CODE_VERIFIED = (
            "signature.code_verified",
            _("Signing code confirmed"),
        )
        SIGNATURE_CODE_FAILED = "signature.code_failed", _("Wrong signing code")

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    entity = models.ForeignKey(
        "entities.Entity",
        verbose_name=_("entity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # One of Verb, but no `choices` on the column: a new verb needs no migration
    # (each used to repeat the whole list); get_verb_display reads the labels.
    verb = models.CharField(_("what"), max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=254, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["entity", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb}"

    def get_verb_display(self) -> str:
        """The verb's label in the current language (the raw verb if unknown)."""
        try:
            return str(self.Verb(self.verb).label)
        except ValueError:
            return self.verb

    def canonical(self) -> dict[str, Any]:
        """The content the hash covers, in a form that survives a database trip."""
        return {
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "entity": self.entity_id,
            "verb": self.verb,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_label": self.target_label,
            "data": self.data,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
        }

    def compute_hash(self) -> str:
        content = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(f"{self.prev_hash}\n{content}".encode()).hexdigest()
