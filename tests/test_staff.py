import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from tests.conftest import ClientFor, grant, make_user

pytestmark = pytest.mark.django_db

NEW_MEMBER = {
    "email": "Nora@Firm.test",
    "first_name": "Nora",
    "last_name": "Nieuw",
    "language": "en",
}


def emails_on(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/settings/staff/{query}")
    assert response.status_code == 200
    return [member.email for member in response.context["page"].object_list]


# The list


def test_the_list_shows_staff_and_no_contacts(
    client_for: ClientFor, staff_admin: User, staff_member: User, contact: User
) -> None:
    assert emails_on(client_for(staff_admin)) == [
        "bram@firm.test",
        "carla@firm.test",
    ]


def test_the_list_searches_and_filters_by_state(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    make_user("dirk@firm.test", kind=User.Kind.STAFF, state=User.State.INVITED)
    client = client_for(staff_admin)
    assert emails_on(client, "?q=CARLA") == ["carla@firm.test"]
    assert emails_on(client, "?state=invited") == ["dirk@firm.test"]
    assert emails_on(client, "?q=carla&state=invited") == []
    assert emails_on(client, "?state=bogus") == [
        "bram@firm.test",
        "carla@firm.test",
        "dirk@firm.test",
    ]


def test_the_list_pages_by_fifty(client_for: ClientFor, staff_admin: User) -> None:
    for number in range(55):
        make_user(f"s{number:02}@firm.test", kind=User.Kind.STAFF)
    client = client_for(staff_admin)
    assert len(emails_on(client)) == 50
    assert len(emails_on(client, "?page=2")) == 6


def test_the_list_links_new_staff_member(
    client_for: ClientFor, staff_admin: User
) -> None:
    response = client_for(staff_admin).get("/settings/staff/")
    assert 'href="/settings/staff/new/"' in response.text
    assert "New staff member" in response.text


# Creating and editing


def test_staff_administrator_creates_a_staff_member(
    client_for: ClientFor, staff_admin: User
) -> None:
    response = client_for(staff_admin).post("/settings/staff/new/", NEW_MEMBER)
    member = User.objects.get(email="nora@firm.test")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/staff/{member.uuid}/"
    assert member.kind == User.Kind.STAFF
    assert member.state == User.State.NOT_ACTIVATED
    assert member.client_entity is None
    event = Event.objects.get(verb=Event.Verb.STAFF_CREATED)
    assert event.actor == staff_admin
    assert event.target_id == str(member.uuid)
    assert not Event.objects.filter(verb=Event.Verb.CONTACT_CREATED).exists()


def test_an_email_in_use_is_refused(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    response = client_for(staff_admin).post(
        "/settings/staff/new/", {**NEW_MEMBER, "email": "DAAN@client.test"}
    )
    assert response.status_code == 200
    assert "A user with this e-mail address exists." in response.text
    assert User.objects.filter(kind=User.Kind.STAFF).count() == 1
    assert not Event.objects.filter(verb=Event.Verb.STAFF_CREATED).exists()


def test_a_missing_name_is_refused(client_for: ClientFor, staff_admin: User) -> None:
    response = client_for(staff_admin).post(
        "/settings/staff/new/", {**NEW_MEMBER, "last_name": ""}
    )
    assert response.status_code == 200
    assert "field-error" in response.text
    assert not User.objects.filter(email="nora@firm.test").exists()


def test_editing_a_staff_member_records_old_and_new_values(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    response = client_for(staff_admin).post(
        f"/settings/staff/{staff_member.uuid}/edit/",
        {
            "email": "carla.new@firm.test",
            "first_name": "Carla",
            "last_name": "Tester",
            "language": "nl",
        },
    )
    assert response.status_code == 302
    staff_member.refresh_from_db()
    assert staff_member.email == "carla.new@firm.test"
    assert staff_member.language == "nl"
    event = Event.objects.get(verb=Event.Verb.STAFF_CHANGED)
    assert event.actor == staff_admin
    assert event.data["email"] == ["carla@firm.test", "carla.new@firm.test"]
    assert event.data["language"] == ["en", "nl"]


@pytest.mark.parametrize("page", ["list", "detail", "edit"])
def test_the_staff_pages_use_a_bounded_number_of_queries(
    client_for: ClientFor, staff_admin: User, staff_owner: User, page: str
) -> None:
    url = {
        "list": "/settings/staff/",
        "detail": f"/settings/staff/{staff_owner.uuid}/",
        "edit": f"/settings/staff/{staff_owner.uuid}/edit/",
    }[page]
    client = client_for(staff_admin)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    assert len(few) <= {"list": 10, "detail": 10, "edit": 9}[page]
    group = Group.objects.create(kind=Group.Kind.STAFF, name="Kantoorbeheer")
    GroupMembership.objects.create(group=group, user=staff_owner)
    grant(group, "settings-administrator", None)
    grant(staff_owner, "entity-administrator", None)
    for number in range(60):
        member = make_user(f"s{number:02}@firm.test", kind=User.Kind.STAFF)
        GroupMembership.objects.create(group=group, user=member)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# The staff page


def test_the_page_shows_firm_wide_roles_direct_and_through_groups(
    client_for: ClientFor, staff_admin: User, staff_owner: User, entity: Entity
) -> None:
    group = Group.objects.create(kind=Group.Kind.STAFF, name="Kantoorbeheer")
    GroupMembership.objects.create(group=group, user=staff_owner)
    grant(group, "settings-administrator", None)
    grant(staff_owner, "entity-administrator", None)
    response = client_for(staff_admin).get(f"/settings/staff/{staff_owner.uuid}/")
    assert response.status_code == 200
    roles = [(a.role.key, a.group) for a in response.context["roles"]]
    assert roles == [("entity-administrator", None), ("settings-administrator", group)]
    assert "via group Kantoorbeheer" in response.text
    # The Owner role on an entity is not a firm-wide role.
    assert "Owner" not in response.text


def test_inviting_sends_the_invitation(
    client_for: ClientFor, staff_admin: User
) -> None:
    member = make_user("nina@firm.test", kind=User.Kind.STAFF, state="not_activated")
    client = client_for(staff_admin)
    assert "Invite" in client.get(f"/settings/staff/{member.uuid}/").text
    response = client.post(f"/settings/staff/{member.uuid}/invite/")
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.state == User.State.INVITED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina@firm.test"]
    assert "/accounts/activate/" in mail.outbox[0].body
    event = Event.objects.get(verb=Event.Verb.INVITATION_SENT)
    assert event.actor == staff_admin
    assert "Resend invitation" in client.get(f"/settings/staff/{member.uuid}/").text
    client.post(f"/settings/staff/{member.uuid}/invite/")
    assert len(mail.outbox) == 2


def test_an_active_staff_member_cannot_be_invited(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    response = client_for(staff_admin).post(
        f"/settings/staff/{staff_member.uuid}/invite/", follow=True
    )
    assert "Only an account that is not yet active can be invited." in response.text
    assert len(mail.outbox) == 0


def test_deactivating_ends_the_staff_members_session(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    member_client = client_for(staff_member)
    assert member_client.get("/").status_code == 200
    response = client_for(staff_admin).post(
        f"/settings/staff/{staff_member.uuid}/deactivate/"
    )
    assert response.status_code == 302
    staff_member.refresh_from_db()
    assert staff_member.state == User.State.DEACTIVATED
    after = member_client.get("/")
    assert after.status_code == 302
    assert after["Location"].startswith("/accounts/sign-in/")
    event = Event.objects.get(verb=Event.Verb.DEACTIVATED)
    assert event.actor == staff_admin
    assert event.target_id == str(staff_member.uuid)


def test_reactivating_a_staff_member(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    client = client_for(staff_admin)
    client.post(f"/settings/staff/{staff_member.uuid}/deactivate/")
    client.post(f"/settings/staff/{staff_member.uuid}/reactivate/")
    staff_member.refresh_from_db()
    assert staff_member.state == User.State.ACTIVE
    assert Event.objects.filter(verb=Event.Verb.REACTIVATED).count() == 1


def test_staff_cannot_deactivate_themselves(
    client_for: ClientFor, staff_admin: User
) -> None:
    client = client_for(staff_admin)
    page = client.get(f"/settings/staff/{staff_admin.uuid}/")
    assert f"/settings/staff/{staff_admin.uuid}/deactivate/" not in page.text
    response = client.post(
        f"/settings/staff/{staff_admin.uuid}/deactivate/", follow=True
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.text
    staff_admin.refresh_from_db()
    assert staff_admin.state == User.State.ACTIVE
    assert not Event.objects.filter(verb=Event.Verb.DEACTIVATED).exists()


# Who may do what


def staff_urls(member: User) -> list[tuple[str, str]]:
    return [
        ("get", "/settings/staff/"),
        ("get", "/settings/staff/new/"),
        ("post", "/settings/staff/new/"),
        ("get", f"/settings/staff/{member.uuid}/"),
        ("get", f"/settings/staff/{member.uuid}/edit/"),
        ("post", f"/settings/staff/{member.uuid}/edit/"),
        ("post", f"/settings/staff/{member.uuid}/invite/"),
        ("post", f"/settings/staff/{member.uuid}/deactivate/"),
        ("post", f"/settings/staff/{member.uuid}/reactivate/"),
    ]


@pytest.fixture
def target() -> User:
    return make_user("tom@firm.test", kind=User.Kind.STAFF, state="not_activated")


@pytest.mark.parametrize(
    "persona", ["staff_member", "entity_admin", "settings_admin", "staff_owner"]
)
def test_staff_without_staff_manage_get_403(
    request: pytest.FixtureRequest, client_for: ClientFor, target: User, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    for method, url in staff_urls(target):
        response = getattr(client, method)(url, NEW_MEMBER if method == "post" else {})
        assert response.status_code == 403, (method, url)
    target.refresh_from_db()
    assert target.state == User.State.NOT_ACTIVATED
    assert target.first_name == "Tom"
    assert not User.objects.filter(email="nora@firm.test").exists()
    assert len(mail.outbox) == 0


@pytest.mark.parametrize("persona", ["contact", "outsider", "viewer_contact"])
def test_contacts_get_403_for_the_list_and_404_for_staff_pages(
    request: pytest.FixtureRequest, client_for: ClientFor, target: User, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    expected = [403, 403, 403, 404, 404, 404, 404, 404, 404]
    for (method, url), status in zip(staff_urls(target), expected, strict=True):
        response = getattr(client, method)(url, NEW_MEMBER if method == "post" else {})
        assert response.status_code == status, (method, url)
    target.refresh_from_db()
    assert target.state == User.State.NOT_ACTIVATED
    assert len(mail.outbox) == 0


def test_a_contact_is_not_a_staff_page(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    response = client_for(staff_admin).get(f"/settings/staff/{contact.uuid}/")
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["staff_admin", "firm_admin"])
def test_staff_managers_open_every_staff_page(
    request: pytest.FixtureRequest, client_for: ClientFor, target: User, persona: str
) -> None:
    client = client_for(request.getfixturevalue(persona))
    for method, url in staff_urls(target):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_anonymous_is_sent_to_sign_in(client: Client, target: User) -> None:
    for method, url in staff_urls(target):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/accounts/sign-in/")
    target.refresh_from_db()
    assert target.state == User.State.NOT_ACTIVATED
