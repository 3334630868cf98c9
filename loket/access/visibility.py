"""Which objects a user may see: querysets that views and the API fetch
through, so that out of scope is a 404, the same as a missing object. Each
answers with a bounded number of queries whatever the data size."""

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from loket.access.capabilities import Capability
from loket.access.grants import (
    AnyUser,
    _active,
    _grants,
    entity_capabilities,
    firm_capabilities,
    is_staff,
)
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.groups.models import Group
from loket.roles.models import Role

if TYPE_CHECKING:
    from loket.files.models import File
    from loket.requests.models import RequestQuerySet


def visible_entities(user: AnyUser) -> QuerySet[Entity]:
    """The entities `user` may see: all of them with a firm-wide grant, else those
    on which a direct or group assignment grants `entity.view`. One query, then
    the one the caller runs."""
    active = _active(user)
    if active is None:
        return Entity.objects.none()
    grants = _grants(active)
    if Capability.ENTITIES_MANAGE in grants.firm:
        return Entity.objects.all()
    return Entity.objects.filter(grants.entity_filter(Capability.ENTITY_VIEW))


def entities_with(user: AnyUser, capability: Capability) -> QuerySet[Entity]:
    """The entities on which `user` holds `capability` (firm-wide grants too)."""
    active = _active(user)
    if active is None:
        return Entity.objects.none()
    return Entity.objects.filter(_grants(active).entity_filter(capability))


def visible_files(
    user: AnyUser, entity: Entity | None = None, *, caps: frozenset[str] | None = None
) -> "QuerySet[File]":
    """Files (not in the trash) `user` may see, in `entity` or in every entity:
    where they hold `files.view`; a limited file only for its creator, the people
    it is shared with and whoever holds `content.manage` there. A bounded number
    of queries; one fewer when the caller passes what `user` holds on `entity`
    (`caps`), read already."""
    from loket.files.models import File

    active = _active(user)
    if active is None:
        return File.objects.none()
    files = File.objects.filter(deleted_at__isnull=True)
    shared = File.shared_with.through._default_manager.filter(
        file_id=OuterRef("pk"), user_id=active.pk
    )
    own = Q(limited=False) | Q(created_by=active) | Exists(shared)
    if entity is not None:
        held = entity_capabilities(active, entity) if caps is None else caps
        if Capability.FILES_VIEW not in held:
            return File.objects.none()
        files = files.filter(entity=entity)
        return files if Capability.CONTENT_MANAGE in held else files.filter(own)
    grants = _grants(active)
    return files.filter(
        grants.entity_filter(Capability.FILES_VIEW, "entity_id")
    ).filter(own | grants.entity_filter(Capability.CONTENT_MANAGE, "entity_id"))


def visible_requests(
    user: AnyUser, entity: Entity | None = None, *, held: frozenset[str] | None = None
) -> "RequestQuerySet":
    """Requests `user` may see, in `entity` or everywhere: with
    `activities.view_all`, every request of the entity (a limited one only for
    its creator, its recipients and holders of `content.manage`); with
    `activities.view`, the sent requests addressed to them and those they made.
    A bounded number of queries; `held`: what `user` holds on `entity`, when
    the caller has read it already (one query fewer)."""
    from loket.requests.models import Recipient, Request

    active = _active(user)
    if active is None:
        return Request.objects.none()
    addressed = Exists(
        Recipient.objects.filter(request_id=OuterRef("pk"), user_id=active.pk)
    )
    mine = Q(created_by=active) | (addressed & ~Q(status=Request.Status.NOT_SENT))
    unlimited = Q(limited=False) | mine
    requests = Request.objects.all()
    if entity is not None:
        if held is None:
            held = entity_capabilities(active, entity)
        requests = requests.filter(entity=entity)
        if Capability.ACTIVITIES_VIEW_ALL in held:
            if Capability.CONTENT_MANAGE in held:
                return requests
            return requests.filter(unlimited)
        if Capability.ACTIVITIES_VIEW in held:
            return requests.filter(mine)
        return Request.objects.none()
    grants = _grants(active)
    all_of = grants.entity_filter(Capability.ACTIVITIES_VIEW_ALL, "entity_id")
    manage = grants.entity_filter(Capability.CONTENT_MANAGE, "entity_id")
    addressed_to = grants.entity_filter(Capability.ACTIVITIES_VIEW, "entity_id")
    return requests.filter((all_of & (unlimited | manage)) | (addressed_to & mine))


def visible_contacts(
    user: AnyUser, *, held: frozenset[str] | None = None
) -> QuerySet[User]:
    """The contacts `user` may see: all of them for staff who may see contacts.
    One query, none when the caller hands over what `user` holds firm-wide
    (`held`), read already — or on an entity, which includes it."""
    contacts = User.objects.filter(kind=User.Kind.CONTACT)
    if held is None:
        held = firm_capabilities(user)
    if Capability.CONTACTS_VIEW in held:
        return contacts
    return contacts.none()


def visible_staff(user: AnyUser) -> QuerySet[User]:
    """Staff members: visible to every active staff member, to none of the contacts."""
    staff = User.objects.filter(kind=User.Kind.STAFF)
    return staff if is_staff(user) else staff.none()


def visible_people(
    user: AnyUser, *, held: frozenset[str] | None = None
) -> QuerySet[User]:
    """The staff members and contacts `user` may see (see `visible_contacts`
    for `held`)."""
    return visible_staff(user) | visible_contacts(user, held=held)


def visible_groups(user: AnyUser) -> QuerySet[Group]:
    """Groups: visible to every active staff member (sharing picks from them)."""
    return Group.objects.all() if is_staff(user) else Group.objects.none()


def visible_roles(user: AnyUser) -> QuerySet[Role]:
    return Role.objects.all() if is_staff(user) else Role.objects.none()
