"""Changes to many contacts at once: atomic, each writing its history."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from loket.accounts.actions import create_person
from loket.accounts.models import User
from loket.audit.actions import record
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.actions import add_member
from loket.groups.models import Group


@dataclass(frozen=True)
class NewContact:
    """One contact to create, with its entity and groups already found."""

    email: str
    first_name: str
    last_name: str
    client_entity: Entity
    groups: tuple[Group, ...] = ()
    language: str = User.Language.NL


@transaction.atomic
def import_contacts(
    rows: Sequence[NewContact],
    *,
    actor: User,
    request: HttpRequest | None = None,
    file_name: str = "",
) -> list[User]:
    """Create every contact of `rows` and add each to its groups, or none.

    Each contact gets its own `contact.created` event (marked as imported) and
    the import as a whole one `contact.imported` event.
    """
    if not rows:
        raise ValidationError(_("There are no rows to import."), code="empty")
    created = []
    for row in rows:
        try:
            contact = create_person(
                kind=User.Kind.CONTACT,
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
                language=row.language,
                client_entity=row.client_entity,
                actor=actor,
                request=request,
                data={"import": True},
            )
        except ValidationError as error:
            raise ValidationError(
                _("%(email)s: %(problem)s")
                % {"email": row.email, "problem": " ".join(error.messages)},
                code="row_refused",
            ) from error
        for group in row.groups:
            add_member(group, contact, actor=actor)
        created.append(contact)
    record(
        Event.Verb.CONTACTS_IMPORTED,
        actor=actor,
        target_label=file_name,
        data={"count": len(created), "file_name": file_name},
        request=request,
    )
    return created
