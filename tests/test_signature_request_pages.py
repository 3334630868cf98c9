"""Signature requests on the Activities pages: each signer's state on the
request's page, *declined* apart from *cancelled* in the badge, the lists,
their filters and counts; the due date changed by staff (not the signers);
the home pages' "Sign <document>"; and the signature events in the History
tab with their labels."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files.models import File
from loket.requests import actions as request_actions
from loket.requests.models import Request
from loket.signatures import actions
from loket.signatures.models import SignatureRequest, Signer
from tests.conftest import ClientFor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("certificate")]


def ask(
    document: File,
    actor: User,
    signers: list[User],
    *,
    ordered: bool = True,
    subject: str = "Contract",
    email_code: bool = False,
) -> Request:
    return actions.request_signature(
        document,
        actor=actor,
        signers=signers,
        ordered=ordered,
        subject=subject,
        due_date=timezone.localdate() + timedelta(days=14),
        email_code=email_code,
    )


def signing_of(request: Request) -> SignatureRequest:
    return SignatureRequest.objects.get(request=request)


def committed(act: Callable[[], object]) -> None:
    """Run an action as a committed transaction would: its task runs after."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        act()


def sign(request: Request, user: User) -> None:
    """`user` signs (the worker's stamping not run: it is not needed here)."""
    actions.sign(signing_of(request), actor=user, consent=True, typed_name="X")


