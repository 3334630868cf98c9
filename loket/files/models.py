"""An entity's files: folders, files and their versions, and uploads in progress.

A stored blob is never changed or served from a public URL: a version points at
one blob (by a generated storage name) and carries its size, sniffed content
type and SHA-256. Restoring an old version makes a new version that points at
the old blob, so nothing is copied.
"""

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from loket.accounts.models import User


class Folder(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entity = models.ForeignKey(
        "entities.Entity", on_delete=models.PROTECT, related_name="folders"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("folder"),
    )
    name = models.CharField(_("name"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FileQuerySet(models.QuerySet["File"]):
    def present(self) -> "FileQuerySet":
        """Files not in the trash."""
        return self.filter(deleted_at__isnull=True)

    def in_trash(self) -> "FileQuerySet":
        return self.filter(deleted_at__isnull=False)


class File(models.Model):
    """A file in an entity; its content is its current version."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entity = models.ForeignKey(
        "entities.Entity", on_delete=models.PROTECT, related_name="files"
    )
    folder = models.ForeignKey(
        Folder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="files",
        verbose_name=_("folder"),
    )
    name = models.CharField(_("name"), max_length=255)
    current_version = models.ForeignKey(
        "FileVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Limited: only the creator, the people named in shared_with and whoever
    # manages the entity's content see it.
    limited = models.BooleanField(_("limited"), default=False)
    shared_with: "models.ManyToManyField[User, models.Model]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("shared with"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = FileQuerySet.as_manager()

    class Meta:
        verbose_name = _("file")
        verbose_name_plural = _("files")
        ordering = ["name"]
        indexes = [models.Index(fields=["entity", "folder", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("files:detail", args=[self.uuid])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class FileVersion(models.Model):
    """One immutable content of a file."""

    class Scan(models.TextChoices):
        NOT_SCANNED = "not_scanned", _("Not scanned")
        PENDING = "pending", _("Being scanned")
        CLEAN = "clean", _("Clean")
        INFECTED = "infected", _("Infected: quarantined")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.ForeignKey(File, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # The generated name in the blob storage; several versions may share one
    # blob (a restored version points at the old one).
    blob = models.CharField(max_length=500)
    original_name = models.CharField(_("name"), max_length=255)
    size = models.BigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    scan = models.CharField(
        _("virus scan"), max_length=20, choices=Scan.choices, default=Scan.NOT_SCANNED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    restored_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["file", "number"], name="file_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.number})"

    @property
    def is_available(self) -> bool:
        """May be downloaded by others than its uploader (not quarantined, not
        waiting for the virus scan)."""
        return self.scan in (self.Scan.NOT_SCANNED, self.Scan.CLEAN)


class Upload(models.Model):
    """A resumable (tus) upload in progress, or received and not yet added.

    Its bytes live in a partial file beside the stored files, so adding it is a
    rename. Nothing shows it to anyone but its owner; it expires."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    entity = models.ForeignKey(
        "entities.Entity", on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=255)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    # Where the bytes are, relative to the storage's partial area.
    partial = models.CharField(max_length=500)
    content_type = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("upload")

    def __str__(self) -> str:
        return self.filename

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
