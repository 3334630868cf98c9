"""The Activities pages: the list across entities and the entity's tab, a
request's page for staff and contacts, its buttons, editing, and the home
pages' "what is asked of me". Each: anonymous, outsider 404, insufficient
role 403, and the happy path asserting the rows and the history."""

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.requests import actions
from loket.requests.models import Comment, Recipient, Request, RequestFile
from loket.roles.models import RoleAssignment
from tests.conftest import ClientFor, grant, make_user
from tests.files_support import add, finished_upload, pdf

pytestmark = pytest.mark.django_db

Status = Request.Status


def _request(
    entity: Entity, actor: User, recipients: list[User], **kwargs: Any
) -> Request:
    kwargs.setdefault("subject", "Jaarstukken 2025")
    return actions.create_request(entity, actor=actor, recipients=recipients, **kwargs)


@pytest.fixture
def asked(entity: Entity, staff_reader: User, contact: User) -> Request:
    return _request(
        entity,
        staff_reader,
        [contact],
        description="Graag:\n- bankafschriften\n<script>alert(1)</script>",
    )


def _url(request: Request, action: str = "") -> str:
    return f"/activities/{request.uuid}/" + (f"{action}/" if action else "")


# The pages need sign-in.


@pytest.mark.parametrize(
    "path",
    ["", "new/file-request/", "{uuid}/", "{uuid}/edit/"],
)
def test_anonymous_is_sent_to_sign_in(asked: Request, path: str) -> None:
    response = Client().get("/activities/" + path.format(uuid=asked.uuid))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/?next=")


# Who sees a request.


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("outsider", 404),
        ("staff_member", 404),
        ("viewer_contact", 404),  # not addressed to them
        ("group_contact", 404),  # not addressed to them either
        ("contact", 200),
        ("staff_reader", 200),
        ("staff_owner", 200),
        ("firm_admin", 200),
    ],
)
def test_who_sees_a_request(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    asked: Request,
    persona: str,
    status: int,
) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get(_url(asked)).status_code == status


def test_a_contact_never_sees_a_draft_addressed_to_them(
    client_for: ClientFor, entity: Entity, staff_reader: User, contact: User
) -> None:
    draft = _request(entity, staff_reader, [contact], send=False)
    client = client_for(contact)
    assert client.get(_url(draft)).status_code == 404
    assert draft.subject not in client.get("/").text
    assert draft.subject not in client.get("/activities/").text
    actions.send_request(draft, actor=staff_reader)
    assert client.get(_url(draft)).status_code == 200


def test_a_limited_request_is_for_its_author_recipients_and_owners(
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    staff_owner: User,
    contact: User,
) -> None:
    other_reader = make_user("rob@firm.test", kind=User.Kind.STAFF)
    grant(other_reader, "reader", entity)
    limited = _request(entity, staff_reader, [contact], limited=True)
    assert client_for(other_reader).get(_url(limited)).status_code == 404
    for user in (staff_reader, contact, staff_owner):
        assert client_for(user).get(_url(limited)).status_code == 200
    assert limited.subject not in client_for(other_reader).get("/activities/").text


def test_the_page_shows_the_description_safely_with_line_breaks(
    client_for: ClientFor, asked: Request, contact: User
) -> None:
    page = client_for(contact).get(_url(asked)).text
    assert "Graag:<br>- bankafschriften" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# Comments.


def test_internal_comments_are_never_shown_to_contacts(
    client_for: ClientFor, asked: Request, staff_reader: User, contact: User
) -> None:
    actions.add_comment(
        asked, actor=staff_reader, body="Klant is laat, bellen.", internal=True
    )
    actions.add_comment(asked, actor=staff_reader, body="Zie de bijlage.")
    staff_page = client_for(staff_reader).get(_url(asked)).text
    contact_page = client_for(contact).get(_url(asked)).text
    assert "Klant is laat, bellen." in staff_page
    assert "Zie de bijlage." in staff_page
    assert "Klant is laat, bellen." not in contact_page
    assert "Zie de bijlage." in contact_page
    assert "Internal: only staff see it" not in contact_page


