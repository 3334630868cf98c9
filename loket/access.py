"""The one place that decides who may see and do what.

Views and API endpoints fetch objects through the `visible_*` querysets (out
of scope is a 404, the same as a missing object) and check capabilities with
`can()` (a visible object without the capability is a 403). Code asks for
capabilities, never for role names.
"""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_stubs_ext import StrOrPromise

from loket.accounts.models import User
from loket.roles.models import RoleAssignment


class Capability(StrEnum):
    CONTACTS_VIEW = "contacts.view"
    CONTACTS_MANAGE = "contacts.manage"
    STAFF_MANAGE = "staff.manage"
    GROUPS_MANAGE = "groups.manage"
    ENTITIES_MANAGE = "entities.manage"
    SETTINGS_MANAGE = "settings.manage"
    ROLES_MANAGE = "roles.manage"
    HISTORY_VIEW_ALL = "history.view_all"


CAPABILITY_LABELS: dict[Capability, StrOrPromise] = {
    Capability.CONTACTS_VIEW: _("See contacts"),
    Capability.CONTACTS_MANAGE: _("Manage contacts"),
    Capability.STAFF_MANAGE: _("Manage staff"),
    Capability.GROUPS_MANAGE: _("Manage groups"),
    Capability.ENTITIES_MANAGE: _("Manage entities"),
    Capability.SETTINGS_MANAGE: _("Manage settings"),
    Capability.ROLES_MANAGE: _("Manage roles"),
    Capability.HISTORY_VIEW_ALL: _("See the firm-wide history"),
}

# Every active staff member holds these without any role.
STAFF_BASELINE = frozenset({Capability.CONTACTS_VIEW})

AnyUser = User | AnonymousUser


def firm_capabilities(user: AnyUser) -> frozenset[str]:
    """The firm-wide capabilities of a user, in one query and never cached, so a
    change of role applies at once."""
    if not isinstance(user, User) or not user.is_active or not user.is_staff_member:
        return frozenset()
    granted: set[str] = set(STAFF_BASELINE)
    for capabilities in RoleAssignment.objects.filter(user=user).values_list(
        "role__capabilities", flat=True
    ):
        granted.update(capabilities)
    return frozenset(granted)


def can(user: AnyUser, capability: Capability) -> bool:
    """May `user` use `capability` firm-wide?"""
    return capability in firm_capabilities(user)


def require(condition: bool) -> None:
    """Refuse with 403 unless `condition` holds."""
    if not condition:
        raise PermissionDenied


def visible_contacts(user: AnyUser) -> QuerySet[User]:
    """The contacts `user` may see: every contact for staff who may see contacts,
    none otherwise."""
    contacts = User.objects.filter(kind=User.Kind.CONTACT)
    if can(user, Capability.CONTACTS_VIEW):
        return contacts
    return contacts.none()


# Built-in firm roles: data, seeded into the Role table by a migration.
BUILTIN_FIRM_ROLES: dict[str, tuple[str, frozenset[Capability]]] = {
    "administrator": (gettext_noop("Administrator"), frozenset(Capability)),
    "staff-administrator": (
        gettext_noop("Staff Administrator"),
        frozenset(
            {
                Capability.CONTACTS_VIEW,
                Capability.CONTACTS_MANAGE,
                Capability.STAFF_MANAGE,
            }
        ),
    ),
    "entity-administrator": (
        gettext_noop("Entity Administrator"),
        frozenset({Capability.ENTITIES_MANAGE, Capability.GROUPS_MANAGE}),
    ),
    "settings-administrator": (
        gettext_noop("Settings Administrator"),
        frozenset({Capability.SETTINGS_MANAGE}),
    ),
}
