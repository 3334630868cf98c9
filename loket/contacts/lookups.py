"""Fetching a contact, for the Contacts pages and /api/v1/contacts alike."""

from uuid import UUID

from loket import access
from loket.access import AnyUser, Capability
from loket.accounts.models import User


def get_contact_for_user(
    user: AnyUser, contact_uuid: UUID, *, need: Capability | None = None
) -> tuple[User, frozenset[str]]:
    """The contact `contact_uuid` with its client entity, and what `user` holds
    firm-wide: 404 unless `user` may see contacts, 403 without `need`. Two
    queries."""
    held = access.firm_capabilities(user)
    contacts = access.visible_contacts(user, held=held)
    return access.fetch_firm_wide(
        user,
        contacts.select_related("client_entity"),
        need=need,
        held=held,
        uuid=contact_uuid,
    )
