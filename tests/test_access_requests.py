"""loket.access's rules for file requests (loket/access/requests.py) on the
personas: one example per rule the pages and the API do not show already
(tests/test_persona_matrix.py walks every route)."""

import pytest
from django.utils import timezone

from loket import access
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.requests import actions
from loket.requests.models import Recipient, Request
from loket.roles.models import RoleAssignment
from tests.conftest import grant

pytestmark = pytest.mark.django_db

Status = Request.Status


def _asked(entity: Entity, actor: User, recipients: list[User]) -> Request:
    return actions.create_request(
        entity, actor=actor, recipients=recipients, subject="Jaarstukken"
    )


def _caps(user: User, entity: Entity) -> frozenset[str]:
    return access.entity_capabilities(user, entity)


def test_an_archived_entity_takes_no_new_requests_from_anyone(
    staff_owner: User, contact: User, entity: Entity
) -> None:
    assert access.may_create_requests_in(_caps(staff_owner, entity), entity) is True
    assert list(access.creatable_entities(contact)) == [entity]
    entity.archived_at = timezone.now()
    entity.save()
    assert access.may_create_requests_in(_caps(staff_owner, entity), entity) is False
    assert access.may_create_requests(staff_owner) is False
    assert access.may_create_requests(contact) is False


def test_staff_manage_every_request_a_contact_only_their_own(
    staff_reader: User, contact: User, group_contact: User, entity: Entity
) -> None:
    by_staff = _asked(entity, staff_reader, [contact])
    by_contact = _asked(entity, contact, [group_contact])
    staff_caps, contact_caps = _caps(staff_reader, entity), _caps(contact, entity)
    assert access.may_manage_request(staff_reader, staff_caps) is True
    assert access.may_manage_request(staff_reader, staff_caps, by_contact) is True
    assert access.may_manage_request(contact, contact_caps) is False
    assert access.may_manage_request(contact, contact_caps, by_staff) is False
    assert access.may_manage_request(contact, contact_caps, by_contact) is True
    # Reduced to Contact – Entity Access, the contact no longer manages it.
    RoleAssignment.objects.filter(user=contact).delete()
    grant(contact, "contact-entity-access", entity)
    reduced = _caps(contact, entity)
    assert access.may_manage_request(contact, reduced, by_contact) is False


def test_each_button_waits_for_its_status(
    staff_reader: User, contact: User, entity: Entity
) -> None:
    caps = _caps(staff_reader, entity)
    request = _asked(entity, staff_reader, [contact])
    buttons = (
        access.may_send_request,
        access.may_edit_request,
        access.may_review,
        access.may_cancel_request,
    )
    expected = {
        Status.NOT_SENT: (True, True, False, True),
        Status.AWAITING: (False, True, False, True),
        Status.RESPONDED: (False, True, True, True),
        Status.RETURNED: (False, True, False, True),
        Status.COMPLETED: (False, False, False, False),
        Status.CANCELLED: (False, False, False, False),
    }
    for status, shown in expected.items():
        request.status = status
        assert tuple(may(staff_reader, caps, request) for may in buttons) == shown
    # Without activities.create on the entity, none of them.
    request.status = Status.RESPONDED
    assert access.may_review(staff_reader, frozenset(), request) is False


def test_a_recipient_with_contact_entity_staff_responds_while_it_is_open(
    staff_reader: User,
    contact: User,
    group_contact: User,
    viewer_contact: User,
    entity: Entity,
) -> None:
    request = _asked(entity, staff_reader, [contact])
    # A recipient since reduced to Contact – Entity Access.
    Recipient.objects.create(request=request, user=viewer_contact)
    caps = _caps(contact, entity)
    assert access.is_recipient(contact, request) is True
    assert access.may_respond(contact, caps, request) is True
    assert access.may_respond_now(contact, caps, request) is True
    # Not addressed, or nothing to respond with.
    assert (
        access.may_respond(group_contact, _caps(group_contact, entity), request)
        is False
    )
    assert (
        access.may_respond(viewer_contact, _caps(viewer_contact, entity), request)
        is False
    )
    assert (
        access.may_respond(staff_reader, _caps(staff_reader, entity), request) is False
    )
    # A caller that read the recipients already says so (no query).
    assert access.may_respond(group_contact, caps, request, addressed=True) is True
    actions.cancel_request(request, actor=staff_reader)
    assert access.may_respond(contact, caps, request) is True
    assert access.may_respond_now(contact, caps, request) is False


def test_internal_comments_are_the_staffs(
    staff_member: User, staff_reader: User, contact: User
) -> None:
    assert access.may_use_internal_comments(staff_member) is True
    assert access.may_use_internal_comments(staff_reader) is True
    assert access.may_use_internal_comments(contact) is False


def test_who_follows_and_reminds(
    staff_owner: User, contact: User, entity: Entity
) -> None:
    request = _asked(entity, staff_owner, [contact])
    staff_caps, contact_caps = _caps(staff_owner, entity), _caps(contact, entity)
    assert access.may_follow(staff_caps) is True
    assert access.may_manage_reminders(staff_caps) is True
    assert access.may_remind(staff_caps, request) is True
    assert access.may_follow(contact_caps) is False
    assert access.may_manage_reminders(contact_caps) is False
    assert access.may_remind(contact_caps, request) is False
    actions.cancel_request(request, actor=staff_owner)
    assert access.may_remind(staff_caps, request) is False
    assert access.may_manage_reminders(staff_caps) is True
