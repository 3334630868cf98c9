import uuid

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class EntityQuerySet(models.QuerySet["Entity"]):
    def active(self) -> "EntityQuerySet":
        return self.filter(archived_at__isnull=True)


class Entity(models.Model):
    """A client of the firm: where its files, activities and history live."""

    class Type(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")
        PARTNERSHIP = "partnership", _("Partnership")
        TRUST = "trust", _("Trust")
        FOUNDATION = "foundation", _("Foundation")
        OTHER = "other", _("Other")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    client_number = models.CharField(_("client number"), max_length=50, blank=True)
    type = models.CharField(
        _("type"), max_length=20, choices=Type.choices, default=Type.COMPANY
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("client_number"),
                condition=~models.Q(client_number=""),
                name="entity_client_number_unique",
                violation_error_message=_("Another entity has this client number."),
            ),
        ]
        indexes = [
            models.Index(Lower("name"), name="entity_name_lower"),
            # The lists are ordered by name: a page is read from the index.
            models.Index(fields=["name"], name="entity_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("entities:detail", args=[self.uuid])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
