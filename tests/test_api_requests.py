"""/api/v1/requests: the same access and actions as the Activities pages."""

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loket.accounts.api_tokens import create_api_token
from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.requests import actions
from loket.requests.models import Comment, Recipient, Request, RequestFile
from loket.roles.models import RoleAssignment
from tests.conftest import ClientFor, grant
from tests.files_support import add, finished_upload, pdf

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

API = "/api/v1/requests"


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> "Response":
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _patch(client: Client, url: str, body: dict[str, Any]) -> "Response":
    return client.patch(url, json.dumps(body), content_type="application/json")


def _token_client(user: User) -> Client:
    _token, raw = create_api_token(user, name="test", actor=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _request(
    entity: Entity, actor: User, recipients: list[User], **kwargs: Any
) -> Request:
    kwargs.setdefault("subject", "Jaarstukken 2025")
    return actions.create_request(entity, actor=actor, recipients=recipients, **kwargs)


@pytest.fixture
def asked(entity: Entity, staff_reader: User, contact: User) -> Request:
    return _request(entity, staff_reader, [contact])


# Creating.


def test_a_reader_creates_an_update_request_with_a_token(
    entity: Entity, staff_reader: User, contact: User, group_contact: User
) -> None:
    file = add(entity, staff_reader, "aangifte.pdf")
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = _post(
        _token_client(staff_reader),
        API,
        {
            "entity": str(entity.uuid),
            "subject": "Aangifte tekenen",
            "description": "Graag tekenen.",
            "recipients": [str(contact.uuid), str(group_contact.uuid)],
            "attachments": [str(file.uuid)],
            "due_date": due,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "awaiting"
    assert body["update_request"] is True
    assert body["due_date"] == due
    assert body["attachments"][0]["file"] == str(file.uuid)
    assert {r["person"]["uuid"] for r in body["recipients"]} == {
        str(contact.uuid),
        str(group_contact.uuid),
    }
    request = Request.objects.get(uuid=body["uuid"])
    assert request.created_by == staff_reader
    assert Event.objects.filter(
        verb=Event.Verb.REQUEST_SENT, entity=entity, actor=staff_reader
    ).exists()


def test_a_draft_through_the_api_is_sent_later(
    client_for: ClientFor, entity: Entity, staff_reader: User, contact: User
) -> None:
    client = client_for(staff_reader)
    body = {
        "entity": str(entity.uuid),
        "subject": "Concept",
        "recipients": [str(contact.uuid)],
        "send": False,
    }
    created = _post(client, API, body).json()
    assert created["status"] == "not_sent"
    assert client_for(contact).get(f"{API}/{created['uuid']}").status_code == 404
    sent = _post(client, f"{API}/{created['uuid']}/send")
    assert sent.json()["status"] == "awaiting"
    assert _post(client, f"{API}/{created['uuid']}/send").status_code == 409
    assert client_for(contact).get(f"{API}/{created['uuid']}").status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("outsider", 404),
        ("staff_member", 404),
        ("staff_admin", 404),
        ("viewer_contact", 403),
        ("entity_admin", 403),
    ],
)
def test_who_may_not_create(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    contact: User,
    persona: str,
    status: int,
) -> None:
    user = request.getfixturevalue(persona)
    body = {
        "entity": str(entity.uuid),
        "subject": "X",
        "recipients": [str(contact.uuid)],
    }
    assert _post(client_for(user), API, body).status_code == status
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject": " "}, "Enter a subject."),
        ({"recipients": []}, "Choose at least one recipient."),
        (
            {"recipients": ["viewer"]},
            "Vera Tester cannot receive requests for Bakkerij de Vries BV: that "
            "needs the role Contact – Entity Staff on the entity.",
        ),
        (
            {"recipients": ["outsider"]},
            "One of the recipients is not a contact with access to this entity.",
        ),
        ({"attachments": ["elsewhere"]}, "There is no such file in this entity."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(
    client_for: ClientFor,
    entity: Entity,
    other_entity: Entity,
    staff_reader: User,
    firm_admin: User,
    contact: User,
    viewer_contact: User,
    outsider: User,
    change: dict[str, Any],
    message: str,
) -> None:
    named = {
        "viewer": str(viewer_contact.uuid),
        "outsider": str(outsider.uuid),
        "elsewhere": str(add(other_entity, firm_admin, "x.pdf").uuid),
    }
    body: dict[str, Any] = {
        "entity": str(entity.uuid),
        "subject": "Jaarstukken",
        "recipients": [str(contact.uuid)],
    }
    for key, value in change.items():
        body[key] = [named[v] for v in value] if isinstance(value, list) else value
    response = _post(client_for(staff_reader), API, body)
    assert response.status_code == 422
    assert [item["msg"] for item in response.json()["detail"]] == [message]
    assert not Request.objects.exists()
    assert not Event.objects.filter(verb__startswith="request.").exists()


# Reading.


def test_the_list_filters_and_shows_only_what_the_caller_may_see(
    client_for: ClientFor,
    entity: Entity,
    other_entity: Entity,
    staff_reader: User,
    firm_admin: User,
    contact: User,
    outsider: User,
) -> None:
    _request(entity, staff_reader, [contact], subject="Bank")
    _request(entity, staff_reader, [contact], subject="Concept", send=False)
    theirs = _request(other_entity, firm_admin, [outsider], subject="Garage")
    Request.objects.filter(pk=theirs.pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )

    def subjects(client: Client, query: str = "") -> set[str]:
        response = client.get(f"{API}?{query}")
        assert response.status_code == 200
        return {item["subject"] for item in response.json()["items"]}

    admin = client_for(firm_admin)
    assert subjects(admin) == {"Bank", "Concept", "Garage"}
    assert subjects(admin, f"entity={other_entity.uuid}") == {"Garage"}
    assert subjects(admin, "status=not_sent") == {"Concept"}
    assert subjects(admin, "status=open") == {"Bank", "Garage"}
    assert subjects(admin, "overdue=true") == {"Garage"}
    assert subjects(admin, "overdue=false") == {"Bank", "Concept"}
    assert subjects(admin, f"recipient={outsider.uuid}") == {"Garage"}
    assert subjects(admin, "mine=true") == {"Garage"}
    assert subjects(client_for(staff_reader)) == {"Bank", "Concept"}
    assert subjects(client_for(contact)) == {"Bank"}
    assert subjects(client_for(outsider)) == {"Garage"}
    assert admin.get(f"{API}?status=bogus").status_code == 422


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("outsider", 404),
        ("staff_member", 404),
        ("viewer_contact", 404),
        ("group_contact", 404),
        ("contact", 200),
        ("staff_reader", 200),
    ],
)
def test_who_reads_a_request(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    asked: Request,
    persona: str,
    status: int,
) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get(f"{API}/{asked.uuid}").status_code == status


