from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from tests.conftest import ClientFor, grant, make_user

pytestmark = pytest.mark.django_db


def new_contact_data(entity: Entity, **overrides: str) -> dict[str, str]:
    return {
        "email": "Nieuw@Client.test",
        "first_name": "Nina",
        "last_name": "Nieuw",
        "client_entity": str(entity.uuid),
        "language": "nl",
        **overrides,
    }


def emails_on(response: Any) -> list[str]:
    return [contact.email for contact in response.context["page"].object_list]


# The list


def test_the_list_shows_name_email_client_entity_and_state(
    client_for: ClientFor, staff_admin: User, contact: User, new_contact: User
) -> None:
    response = client_for(staff_admin).get("/contacts/")
    assert response.status_code == 200
    assert emails_on(response) == [contact.email, new_contact.email]
    assert "Bakkerij de Vries BV" in response.text
    assert "Not activated" in response.text
    assert contact.full_name in response.text


def test_the_list_searches_name_and_email(
    client_for: ClientFor, staff_admin: User, contact: User, new_contact: User
) -> None:
    client = client_for(staff_admin)
    assert emails_on(client.get("/contacts/", {"q": "FEMKE"})) == [new_contact.email]
    assert emails_on(client.get("/contacts/", {"q": "daan@client"})) == [contact.email]
    assert emails_on(client.get("/contacts/", {"q": "nobody"})) == []


def test_the_list_filters_by_client_entity_and_state(
    client_for: ClientFor,
    staff_admin: User,
    contact: User,
    new_contact: User,
    outsider: User,
    other_entity: Entity,
) -> None:
    client = client_for(staff_admin)
    by_entity = client.get("/contacts/", {"entity": str(other_entity.uuid)})
    assert emails_on(by_entity) == [outsider.email]
    by_state = client.get("/contacts/", {"state": "not_activated"})
    assert emails_on(by_state) == [new_contact.email]
    both = client.get(
        "/contacts/", {"entity": str(other_entity.uuid), "state": "not_activated"}
    )
    assert emails_on(both) == []


