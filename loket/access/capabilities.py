"""The capability catalogue and the built-in roles.

A capability is a string; a role is a named set of them. Code asks for
capabilities, never for role names. Built-in roles are data here, written to
the Role table by `roles.builtin.sync_builtin_roles` (a change here ships a
migration that calls it again); custom roles are rows.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_stubs_ext import StrOrPromise


class Capability(StrEnum):
    # On an entity: granted by an entity role, or on every entity by a
    # firm-wide assignment.
    ENTITY_VIEW = "entity.view"
    FILES_VIEW = "files.view"
    ACTIVITIES_VIEW = "activities.view"
    ACTIVITIES_VIEW_ALL = "activities.view_all"
    FILES_CREATE = "files.create"
    ACTIVITIES_CREATE = "activities.create"
    ENTITY_EDIT = "entity.edit"
    CONTENT_DELETE = "content.delete"
    ENTITY_SHARE = "entity.share"
    HISTORY_VIEW = "history.view"
    # Limited items of others and the trash (restore, empty).
    CONTENT_MANAGE = "content.manage"
    # Firm-wide only.
    CONTACTS_VIEW = "contacts.view"
    CONTACTS_MANAGE = "contacts.manage"
    STAFF_MANAGE = "staff.manage"
    GROUPS_MANAGE = "groups.manage"
    ENTITIES_MANAGE = "entities.manage"
    SETTINGS_MANAGE = "settings.manage"
    ROLES_MANAGE = "roles.manage"
    ROLES_SHARE_ANY = "roles.share_any"
    HISTORY_VIEW_ALL = "history.view_all"


ENTITY_CAPABILITIES = frozenset(
    {
        Capability.ENTITY_VIEW,
        Capability.FILES_VIEW,
        Capability.ACTIVITIES_VIEW,
        Capability.ACTIVITIES_VIEW_ALL,
        Capability.FILES_CREATE,
        Capability.ACTIVITIES_CREATE,
        Capability.ENTITY_EDIT,
        Capability.CONTENT_DELETE,
        Capability.ENTITY_SHARE,
        Capability.HISTORY_VIEW,
        Capability.CONTENT_MANAGE,
    }
)
FIRM_CAPABILITIES = frozenset(Capability) - ENTITY_CAPABILITIES

CAPABILITY_LABELS: dict[Capability, StrOrPromise] = {
    Capability.ENTITY_VIEW: _("See the entity"),
    Capability.FILES_VIEW: _("See files"),
    Capability.ACTIVITIES_VIEW: _("See activities addressed to them"),
    Capability.ACTIVITIES_VIEW_ALL: _("See all activities"),
    Capability.FILES_CREATE: _("Create files"),
    Capability.ACTIVITIES_CREATE: _("Create activities"),
    Capability.ENTITY_EDIT: _("Edit"),
    Capability.CONTENT_DELETE: _("Delete"),
    Capability.ENTITY_SHARE: _("Share"),
    Capability.HISTORY_VIEW: _("See the history"),
    Capability.CONTENT_MANAGE: _("See limited items of others; manage the trash"),
    Capability.CONTACTS_VIEW: _("See contacts"),
    Capability.CONTACTS_MANAGE: _("Manage contacts"),
    Capability.STAFF_MANAGE: _("Manage staff"),
    Capability.GROUPS_MANAGE: _("Manage groups"),
    Capability.ENTITIES_MANAGE: _("Manage entities"),
    Capability.SETTINGS_MANAGE: _("Manage settings"),
    Capability.ROLES_MANAGE: _("Manage roles"),
    Capability.ROLES_SHARE_ANY: _("Hand out any role"),
    Capability.HISTORY_VIEW_ALL: _("See the firm-wide history"),
}

# Every active staff member holds these without any role.
STAFF_BASELINE = frozenset({Capability.CONTACTS_VIEW})

_C = Capability
_CONTACT_ACCESS = frozenset({_C.ENTITY_VIEW, _C.FILES_VIEW, _C.ACTIVITIES_VIEW})
_READER = _CONTACT_ACCESS | {
    _C.ACTIVITIES_VIEW_ALL,
    _C.ACTIVITIES_CREATE,
    _C.HISTORY_VIEW,
}
_EDITOR = _READER | {_C.FILES_CREATE, _C.ENTITY_EDIT, _C.CONTENT_DELETE}


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    scope: str
    audience: str
    capabilities: frozenset[Capability]


# Built-in roles are data: roles.builtin.sync_builtin_roles keeps the Role table
# in step (a change here ships a migration that calls it).
BUILTIN_ROLES: dict[str, BuiltinRole] = {
    "administrator": BuiltinRole(
        gettext_noop("Administrator"), "firm", "staff", frozenset(Capability)
    ),
    "staff-administrator": BuiltinRole(
        gettext_noop("Staff Administrator"),
        "firm",
        "staff",
        frozenset({_C.CONTACTS_VIEW, _C.CONTACTS_MANAGE, _C.STAFF_MANAGE}),
    ),
    "entity-administrator": BuiltinRole(
        gettext_noop("Entity Administrator"),
        "firm",
        "staff",
        frozenset(
            {
                _C.ENTITIES_MANAGE,
                _C.GROUPS_MANAGE,
                _C.ENTITY_VIEW,
                _C.ENTITY_EDIT,
                _C.ENTITY_SHARE,
                _C.ROLES_SHARE_ANY,
                _C.HISTORY_VIEW,
            }
        ),
    ),
    "settings-administrator": BuiltinRole(
        gettext_noop("Settings Administrator"),
        "firm",
        "staff",
        frozenset({_C.SETTINGS_MANAGE}),
    ),
    "owner": BuiltinRole(
        gettext_noop("Owner"), "entity", "staff", frozenset(ENTITY_CAPABILITIES)
    ),
    "editor": BuiltinRole(gettext_noop("Editor"), "entity", "staff", _EDITOR),
    "reader": BuiltinRole(gettext_noop("Reader"), "entity", "staff", _READER),
    "contact-entity-access": BuiltinRole(
        gettext_noop("Contact – Entity Access"),
        "entity",
        "contact",
        _CONTACT_ACCESS,
    ),
    "contact-entity-staff": BuiltinRole(
        gettext_noop("Contact – Entity Staff"),
        "entity",
        "contact",
        _CONTACT_ACCESS | {_C.FILES_CREATE, _C.ACTIVITIES_CREATE},
    ),
}


class UnknownCapability(Exception):
    """A template asked for a capability that does not exist: a typo would
    otherwise hide a control without a word. Not an AttributeError, which
    Django's templates would swallow."""


# "files" of files.create: a name starting with one of these is meant as a
# capability, anything else (Python's and Django's own probes) is no attribute.
_AREAS = frozenset(capability.split(".")[0] for capability in Capability)


class Held(frozenset[str]):
    """The capabilities a user holds, as templates read them: one capability
    per test, as with Django's `perms` — `{% if caps.files_create %}` is
    `"files.create" in caps`. An unknown capability raises, never hides."""

    def __getattr__(self, name: str) -> bool:
        area, _sep, _rest = name.partition("_")
        if area not in _AREAS:
            raise AttributeError(name)
        try:
            capability = Capability(name.replace("_", ".", 1))
        except ValueError:
            raise UnknownCapability(name) from None
        return capability in self