def test_the_list_costs_the_same_for_3_or_30_requests(
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    contact: User,
    group_contact: User,
) -> None:
    client = client_for(staff_reader)
    file = add(entity, staff_reader, "a.pdf")

    def make(count: int) -> None:
        for _ in range(count):
            req = _request(
                entity, staff_reader, [contact, group_contact], attachments=[file]
            )
            actions.add_response_file(
                req, actor=contact, upload=finished_upload(contact, entity)
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}?limit=50").status_code == 200
        return len(captured)

    make(3)
    few = queries()
    make(27)
    assert queries() == few


# Responding and reviewing.


def test_a_contact_responds_from_a_tus_upload_and_staff_return_then_accept(
    client_for: ClientFor, entity: Entity, staff_owner: User, contact: User
) -> None:
    file = add(entity, staff_owner, "aangifte.pdf", pdf("1"))
    asked = _request(entity, staff_owner, [contact], attachments=[file])
    client = client_for(contact)
    url = f"{API}/{asked.uuid}"
    assert _post(client, f"{url}/submit").status_code == 422
    upload = finished_upload(contact, entity, pdf("2"), "getekend.pdf")
    response = _post(
        client,
        f"{url}/files",
        {"upload": str(upload.uuid), "attachment": str(file.uuid)},
    )
    assert response.status_code == 201, response.content
    assert response.json()["version_number"] == 2
    assert response.json()["file"] == str(file.uuid)
    extra = finished_upload(contact, entity, pdf("3"), "bijlage.pdf")
    response = _post(client, f"{url}/files", {"upload": str(extra.uuid)})
    assert response.json()["name"] == "bijlage.pdf"
    body = _post(client, f"{url}/submit", {"note": "Getekend."}).json()
    assert body["status"] == "responded"
    assert len(body["responses"]) == 2
    assert all(item["submitted_at"] for item in body["responses"])

    staff = client_for(staff_owner)
    assert _post(staff, f"{url}/return", {"comment": ""}).status_code == 422
    returned = _post(staff, f"{url}/return", {"comment": "Handtekening mist."})
    assert returned.json()["status"] == "returned"
    assert _post(staff, f"{url}/accept").status_code == 409
    again = finished_upload(contact, entity, pdf("4"))
    _post(
        client,
        f"{url}/files",
        {"upload": str(again.uuid), "attachment": str(file.uuid)},
    )
    _post(client, f"{url}/submit")
    accepted = _post(staff, f"{url}/accept")
    assert accepted.json()["status"] == "completed"
    file.refresh_from_db()
    assert file.current_version is not None
    assert file.current_version.number == 3
    verbs = list(
        Event.objects.filter(target_id=str(asked.uuid)).values_list("verb", flat=True)
    )
    assert verbs.count(Event.Verb.REQUEST_FILE_RECEIVED) == 3
    assert Event.Verb.REQUEST_ACCEPTED in verbs


