"""Changes to many contacts at once: atomic, each writing its history."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from loket.accounts.actions import new_person
from loket.accounts.models import User
from loket.audit.actions import Entry, record_many
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership


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

    Each contact gets its own `contact.created` event (marked as imported), each
    membership its `group.member_added`, and the import as a whole one
    `contact.imported` event. Written in bulk: a few queries for the whole file.
    """
    if not rows:
        raise ValidationError(_("There are no rows to import."), code="empty")
    contacts = [_contact(row) for row in rows]
    emails = [contact.email for contact in contacts]
    repeated = {email for email, n in Counter(emails).items() if n > 1}
    taken = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    clashes = sorted(repeated | taken)
    if clashes:
        raise ValidationError(
            _("%(email)s: %(problem)s")
            % {
                "email": clashes[0],
                "problem": _("A user with this e-mail address exists."),
            },
            code="row_refused",
        )
    User.objects.bulk_create(contacts)
    memberships = [
        GroupMembership(group=group, user=contact)
        for contact, row in zip(contacts, rows, strict=True)
        for group in row.groups
    ]
    GroupMembership.objects.bulk_create(memberships)
    entries = [
        Entry(
            Event.Verb.CONTACT_CREATED,
            actor,
            target=contact,
            entity=contact.client_entity,
            data={"email": contact.email, "import": True},
        )
        for contact in contacts
    ]
    entries += [
        Entry(
            Event.Verb.GROUP_MEMBER_ADDED,
            actor,
            target=membership.group,
            data={
                "member": str(membership.user.uuid),
                "member_email": membership.user.email,
            },
        )
        for membership in memberships
    ]
    entries.append(
        Entry(
            Event.Verb.CONTACTS_IMPORTED,
            actor,
            target_label=file_name,
            data={"count": len(contacts), "file_name": file_name},
        )
    )
    record_many(entries, request=request)
    return contacts


def _contact(row: NewContact) -> User:
    if any(group.kind != Group.Kind.CONTACT for group in row.groups):
        raise ValidationError(
            _("A contact group holds only contacts."), code="wrong_member_kind"
        )
    try:
        return new_person(
            kind=User.Kind.CONTACT,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            language=row.language,
            client_entity=row.client_entity,
        )
    except ValidationError as error:
        raise ValidationError(
            _("%(email)s: %(problem)s")
            % {"email": row.email, "problem": " ".join(error.messages)},
            code="row_refused",
        ) from error