def test_both_sides_comment_and_a_contact_cannot_post_internal(
    client_for: ClientFor, asked: Request, staff_reader: User, contact: User
) -> None:
    response = client_for(contact).post(
        _url(asked, "comment"), {"body": "Stiekem", "internal": "on"}
    )
    assert response.status_code == 400
    assert "Only staff can write internal comments." in response.text
    assert not Comment.objects.exists()
    client_for(contact).post(_url(asked, "comment"), {"body": "Volgt morgen."})
    client_for(staff_reader).post(
        _url(asked, "comment"), {"body": "Intern", "internal": "on"}
    )
    assert [(c.author, c.internal) for c in Comment.objects.order_by("pk")] == [
        (contact, False),
        (staff_reader, True),
    ]
    assert Event.objects.filter(verb=Event.Verb.REQUEST_COMMENTED).count() == 2


def test_an_empty_comment_is_refused(
    client_for: ClientFor, asked: Request, contact: User
) -> None:
    response = client_for(contact).post(_url(asked, "comment"), {"body": "  "})
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_an_outsider_cannot_comment(
    client_for: ClientFor, asked: Request, outsider: User
) -> None:
    response = client_for(outsider).post(_url(asked, "comment"), {"body": "Hoi"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


# The contact responds.


def test_a_contact_uploads_and_submits(
    client_for: ClientFor, asked: Request, contact: User, entity: Entity
) -> None:
    client = client_for(contact)
    page = client.get(_url(asked)).text
    assert 'class="uploader"' in page
    assert f'data-commit-url="/activities/{asked.uuid}/upload/"' in page
    upload = finished_upload(contact, entity, pdf("bank"), "bank.pdf")
    response = client.post(_url(asked, "upload"), {"upload": str(upload.uuid)})
    assert response.status_code == 201
    assert "bank.pdf" in response.text
    link = RequestFile.objects.get(request=asked, role=RequestFile.Role.RESPONSE)
    assert link.file.entity == entity
    assert link.added_by == contact
    response = client.post(_url(asked, "submit"), {"note": ""})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == Status.RESPONDED
    link.refresh_from_db()
    assert link.submitted_at is not None
    assert Event.objects.filter(
        verb=Event.Verb.REQUEST_RESPONDED, entity=entity, actor=contact
    ).exists()


def test_submitting_without_a_file_is_refused_with_a_message(
    client_for: ClientFor, asked: Request, contact: User
) -> None:
    response = client_for(contact).post(_url(asked, "submit"), {"note": "Klaar"})
    assert response.status_code == 400
    assert "Upload at least one file before you submit" in response.text
    asked.refresh_from_db()
    assert asked.status == Status.AWAITING
    assert not Comment.objects.exists()


def test_a_refused_upload_answers_json_and_stores_nothing(
    client_for: ClientFor,
    asked: Request,
    contact: User,
    other_entity: Entity,
    outsider: User,
) -> None:
    client = client_for(contact)
    response = client.post(_url(asked, "upload"), {"upload": "not-a-uuid"})
    assert response.status_code == 400
    assert response.json() == {"detail": "There is no such upload."}
    theirs = finished_upload(outsider, other_entity)
    response = client.post(_url(asked, "upload"), {"upload": str(theirs.uuid)})
    assert response.status_code == 400
    elsewhere = finished_upload(contact, other_entity)
    response = client.post(_url(asked, "upload"), {"upload": str(elsewhere.uuid)})
    assert response.status_code == 400
    assert response.json()["detail"] == "This upload was made for another entity."
    assert not RequestFile.objects.exists()


def test_the_answer_to_an_update_request_is_a_new_version(
    client_for: ClientFor, entity: Entity, staff_owner: User, contact: User
) -> None:
    file = add(entity, staff_owner, "loonaangifte.pdf", pdf("1"))
    request = _request(entity, staff_owner, [contact], attachments=[file])
    client = client_for(contact)
    page = client.get(_url(request)).text
    assert "Update request" in page
    (fields,) = re.findall(r"data-commit-fields='([^']*)'", page)
    assert json.loads(fields) == {"attachment": str(file.uuid)}
    upload = finished_upload(contact, entity, pdf("2"), "getekend.pdf")
    response = client.post(
        _url(request, "upload"),
        {"upload": str(upload.uuid), "attachment": str(file.uuid)},
    )
    assert response.status_code == 201
    file.refresh_from_db()
    assert file.current_version is not None
    assert file.current_version.number == 2
    link = RequestFile.objects.get(request=request, role=RequestFile.Role.RESPONSE)
    assert link.version == file.current_version


def test_a_contact_says_it_does_not_apply(
    client_for: ClientFor, asked: Request, contact: User
) -> None:
    client = client_for(contact)
    response = client.post(_url(asked, "not-applicable"), {"reason": ""})
    assert response.status_code == 400
    response = client.post(
        _url(asked, "not-applicable"), {"reason": "Wij hebben geen personeel."}
    )
    assert response.status_code == 302
    row = Recipient.objects.get(request=asked, user=contact)
    assert row.not_applicable is True
    staff_page = client_for(asked.created_by).get(_url(asked)).text
    assert "Wij hebben geen personeel." in staff_page
    assert "Does not apply" in staff_page


def test_entity_access_only_sees_but_cannot_respond(
    client_for: ClientFor, asked: Request, contact: User, entity: Entity
) -> None:
    # The contact is reduced to Contact – Entity Access after the request.
    RoleAssignment.objects.filter(user=contact).delete()
    grant(contact, "contact-entity-access", entity)
    client = client_for(contact)
    page = client.get(_url(asked))
    assert page.status_code == 200
    assert 'class="uploader"' not in page.text
    assert "responding to it needs the role Contact – Entity Staff" in page.text
    upload = finished_upload(contact, entity)
    assert (
        client.post(_url(asked, "upload"), {"upload": str(upload.uuid)}).status_code
        == 403
    )
    assert client.post(_url(asked, "submit")).status_code == 403
    assert (
        client.post(_url(asked, "not-applicable"), {"reason": "x"}).status_code == 403
    )
    assert not RequestFile.objects.exists()
    # Commenting stays open to them.
    assert (
        client.post(
            _url(asked, "comment"), {"body": "Ik kan niet uploaden"}
        ).status_code
        == 302
    )


def test_a_contact_cannot_respond_to_another_contacts_request(
    client_for: ClientFor,
    asked: Request,
    group_contact: User,
    entity: Entity,
) -> None:
    upload = finished_upload(group_contact, entity)
    client = client_for(group_contact)
    assert (
        client.post(_url(asked, "upload"), {"upload": str(upload.uuid)}).status_code
        == 404
    )
    assert client.post(_url(asked, "submit")).status_code == 404


def test_staff_cannot_respond_for_the_contact(
    client_for: ClientFor, asked: Request, staff_reader: User, entity: Entity
) -> None:
    upload = finished_upload(staff_reader, entity)
    client = client_for(staff_reader)
    assert (
        client.post(_url(asked, "upload"), {"upload": str(upload.uuid)}).status_code
        == 403
    )
    assert (
        client.post(_url(asked, "not-applicable"), {"reason": "x"}).status_code == 403
    )


# Staff review.


def _responded(request: Request, contact: User) -> Request:
    actions.add_response_file(
        request, actor=contact, upload=finished_upload(contact, request.entity)
    )
    return actions.submit_response(request, actor=contact)


def test_staff_return_with_a_comment_and_accept(
    client_for: ClientFor, asked: Request, staff_reader: User, contact: User
) -> None:
    _responded(asked, contact)
    client = client_for(staff_reader)
    page = client.get(_url(asked)).text
    assert "Files received" in page
    version = RequestFile.objects.get(request=asked).version
    assert version is not None
    assert f"/files/versions/{version.uuid}/download/" in page
    response = client.post(_url(asked, "return"), {"comment": ""})
    assert response.status_code == 400
    response = client.post(_url(asked, "return"), {"comment": "Pagina 2 ontbreekt."})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == Status.RETURNED
    assert "Pagina 2 ontbreekt." in client_for(contact).get(_url(asked)).text
    _responded(asked, contact)
    assert client.post(_url(asked, "accept")).status_code == 302
    asked.refresh_from_db()
    assert asked.status == Status.COMPLETED
    verbs = list(
        Event.objects.filter(target_id=str(asked.uuid)).values_list("verb", flat=True)
    )
    assert verbs.count(Event.Verb.REQUEST_RESPONDED) == 2
    assert Event.Verb.REQUEST_RETURNED in verbs
    assert Event.Verb.REQUEST_ACCEPTED in verbs


def test_accepting_a_request_without_response_says_why(
    client_for: ClientFor, asked: Request, staff_reader: User
) -> None:
    response = client_for(staff_reader).post(_url(asked, "accept"), follow=True)
    assert (
        "This request is waiting for a response. There is no response to accept."
        in response.text
    )
    asked.refresh_from_db()
    assert asked.status == Status.AWAITING


@pytest.mark.parametrize("action", ["accept", "return", "cancel", "send"])
@pytest.mark.parametrize("persona", ["contact", "viewer_contact"])
def test_contacts_cannot_use_the_staff_buttons(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    contact: User,
    action: str,
    persona: str,
) -> None:
    user = request.getfixturevalue(persona)
    if persona == "viewer_contact":
        # Made a recipient; the staff buttons stay closed to them anyway.
        grant(user, "contact-entity-staff", entity)
    req = _request(entity, staff_reader, [user])
    _responded(req, user)
    response = client_for(user).post(_url(req, action), {"comment": "x"})
    assert response.status_code == 403
    req.refresh_from_db()
    assert req.status == Status.RESPONDED


def test_the_staff_buttons_are_404_to_outsiders_and_staff_without_a_role(
    client_for: ClientFor, asked: Request, outsider: User, staff_member: User
) -> None:
    for user in (outsider, staff_member):
        for action in ("accept", "return", "cancel", "send", "edit"):
            assert client_for(user).post(_url(asked, action)).status_code == 404


def test_a_draft_is_sent_from_its_page_and_cancel_closes(
    client_for: ClientFor, entity: Entity, staff_reader: User, contact: User
) -> None:
    draft = _request(entity, staff_reader, [contact], send=False)
    client = client_for(staff_reader)
    assert "Send</button>" in client.get(_url(draft)).text
    client.post(_url(draft, "send"))
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING
    client.post(_url(draft, "cancel"))
    draft.refresh_from_db()
    assert draft.status == Status.CANCELLED
    assert Event.objects.filter(
        verb=Event.Verb.REQUEST_CANCELLED, entity=entity, actor=staff_reader
    ).exists()


def test_get_is_not_allowed_on_the_buttons(
    client_for: ClientFor, asked: Request, staff_reader: User
) -> None:
    for action in ("send", "accept", "return", "cancel", "comment", "submit"):
        assert client_for(staff_reader).get(_url(asked, action)).status_code == 405


# Editing.


def test_staff_edit_recipients_and_due_date(
    client_for: ClientFor,
    asked: Request,
    staff_reader: User,
    contact: User,
    group_contact: User,
    viewer_contact: User,
) -> None:
    client = client_for(staff_reader)
    page = client.get(_url(asked, "edit")).text
    assert group_contact.email in page
    # Vera has Entity Access only: shown, not choosable.
    assert f'value="{viewer_contact.uuid}" disabled' in page
    due = timezone.localdate() + timedelta(days=10)
    response = client.post(
        _url(asked, "edit"),
        {
            "subject": "Jaarstukken 2025",
            "description": asked.description,
            "due_date": due.isoformat(),
            "recipient": [str(group_contact.uuid), str(contact.uuid)],
        },
    )
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.due_date == due
    assert set(asked.recipients.all()) == {contact, group_contact}
    changed = Event.objects.get(verb=Event.Verb.REQUEST_CHANGED)
    assert changed.data["recipients"][1] == sorted([contact.email, group_contact.email])


def test_an_edit_without_recipients_or_with_an_ineligible_one_is_refused(
    client_for: ClientFor, asked: Request, staff_reader: User, viewer_contact: User
) -> None:
    client = client_for(staff_reader)
    response = client.post(_url(asked, "edit"), {"subject": "X", "recipient": []})
    assert response.status_code == 400
    assert "Choose at least one recipient." in response.text
    response = client.post(
        _url(asked, "edit"), {"subject": "X", "recipient": [str(viewer_contact.uuid)]}
    )
    assert response.status_code == 400
    assert "needs the role Contact – Entity Staff" in response.text
    asked.refresh_from_db()
    assert asked.subject == "Jaarstukken 2025"
    assert not Event.objects.filter(verb=Event.Verb.REQUEST_CHANGED).exists()


def test_a_closed_request_cannot_be_edited(
    client_for: ClientFor, asked: Request, staff_reader: User
) -> None:
    actions.cancel_request(asked, actor=staff_reader)
    response = client_for(staff_reader).get(_url(asked, "edit"))
    assert response.status_code == 302
    response = client_for(staff_reader).post(_url(asked, "edit"), {"subject": "X"})
    asked.refresh_from_db()
    assert asked.subject == "Jaarstukken 2025"


def test_contacts_cannot_edit(
    client_for: ClientFor, asked: Request, contact: User
) -> None:
    assert client_for(contact).get(_url(asked, "edit")).status_code == 403


# The lists.


def test_the_list_filters_and_counts_per_status(
    client_for: ClientFor,
    entity: Entity,
    other_entity: Entity,
    staff_reader: User,
    firm_admin: User,
    contact: User,
    outsider: User,
) -> None:
    grant(staff_reader, "reader", other_entity)
    mine = _request(entity, staff_reader, [contact], subject="Bankafschriften")
    _request(entity, staff_reader, [contact], subject="Concept", send=False)
    theirs = _request(other_entity, firm_admin, [outsider], subject="Garage BTW")
    Request.objects.filter(pk=theirs.pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )
    client = client_for(staff_reader)
    page = client.get("/activities/").text
    for subject in ("Bankafschriften", "Concept", "Garage BTW"):
        assert subject in page
    assert page.count('class="count">3<') == 1  # All
    assert "Overdue" in page
    only_garage = client.get("/activities/?entity=garage").text
    assert "Garage BTW" in only_garage
    assert "Bankafschriften" not in only_garage
    drafts = client.get("/activities/?status=not_sent").text
    assert "Concept" in drafts
    assert "Bankafschriften" not in drafts
    overdue = client.get("/activities/?due=overdue").text
    assert "Garage BTW" in overdue
    assert "Concept" not in overdue
    by_me = client.get("/activities/?mine=on").text
    assert "Garage BTW" not in by_me
    assert "Bankafschriften" in by_me
    by_recipient = client.get("/activities/?recipient=eva").text
    assert "Garage BTW" in by_recipient
    assert "Bankafschriften" not in by_recipient
    assert mine.subject in client.get("/activities/?status=open").text


def test_the_list_shows_only_what_the_user_may_see(
    client_for: ClientFor,
    entity: Entity,
    other_entity: Entity,
    staff_reader: User,
    firm_admin: User,
    contact: User,
    outsider: User,
) -> None:
    _request(entity, staff_reader, [contact], subject="Bankafschriften")
    _request(other_entity, firm_admin, [outsider], subject="Garage BTW")
    assert "Garage BTW" not in client_for(staff_reader).get("/activities/").text
    contact_list = client_for(contact).get("/activities/").text
    assert "Bankafschriften" in contact_list
    assert "Garage BTW" not in contact_list
    assert "Bankafschriften" not in client_for(outsider).get("/activities/").text


@pytest.mark.parametrize(
    "query", ["page=abc", "status=zzz", "due=later", "entity=%00", "page=-1&mine=x"]
)
def test_garbled_filters_never_break_the_lists(
    client_for: ClientFor,
    asked: Request,
    staff_reader: User,
    entity: Entity,
    query: str,
) -> None:
    client = client_for(staff_reader)
    assert client.get(f"/activities/?{query}").status_code in (200, 400)
    assert client.get(f"/entities/{entity.uuid}/activities/?{query}").status_code in (
        200,
        400,
    )


def test_the_entity_tab_lists_its_requests_with_a_new_button(
    client_for: ClientFor,
    entity: Entity,
    other_entity: Entity,
    staff_reader: User,
    firm_admin: User,
    contact: User,
    outsider: User,
    viewer_contact: User,
) -> None:
    _request(entity, staff_reader, [contact], subject="Bankafschriften")
    _request(other_entity, firm_admin, [outsider], subject="Garage BTW")
    page = client_for(staff_reader).get(f"/entities/{entity.uuid}/activities/").text
    assert "Bankafschriften" in page
    assert "Garage BTW" not in page
    assert f"/activities/new/file-request/?entity={entity.uuid}" in page
    # Contact – Entity Staff may create activities of their own; Entity
    # Access only sees what is addressed to them.
    contact_page = client_for(contact).get(f"/entities/{entity.uuid}/activities/").text
    assert "Bankafschriften" in contact_page
    assert f"/activities/new/file-request/?entity={entity.uuid}" in contact_page
    viewer_page = (
        client_for(viewer_contact).get(f"/entities/{entity.uuid}/activities/").text
    )
    assert "No activities yet." in viewer_page
    assert "/activities/new/" not in viewer_page


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# The queries of each list, session and navigation included: asserted, so that
# a question asked twice shows. The entity's tab reads the capabilities on the
# entity once, for the tabs and the list (it read them twice: 15 and 14).
LIST_QUERIES = {
    ("/activities/", "staff_reader"): 14,
    ("/entities/{entity}/activities/", "staff_reader"): 14,
    ("/", "staff_reader"): 12,
    ("/activities/", "contact"): 13,
    ("/entities/{entity}/activities/", "contact"): 13,
    ("/", "contact"): 12,
}


@pytest.mark.parametrize("url", ["/activities/", "/entities/{entity}/activities/", "/"])
@pytest.mark.parametrize("persona", ["staff_reader", "contact"])
def test_the_lists_cost_the_same_for_3_or_30_requests(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    contact: User,
    group_contact: User,
    url: str,
    persona: str,
) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)
    path = url.format(entity=entity.uuid)

    def make(first: int, count: int) -> None:
        for number in range(first, first + count):
            req = _request(
                entity,
                staff_reader,
                [contact, group_contact],
                subject=f"Verzoek {number}",
                due_date=timezone.localdate() + timedelta(days=number + 1),
            )
            add(entity, staff_reader if number % 2 else contact, f"f{number}.pdf")
            actions.add_comment(req, actor=contact, body="ok")

    make(0, 3)
    few = _queries(client, path)
    make(3, 27)
    many = _queries(client, path)
    assert Request.objects.count() == 30
    assert many == few, (path, few, many)
    assert few == LIST_QUERIES[url, persona]


def _capability_reads(captured: CaptureQueriesContext) -> int:
    """How many times the capabilities on an entity were read."""
    return sum(
        "r.capabilities" in query["sql"] and "a.entity_id =" in query["sql"]
        for query in captured.captured_queries
    )


# A request's page reads the capabilities on the entity once and hands them
# down (it read them again for the Follow / Reminders buttons: 16 and 14).
PAGE_QUERIES = {"staff_reader": 15, "contact": 13}


@pytest.mark.parametrize("persona", ["staff_reader", "contact"])
def test_a_request_page_costs_the_same_for_few_or_many_files_and_comments(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    contact: User,
    group_contact: User,
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    attached = add(entity, staff_reader, "bijlage.pdf")
    req = _request(
        entity, staff_reader, [contact, group_contact], attachments=[attached]
    )

    def grow(count: int) -> None:
        for _number in range(count):
            actions.add_response_file(
                req, actor=contact, upload=finished_upload(contact, entity)
            )
            actions.add_comment(req, actor=contact, body="Volgt.")
            actions.add_comment(req, actor=staff_reader, body="Intern", internal=True)

    grow(1)
    client.get(_url(req))  # the firm's e-mail settings are made on first read
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url(req)).status_code == 200
    assert _capability_reads(captured) == 1
    grow(10)
    assert _queries(client, _url(req)) == len(captured) == PAGE_QUERIES[persona]


def test_the_buttons_read_the_capabilities_once(
    client_for: ClientFor, asked: Request, staff_reader: User, contact: User
) -> None:
    # The page drawn again with a form's errors (it read them three times).
    with CaptureQueriesContext(connection) as captured:
        response = client_for(staff_reader).post(_url(asked, "return"), {})
    assert response.status_code == 400
    assert _capability_reads(captured) == 1
    # The list of this round's files after an upload (twice).
    upload = finished_upload(contact, asked.entity)
    with CaptureQueriesContext(connection) as captured:
        response = client_for(contact).post(
            _url(asked, "upload"), {"upload": str(upload.uuid)}
        )
    assert response.status_code == 201
    assert _capability_reads(captured) == 1


# Home pages.


def test_the_contact_home_lists_what_is_asked_by_due_date(
    client_for: ClientFor,
    entity: Entity,
    staff_reader: User,
    contact: User,
    group_contact: User,
) -> None:
    today = timezone.localdate()
    later = _request(
        entity,
        staff_reader,
        [contact],
        subject="Later",
        due_date=today + timedelta(days=9),
    )
    soon = _request(
        entity,
        staff_reader,
        [contact],
        subject="Binnenkort",
        due_date=today + timedelta(days=2),
    )
    late = _request(entity, staff_reader, [contact], subject="Te laat")
    Request.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=3))
    _request(entity, staff_reader, [contact], subject="Geen datum")
    done = _request(entity, staff_reader, [contact], subject="Afgerond")
    actions.cancel_request(done, actor=staff_reader)
    _request(entity, staff_reader, [group_contact], subject="Voor Gerda")
    _request(entity, staff_reader, [contact], subject="Concept", send=False)
    add(entity, staff_reader, "nieuwste.pdf")
    page = client_for(contact).get("/").text
    order = [page.index(s) for s in ("Te laat", "Binnenkort", "Later", "Geen datum")]
    assert order == sorted(order)
    assert "Overdue" in page
    for hidden in ("Afgerond", "Voor Gerda", "Concept"):
        assert hidden not in page
    assert "nieuwste.pdf" in page
    assert soon.get_absolute_url() in page
    assert later.get_absolute_url() in page


def test_the_staff_home_lists_responses_to_review(
    client_for: ClientFor, asked: Request, staff_reader: User, contact: User
) -> None:
    page = client_for(staff_reader).get("/").text
    assert "Responses to review" not in page
    _responded(asked, contact)
    page = client_for(staff_reader).get("/").text
    assert "Responses to review" in page
    assert asked.get_absolute_url() in page
    assert ">Activities<" in page