def test_an_unknown_filter_value_is_ignored(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    response = client_for(staff_admin).get(
        "/contacts/", {"entity": "not-a-uuid", "state": "bogus"}
    )
    assert response.status_code == 200
    assert emails_on(response) == [contact.email]


def test_the_entity_filter_offers_only_entities_the_user_may_see(
    client_for: ClientFor,
    staff_reader: User,
    entity: Entity,
    other_entity: Entity,
) -> None:
    response = client_for(staff_reader).get("/contacts/")
    choices = list(response.context["filters"].fields["entity"].queryset)
    assert choices == [entity]


def test_the_list_pages_by_fifty_and_keeps_the_filters(
    client_for: ClientFor, staff_admin: User, entity: Entity
) -> None:
    for number in range(55):
        make_user(f"p{number:02}@client.test", client_entity=entity)
    client = client_for(staff_admin)
    first = client.get("/contacts/", {"entity": str(entity.uuid)})
    assert len(emails_on(first)) == 50
    assert f"entity={entity.uuid}" in first.text
    assert "page=2" in first.text
    second = client.get("/contacts/", {"entity": str(entity.uuid), "page": "2"})
    assert len(emails_on(second)) == 5


def test_the_list_uses_the_same_number_of_queries_for_3_or_60_contacts(
    client_for: ClientFor,
    staff_admin: User,
    entity: Entity,
    other_entity: Entity,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(staff_admin)
    for number in range(3):
        make_user(f"few{number}@client.test", client_entity=entity)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/contacts/").status_code == 200
    # What the user holds firm-wide is read once (it was four times: 14).
    assert len(few) <= 11
    for number in range(57):
        make_user(
            f"many{number}@client.test",
            client_entity=entity if number % 2 else other_entity,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/contacts/")
    assert len(emails_on(response)) == 50


@pytest.mark.parametrize("page", ["", "edit/"])
def test_a_contacts_pages_use_a_bounded_number_of_queries(
    client_for: ClientFor,
    staff_admin: User,
    contact: User,
    page: str,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(staff_admin)
    url = f"/contacts/{contact.uuid}/{page}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    # Detail was 13, edit 13 (the capabilities were read two or three times).
    assert len(few) <= {"": 12, "edit/": 10}[page]
    for number in range(20):
        client_entity = Entity.objects.create(name=f"Client {number:02}")
        grant(contact, "contact-entity-access", client_entity)
        group = Group.objects.create(kind=Group.Kind.CONTACT, name=f"G{number:02}")
        GroupMembership.objects.create(group=group, user=contact)
        grant(group, "contact-entity-staff", client_entity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert "Client 19" in response.text


def test_the_list_links_new_import_and_exports_for_managers(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    managing = client_for(staff_admin).get("/contacts/", {"q": "x"})
    assert 'href="/contacts/new/"' in managing.text
    assert 'href="/contacts/import/"' in managing.text
    assert 'href="/contacts/export.csv?q=x"' in managing.text
    assert 'href="/contacts/export.xlsx?q=x"' in managing.text
    viewing = client_for(staff_member).get("/contacts/")
    assert 'href="/contacts/new/"' not in viewing.text
    assert 'href="/contacts/export.csv' in viewing.text


# Creating


def test_staff_administrator_creates_a_contact(
    client_for: ClientFor, staff_admin: User, entity: Entity
) -> None:
    response = client_for(staff_admin).post("/contacts/new/", new_contact_data(entity))
    contact = User.objects.get(email="nieuw@client.test")
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.uuid}/"
    assert contact.kind == User.Kind.CONTACT
    assert contact.state == User.State.NOT_ACTIVATED
    assert contact.client_entity == entity
    assert contact.language == "nl"
    assert (contact.first_name, contact.last_name) == ("Nina", "Nieuw")
    event = Event.objects.get(verb=Event.Verb.CONTACT_CREATED)
    assert event.actor == staff_admin
    assert event.target_id == str(contact.uuid)
    assert event.entity == entity
    page = client_for(staff_admin).get(response["Location"])
    assert "Nina Nieuw" in page.text


def test_a_staff_administrator_may_pick_any_active_entity(
    client_for: ClientFor, staff_admin: User, entity: Entity, other_entity: Entity
) -> None:
    from django.utils import timezone

    Entity.objects.create(name="Gesloten BV", archived_at=timezone.now())
    response = client_for(staff_admin).get("/contacts/new/")
    choices = list(response.context["form"].fields["client_entity"].queryset)
    assert choices == [entity, other_entity]


def test_an_email_in_use_in_another_case_is_refused(
    client_for: ClientFor, staff_admin: User, entity: Entity, contact: User
) -> None:
    response = client_for(staff_admin).post(
        "/contacts/new/", new_contact_data(entity, email="DAAN@Client.TEST")
    )
    assert response.status_code == 200
    assert "A user with this e-mail address exists." in response.text
    assert User.objects.filter(email__iexact="daan@client.test").count() == 1
    assert not Event.objects.filter(verb=Event.Verb.CONTACT_CREATED).exists()


def test_a_contact_needs_a_client_entity(
    client_for: ClientFor, staff_admin: User, entity: Entity
) -> None:
    response = client_for(staff_admin).post(
        "/contacts/new/", new_contact_data(entity, client_entity="")
    )
    assert response.status_code == 200
    assert "field-error" in response.text
    assert not User.objects.filter(email="nieuw@client.test").exists()
    assert not Event.objects.filter(verb=Event.Verb.CONTACT_CREATED).exists()


def test_a_bad_email_address_is_refused(
    client_for: ClientFor, staff_admin: User, entity: Entity
) -> None:
    response = client_for(staff_admin).post(
        "/contacts/new/", new_contact_data(entity, email="not-an-address")
    )
    assert response.status_code == 200
    assert "field-error" in response.text
    assert User.objects.filter(kind=User.Kind.CONTACT).count() == 0


# The contact page


def test_the_contact_page_shows_entity_access_direct_and_through_groups(
    client_for: ClientFor,
    staff_admin: User,
    group_contact: User,
    contact_group: Group,
    other_entity: Entity,
) -> None:
    grant(group_contact, "contact-entity-access", other_entity)
    response = client_for(staff_admin).get(f"/contacts/{group_contact.uuid}/")
    assert response.status_code == 200
    rows = response.context["entity_access"]
    assert [(r["entity"].name, r["assignment"].group) for r in rows] == [
        ("Bakkerij de Vries BV", contact_group),
        ("Garage Jansen VOF", None),
    ]
    assert "via group Directie De Vries" in response.text
    assert "Contact – Entity Access" in response.text
    assert "Contact – Entity Staff" in response.text
    assert response.context["groups"] == [contact_group]


def test_the_contact_page_links_only_entities_the_viewer_may_open(
    client_for: ClientFor, firm_admin: User, staff_admin: User, contact: User
) -> None:
    link = f'href="/entities/{contact.client_entity.uuid}/"'  # type: ignore[union-attr]
    assert link in client_for(firm_admin).get(f"/contacts/{contact.uuid}/").text
    assert link not in client_for(staff_admin).get(f"/contacts/{contact.uuid}/").text


# Editing


def test_editing_a_contact_records_old_and_new_values(
    client_for: ClientFor, staff_admin: User, contact: User, other_entity: Entity
) -> None:
    response = client_for(staff_admin).post(
        f"/contacts/{contact.uuid}/edit/",
        {
            "email": contact.email,
            "first_name": "Daniël",
            "last_name": contact.last_name,
            "client_entity": str(other_entity.uuid),
            "language": "en",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.first_name == "Daniël"
    assert contact.client_entity == other_entity
    event = Event.objects.get(verb=Event.Verb.CONTACT_CHANGED)
    assert event.actor == staff_admin
    assert event.data["first_name"] == ["Daan", "Daniël"]
    assert event.data["client_entity"][1] == str(other_entity.uuid)


def test_editing_to_an_email_in_use_is_refused(
    client_for: ClientFor, staff_admin: User, contact: User, new_contact: User
) -> None:
    response = client_for(staff_admin).post(
        f"/contacts/{contact.uuid}/edit/",
        {
            "email": new_contact.email.upper(),
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "client_entity": str(contact.client_entity.uuid),  # type: ignore[union-attr]
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert "A user with this e-mail address exists." in response.text
    contact.refresh_from_db()
    assert contact.email == "daan@client.test"
    assert not Event.objects.filter(verb=Event.Verb.CONTACT_CHANGED).exists()


def test_the_edit_form_keeps_an_archived_client_entity(
    client_for: ClientFor, staff_admin: User, contact: User, entity: Entity
) -> None:
    from django.utils import timezone

    Entity.objects.filter(pk=entity.pk).update(archived_at=timezone.now())
    response = client_for(staff_admin).post(
        f"/contacts/{contact.uuid}/edit/",
        {
            "email": contact.email,
            "first_name": "Daan",
            "last_name": "Anders",
            "client_entity": str(entity.uuid),
            "language": "en",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.last_name == "Anders"


def test_the_contact_page_has_activation_and_deactivation_buttons(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    response = client_for(staff_admin).get(f"/contacts/{new_contact.uuid}/")
    assert f"/contacts/{new_contact.uuid}/activate/" in response.text
    assert f"/contacts/{new_contact.uuid}/deactivate/" in response.text
    assert f"/contacts/{new_contact.uuid}/edit/" in response.text


def test_resending_an_invitation_through_the_page(
    client_for: ClientFor, staff_admin: User, new_contact: User
) -> None:
    client = client_for(staff_admin)
    client.post(f"/contacts/{new_contact.uuid}/activate/")
    page = client.get(f"/contacts/{new_contact.uuid}/")
    assert "Resend invitation" in page.text
    client.post(f"/contacts/{new_contact.uuid}/activate/")
    assert Event.objects.filter(verb=Event.Verb.INVITATION_SENT).count() == 2


# Who may do what


PAGES = [
    ("get", "/contacts/"),
    ("get", "/contacts/new/"),
    ("get", "/contacts/{uuid}/"),
    ("get", "/contacts/{uuid}/edit/"),
    ("get", "/contacts/import/"),
    ("get", "/contacts/export.csv"),
    ("get", "/contacts/export.xlsx"),
]

# persona → expected status per page, in the order of PAGES.
MATRIX = {
    "staff_admin": [200, 200, 200, 200, 200, 200, 200],
    "firm_admin": [200, 200, 200, 200, 200, 200, 200],
    "staff_member": [200, 403, 200, 403, 403, 200, 200],
    "entity_admin": [200, 403, 200, 403, 403, 200, 200],
    "contact": [403, 403, 404, 404, 403, 403, 403],
    "outsider": [403, 403, 404, 404, 403, 403, 403],
}


@pytest.mark.parametrize("persona", sorted(MATRIX))
def test_who_may_open_the_contact_pages(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    viewer_contact: User,
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    for (method, path), expected in zip(PAGES, MATRIX[persona], strict=True):
        url = path.format(uuid=viewer_contact.uuid)
        assert getattr(client, method)(url).status_code == expected, url


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/",
        "/contacts/new/",
        "/contacts/{uuid}/",
        "/contacts/{uuid}/edit/",
        "/contacts/import/",
        "/contacts/import/preview/",
        "/contacts/export.csv",
        "/contacts/export.xlsx",
    ],
)
def test_anonymous_is_sent_to_sign_in(
    client: Client, viewer_contact: User, path: str
) -> None:
    response = client.get(path.format(uuid=viewer_contact.uuid))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def test_staff_without_a_role_cannot_create_or_edit(
    client_for: ClientFor, staff_member: User, entity: Entity, contact: User
) -> None:
    client = client_for(staff_member)
    assert client.post("/contacts/new/", new_contact_data(entity)).status_code == 403
    edit = client.post(
        f"/contacts/{contact.uuid}/edit/",
        new_contact_data(entity, email=contact.email, first_name="Changed"),
    )
    assert edit.status_code == 403
    contact.refresh_from_db()
    assert contact.first_name == "Daan"
    assert not User.objects.filter(email="nieuw@client.test").exists()
    assert not Event.objects.filter(
        verb__in=[Event.Verb.CONTACT_CREATED, Event.Verb.CONTACT_CHANGED]
    ).exists()


def test_a_contact_cannot_edit_another_contact(
    client_for: ClientFor, contact: User, outsider: User, other_entity: Entity
) -> None:
    response = client_for(contact).post(
        f"/contacts/{outsider.uuid}/edit/",
        new_contact_data(other_entity, email=outsider.email, first_name="Hacked"),
    )
    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.first_name == "Eva"


def test_staff_pages_are_not_contact_pages(
    client_for: ClientFor, staff_admin: User, staff_member: User
) -> None:
    response = client_for(staff_admin).get(f"/contacts/{staff_member.uuid}/")
    assert response.status_code == 404


def test_group_membership_shows_on_the_contact_page(
    client_for: ClientFor, staff_admin: User, contact: User
) -> None:
    group = Group.objects.create(kind=Group.Kind.CONTACT, name="Nieuwsbrief")
    GroupMembership.objects.create(group=group, user=contact)
    response = client_for(staff_admin).get(f"/contacts/{contact.uuid}/")
    assert "Nieuwsbrief" in response.text
