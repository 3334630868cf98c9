import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.Model):
    """A named set of capabilities. Built-in roles are data in loket.access, kept
    in this table by roles.builtin.sync_builtin_roles; custom roles are rows."""

    class Scope(models.TextChoices):
        FIRM = "firm", _("Firm")
        ENTITY = "entity", _("Entity")

    class Audience(models.TextChoices):
        STAFF = "staff", _("Staff members")
        CONTACT = "contact", _("Contacts")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    audience = models.CharField(
        _("given to"), max_length=10, choices=Audience.choices, default=Audience.STAFF
    )
    capabilities = models.JSONField(_("capabilities"), default=list)
    builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["scope", "name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        # Built-in names are marked for translation where they are defined.
        return gettext(self.name) if self.builtin else self.name


class RoleAssignment(models.Model):
    """A role held by a user or a group, firm-wide (no entity) or on one entity."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
    )
    group = models.ForeignKey(
        "groups.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
    )
    entity = models.ForeignKey(
        "entities.Entity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="assignment_one_principal",
            ),
            models.UniqueConstraint(
                fields=["role", "user", "entity"],
                condition=Q(user__isnull=False, entity__isnull=False),
                name="assignment_user_entity_unique",
            ),
            models.UniqueConstraint(
                fields=["role", "user"],
                condition=Q(user__isnull=False, entity__isnull=True),
                name="assignment_user_firm_unique",
            ),
            models.UniqueConstraint(
                fields=["role", "group", "entity"],
                condition=Q(group__isnull=False, entity__isnull=False),
                name="assignment_group_entity_unique",
            ),
            models.UniqueConstraint(
                fields=["role", "group"],
                condition=Q(group__isnull=False, entity__isnull=True),
                name="assignment_group_firm_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "entity"]),
            models.Index(fields=["group", "entity"]),
            models.Index(fields=["entity", "role"]),
        ]

    def __str__(self) -> str:
        return f"{self.principal} — {self.role}"

    @property
    def principal(self) -> object:
        return self.user if self.user_id else self.group