def section(page: str, heading_id: str) -> str:
    """The text of the page's <section> labelled by `heading_id`."""
    found = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S
    )
    assert found is not None, heading_id
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def page_of(client: Client, request: Request) -> str:
    response = client.get(request.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# The request's page: each signer's state.


def test_the_page_shows_whose_turn_it_is_in_ordered_mode(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    signers = section(page_of(client_for(staff_owner), request), "recipients")
    assert "Awaiting response" not in signers
    assert "Daan Tester daan@client.test Awaiting signature" in signers
    assert "Sanne Tester sanne@client.test Waiting for Daan Tester" in signers
    assert "one after another" in signers
    sign(request, contact)
    signed_at = Signer.objects.get(user=contact).signed_at
    assert signed_at is not None
    signers = section(page_of(client_for(second_contact), request), "recipients")
    assert "Daan Tester daan@client.test Signed" in signers
    assert "Sanne Tester sanne@client.test Awaiting signature" in signers
    assert "Waiting for" not in signers
    assert str(signed_at.year) in signers


def test_in_parallel_mode_everyone_who_has_not_signed_is_awaited(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact], ordered=False)
    sign(request, second_contact)
    signers = section(page_of(client_for(staff_owner), request), "recipients")
    assert "Daan Tester daan@client.test Awaiting signature" in signers
    assert "Sanne Tester sanne@client.test Signed" in signers
    assert "in any order" in signers


def test_a_declined_request_reads_declined_with_the_reason(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    actions.decline_signature(
        signing_of(request), actor=contact, reason="Het bedrag klopt niet"
    )
    request.refresh_from_db()
    assert request.status == Request.Status.CANCELLED  # as stored
    assert request.shown_status == "declined"
    page = page_of(client_for(staff_owner), request)
    assert '<span class="badge status-declined">Declined</span>' in page
    assert "status-cancelled" not in page
    signers = section(page, "recipients")
    assert "Daan Tester daan@client.test Declined" in signers
    assert "Het bedrag klopt niet" in signers
    assert "Sanne Tester sanne@client.test Not signed" in signers
    # Cancelled by staff stays *cancelled*.
    other = ask(document, staff_owner, [contact], subject="Tweede")
    request_actions.cancel_request(other, actor=staff_owner)
    assert other.shown_status == Request.Status.CANCELLED
    page = page_of(client_for(staff_owner), other)
    assert '<span class="badge status-cancelled">Cancelled</span>' in page


def test_a_completed_request_links_to_the_signed_version(
    client_for: ClientFor, document: File, staff_owner: User, contact: User
) -> None:
    request = ask(document, staff_owner, [contact])
    committed(lambda: sign(request, contact))
    signing = signing_of(request)
    assert signing.state == SignatureRequest.State.COMPLETED
    assert signing.signed_version is not None
    for user in (staff_owner, contact):
        page = page_of(client_for(user), request)
        signers = section(page, "recipients")
        assert "Signed document: contract.pdf version 2" in signers
        assert f"/files/versions/{signing.signed_version.uuid}/" in page
        assert '<span class="badge status-completed">Completed</span>' in page


# The lists: the badge, the filter and the counts.


def counted(page: str, label: str) -> int:
    found = re.search(
        rf'<span class="badge status-\w+">{label}</span> <span class="count">(\d+)',
        page,
    )
    assert found is not None, label
    return int(found.group(1))


def test_the_lists_show_declined_apart_from_cancelled(
    client_for: ClientFor,
    document: File,
    entity: Entity,
    staff_owner: User,
    contact: User,
) -> None:
    declined = ask(document, staff_owner, [contact], subject="Geweigerd contract")
    actions.decline_signature(signing_of(declined), actor=contact, reason="Nee")
    cancelled = ask(document, staff_owner, [contact], subject="Ingetrokken contract")
    request_actions.cancel_request(cancelled, actor=staff_owner)
    ask(document, staff_owner, [contact], subject="Open contract")
    for user in (staff_owner, contact):
        client = client_for(user)
        for url in ("/activities/", f"/entities/{entity.uuid}/activities/"):
            page = client.get(url).content.decode()
            assert (counted(page, "Declined"), counted(page, "Cancelled")) == (1, 1)
            assert counted(page, "Awaiting response") == 1
            row = re.search(r"Geweigerd contract.*?</tr>", page, re.S)
            assert row is not None
            assert '<span class="badge status-declined">Declined</span>' in row[0]
            only = client.get(url, {"status": "declined"}).content.decode()
            assert "Geweigerd contract" in only
            assert "Ingetrokken contract" not in only
            assert "Open contract" not in only
            only = client.get(url, {"status": "cancelled"}).content.decode()
            assert "Ingetrokken contract" in only
            assert "Geweigerd contract" not in only


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/activities/", "/entities/{entity}/activities/", "/"])
@pytest.mark.parametrize("persona", ["staff_owner", "contact", "second_contact"])
def test_the_lists_cost_the_same_for_3_or_12_signature_requests(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    document: File,
    entity: Entity,
    staff_owner: User,
    contact: User,
    second_contact: User,
    url: str,
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    path = url.format(entity=entity.uuid)

    def make(first: int, count: int) -> None:
        for number in range(first, first + count):
            asked = ask(
                document,
                staff_owner,
                [contact, second_contact],
                subject=f"Contract {number}",
                ordered=number % 2 == 0,
            )
            if number % 3 == 1:
                actions.decline_signature(
                    signing_of(asked), actor=contact, reason="Nee"
                )
            elif number % 3 == 2:
                sign(asked, contact)

    make(0, 3)
    few = _queries(client, path)
    make(3, 9)
    many = _queries(client, path)
    assert Request.objects.count() == 12
    assert many == few, (path, few, many)


# Staff change the due date (not the signers).


def edit_url(request: Request) -> str:
    return f"/activities/{request.uuid}/edit/"


def test_the_edit_page_refuses_those_who_may_not(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    outsider: User,
    staff_member: User,
) -> None:
    request = ask(document, staff_owner, [contact])
    url = edit_url(request)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/sign-in/")
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(staff_member).get(url).status_code == 404
    # The signer sees the request but does not manage it.
    assert client_for(contact).get(url).status_code == 403
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client_for(contact).post(url, {"subject": "X", "due_date": due})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.subject == "Contract"


def test_staff_change_the_due_date_and_subject_but_not_the_signers(
    client_for: ClientFor,
    document: File,
    staff_reader: User,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact])
    client = client_for(staff_reader)
    detail = page_of(client, request)
    assert "Edit due date and message" in detail
    assert edit_url(request) in detail
    form = client.get(edit_url(request)).content.decode()
    assert "The signers cannot be changed" in form
    assert 'name="recipient"' not in form
    assert 'name="description"' not in form
    new_due = timezone.localdate() + timedelta(days=30)
    old_due = request.due_date
    assert old_due is not None
    response = client.post(
        edit_url(request),
        {
            "subject": "Contract 2026",
            "due_date": new_due.isoformat(),
            "additional_message": "Graag deze week.",
            # A forged list of people changes nothing.
            "recipient": [str(second_contact.uuid)],
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.subject, request.due_date) == ("Contract 2026", new_due)
    assert request.additional_message == "Graag deze week."
    assert [row.user for row in request.recipient_rows.all()] == [contact]
    assert [s.user for s in signing_of(request).signers.all()] == [contact]
    event = Event.objects.get(verb=Event.Verb.REQUEST_CHANGED)
    assert event.actor == staff_reader
    assert event.data["due_date"] == [old_due.isoformat(), new_due.isoformat()]
    assert event.data["subject"] == ["Contract", "Contract 2026"]
    assert "recipients" not in event.data


def test_a_due_date_in_the_past_is_refused_on_the_edit_page(
    client_for: ClientFor, document: File, staff_owner: User, contact: User
) -> None:
    request = ask(document, staff_owner, [contact])
    past = timezone.localdate() - timedelta(days=1)
    response = client_for(staff_owner).post(
        edit_url(request), {"subject": "Contract", "due_date": past.isoformat()}
    )
    assert response.status_code == 400
    assert "The due date is in the past." in response.content.decode()
    request.refresh_from_db()
    assert request.due_date != past
    assert not Event.objects.filter(verb=Event.Verb.REQUEST_CHANGED).exists()


def test_the_signers_of_a_signature_request_cannot_be_changed(
    document: File, staff_owner: User, contact: User, second_contact: User
) -> None:
    request = ask(document, staff_owner, [contact])
    with pytest.raises(ValidationError, match="signers of a signature request"):
        request_actions.update_request(
            request, actor=staff_owner, recipients=[contact, second_contact]
        )
    with pytest.raises(ValidationError, match="signers of a signature request"):
        request_actions.update_request(request, actor=staff_owner, limited=True)
    request_actions.update_request(request, actor=staff_owner, subject="Anders")
    assert [row.user for row in request.recipient_rows.all()] == [contact]


def test_a_closed_signature_request_cannot_be_edited(
    client_for: ClientFor, document: File, staff_owner: User, contact: User
) -> None:
    request = ask(document, staff_owner, [contact])
    actions.decline_signature(signing_of(request), actor=contact, reason="Nee")
    client = client_for(staff_owner)
    assert "Edit due date" not in page_of(client, request)
    response = client.get(edit_url(request), follow=True)
    assert "This request can no longer be changed." in response.content.decode()


# The home pages.


def sign_url(request: Request) -> str:
    return f"/signatures/{request.uuid}/sign/"


def test_the_contact_home_asks_to_sign_when_it_is_their_turn(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact])
    first = section(client_for(contact).get("/").content.decode(), "asked")
    assert "Sign contract.pdf Contract" in first
    assert f'href="{sign_url(request)}"' in client_for(contact).get("/").text
    second_page = client_for(second_contact).get("/").text
    second = section(second_page, "asked")
    assert "Waiting for Daan Tester to sign first" in second
    assert "Sign contract.pdf" not in second
    assert f'href="{sign_url(request)}"' not in second_page
    sign(request, contact)
    first = section(client_for(contact).get("/").text, "asked")
    assert "contract.pdf" not in first
    assert "Nothing is asked of you right now." in first
    second_page = client_for(second_contact).get("/").text
    assert "Sign contract.pdf" in section(second_page, "asked")
    assert f'href="{sign_url(request)}"' in second_page


def test_a_declined_request_leaves_the_home_pages(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, second_contact], ordered=False)
    actions.decline_signature(signing_of(request), actor=second_contact, reason="N")
    for user in (contact, second_contact):
        asked = section(client_for(user).get("/").text, "asked")
        assert "contract.pdf" not in asked
        assert "Nothing is asked of you right now." in asked


def test_a_staff_signer_finds_the_document_on_their_home_page(
    client_for: ClientFor,
    document: File,
    staff_owner: User,
    staff_reader: User,
    contact: User,
) -> None:
    request = ask(document, staff_owner, [contact, staff_reader])
    page = client_for(staff_reader).get("/").text
    assert "Documents to sign" in page
    assert "Waiting for Daan Tester to sign first" in page
    sign(request, contact)
    page = client_for(staff_reader).get("/").text
    assert "Sign contract.pdf" in page
    assert f'href="{sign_url(request)}"' in page
    assert "Documents to sign" not in client_for(staff_owner).get("/").text


# The History tab.

SIGNATURE_LABELS = {
    Event.Verb.SIGNATURE_VIEWED: "Document viewed for signing",
    Event.Verb.SIGNATURE_CONSENTED: "Consented to sign electronically",
    Event.Verb.SIGNATURE_CODE_SENT: "Signing code e-mailed",
    Event.Verb.SIGNATURE_CODE_FAILED: "Wrong signing code",
    Event.Verb.SIGNATURE_CODE_VERIFIED: "Signing code confirmed",
    Event.Verb.SIGNATURE_SIGNED: "Document signed",
    Event.Verb.SIGNATURE_DECLINED: "Signing declined",
    Event.Verb.SIGNATURE_COMPLETED: "Signed document sealed and stored",
}


def test_every_signature_verb_reads_as_words() -> None:
    verbs = [verb for verb in Event.Verb if verb.value.startswith("signature.")]
    assert set(SIGNATURE_LABELS) <= set(verbs)
    for verb in verbs:
        label = Event(verb=verb.value).get_verb_display()
        assert label != verb.value
        # Words, not a code: "Document signed", not "signature.signed".
        assert re.fullmatch(r"[A-Z][^._]+", label), label


def test_the_history_tab_shows_the_signature_events_in_words(
    client_for: ClientFor,
    document: File,
    entity: Entity,
    staff_owner: User,
    contact: User,
    second_contact: User,
) -> None:
    from loket.notifications.models import OutgoingEmail

    def code_for(user: User) -> str:
        row = OutgoingEmail.objects.filter(to=user.email).order_by("-id").first()
        assert row is not None
        found = re.search(r"\b(\d{6})\b", row.message.get("text", ""))
        assert found is not None
        return found.group(1)

    request = ask(document, staff_owner, [contact], email_code=True)
    signing = signing_of(request)
    actions.record_view(signing, actor=contact, ip="192.0.2.7")
    actions.record_consent(signing, actor=contact)
    actions.send_signing_code(signing, actor=contact)
    wrong = "000000" if code_for(contact) != "000000" else "111111"
    with pytest.raises(ValidationError):
        actions.confirm_signing_code(signing, actor=contact, code=wrong)
    actions.confirm_signing_code(signing, actor=contact, code=code_for(contact))
    committed(lambda: sign(request, contact))
    declined = ask(document, staff_owner, [second_contact], subject="Tweede")
    actions.decline_signature(
        signing_of(declined), actor=second_contact, reason="Niet mijn handtekening"
    )
    page = client_for(staff_owner).get(f"/entities/{entity.uuid}/history/").text
    cells = re.findall(r"<td>([^<]*)</td>", page)
    for verb, label in SIGNATURE_LABELS.items():
        assert Event.objects.filter(verb=verb, entity=entity).exists(), verb
        assert label in cells, label
    assert "reason: Niet mijn handtekening" in page
    filtered = client_for(staff_owner).get(
        f"/entities/{entity.uuid}/history/",
        {"what": Event.Verb.SIGNATURE_SIGNED.value},
    )
    assert re.findall(r"<td>([^<]*)</td>", filtered.text).count("Document signed") == 1
