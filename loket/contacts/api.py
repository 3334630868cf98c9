"""/api/v1/contacts: the firm's contacts, as the Contacts pages show them."""

from collections.abc import Callable
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from loket import access
from loket.access import Capability
from loket.accounts import actions
from loket.accounts.models import User
from loket.api.auth import caller
from loket.api.common import Page, changes, client_entity, search_people
from loket.api.schemas import ContactIn, ContactOut, ContactPatch
from loket.contacts.lookups import get_contact_for_user

router = Router(tags=["contacts"])


@router.get("", response=list[ContactOut])
@paginate(Page)
def list_contacts(
    request: HttpRequest,
    q: str = "",
    state: User.State | None = None,
    entity: UUID | None = None,
) -> QuerySet[User]:
    """Contacts, filtered by name or e-mail (`q`), account state and client
    entity."""
    user = caller(request)
    held = access.firm_capabilities(user)
    access.require(Capability.CONTACTS_VIEW in held)
    contacts = access.visible_contacts(user, held=held).select_related("client_entity")
    if entity:
        contacts = contacts.filter(client_entity__uuid=entity)
    return search_people(contacts, q, state)


@router.post("", response={201: ContactOut})
def create_contact(request: HttpRequest, payload: ContactIn) -> User:
    """A new contact; the account starts not activated (invite it next)."""
    user = caller(request)
    access.require(access.can(user, Capability.CONTACTS_MANAGE))
    return actions.create_person(
        kind=User.Kind.CONTACT,
        email=payload.email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        language=payload.language,
        client_entity=client_entity(payload.client_entity),
        actor=user,
        request=request,
    )


@router.get("/{contact_uuid}", response=ContactOut)
def get_contact(request: HttpRequest, contact_uuid: UUID) -> User:
    return get_contact_for_user(caller(request), contact_uuid)[0]


@router.patch("/{contact_uuid}", response=ContactOut)
def update_contact(
    request: HttpRequest, contact_uuid: UUID, payload: ContactPatch
) -> User:
    """Change the fields given; the others stay as they are."""
    user = caller(request)
    contact, _held = get_contact_for_user(
        user, contact_uuid, need=Capability.CONTACTS_MANAGE
    )
    fields = changes(payload)
    if "client_entity" in fields:
        fields["client_entity"] = client_entity(fields["client_entity"])
    return actions.update_person(contact, actor=user, request=request, **fields)


def _state_change(
    request: HttpRequest,
    contact_uuid: UUID,
    action: Callable[..., User],
) -> User:
    user = caller(request)
    contact, _held = get_contact_for_user(
        user, contact_uuid, need=Capability.CONTACTS_MANAGE
    )
    return action(contact, actor=user, request=request)


@router.post("/{contact_uuid}/invite", response=ContactOut)
def invite_contact(request: HttpRequest, contact_uuid: UUID) -> User:
    """E-mail an invitation (again) to an account that is not active yet."""
    return _state_change(request, contact_uuid, actions.send_invitation)


@router.post("/{contact_uuid}/deactivate", response=ContactOut)
def deactivate_contact(request: HttpRequest, contact_uuid: UUID) -> User:
    return _state_change(request, contact_uuid, actions.deactivate_user)


@router.post("/{contact_uuid}/reactivate", response=ContactOut)
def reactivate_contact(request: HttpRequest, contact_uuid: UUID) -> User:
    return _state_change(request, contact_uuid, actions.reactivate_user)
