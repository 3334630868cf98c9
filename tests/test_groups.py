"""The Groups pages: contact groups and staff groups, New, Edit and members."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loket.accounts.models import User
from loket.audit.models import Event
from loket.groups.models import Group, GroupMembership
from tests.conftest import ClientFor, make_user

pytestmark = pytest.mark.django_db


def _names(response: Any) -> list[str]:
    return [group.name for group in response.context["page"].object_list]


def _member_emails(group: Group) -> set[str]:
    return set(group.members.values_list("email", flat=True))


@pytest.fixture
def staff_group(staff_member: User) -> Group:
    group = Group.objects.create(kind=Group.Kind.STAFF, name="Audit team")
    GroupMembership.objects.create(group=group, user=staff_member)
    return group


# Anonymous visitors, contacts and staff without the capability.


def test_anonymous_is_sent_to_sign_in(client: Client, contact_group: Group) -> None:
    urls = [
        "/groups/",
        "/groups/new/contact/",
        "/groups/new/staff/",
        f"/groups/{contact_group.uuid}/",
        f"/groups/{contact_group.uuid}/edit/",
    ]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/sign-in/?next="), url


def test_contacts_have_no_groups_pages(
    client_for: ClientFor, group_contact: User, contact_group: Group
) -> None:
    client = client_for(group_contact)
    assert client.get("/groups/").status_code == 403
    assert client.get(f"/groups/{contact_group.uuid}/").status_code == 404
    assert client.get(f"/groups/{contact_group.uuid}/edit/").status_code == 404
    assert client.get("/groups/new/contact/").status_code == 403


def test_staff_member_sees_groups_but_may_not_change_them(
    client_for: ClientFor, staff_member: User, contact_group: Group, contact: User
) -> None:
    client = client_for(staff_member)
    listing = client.get("/groups/")
    assert listing.status_code == 200
    assert _names(listing) == ["Directie De Vries"]
    assert b"/groups/new/contact/" not in listing.content
    detail = client.get(f"/groups/{contact_group.uuid}/")
    assert detail.status_code == 200
    assert f"/groups/{contact_group.uuid}/edit/".encode() not in detail.content
    assert client.get("/groups/new/contact/").status_code == 403
    assert client.get("/groups/new/staff/").status_code == 403
    refused = client.post(
        "/groups/new/contact/", {"name": "Sneaky", "members": [str(contact.uuid)]}
    )
    assert refused.status_code == 403
    edit_url = f"/groups/{contact_group.uuid}/edit/"
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, {"name": "Renamed"}).status_code == 403
    assert not Group.objects.filter(name__in=["Sneaky", "Renamed"]).exists()


def test_a_missing_group_is_404(client_for: ClientFor, entity_admin: User) -> None:
    client = client_for(entity_admin)
    missing = "/groups/00000000-0000-4000-8000-000000000000/"
    assert client.get(missing).status_code == 404
    assert client.get(missing + "edit/").status_code == 404


# The list.


def test_list_shows_both_kinds_with_member_counts(
    client_for: ClientFor,
    entity_admin: User,
    group_contact: User,
    contact_group: Group,
    staff_group: Group,
) -> None:
    response = client_for(entity_admin).get("/groups/")
    assert response.status_code == 200
    counts = {g.name: g.member_count for g in response.context["page"].object_list}
    assert counts == {"Audit team": 1, "Directie De Vries": 1}
    assert b"/groups/new/contact/" in response.content
    assert b"/groups/new/staff/" in response.content


def test_list_filters_by_kind_and_search(
    client_for: ClientFor, entity_admin: User, contact_group: Group, staff_group: Group
) -> None:
    client = client_for(entity_admin)
    assert _names(client.get("/groups/?kind=contact")) == ["Directie De Vries"]
    assert _names(client.get("/groups/?kind=staff")) == ["Audit team"]
    assert _names(client.get("/groups/?q=audit")) == ["Audit team"]
    assert _names(client.get("/groups/?q=audit&kind=contact")) == []


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/groups/").status_code == 200
    return len(queries)


def test_list_uses_a_bounded_number_of_queries(
    client_for: ClientFor, entity_admin: User, contact_group: Group, contact: User
) -> None:
    client = client_for(entity_admin)
    client.get("/groups/")
    small = _list_queries(client)
    assert small <= 10
    people = [make_user(f"p{n}@client.test") for n in range(5)]
    for n in range(30):
        group = Group.objects.create(kind=Group.Kind.CONTACT, name=f"Group {n:02}")
        for person in people:
            GroupMembership.objects.create(group=group, user=person)
    assert _list_queries(client) == small


# New → Contact group, New → Staff group.


def test_the_contact_group_form_offers_only_contacts(
    client_for: ClientFor, entity_admin: User, contact: User, staff_member: User
) -> None:
    response = client_for(entity_admin).get("/groups/new/contact/")
    assert response.status_code == 200
    assert contact.email.encode() in response.content
    assert staff_member.email.encode() not in response.content


def test_the_staff_group_form_offers_only_staff(
    client_for: ClientFor, entity_admin: User, contact: User, staff_member: User
) -> None:
    response = client_for(entity_admin).get("/groups/new/staff/")
    assert staff_member.email.encode() in response.content
    assert contact.email.encode() not in response.content


def test_entity_admin_creates_a_contact_group_with_members(
    client_for: ClientFor,
    entity_admin: User,
    contact: User,
    viewer_contact: User,
    outsider: User,
) -> None:
    response = client_for(entity_admin).post(
        "/groups/new/contact/",
        {
            "name": "Finance De Vries",
            "description": "Everyone who sends us invoices.",
            "members": [str(contact.uuid), str(viewer_contact.uuid)],
        },
    )
    group = Group.objects.get(name="Finance De Vries")
    assert response.status_code == 302
    assert response["Location"] == f"/groups/{group.uuid}/"
    assert group.kind == Group.Kind.CONTACT
    assert group.description == "Everyone who sends us invoices."
    assert _member_emails(group) == {contact.email, viewer_contact.email}
    created = Event.objects.get(verb=Event.Verb.GROUP_CREATED)
    assert created.actor == entity_admin
    assert created.target_id == str(group.uuid)
    added = Event.objects.filter(verb=Event.Verb.GROUP_MEMBER_ADDED)
    assert {e.data["member_email"] for e in added} == {
        contact.email,
        viewer_contact.email,
    }


def test_firm_admin_creates_a_staff_group(
    client_for: ClientFor, firm_admin: User, staff_member: User
) -> None:
    client_for(firm_admin).post(
        "/groups/new/staff/", {"name": "Payroll", "members": [str(staff_member.uuid)]}
    )
    group = Group.objects.get(name="Payroll")
    assert group.kind == Group.Kind.STAFF
    assert _member_emails(group) == {staff_member.email}


def test_a_staff_member_ticked_into_a_contact_group_is_refused(
    client_for: ClientFor, entity_admin: User, contact: User, staff_member: User
) -> None:
    # A forged POST: the form never offers staff for a contact group.
    response = client_for(entity_admin).post(
        "/groups/new/contact/",
        {"name": "Mixed", "members": [str(contact.uuid), str(staff_member.uuid)]},
    )
    assert response.status_code == 400
    assert "members" in response.context["form"].errors
    assert not Group.objects.filter(name="Mixed").exists()
    assert not Event.objects.filter(verb__startswith="group.").exists()


def test_a_contact_ticked_into_a_staff_group_is_refused(
    client_for: ClientFor, entity_admin: User, contact: User
) -> None:
    response = client_for(entity_admin).post(
        "/groups/new/staff/", {"name": "Mixed", "members": [str(contact.uuid)]}
    )
    assert response.status_code == 400
    assert not Group.objects.filter(name="Mixed").exists()


def test_a_garbled_member_is_refused(client_for: ClientFor, entity_admin: User) -> None:
    response = client_for(entity_admin).post(
        "/groups/new/contact/", {"name": "Odd", "members": ["not-a-uuid"]}
    )
    assert response.status_code == 400
    assert not Group.objects.filter(name="Odd").exists()


def test_a_duplicate_name_is_refused_with_a_message(
    client_for: ClientFor, entity_admin: User, contact_group: Group
) -> None:
    response = client_for(entity_admin).post(
        "/groups/new/contact/", {"name": "directie de vries"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "There is already a group with this name."
    ]
    assert b"There is already a group with this name." in response.content
    assert Group.objects.filter(name__iexact="directie de vries").count() == 1


def test_a_staff_group_may_share_a_contact_groups_name(
    client_for: ClientFor, entity_admin: User, contact_group: Group
) -> None:
    response = client_for(entity_admin).post(
        "/groups/new/staff/", {"name": "Directie De Vries"}
    )
    assert response.status_code == 302
    assert Group.objects.filter(name="Directie De Vries").count() == 2


def test_a_group_needs_a_name(client_for: ClientFor, entity_admin: User) -> None:
    response = client_for(entity_admin).post("/groups/new/contact/", {"name": " "})
    assert response.status_code == 400
    assert not Group.objects.exists()


# The group page and Edit.


def test_group_page_shows_description_and_members(
    client_for: ClientFor,
    staff_member: User,
    contact_group: Group,
    group_contact: User,
) -> None:
    contact_group.description = "The board of the bakery."
    contact_group.save()
    response = client_for(staff_member).get(f"/groups/{contact_group.uuid}/")
    assert b"The board of the bakery." in response.content
    assert group_contact.email.encode() in response.content


def test_group_page_uses_a_bounded_number_of_queries(
    client_for: ClientFor, entity_admin: User, contact_group: Group
) -> None:
    client = client_for(entity_admin)
    url = f"/groups/{contact_group.uuid}/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    assert len(small) <= 10
    for n in range(20):
        person = make_user(f"m{n}@client.test")
        GroupMembership.objects.create(group=contact_group, user=person)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert b"m19@client.test" in response.content
    assert len(large) == len(small)


def test_the_edit_form_ticks_the_current_members(
    client_for: ClientFor, entity_admin: User, contact_group: Group, group_contact: User
) -> None:
    response = client_for(entity_admin).get(f"/groups/{contact_group.uuid}/edit/")
    assert response.status_code == 200
    ticked = re.findall(
        r'value="([0-9a-f-]{36})"[^>]* checked', response.content.decode()
    )
    assert ticked == [str(group_contact.uuid)]


def test_edit_makes_the_members_exactly_the_ticked_ones(
    client_for: ClientFor,
    entity_admin: User,
    contact_group: Group,
    group_contact: User,
    contact: User,
) -> None:
    response = client_for(entity_admin).post(
        f"/groups/{contact_group.uuid}/edit/",
        {
            "name": "Directie en boekhouding",
            "description": "Board and bookkeeping.",
            "members": [str(contact.uuid)],
        },
    )
    assert response.status_code == 302
    contact_group.refresh_from_db()
    assert contact_group.name == "Directie en boekhouding"
    assert _member_emails(contact_group) == {contact.email}
    changed = Event.objects.get(verb=Event.Verb.GROUP_CHANGED)
    assert changed.data == {
        "name": ["Directie De Vries", "Directie en boekhouding"],
        "description": ["", "Board and bookkeeping."],
    }
    added = Event.objects.get(verb=Event.Verb.GROUP_MEMBER_ADDED)
    assert added.data["member_email"] == contact.email
    removed = Event.objects.get(verb=Event.Verb.GROUP_MEMBER_REMOVED)
    assert removed.data["member_email"] == group_contact.email
    assert removed.actor == entity_admin


def test_edit_with_no_boxes_ticked_empties_the_group(
    client_for: ClientFor, entity_admin: User, contact_group: Group, group_contact: User
) -> None:
    client_for(entity_admin).post(
        f"/groups/{contact_group.uuid}/edit/", {"name": contact_group.name}
    )
    assert _member_emails(contact_group) == set()
    assert not Event.objects.filter(verb=Event.Verb.GROUP_CHANGED).exists()
    assert Event.objects.filter(verb=Event.Verb.GROUP_MEMBER_REMOVED).count() == 1


def test_edit_refuses_a_staff_member_in_a_contact_group(
    client_for: ClientFor,
    entity_admin: User,
    contact_group: Group,
    group_contact: User,
    staff_member: User,
) -> None:
    response = client_for(entity_admin).post(
        f"/groups/{contact_group.uuid}/edit/",
        {"name": contact_group.name, "members": [str(staff_member.uuid)]},
    )
    assert response.status_code == 400
    assert _member_emails(contact_group) == {group_contact.email}
    assert not Event.objects.filter(verb__startswith="group.").exists()


def test_edit_refuses_another_groups_name(
    client_for: ClientFor, entity_admin: User, contact_group: Group, group_contact: User
) -> None:
    Group.objects.create(kind=Group.Kind.CONTACT, name="Garage Jansen")
    response = client_for(entity_admin).post(
        f"/groups/{contact_group.uuid}/edit/",
        {"name": "GARAGE JANSEN", "members": []},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "There is already a group with this name."
    ]
    contact_group.refresh_from_db()
    assert contact_group.name == "Directie De Vries"
    assert _member_emails(contact_group) == {group_contact.email}


def test_the_edit_form_uses_a_bounded_number_of_queries(
    client_for: ClientFor, entity_admin: User, contact_group: Group
) -> None:
    client = client_for(entity_admin)
    url = f"/groups/{contact_group.uuid}/edit/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    # The capabilities were read twice (12).
    assert len(small) <= 11
    for n in range(20):
        person = make_user(f"m{n}@client.test")
        if n % 2:
            GroupMembership.objects.create(group=contact_group, user=person)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)
