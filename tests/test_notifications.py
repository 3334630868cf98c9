"""Who hears of what: the notify_* entry points, preferences, the firm's
on/off switch, the notification centre (the bell), following a request and
the one-click unsubscribe link."""

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loket.accounts.models import User
from loket.entities.models import Entity
from loket.groups.models import Group, GroupMembership
from loket.notifications import emails, notify, tasks
from loket.notifications.actions import follow_request
from loket.notifications.models import (
    EmailSettings,
    Follow,
    Kind,
    Notification,
    OutgoingEmail,
    Preference,
)
from loket.requests.models import Request
from loket.roles.actions import share_entity
from loket.roles.models import Role
from tests.conftest import ClientFor, make_user
from tests.notification_support import make_comment, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Any:
    """Run a notify_* call and the work it defers, as a commit would."""

    def call(function: Any, *args: Any) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            function(*args)

    return call


def addresses() -> list[str]:
    return sorted(address for m in mail.outbox for address in m.to)


def prefer(user: User, kind: str, channel: str) -> None:
    Preference.objects.create(user=user, kind=kind, channel=channel)


# The entry points


def test_a_sent_request_emails_each_recipient_once(
    run: Any, entity: Entity, staff_reader: User, contact: User, group_contact: User
) -> None:
    request = make_request(entity, staff_reader, [contact, group_contact])
    run(notify.notify_request_sent, request)
    assert addresses() == sorted([contact.email, group_contact.email])
    assert Notification.objects.filter(kind=Kind.REQUEST_SENT).count() == 2
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_a_fan_out_queued_by_the_earlier_release_still_tells_everyone(
    run: Any, entity: Entity, staff_reader: User, contact: User, group_contact: User
) -> None:
    """A queue drained by a new worker after an upgrade: the string-keyed task
    of the earlier release runs the task that replaced it."""
    request = make_request(entity, staff_reader, [contact, group_contact])
    run(tasks.fan_out.enqueue, "request_sent", request.pk)
    assert addresses() == sorted([contact.email, group_contact.email])
    assert Notification.objects.filter(kind=Kind.REQUEST_SENT).count() == 2
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_a_draft_request_tells_nobody(
    run: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    request = make_request(
        entity, staff_reader, [contact], status=Request.Status.NOT_SENT
    )
    run(notify.notify_request_sent, request)
    assert mail.outbox == []


def test_an_invited_contact_gets_no_notification_email(
    run: Any, entity: Entity, staff_reader: User, new_contact: User
) -> None:
    run(notify.notify_request_sent, make_request(entity, staff_reader, [new_contact]))
    assert mail.outbox == []


def test_a_new_request_cannot_be_refused(
    run: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    prefer(contact, Kind.REQUEST_SENT, Preference.Channel.OFF)
    run(notify.notify_request_sent, make_request(entity, staff_reader, [contact]))
    assert addresses() == [contact.email]


def test_notifications_off_sends_no_email_but_keeps_the_bell(
    run: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    firm = EmailSettings.load()
    firm.notifications_enabled = False
    firm.save()
    request = make_request(entity, staff_reader, [contact])
    run(notify.notify_request_sent, request)
    run(notify.notify_comment_added, make_comment(request, staff_reader))
    run(notify.notify_request_completed, request)
    assert mail.outbox == []
    assert OutgoingEmail.objects.count() == 0
    assert Notification.objects.filter(user=contact).count() == 3
    assert notify.notifications_enabled() is False


def test_the_installation_switch_turns_notifications_off_too(settings: Any) -> None:
    assert notify.notifications_enabled() is True
    settings.LOKET_NOTIFICATIONS_ENABLED = False
    assert notify.notifications_enabled() is False


def test_the_response_goes_to_the_creator_and_followers_not_the_responder(
    run: Any, entity: Entity, staff_reader: User, staff_owner: User, contact: User
) -> None:
    request = make_request(entity, staff_reader, [contact])
    follow_request(request, user=staff_owner, following=True)
    run(notify.notify_response_received, request, contact)
    assert addresses() == sorted([staff_reader.email, staff_owner.email])


def test_a_creator_who_unfollowed_hears_nothing(
    run: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    request = make_request(entity, staff_reader, [contact])
    follow_request(request, user=staff_reader, following=False)
    run(notify.notify_response_received, request, contact)
    assert mail.outbox == []
    assert Follow.objects.get().following is False


def test_staff_who_chose_the_digest_get_the_response_there(
    run: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    prefer(staff_reader, Kind.RESPONSE_RECEIVED, Preference.Channel.DIGEST)
    run(
        notify.notify_response_received,
        make_request(entity, staff_reader, [contact]),
        contact,
    )
    assert mail.outbox == []
    note = Notification.objects.get(user=staff_reader)
    assert note.digest_pending is True


def test_a_comment_reaches_the_other_side_but_not_its_author(
    run: Any, entity: Entity, staff_reader: User, contact: User, viewer_contact: User
) -> None:
    request = make_request(entity, staff_reader, [contact, viewer_contact])
    run(notify.notify_comment_added, make_comment(request, contact, "Zie bijlage"))
    assert addresses() == sorted([staff_reader.email, viewer_contact.email])
    assert "Zie bijlage" in mail.outbox[0].body


def test_an_internal_comment_reaches_no_contact(
    run: Any, entity: Entity, staff_reader: User, staff_owner: User, contact: User
) -> None:
    request = make_request(entity, staff_owner, [contact])
    follow_request(request, user=staff_reader, following=True)
    comment = make_comment(
        request, staff_reader, "Intern: klant is laat", internal=True
    )
    run(notify.notify_comment_added, comment)
    assert addresses() == [staff_owner.email]


def test_comments_off_means_no_email_for_comments(
    run: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    prefer(contact, Kind.COMMENT, Preference.Channel.OFF)
    request = make_request(entity, staff_reader, [contact])
    run(notify.notify_comment_added, make_comment(request, staff_reader))
    assert mail.outbox == []
    assert Notification.objects.filter(user=contact, kind=Kind.COMMENT).exists()


def test_returned_and_completed_reach_the_recipients(
    run: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    request = make_request(entity, staff_reader, [contact])
    comment = make_comment(request, staff_reader, "De kasstaat ontbreekt nog.")
    run(notify.notify_request_returned, request, comment)
    run(notify.notify_request_completed, request)
    returned, completed = mail.outbox
    assert returned.to == completed.to == [contact.email]
    assert "De kasstaat ontbreekt nog." in returned.body
    assert returned.subject.startswith("Returned to you")
    assert completed.subject.startswith("Completed")


def test_sharing_an_entity_tells_the_new_users_and_group_members(
    run: Any, entity: Entity, firm_admin: User, contact: User
) -> None:
    person = make_user("nieuw@client.test", client_entity=entity)
    group = Group.objects.create(kind=Group.Kind.CONTACT, name="Boekhouding")
    member = make_user("lid@client.test", client_entity=entity)
    GroupMembership.objects.create(group=group, user=member)
    role = Role.objects.get(key="contact-entity-access")
    run(
        lambda: share_entity(
            entity, principals=[person, group, contact], roles=[role], actor=firm_admin
        )
    )
    # `contact` already had access to the entity: no news for them.
    assert addresses() == sorted([person.email, member.email])
    assert entity.name in mail.outbox[0].subject


def test_a_second_role_on_the_same_entity_tells_nobody(
    run: Any, entity: Entity, firm_admin: User, contact: User
) -> None:
    role = Role.objects.get(key="contact-entity-access")
    run(
        lambda: share_entity(
            entity, principals=[contact], roles=[role], actor=firm_admin
        )
    )
    assert mail.outbox == []


# The notification centre


def test_the_bell_counts_unread_notifications_in_one_query(
    client_for: ClientFor, contact: User
) -> None:
    for _ in range(3):
        Notification.objects.create(user=contact, kind=Kind.COMMENT, link="/")
    Notification.objects.create(
        user=contact, kind=Kind.COMMENT, link="/", read_at="2030-01-01T00:00Z"
    )
    client = client_for(contact)
    from loket.portal.context_processors import _unread

    with CaptureQueriesContext(connection) as queries:
        assert _unread(contact) == 3
    assert len(queries) == 1
    page = client.get("/accounts/profile/").content.decode()
    assert 'class="bell-count"' in page
    assert ">3</span>" in page


def test_the_bell_caps_its_count(client_for: ClientFor, contact: User) -> None:
    Notification.objects.bulk_create(
        [Notification(user=contact, kind=Kind.COMMENT) for _ in range(120)]
    )
    assert "99+" in client_for(contact).get("/accounts/profile/").content.decode()


def test_opening_the_list_marks_what_it_shows_read(
    client_for: ClientFor, contact: User, entity: Entity, staff_reader: User, run: Any
) -> None:
    request = make_request(entity, staff_reader, [contact])
    run(notify.notify_request_sent, request)
    client = client_for(contact)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "New request: Jaarrekening 2025" in page.content.decode()
    assert Notification.objects.unread().filter(user=contact).count() == 0
    # The next page no longer shows a count.
    assert 'class="bell-count"' not in client.get("/notifications/").content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(
    client_for: ClientFor, contact: User, outsider: User
) -> None:
    note = Notification.objects.create(
        user=contact, kind=Kind.COMMENT, link="/activities/"
    )
    assert client_for(outsider).get(f"/notifications/{note.uuid}/").status_code == 404
    response = client_for(contact).get(f"/notifications/{note.uuid}/")
    assert response["Location"] == "/activities/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_notification_never_redirects_off_site(
    client_for: ClientFor, contact: User
) -> None:
    note = Notification.objects.create(
        user=contact, kind=Kind.COMMENT, link="https://evil.test/"
    )
    response = client_for(contact).get(f"/notifications/{note.uuid}/")
    assert response["Location"] == "/notifications/"


def test_mark_all_read(client_for: ClientFor, contact: User) -> None:
    Notification.objects.create(user=contact, kind=Kind.COMMENT)
    assert client_for(contact).get("/notifications/read-all/").status_code == 405
    response = client_for(contact).post("/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.unread().exists()


def test_anonymous_is_sent_to_sign_in_from_the_notification_pages(
    client: Client,
) -> None:
    for url in ("/notifications/", "/accounts/profile/notifications/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/sign-in/?next=")


# Preferences


def test_a_contact_chooses_per_kind_and_cannot_refuse_the_essential_ones(
    client_for: ClientFor, contact: User
) -> None:
    client = client_for(contact)
    page = client.get("/accounts/profile/notifications/").content.decode()
    assert 'name="reminder"' in page
    assert 'name="request_sent"' not in page
    assert "New request" in page  # listed as always sent
    response = client.post(
        "/accounts/profile/notifications/",
        {
            "reminder": "digest",
            "comment": "off",
            "request_completed": "immediate",
            "access_granted": "immediate",
            "digest": "immediate",
            "request_sent": "off",  # not offered, ignored
        },
    )
    assert response.status_code == 302
    chosen = dict(
        Preference.objects.filter(user=contact).values_list("kind", "channel")
    )
    assert chosen["reminder"] == "digest"
    assert chosen["comment"] == "off"
    assert "request_sent" not in chosen


def test_a_bad_choice_is_refused_and_nothing_saved(
    client_for: ClientFor, contact: User
) -> None:
    response = client_for(contact).post(
        "/accounts/profile/notifications/", {"reminder": "sometimes"}
    )
    assert response.status_code == 200
    assert Preference.objects.count() == 0


def test_staff_see_the_staff_kinds(client_for: ClientFor, staff_reader: User) -> None:
    page = client_for(staff_reader).get("/accounts/profile/notifications/")
    body = page.content.decode()
    assert 'name="response_received"' in body
    assert 'name="reminder"' not in body


# Unsubscribing


def test_the_unsubscribe_link_asks_first_then_turns_the_kind_off(
    contact: User,
) -> None:
    token = emails.unsubscribe_token(contact, Kind.COMMENT)
    url = f"/notifications/unsubscribe/{token}/"
    browser = Client()
    page = browser.get(url)  # a link scanner's GET changes nothing
    assert page.status_code == 200
    assert not Preference.objects.exists()
    done = browser.post(url)  # one click, no sign-in, no CSRF token (RFC 8058)
    assert done.status_code == 200
    assert Preference.objects.get(user=contact, kind=Kind.COMMENT).channel == "off"


def test_a_tampered_unsubscribe_link_is_refused(contact: User) -> None:
    token = emails.unsubscribe_token(contact, Kind.COMMENT)
    assert Client().post(f"/notifications/unsubscribe/{token}x/").status_code == 404
    assert not Preference.objects.exists()


def test_an_essential_kind_cannot_be_unsubscribed(contact: User) -> None:
    token = emails.unsubscribe_token(contact, Kind.REQUEST_SENT)
    response = Client().post(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 200
    assert not Preference.objects.exists()


# Following a request


def test_staff_follow_and_unfollow_a_request(
    client_for: ClientFor,
    entity: Entity,
    staff_owner: User,
    staff_reader: User,
    contact: User,
    outsider: User,
    staff_member: User,
) -> None:
    request = make_request(entity, staff_owner, [contact])
    url = f"/notifications/requests/{request.uuid}/follow/"
    assert client_for(outsider).post(url, {"follow": "1"}).status_code == 404
    assert client_for(staff_member).post(url, {"follow": "1"}).status_code == 404
    assert client_for(contact).post(url, {"follow": "1"}).status_code == 403
    assert client_for(staff_reader).post(url, {"follow": "1"}).status_code == 302
    assert notify.followers(request) == sorted(
        [staff_owner, staff_reader], key=lambda u: u.pk
    )
    client_for(staff_owner).post(url, {"follow": "0"})
    assert notify.followers(request) == [staff_reader]


def test_the_request_page_draws_follow_and_remind_for_staff_only(
    client_for: ClientFor,
    entity: Entity,
    staff_owner: User,
    staff_reader: User,
    contact: User,
) -> None:
    request = make_request(entity, staff_owner, [contact])

    def draw(user: User) -> str:
        return client_for(user).get(f"/activities/{request.uuid}/").text

    owner = draw(staff_owner)
    assert "Unfollow" in owner  # the creator follows their request
    assert "Send a reminder now" in owner
    assert f"/notifications/requests/{request.uuid}/reminders/" in owner
    assert ">Follow<" in draw(staff_reader)
    # Nothing of the tools for a contact.
    assert "request-notifications" not in draw(contact)
