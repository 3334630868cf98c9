from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.Model):
    """A named set of capabilities. Built-in roles are seeded by a migration."""

    class Scope(models.TextChoices):
        FIRM = "firm", _("Firm")
        ENTITY = "entity", _("Entity")

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    capabilities = models.JSONField(_("capabilities"), default=list)
    builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        # Built-in names are marked for translation where they are defined.
        return gettext(self.name) if self.builtin else self.name


class RoleAssignment(models.Model):
    """A role held by a user, firm-wide (the entity scope arrives with entities)."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "user"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role}"
