import pytest

from loket.accounts.models import User
from loket.audit.models import Event
from tests.conftest import ClientFor, sign_in

pytestmark = pytest.mark.django_db


def test_deactivation_ends_an_open_session_at_once(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    contact_client = client_for(contact)
    assert contact_client.get("/").status_code == 200
    response = client_for(staff_admin).post(f"/contacts/{contact.uuid}/deactivate/")
    assert response.status_code == 302
    after = contact_client.get("/")
    assert after.status_code == 302
    assert after["Location"].startswith("/accounts/sign-in/")
    contact.refresh_from_db()
    assert contact.state == User.State.DEACTIVATED
    event = Event.objects.get(verb=Event.Verb.DEACTIVATED)
    assert event.actor == staff_admin
    assert event.data == {"old_state": "active"}


def test_reactivation_does_not_revive_old_sessions(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    contact_client = client_for(contact)
    admin = client_for(staff_admin)
    admin.post(f"/contacts/{contact.uuid}/deactivate/")
    admin.post(f"/contacts/{contact.uuid}/reactivate/")
    contact.refresh_from_db()
    assert contact.state == User.State.ACTIVE
    assert contact_client.get("/").status_code == 302
    assert sign_in(contact_client, contact.email).status_code == 302
    assert Event.objects.filter(verb=Event.Verb.REACTIVATED).count() == 1


def test_staff_cannot_deactivate_themselves(
    client_for: ClientFor, firm_admin: User
) -> None:
    from django.core.exceptions import ValidationError

    from loket.accounts import actions

    with pytest.raises(ValidationError):
        actions.deactivate_user(firm_admin, actor=firm_admin)


def test_staff_without_a_role_cannot_deactivate(
    client_for: ClientFor, staff_member: User, contact: User
) -> None:
    response = client_for(staff_member).post(f"/contacts/{contact.uuid}/deactivate/")
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.state == User.State.ACTIVE


def test_a_contact_gets_404_for_another_contact(
    client_for: ClientFor, contact: User, other_contact: User
) -> None:
    response = client_for(contact).post(f"/contacts/{other_contact.uuid}/deactivate/")
    assert response.status_code == 404
    other_contact.refresh_from_db()
    assert other_contact.state == User.State.ACTIVE
