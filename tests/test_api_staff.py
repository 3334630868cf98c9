"""/api/v1/staff."""

from typing import Any

import pytest
from django.core import mail

from loket.accounts.models import User
from loket.audit.models import Event
from tests.conftest import ClientFor, make_user
from tests.test_api_support import event_count, events, send, token_client

pytestmark = pytest.mark.django_db

NEW = {"email": "nieuw@firm.test", "first_name": "Nico", "last_name": "Nieuw"}

# Contacts see no staff (403 on the list, 404 on one); staff without
# staff.manage may look but not change (403).
REFUSALS = [
    ("get", "staff", "outsider", 403),
    ("post", "staff", "outsider", 403),
    ("post", "staff", "staff_member", 403),
    ("post", "staff", "entity_admin", 403),
    ("get", "staff/{colleague}", "contact", 404),
    ("patch", "staff/{colleague}", "outsider", 404),
    ("patch", "staff/{colleague}", "staff_member", 403),
    ("post", "staff/{colleague}/invite", "outsider", 404),
    ("post", "staff/{colleague}/invite", "staff_member", 403),
    ("post", "staff/{colleague}/deactivate", "contact", 404),
    ("post", "staff/{colleague}/deactivate", "settings_admin", 403),
    ("post", "staff/{colleague}/reactivate", "outsider", 404),
    ("post", "staff/{colleague}/reactivate", "staff_member", 403),
]


@pytest.fixture
def colleague(db: None) -> User:
    return make_user(
        "nog@firm.test", kind=User.Kind.STAFF, state=User.State.NOT_ACTIVATED
    )


@pytest.mark.parametrize(("method", "path", "persona", "status"), REFUSALS)
def test_refusals(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    colleague: User,
    method: str,
    path: str,
    persona: str,
    status: int,
) -> None:
    user: User = request.getfixturevalue(persona)
    before = (event_count(), User.objects.count(), len(mail.outbox))
    body: Any = None
    if method == "post" and path == "staff":
        body = NEW
    if method == "patch":
        body = {"first_name": "Changed"}
    url = path.format(colleague=colleague.uuid)
    response = send(client_for(user), method, url, body)
    assert response.status_code == status
    assert response.json() == {"detail": "Forbidden" if status == 403 else "Not Found"}
    assert (event_count(), User.objects.count(), len(mail.outbox)) == before
    colleague.refresh_from_db()
    assert colleague.first_name != "Changed"
    assert colleague.state == User.State.NOT_ACTIVATED


def test_staff_see_their_colleagues_but_no_contacts(
    client_for: ClientFor, staff_member: User, firm_admin: User, contact: User
) -> None:
    response = send(client_for(staff_member), "get", "staff?q=firm.test")
    assert response.status_code == 200
    emails = {item["email"] for item in response.json()["items"]}
    assert emails == {staff_member.email, firm_admin.email}
    response = send(client_for(staff_member), "get", f"staff/{contact.uuid}")
    assert response.status_code == 404


def test_a_staff_administrator_creates_a_staff_member(staff_admin: User) -> None:
    response = send(token_client(staff_admin), "post", "staff", NEW)
    assert response.status_code == 201
    created = User.objects.get(uuid=response.json()["uuid"])
    assert created.kind == User.Kind.STAFF
    assert created.state == User.State.NOT_ACTIVATED
    assert created.client_entity is None
    (event,) = events(Event.Verb.STAFF_CREATED)
    assert event.actor == staff_admin
    assert event.target_id == str(created.uuid)


def test_a_duplicate_email_is_409(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    body = NEW | {"email": staff_member.email}
    response = send(client_for(staff_admin), "post", "staff", body)
    assert response.status_code == 409
    assert "e-mail address exists" in response.json()["detail"]


def test_a_staff_administrator_changes_invites_and_deactivates(
    client_for: ClientFor, staff_admin: User, colleague: User
) -> None:
    client = client_for(staff_admin)
    response = send(client, "patch", f"staff/{colleague.uuid}", {"last_name": "Nog"})
    assert response.status_code == 200
    colleague.refresh_from_db()
    assert colleague.last_name == "Nog"
    assert events(Event.Verb.STAFF_CHANGED)[0].data == {"last_name": ["Tester", "Nog"]}

    response = send(client, "post", f"staff/{colleague.uuid}/invite")
    assert response.status_code == 200
    colleague.refresh_from_db()
    assert colleague.state == User.State.INVITED
    assert mail.outbox[-1].to == [colleague.email]
    assert events(Event.Verb.INVITATION_SENT)[0].target_id == str(colleague.uuid)

    response = send(client, "post", f"staff/{colleague.uuid}/deactivate")
    assert response.status_code == 200
    colleague.refresh_from_db()
    assert colleague.state == User.State.DEACTIVATED
    assert events(Event.Verb.DEACTIVATED)[0].actor == staff_admin

    response = send(client, "post", f"staff/{colleague.uuid}/reactivate")
    assert response.status_code == 200
    colleague.refresh_from_db()
    assert colleague.state == User.State.NOT_ACTIVATED  # no password yet
    assert events(Event.Verb.REACTIVATED)[0].actor == staff_admin


def test_nobody_deactivates_themselves(
    client_for: ClientFor, staff_admin: User
) -> None:
    response = send(
        client_for(staff_admin), "post", f"staff/{staff_admin.uuid}/deactivate"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "You cannot deactivate your own account."
    )
    staff_admin.refresh_from_db()
    assert staff_admin.state == User.State.ACTIVE
