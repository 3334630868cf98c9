"""Activities → New → File request: the wizard, step by step, through the
test client (tests/test_browser_requests.py drives it in Chromium)."""

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files.models import File
from loket.requests.models import Request, RequestFile
from loket.requests.wizard import SESSION_KEY
from tests.conftest import ClientFor
from tests.files_support import add, finished_upload

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

NEW = "/activities/new/file-request/"


def _key(response: "Response") -> str:
    found = re.search(r'name="wizard" value="([^"]+)"', response.text)
    assert found, "the page carries the wizard's key"
    return found.group(1)


def _follow(client: Client, response: "Response") -> "Response":
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"])


def _post(client: Client, key: str, step: str, action: str, **data: Any) -> "Response":
    return client.post(NEW, {"wizard": key, "step": step, "action": action, **data})


@pytest.mark.parametrize(
    "persona",
    ["viewer_contact", "staff_member", "entity_admin"],
)
def test_only_those_who_may_create_activities_open_the_wizard(
    request: pytest.FixtureRequest, client_for: ClientFor, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get(NEW).status_code == 403
    assert client_for(user).post(NEW, {"step": "recipients"}).status_code == 403


def test_a_preset_entity_must_be_one_the_user_may_create_in(
    client_for: ClientFor, staff_reader: User, other_entity: Entity
) -> None:
    assert (
        client_for(staff_reader).get(f"{NEW}?entity={other_entity.uuid}").status_code
        == 404
    )
    assert client_for(staff_reader).get(f"{NEW}?entity=nonsense").status_code == 404


def test_the_entity_step_lists_and_searches_the_users_entities(
    client_for: ClientFor, staff_reader: User, entity: Entity, other_entity: Entity
) -> None:
    client = client_for(staff_reader)
    page = client.get(NEW)
    assert page.status_code == 200
    assert entity.name in page.text
    assert other_entity.name not in page.text
    key = _key(page)
    assert "Bakkerij" not in client.get(f"{NEW}?wizard={key}&q=garage").text
    forged = _post(client, key, "recipients", "choose", entity=str(other_entity.uuid))
    assert forged.status_code == 400
    assert "Choose one of the entities listed." in forged.text


def test_a_reader_creates_and_sends_a_file_request_step_by_step(
    client_for: ClientFor,
    staff_reader: User,
    entity: Entity,
    contact: User,
    group_contact: User,
    viewer_contact: User,
) -> None:
    file = add(entity, contact, "loonstrook.pdf")
    client = client_for(staff_reader)
    key = _key(client.get(NEW))

    # Step 1: the entity, then its contacts; Entity Access shown, disabled.
    page = _follow(
        client, _post(client, key, "recipients", "choose", entity=str(entity.uuid))
    )
    assert "Step 1 of 4" in page.text
    for person in (contact, group_contact, viewer_contact):
        assert person.email in page.text
    assert f'value="{viewer_contact.uuid}" disabled' in page.text
    assert "Requests need the role Contact – Entity Staff." in page.text
    refused = _post(client, key, "recipients", "next")
    assert refused.status_code == 400
    assert "Choose at least one recipient." in refused.text
    forged = _post(
        client, key, "recipients", "next", recipient=[str(viewer_contact.uuid)]
    )
    assert forged.status_code == 400
    chosen = [str(contact.uuid), str(group_contact.uuid)]
    page = _follow(client, _post(client, key, "recipients", "next", recipient=chosen))
    assert "Step 2 of 4" in page.text

    # Step 2: subject required; Back keeps what was typed.
    refused = _post(client, key, "details", "next", subject="", description="Graag")
    assert refused.status_code == 400
    assert "This field is required." in refused.text
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    details = {
        "subject": "Loonstroken 2025",
        "description": "Alle maanden.\nDank!",
        "due_date": due,
    }
    back = _follow(client, _post(client, key, "details", "back", **details))
    assert f'value="{contact.uuid}" checked' in back.text
    again = client.get(f"{NEW}?wizard={key}&step=details")
    assert 'value="Loonstroken 2025"' in again.text
    assert f'value="{due}"' in again.text
    page = _follow(client, _post(client, key, "details", "next", **details))

    # Step 3: the additional message (notifications are on by default).
    assert "Additional message" in page.text
    page = _follow(
        client, _post(client, key, "message", "next", additional_message="Zie bijlage.")
    )

    # Step 4: attach an existing file, then Done.
    assert "Existing" in page.text
    assert "loonstrook.pdf" in page.text
    response = _post(client, key, "attachments", "done", attachment=[str(file.uuid)])
    request = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == request.get_absolute_url()
    assert request.status == Request.Status.AWAITING
    assert request.subject == "Loonstroken 2025"
    assert request.description == "Alle maanden.\nDank!"
    assert request.due_date is not None
    assert request.due_date.isoformat() == due
    assert request.additional_message == "Zie bijlage."
    assert set(request.recipients.all()) == {contact, group_contact}
    (link,) = RequestFile.objects.filter(request=request)
    assert (link.file, link.role) == (file, RequestFile.Role.ATTACHMENT)
    verbs = set(Event.objects.filter(entity=entity).values_list("verb", flat=True))
    assert {Event.Verb.REQUEST_CREATED, Event.Verb.REQUEST_SENT} <= verbs
    assert key not in client.session.get(SESSION_KEY, {})


def _to_attachments(client: Client, entity: Entity, contact: User) -> str:
    key = _key(client.get(f"{NEW}?entity={entity.uuid}"))
    _post(client, key, "recipients", "next", recipient=[str(contact.uuid)])
    _post(client, key, "details", "next", subject="Bankafschriften", limited="on")
    return key


def test_without_notifications_there_is_no_message_step(
    client_for: ClientFor,
    staff_reader: User,
    entity: Entity,
    contact: User,
    settings: Any,
) -> None:
    settings.LOKET_NOTIFICATIONS_ENABLED = False
    client = client_for(staff_reader)
    key = _key(client.get(f"{NEW}?entity={entity.uuid}"))
    page = client.get(f"{NEW}?wizard={key}")
    assert "Step 1 of 3" in page.text
    _post(client, key, "recipients", "next", recipient=[str(contact.uuid)])
    response = _post(client, key, "details", "next", subject="Bankafschriften")
    assert "step=attachments" in response["Location"]
    _post(client, key, "attachments", "done")
    assert Request.objects.get().additional_message == ""


def test_save_as_draft_keeps_it_unsent_and_limited(
    client_for: ClientFor, staff_reader: User, entity: Entity, contact: User
) -> None:
    client = client_for(staff_reader)
    key = _to_attachments(client, entity, contact)
    _post(client, key, "attachments", "draft")
    request = Request.objects.get()
    assert request.status == Request.Status.NOT_SENT
    assert request.limited is True
    assert not Event.objects.filter(verb=Event.Verb.REQUEST_SENT).exists()
    assert request.subject not in client_for(contact).get("/").text


def test_a_reader_uploads_an_attachment_into_the_entitys_files(
    client_for: ClientFor, staff_reader: User, entity: Entity, contact: User
) -> None:
    client = client_for(staff_reader)
    key = _to_attachments(client, entity, contact)
    page = client.get(f"{NEW}?wizard={key}&step=attachments").text
    assert 'data-commit-url="/activities/new/file-request/upload/"' in page
    upload = finished_upload(staff_reader, entity, filename="machtiging.pdf")
    response = client.post(f"{NEW}upload/", {"wizard": key, "upload": str(upload.uuid)})
    assert response.status_code == 201
    file = File.objects.get(name="machtiging.pdf")
    assert file.entity == entity
    assert file.created_by == staff_reader
    assert f'value="{file.uuid}" checked' in response.text
    _post(client, key, "attachments", "done", attachment=[str(file.uuid)])
    request = Request.objects.get()
    assert request.request_files.get().file == file


def test_the_upload_commit_refuses_without_a_wizard_or_with_a_bad_upload(
    client_for: ClientFor,
    staff_reader: User,
    entity: Entity,
    contact: User,
    outsider: User,
    other_entity: Entity,
) -> None:
    client = client_for(staff_reader)
    response = client.post(f"{NEW}upload/", {"wizard": "gone", "upload": "x"})
    assert response.status_code == 400
    assert "expired" in response.json()["detail"]
    key = _to_attachments(client, entity, contact)
    theirs = finished_upload(outsider, other_entity)
    response = client.post(f"{NEW}upload/", {"wizard": key, "upload": str(theirs.uuid)})
    assert response.status_code == 400
    assert response.json() == {"detail": "There is no such upload."}
    assert not File.objects.exists()
    # Another user's wizard is not theirs to add to.
    response = client_for(contact).post(f"{NEW}upload/", {"wizard": key})
    assert response.status_code == 400
    assert not File.objects.exists()


def test_an_expired_wizard_starts_again(
    client_for: ClientFor, staff_reader: User
) -> None:
    client = client_for(staff_reader)
    response = _post(client, "no-such-key", "details", "next", subject="X")
    assert response.status_code == 302
    assert response["Location"] == NEW
    page = client.get(NEW)
    assert "This new request has expired. Please start again." in page.text
    assert not Request.objects.exists()


def test_a_later_step_before_its_input_shows_the_first_missing_one(
    client_for: ClientFor, staff_reader: User, entity: Entity
) -> None:
    client = client_for(staff_reader)
    key = _key(client.get(f"{NEW}?entity={entity.uuid}"))
    page = client.get(f"{NEW}?wizard={key}&step=attachments")
    assert "Step 1 of 4" in page.text
    response = _post(client, key, "attachments", "done")
    assert response.status_code == 302
    assert not Request.objects.exists()


def test_two_wizards_in_one_session_do_not_mix(
    client_for: ClientFor, staff_reader: User, entity: Entity, contact: User
) -> None:
    client = client_for(staff_reader)
    first = _to_attachments(client, entity, contact)
    second = _key(client.get(f"{NEW}?entity={entity.uuid}"))
    assert first != second
    page = client.get(f"{NEW}?wizard={first}&step=details")
    assert 'value="Bankafschriften"' in page.text
    assert (
        'value="Bankafschriften"'
        not in client.get(f"{NEW}?wizard={second}&step=details").text
    )


def test_the_firms_email_settings_switch_the_message_step_and_the_emails(
    client_for: ClientFor, staff_reader: User, entity: Entity, contact: User
) -> None:
    from django.core import mail

    from loket.notifications.models import EmailSettings

    firm = EmailSettings.load()
    firm.notifications_enabled = False
    firm.save()
    client = client_for(staff_reader)
    key = _key(client.get(f"{NEW}?entity={entity.uuid}"))
    assert "Step 1 of 3" in client.get(f"{NEW}?wizard={key}").text
    _post(client, key, "recipients", "next", recipient=[str(contact.uuid)])
    _post(client, key, "details", "next", subject="Bankafschriften")
    _post(client, key, "attachments", "done")
    assert Request.objects.get().status == Request.Status.AWAITING
    assert mail.outbox == []

    firm.notifications_enabled = True
    firm.save()
    key = _key(client.get(f"{NEW}?entity={entity.uuid}"))
    assert "Step 1 of 4" in client.get(f"{NEW}?wizard={key}").text
    _post(client, key, "recipients", "next", recipient=[str(contact.uuid)])
    _post(client, key, "details", "next", subject="Loonstroken")
    _post(client, key, "message", "next", additional_message="Graag voor vrijdag.")
    _post(client, key, "attachments", "done")
    [message] = mail.outbox
    assert message.to == [contact.email]
    assert "Loonstroken" in message.subject
    assert "Graag voor vrijdag." in str(message.body)


def test_a_contact_with_entity_staff_creates_an_activity_of_their_own(
    client_for: ClientFor,
    contact: User,
    group_contact: User,
    entity: Entity,
    other_entity: Entity,
) -> None:
    """The seed: Contact – Entity Staff may create their own files and
    activities in their entity (and only there)."""
    client = client_for(contact)
    assert client.get(f"{NEW}?entity={other_entity.uuid}").status_code == 404
    key = _key(client.get(f"{NEW}?entity={entity.uuid}"))
    _post(client, key, "recipients", "next", recipient=[str(group_contact.uuid)])
    _post(client, key, "details", "next", subject="Bonnetjes maart")
    _post(client, key, "message", "next", additional_message="")
    response = _post(client, key, "attachments", "done")
    request = Request.objects.get()
    assert response.status_code == 302
    assert (request.created_by, request.entity) == (contact, entity)
    assert list(request.recipients.all()) == [group_contact]
    assert Event.objects.filter(
        verb=Event.Verb.REQUEST_SENT, actor=contact, entity=entity
    ).exists()
    # They manage what they made: cancel it.
    cancel = client.post(f"/activities/{request.uuid}/cancel/")
    assert cancel.status_code == 302
    request.refresh_from_db()
    assert request.status == Request.Status.CANCELLED
