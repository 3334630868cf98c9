"""The business rules of loket/requests/actions.py, on the actions themselves:
what a request needs, who may receive it, the responses and the state machine
(a table over every action and status, and a Hypothesis state machine)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from loket import access
from loket.accounts.models import User
from loket.audit.models import Event
from loket.entities.models import Entity
from loket.files.models import File, FileVersion, Upload
from loket.requests import actions
from loket.requests.models import Comment, Recipient, Request, RequestFile
from loket.roles.models import RoleAssignment
from tests.conftest import grant
from tests.files_support import add, finished_upload, pdf

pytestmark = pytest.mark.django_db

Status = Request.Status


def _events(request: Request, verb: Event.Verb | None = None) -> list[Event]:
    events = Event.objects.filter(
        target_type="requests.request", target_id=str(request.uuid)
    )
    if verb is not None:
        events = events.filter(verb=verb)
    return list(events.order_by("id"))


def _request(
    entity: Entity, actor: User, recipients: list[User], **kwargs: Any
) -> Request:
    kwargs.setdefault("subject", "Jaarstukken 2025")
    return actions.create_request(entity, actor=actor, recipients=recipients, **kwargs)


# Creating.


def test_a_request_is_created_sent_and_recorded(
    entity: Entity, staff_reader: User, contact: User, group_contact: User
) -> None:
    due = timezone.localdate() + timedelta(days=14)
    request = _request(
        entity,
        staff_reader,
        [contact, group_contact],
        description="Graag de bankafschriften.\nEn de loonstroken.",
        due_date=due,
        additional_message="Dank u wel!",
    )
    request.refresh_from_db()
    assert request.status == Status.AWAITING
    assert request.sent_at is not None
    assert request.created_by == staff_reader
    assert request.due_date == due
    assert request.additional_message == "Dank u wel!"
    assert set(request.recipients.all()) == {contact, group_contact}
    created, sent = _events(request)
    assert created.verb == Event.Verb.REQUEST_CREATED
    assert created.entity == entity
    assert created.data["recipients"] == sorted([contact.email, group_contact.email])
    assert sent.verb == Event.Verb.REQUEST_SENT
    assert sent.entity == entity


def test_a_draft_is_not_sent_until_sent(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact], send=False)
    assert request.status == Status.NOT_SENT
    assert request.sent_at is None
    assert [e.verb for e in _events(request)] == [Event.Verb.REQUEST_CREATED]
    actions.send_request(request, actor=staff_reader)
    assert request.status == Status.AWAITING
    assert _events(request)[-1].verb == Event.Verb.REQUEST_SENT


def test_attaching_an_existing_file_makes_an_update_request(
    entity: Entity, staff_owner: User, contact: User
) -> None:
    file = add(entity, staff_owner, "loonaangifte.pdf")
    request = _request(entity, staff_owner, [contact], attachments=[file])
    (link,) = RequestFile.objects.filter(request=request)
    assert link.role == RequestFile.Role.ATTACHMENT
    assert link.file == file
    assert link.version == file.current_version
    assert _events(request)[0].data["attachments"] == ["loonaangifte.pdf"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject": "  "}, "subject", "Enter a subject."),
        ({"recipients": []}, "recipients", "Choose at least one recipient."),
        (
            {"due_date": timezone.localdate() - timedelta(days=1)},
            "due_date",
            "The due date is in the past.",
        ),
        ({"subject": "x" * 201}, "subject", "Keep the subject under 200 characters."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    entity: Entity,
    staff_reader: User,
    contact: User,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    kwargs: dict[str, Any] = {"subject": "Jaarstukken", "recipients": [contact]}
    kwargs.update(changes)
    with pytest.raises(ValidationError) as refused:
        actions.create_request(entity, actor=staff_reader, **kwargs)
    assert refused.value.message_dict[field] == [message]
    assert not Request.objects.exists()
    assert not Recipient.objects.exists()
    assert not Event.objects.filter(verb__startswith="request.").exists()


def test_a_recipient_without_entity_staff_is_refused_by_name(
    entity: Entity, staff_reader: User, contact: User, viewer_contact: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        _request(entity, staff_reader, [contact, viewer_contact])
    (message,) = refused.value.message_dict["recipients"]
    assert message == (
        "Vera Tester cannot receive requests for Bakkerij de Vries BV: that needs "
        "the role Contact – Entity Staff on the entity."
    )
    assert not Request.objects.exists()


def test_staff_and_contacts_of_other_entities_cannot_be_recipients(
    entity: Entity, staff_reader: User, staff_owner: User, outsider: User
) -> None:
    for person in (staff_owner, outsider):
        with pytest.raises(ValidationError) as refused:
            _request(entity, staff_reader, [person])
        assert "recipients" in refused.value.message_dict
    assert not Request.objects.exists()


def test_several_errors_are_reported_at_once(
    entity: Entity, staff_reader: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.create_request(entity, actor=staff_reader, subject="", recipients=[])
    assert set(refused.value.message_dict) == {"subject", "recipients"}


def test_an_attachment_of_another_entity_or_in_the_trash_is_refused(
    entity: Entity,
    other_entity: Entity,
    staff_owner: User,
    firm_admin: User,
    contact: User,
) -> None:
    elsewhere = add(other_entity, firm_admin, "ander.pdf")
    trashed = add(entity, staff_owner, "weg.pdf")
    File.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    trashed.refresh_from_db()
    for file in (elsewhere, trashed):
        with pytest.raises(ValidationError) as refused:
            _request(entity, staff_owner, [contact], attachments=[file])
        assert refused.value.message_dict["attachments"] == [
            f"{file.name} is not a file of Bakkerij de Vries BV."
        ]
    assert not Request.objects.exists()


def test_a_limited_attachment_must_be_shared_with_every_recipient(
    entity: Entity, staff_owner: User, contact: User, group_contact: User
) -> None:
    secret = add(entity, staff_owner, "salarissen.pdf", limited=True)
    secret.shared_with.add(contact)
    with pytest.raises(ValidationError) as refused:
        _request(entity, staff_owner, [contact, group_contact], attachments=[secret])
    assert "not shared with Gerda Tester" in refused.value.messages[0]
    request = _request(entity, staff_owner, [contact], attachments=[secret])
    assert request.request_files.count() == 1


def test_an_archived_entity_takes_no_new_requests(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    entity.archived_at = timezone.now()
    entity.save()
    with pytest.raises(ValidationError) as refused:
        _request(entity, staff_reader, [contact])
    assert "archived" in refused.value.message_dict["entity"][0]


def test_sending_a_draft_checks_the_recipients_again(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact], send=False)
    RoleAssignment.objects.filter(user=contact).delete()
    grant(contact, "contact-entity-access", entity)
    with pytest.raises(ValidationError):
        actions.send_request(request, actor=staff_reader)
    request.refresh_from_db()
    assert request.status == Status.NOT_SENT


# Changing.


def test_changing_recipients_and_due_date_records_old_and_new(
    entity: Entity, staff_reader: User, contact: User, group_contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    due = timezone.localdate() + timedelta(days=3)
    actions.update_request(
        request,
        actor=staff_reader,
        recipients=[group_contact],
        due_date=due,
        subject="Jaarstukken 2025 (aangevuld)",
    )
    request.refresh_from_db()
    assert list(request.recipients.all()) == [group_contact]
    assert request.due_date == due
    changed = _events(request, Event.Verb.REQUEST_CHANGED)[-1]
    assert changed.data["recipients"] == [[contact.email], [group_contact.email]]
    assert changed.data["due_date"] == [None, due.isoformat()]
    assert changed.data["subject"][1] == "Jaarstukken 2025 (aangevuld)"


def test_an_update_without_changes_records_nothing(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    actions.update_request(
        request, actor=staff_reader, subject=request.subject, recipients=[contact]
    )
    assert not _events(request, Event.Verb.REQUEST_CHANGED)


def test_a_past_due_date_may_stay_but_not_be_set(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    past = timezone.localdate() - timedelta(days=2)
    Request.objects.filter(pk=request.pk).update(due_date=past)
    request.refresh_from_db()
    actions.update_request(request, actor=staff_reader, due_date=past, subject="Ok")
    with pytest.raises(ValidationError):
        actions.update_request(
            request, actor=staff_reader, due_date=past - timedelta(days=1)
        )


# Responding.


def test_a_contacts_upload_becomes_an_entity_file_linked_to_the_request(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    upload = finished_upload(contact, entity, pdf("bank"), "bankafschrift.pdf")
    link = actions.add_response_file(request, actor=contact, upload=upload)
    assert link.role == RequestFile.Role.RESPONSE
    assert link.file.entity == entity
    assert link.file.name == "bankafschrift.pdf"
    assert link.version is not None
    assert link.version == link.file.current_version
    assert link.version.number == 1
    assert link.submitted_at is None
    assert not Upload.objects.filter(pk=upload.pk).exists()
    received = _events(request, Event.Verb.REQUEST_FILE_RECEIVED)[-1]
    assert received.entity == entity
    assert received.data["file"] == "bankafschrift.pdf"
    assert Event.objects.filter(
        verb=Event.Verb.FILE_UPLOADED, target_id=str(link.file.uuid)
    ).exists()


def test_an_answer_to_an_update_request_is_a_new_version_of_the_attachment(
    entity: Entity, staff_owner: User, contact: User
) -> None:
    file = add(entity, staff_owner, "loonaangifte.pdf", pdf("v1"))
    request = _request(entity, staff_owner, [contact], attachments=[file])
    upload = finished_upload(contact, entity, pdf("v2"), "loonaangifte-getekend.pdf")
    link = actions.add_response_file(
        request, actor=contact, upload=upload, attachment=file
    )
    file.refresh_from_db()
    assert link.file == file
    assert link.version is not None
    assert link.version.number == 2
    assert file.current_version == link.version
    assert file.versions.count() == 2
    assert File.objects.filter(entity=entity).count() == 1


def test_an_answer_may_only_update_a_file_attached_to_the_request(
    entity: Entity, staff_owner: User, contact: User
) -> None:
    attached = add(entity, staff_owner, "a.pdf", pdf("a"))
    other = add(entity, staff_owner, "b.pdf", pdf("b"))
    request = _request(entity, staff_owner, [contact], attachments=[attached])
    upload = finished_upload(contact, entity)
    with pytest.raises(ValidationError):
        actions.add_response_file(
            request, actor=contact, upload=upload, attachment=other
        )
    assert other.versions.count() == 1
    assert Upload.objects.filter(pk=upload.pk).exists()


def test_a_clashing_name_becomes_a_copy_never_an_overwrite(
    entity: Entity, staff_owner: User, contact: User
) -> None:
    existing = add(entity, staff_owner, "scan.pdf", pdf("staff"))
    request = _request(entity, staff_owner, [contact])
    link = actions.add_response_file(
        request, actor=contact, upload=finished_upload(contact, entity)
    )
    assert link.file != existing
    assert link.file.name == "scan (2).pdf"
    assert existing.versions.count() == 1


def test_only_recipients_respond_and_only_with_uploads_for_the_entity(
    entity: Entity,
    other_entity: Entity,
    staff_reader: User,
    contact: User,
    group_contact: User,
) -> None:
    request = _request(entity, staff_reader, [contact])
    with pytest.raises(ValidationError):
        actions.add_response_file(
            request,
            actor=group_contact,
            upload=finished_upload(group_contact, entity),
        )
    with pytest.raises(ValidationError):
        actions.add_response_file(
            request, actor=contact, upload=finished_upload(contact, other_entity)
        )
    assert not RequestFile.objects.exists()


def test_submitting_needs_a_file_and_marks_this_rounds_files(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    with pytest.raises(ValidationError) as refused:
        actions.submit_response(request, actor=contact)
    assert "Upload at least one file" in refused.value.messages[0]
    actions.add_response_file(
        request, actor=contact, upload=finished_upload(contact, entity)
    )
    actions.submit_response(request, actor=contact, note="Alles zit erbij.")
    request.refresh_from_db()
    assert request.status == Status.RESPONDED
    assert request.responded_at is not None
    (link,) = request.request_files.all()
    assert link.submitted_at is not None
    row = Recipient.objects.get(request=request, user=contact)
    assert row.responded_at is not None
    assert Comment.objects.get(request=request).body == "Alles zit erbij."
    responded = _events(request, Event.Verb.REQUEST_RESPONDED)[-1]
    assert responded.data["files"] == ["scan.pdf"]


def test_not_applicable_needs_a_reason_and_counts_as_a_response(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    with pytest.raises(ValidationError) as refused:
        actions.mark_not_applicable(request, actor=contact, reason=" ")
    assert refused.value.message_dict["reason"] == [
        "Say why this request does not apply to you."
    ]
    actions.mark_not_applicable(request, actor=contact, reason="Geen personeel.")
    request.refresh_from_db()
    assert request.status == Status.RESPONDED
    row = Recipient.objects.get(request=request, user=contact)
    assert row.not_applicable is True
    assert row.reason == "Geen personeel."
    event = _events(request, Event.Verb.REQUEST_NOT_APPLICABLE)[-1]
    assert event.data["reason"] == "Geen personeel."


def test_returning_needs_a_comment_and_opens_a_new_round(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    actions.mark_not_applicable(request, actor=contact, reason="Geen idee")
    with pytest.raises(ValidationError):
        actions.return_to_contact(request, actor=staff_reader, comment="")
    actions.return_to_contact(
        request, actor=staff_reader, comment="Het gaat om de auto van de zaak."
    )
    request.refresh_from_db()
    assert request.status == Status.RETURNED
    comment = Comment.objects.get(request=request)
    assert comment.author == staff_reader
    assert comment.internal is False
    row = Recipient.objects.get(request=request, user=contact)
    assert (row.not_applicable, row.reason, row.responded_at) == (False, "", None)
    returned = _events(request, Event.Verb.REQUEST_RETURNED)[-1]
    assert returned.data["comment"] == "Het gaat om de auto van de zaak."


def test_accepting_completes_and_cancelling_closes(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    first = _request(entity, staff_reader, [contact])
    actions.mark_not_applicable(first, actor=contact, reason="n.v.t.")
    actions.accept_response(first, actor=staff_reader)
    assert first.status == Status.COMPLETED
    assert first.closed_at is not None
    assert _events(first, Event.Verb.REQUEST_ACCEPTED)
    second = _request(entity, staff_reader, [contact])
    actions.cancel_request(second, actor=staff_reader)
    assert second.status == Status.CANCELLED
    assert _events(second, Event.Verb.REQUEST_CANCELLED)


def test_a_limited_requests_answers_are_limited_and_shared_with_its_author(
    entity: Entity, staff_reader: User, contact: User, viewer_contact: User
) -> None:
    request = _request(entity, staff_reader, [contact], limited=True)
    link = actions.add_response_file(
        request, actor=contact, upload=finished_upload(contact, entity)
    )
    file = link.file
    assert file.limited is True
    assert staff_reader in file.shared_with.all()
    assert access.visible_files(staff_reader).filter(pk=file.pk).exists()
    assert not access.visible_files(viewer_contact).filter(pk=file.pk).exists()


# Comments.


def test_comments_are_recorded_and_contacts_cannot_write_internal_ones(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    request = _request(entity, staff_reader, [contact])
    actions.add_comment(request, actor=staff_reader, body="Let op btw.", internal=True)
    actions.add_comment(request, actor=contact, body="Komt eraan.")
    with pytest.raises(ValidationError) as refused:
        actions.add_comment(request, actor=contact, body="Stiekem", internal=True)
    assert refused.value.message_dict["internal"] == [
        "Only staff can write internal comments."
    ]
    with pytest.raises(ValidationError):
        actions.add_comment(request, actor=contact, body="   ")
    assert [(c.body, c.internal) for c in request.comments.order_by("pk")] == [
        ("Let op btw.", True),
        ("Komt eraan.", False),
    ]
    internal, public = _events(request, Event.Verb.REQUEST_COMMENTED)
    assert internal.data == {"internal": True}
    assert public.data == {"comment": "Komt eraan."}


# The state machine: every action from every status.

ALL = list(Status)
Act = Callable[[Request, User, User], object]


def _upload_and_submit(request: Request, staff: User, contact: User) -> None:
    actions.add_response_file(
        request, actor=contact, upload=finished_upload(contact, request.entity)
    )
    actions.submit_response(request, actor=contact)


ACTS: dict[str, tuple[Act, set[str], str | None]] = {
    # name: (action, statuses it may start from, status after)
    "send": (
        lambda r, s, c: actions.send_request(r, actor=s),
        {Status.NOT_SENT},
        Status.AWAITING,
    ),
    "upload": (
        lambda r, s, c: actions.add_response_file(
            r, actor=c, upload=finished_upload(c, r.entity)
        ),
        {Status.AWAITING, Status.RETURNED},
        None,
    ),
    "submit": (
        _upload_and_submit,
        {Status.AWAITING, Status.RETURNED},
        Status.RESPONDED,
    ),
    "not_applicable": (
        lambda r, s, c: actions.mark_not_applicable(r, actor=c, reason="n.v.t."),
        {Status.AWAITING, Status.RETURNED},
        Status.RESPONDED,
    ),
    "accept": (
        lambda r, s, c: actions.accept_response(r, actor=s),
        {Status.RESPONDED},
        Status.COMPLETED,
    ),
    "return": (
        lambda r, s, c: actions.return_to_contact(r, actor=s, comment="Mist iets"),
        {Status.RESPONDED},
        Status.RETURNED,
    ),
    "cancel": (
        lambda r, s, c: actions.cancel_request(r, actor=s),
        {Status.NOT_SENT, Status.AWAITING, Status.RESPONDED, Status.RETURNED},
        Status.CANCELLED,
    ),
    "edit": (
        lambda r, s, c: actions.update_request(r, actor=s, subject="Nieuw"),
        {Status.NOT_SENT, Status.AWAITING, Status.RESPONDED, Status.RETURNED},
        None,
    ),
}


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("name", list(ACTS))
def test_every_action_from_every_status(
    entity: Entity, staff_reader: User, contact: User, name: str, status: str
) -> None:
    act, allowed, after = ACTS[name]
    request = _request(entity, staff_reader, [contact], send=False)
    Request.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    before = Event.objects.count()
    if status in allowed:
        act(request, staff_reader, contact)
        request.refresh_from_db()
        assert request.status == (after or status)
        assert Event.objects.count() > before
    else:
        with pytest.raises(ValidationError) as refused:
            act(request, staff_reader, contact)
        assert refused.value.code == "conflict"
        assert str(actions._WHY[Status(status)]) in refused.value.messages[0]
        request.refresh_from_db()
        assert request.status == status
        assert Event.objects.count() == before
        assert not RequestFile.objects.filter(request=request).exists()


def test_the_refusals_say_why(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    draft = _request(entity, staff_reader, [contact], send=False)
    with pytest.raises(ValidationError) as refused:
        actions.accept_response(draft, actor=staff_reader)
    assert refused.value.messages == [
        "This request has not been sent yet. There is no response to accept."
    ]
    actions.cancel_request(draft, actor=staff_reader)
    with pytest.raises(ValidationError) as refused:
        actions.mark_not_applicable(draft, actor=contact, reason="x")
    assert refused.value.messages == [
        "This request has been cancelled. It cannot be answered now."
    ]


# The reference model's own statuses (not the module's, which it checks).
ANSWERING = {Status.AWAITING, Status.RETURNED}
CLOSED = {Status.COMPLETED, Status.CANCELLED}


class RequestLife(RuleBasedStateMachine):
    """Random sequences of actions against a reference model of the statuses:
    each action succeeds exactly when the model says so, and writes exactly one
    history event of its own when it does."""

    entity: Entity
    staff: User
    contact: User

    @initialize()
    def start(self) -> None:
        self.request = actions.create_request(
            self.entity,
            actor=self.staff,
            subject="Stukken",
            recipients=[self.contact],
            send=False,
        )
        self.status = Status.NOT_SENT
        self.pending = 0

    def _try(self, act: Callable[[], object], allowed: bool, verb: Event.Verb) -> bool:
        before = Event.objects.filter(verb=verb).count()
        try:
            act()
        except ValidationError:
            assert not allowed, f"refused {verb} from {self.status}"
            assert Event.objects.filter(verb=verb).count() == before
            return False
        assert allowed, f"allowed {verb} from {self.status}"
        assert Event.objects.filter(verb=verb).count() == before + 1
        return True

    @rule()
    def send(self) -> None:
        if self._try(
            lambda: actions.send_request(self.request, actor=self.staff),
            self.status == Status.NOT_SENT,
            Event.Verb.REQUEST_SENT,
        ):
            self.status = Status.AWAITING

    @rule()
    def upload(self) -> None:
        if self._try(
            lambda: actions.add_response_file(
                self.request,
                actor=self.contact,
                upload=finished_upload(self.contact, self.entity),
            ),
            self.status in ANSWERING,
            Event.Verb.REQUEST_FILE_RECEIVED,
        ):
            self.pending += 1

    @rule()
    def submit(self) -> None:
        if self._try(
            lambda: actions.submit_response(self.request, actor=self.contact),
            self.status in ANSWERING and self.pending > 0,
            Event.Verb.REQUEST_RESPONDED,
        ):
            self.status = Status.RESPONDED
            self.pending = 0

    @rule(reason=st.sampled_from(["", "Geen personeel"]))
    def not_applicable(self, reason: str) -> None:
        if self._try(
            lambda: actions.mark_not_applicable(
                self.request, actor=self.contact, reason=reason
            ),
            self.status in ANSWERING and bool(reason),
            Event.Verb.REQUEST_NOT_APPLICABLE,
        ):
            self.status = Status.RESPONDED

    @rule()
    def accept(self) -> None:
        if self._try(
            lambda: actions.accept_response(self.request, actor=self.staff),
            self.status == Status.RESPONDED,
            Event.Verb.REQUEST_ACCEPTED,
        ):
            self.status = Status.COMPLETED

    @rule(comment=st.sampled_from(["", "Graag opnieuw"]))
    def return_it(self, comment: str) -> None:
        if self._try(
            lambda: actions.return_to_contact(
                self.request, actor=self.staff, comment=comment
            ),
            self.status == Status.RESPONDED and bool(comment),
            Event.Verb.REQUEST_RETURNED,
        ):
            self.status = Status.RETURNED

    @rule()
    def cancel(self) -> None:
        if self._try(
            lambda: actions.cancel_request(self.request, actor=self.staff),
            self.status not in CLOSED,
            Event.Verb.REQUEST_CANCELLED,
        ):
            self.status = Status.CANCELLED

    @invariant()
    def the_row_agrees_with_the_model(self) -> None:
        if not hasattr(self, "request"):
            return
        self.request.refresh_from_db()
        assert self.request.status == self.status
        pending = actions.pending_responses(self.request).count()
        assert pending == self.pending
        closed = self.status in (Status.COMPLETED, Status.CANCELLED)
        assert (self.request.closed_at is not None) == closed


def test_random_lives_of_a_request_follow_the_model(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    RequestLife.entity = entity
    RequestLife.staff = staff_reader
    RequestLife.contact = contact
    run_state_machine_as_test(
        RequestLife,
        settings=hypothesis_settings(
            max_examples=60,
            stateful_step_count=12,
            deadline=None,
            database=None,
        ),
    )


def test_versions_of_an_update_request_keep_counting_across_rounds(
    entity: Entity, staff_owner: User, contact: User
) -> None:
    file = add(entity, staff_owner, "aangifte.pdf", pdf("1"))
    request = _request(entity, staff_owner, [contact], attachments=[file])
    for text in ("2", "3"):
        actions.add_response_file(
            request,
            actor=contact,
            upload=finished_upload(contact, entity, pdf(text)),
            attachment=file,
        )
        actions.submit_response(request, actor=contact)
        if text == "2":
            actions.return_to_contact(request, actor=staff_owner, comment="Onleesbaar")
    numbers = sorted(
        RequestFile.objects.filter(
            request=request, role=RequestFile.Role.RESPONSE
        ).values_list("version__number", flat=True)
    )
    assert numbers == [2, 3]
    assert FileVersion.objects.filter(file=file).count() == 3


# Who hears of it (the e-mails themselves are tested with the notifications).


def test_each_step_of_a_request_tells_the_other_side(
    entity: Entity, staff_reader: User, contact: User
) -> None:
    from django.core import mail
    from django.test import TestCase

    def sent_during(act: Callable[[], object]) -> list[list[str]]:
        mail.outbox.clear()
        with TestCase.captureOnCommitCallbacks(execute=True):
            act()
        return [list(message.to) for message in mail.outbox]

    with TestCase.captureOnCommitCallbacks(execute=True):
        request = _request(entity, staff_reader, [contact])
    assert [message.to for message in mail.outbox] == [[contact.email]]
    upload = finished_upload(contact, entity)
    sent_during(
        lambda: actions.add_response_file(request, actor=contact, upload=upload)
    )
    submitted = sent_during(lambda: actions.submit_response(request, actor=contact))
    assert submitted == [[staff_reader.email]]
    returned = sent_during(
        lambda: actions.return_to_contact(
            request, actor=staff_reader, comment="Pagina 2 ontbreekt."
        )
    )
    assert returned == [[contact.email]]
    assert "Pagina 2 ontbreekt." in str(mail.outbox[0].body)
    upload = finished_upload(contact, entity, filename="scan-2.pdf")
    sent_during(
        lambda: actions.add_response_file(request, actor=contact, upload=upload)
    )
    sent_during(lambda: actions.submit_response(request, actor=contact))
    accepted = sent_during(lambda: actions.accept_response(request, actor=staff_reader))
    assert accepted == [[contact.email]]