def test_not_applicable_and_cancel(
    client_for: ClientFor, asked: Request, staff_reader: User, contact: User
) -> None:
    url = f"{API}/{asked.uuid}"
    response = _post(
        client_for(contact), f"{url}/not-applicable", {"reason": "Geen auto."}
    )
    assert response.json()["recipients"][0]["not_applicable"] is True
    assert response.json()["recipients"][0]["reason"] == "Geen auto."
    assert (
        _post(client_for(contact), f"{url}/not-applicable", {"reason": "x"}).status_code
        == 409
    )
    cancelled = _post(client_for(staff_reader), f"{url}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert _post(client_for(staff_reader), f"{url}/cancel").status_code == 409


def test_the_response_routes_are_for_recipients_with_entity_staff(
    client_for: ClientFor,
    asked: Request,
    entity: Entity,
    contact: User,
    group_contact: User,
    staff_reader: User,
) -> None:
    url = f"{API}/{asked.uuid}"
    # Another contact of the entity does not see it at all.
    upload = finished_upload(group_contact, entity)
    assert (
        _post(
            client_for(group_contact), f"{url}/files", {"upload": str(upload.uuid)}
        ).status_code
        == 404
    )
    # Staff see it but do not respond for the contact.
    assert _post(client_for(staff_reader), f"{url}/submit").status_code == 403
    # A recipient reduced to Entity Access reads it but cannot respond.
    RoleAssignment.objects.filter(user=contact).delete()
    grant(contact, "contact-entity-access", entity)
    mine = finished_upload(contact, entity)
    client = client_for(contact)
    assert client.get(url).status_code == 200
    assert _post(client, f"{url}/files", {"upload": str(mine.uuid)}).status_code == 403
    assert _post(client, f"{url}/not-applicable", {"reason": "x"}).status_code == 403
    assert not RequestFile.objects.exists()


def test_a_bad_upload_or_attachment_is_refused(
    client_for: ClientFor,
    asked: Request,
    entity: Entity,
    contact: User,
    staff_reader: User,
) -> None:
    client = client_for(contact)
    url = f"{API}/{asked.uuid}/files"
    someone_elses = finished_upload(staff_reader, entity)
    response = _post(client, url, {"upload": str(someone_elses.uuid)})
    assert response.status_code == 422
    mine = finished_upload(contact, entity)
    not_attached = add(entity, staff_reader, "los.pdf")
    response = _post(
        client, url, {"upload": str(mine.uuid), "attachment": str(not_attached.uuid)}
    )
    assert response.status_code == 422
    assert (
        response.json()["detail"][0]["msg"]
        == "That file is not attached to this request."
    )
    assert not RequestFile.objects.exists()


@pytest.mark.parametrize("action", ["send", "accept", "return", "cancel"])
def test_contacts_cannot_use_the_staff_routes(
    client_for: ClientFor, asked: Request, contact: User, action: str
) -> None:
    response = _post(
        client_for(contact), f"{API}/{asked.uuid}/{action}", {"comment": "x"}
    )
    assert response.status_code == 403
    assert (
        _patch(client_for(contact), f"{API}/{asked.uuid}", {"subject": "x"}).status_code
        == 403
    )


def test_staff_change_recipients_and_due_date(
    client_for: ClientFor,
    asked: Request,
    staff_reader: User,
    contact: User,
    group_contact: User,
) -> None:
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    body = _patch(
        client_for(staff_reader),
        f"{API}/{asked.uuid}",
        {"recipients": [str(group_contact.uuid)], "due_date": due},
    ).json()
    assert body["due_date"] == due
    assert [r["person"]["uuid"] for r in body["recipients"]] == [
        str(group_contact.uuid)
    ]
    cleared = _patch(
        client_for(staff_reader), f"{API}/{asked.uuid}", {"due_date": None}
    )
    assert cleared.json()["due_date"] is None
    refused = _patch(client_for(staff_reader), f"{API}/{asked.uuid}", {"subject": None})
    assert refused.status_code == 422
    rows = Recipient.objects.filter(request=asked).values_list("user", flat=True)
    assert list(rows) == [group_contact.pk]
    assert contact.pk not in rows


# Comments.


def test_internal_comments_are_never_given_to_contacts(
    client_for: ClientFor, asked: Request, staff_reader: User, contact: User
) -> None:
    url = f"{API}/{asked.uuid}/comments"
    staff = client_for(staff_reader)
    assert _post(staff, url, {"body": "Intern", "internal": True}).status_code == 201
    assert _post(staff, url, {"body": "Voor de klant"}).status_code == 201
    refused = _post(client_for(contact), url, {"body": "Stiekem", "internal": True})
    assert refused.status_code == 422
    assert _post(client_for(contact), url, {"body": "Dank"}).status_code == 201
    assert [c["body"] for c in staff.get(url).json()] == [
        "Intern",
        "Voor de klant",
        "Dank",
    ]
    assert [c["body"] for c in client_for(contact).get(url).json()] == [
        "Voor de klant",
        "Dank",
    ]
    assert Comment.objects.count() == 3


def test_an_outsider_gets_404_for_the_comments(
    client_for: ClientFor, asked: Request, outsider: User
) -> None:
    url = f"{API}/{asked.uuid}/comments"
    assert client_for(outsider).get(url).status_code == 404
    assert _post(client_for(outsider), url, {"body": "Hoi"}).status_code == 404
