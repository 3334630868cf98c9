"""Who may do what with a file request or an update request, on top of
`visible_requests` (which decides who sees a request at all).

- **Create** (the wizard, the API): whoever holds `activities.create` on the
  entity: staff (Reader or more) and contacts with Contact – Entity Staff, who
  may create activities of their own in their entity (the seed's words).
- **Manage** (send, edit, accept, return, cancel): staff members who see the
  request and hold `activities.create` on its entity, and the contact who made
  it while they hold `activities.create` there. Internal comments stay staff-only.
- **Respond** (upload, submit, "does not apply"): a recipient who still holds
  `activities.create` there (Contact – Entity Staff). A recipient reduced to
  Contact – Entity Access still sees the request and may comment, but has
  nothing to respond with.
- **Comment**: anyone who sees the request.
- **Follow** (hear of responses and comments): whoever sees all the entity's
  activities; **reminders** (the schedule, "send a reminder now"): those who
  may also create activities there.

`caps` is what the user holds on the request's entity, read once by the caller
(`get_request_for_user` in loket/requests/lookups.py). A predicate that names a
button (`may_send_request`, `may_review`…) also asks the request's status: the
page shows a button only where its action would act. The actions themselves
refuse a status that does not fit (a 409 in the API), so the endpoints ask the
status-free rules (`may_manage_request`, `may_respond`).
"""

from django.db.models import QuerySet

from loket.access.capabilities import Capability
from loket.access.grants import is_staff
from loket.access.visibility import entities_with
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.requests.models import (
    ANSWERABLE,
    CANCELLABLE,
    EDITABLE,
    REVIEWABLE,
    SENDABLE,
    Request,
)


def creatable_entities(user: User) -> QuerySet[Entity]:
    """The active entities on which `user` may create requests."""
    return entities_with(user, Capability.ACTIVITIES_CREATE).filter(
        archived_at__isnull=True
    )


def may_create_requests(user: User) -> bool:
    """May `user` create a request on some active entity (the New menu)?"""
    return creatable_entities(user).exists()


def may_create_requests_in(caps: frozenset[str], entity: Entity) -> bool:
    """May the holder of `caps` on `entity` create requests there (not once it
    is archived)?"""
    return Capability.ACTIVITIES_CREATE in caps and entity.archived_at is None


def may_manage_request(
    user: User, caps: frozenset[str], request: Request | None = None
) -> bool:
    """May `user` send, edit, accept, return or cancel `request`, whatever its
    status? Without `request`: may `user` manage the entity's requests in
    general (staff)?"""
    if Capability.ACTIVITIES_CREATE not in caps:
        return False
    return is_staff(user) or (request is not None and request.created_by_id == user.pk)


def may_send_request(user: User, caps: frozenset[str], request: Request) -> bool:
    """Does `request` wait, as a draft, to be sent by `user`?"""
    return request.status in SENDABLE and may_manage_request(user, caps, request)


def may_edit_request(user: User, caps: frozenset[str], request: Request) -> bool:
    """May `user` change `request` (subject, due date, recipients…) now?"""
    return request.status in EDITABLE and may_manage_request(user, caps, request)


def may_review(user: User, caps: frozenset[str], request: Request) -> bool:
    """Does a response to `request` wait for `user` to accept or return it?"""
    return request.status in REVIEWABLE and may_manage_request(user, caps, request)


def may_cancel_request(user: User, caps: frozenset[str], request: Request) -> bool:
    """May `user` withdraw `request` now?"""
    return request.status in CANCELLABLE and may_manage_request(user, caps, request)


def is_recipient(user: User, request: Request) -> bool:
    """Is `request` addressed to `user`? (One query.)"""
    return request.recipient_rows.filter(user=user).exists()


def may_respond(
    user: User,
    caps: frozenset[str],
    request: Request,
    *,
    addressed: bool | None = None,
) -> bool:
    """May `user` answer `request` (upload, submit, "does not apply"), whatever
    its status? `addressed`: whether `user` is one of its recipients, when the
    caller has read them already (else one query)."""
    if Capability.ACTIVITIES_CREATE not in caps:
        return False
    return is_recipient(user, request) if addressed is None else addressed


def may_respond_now(
    user: User,
    caps: frozenset[str],
    request: Request,
    *,
    addressed: bool | None = None,
) -> bool:
    """May `user` answer `request` now (it waits for an answer)?"""
    return request.status in ANSWERABLE and may_respond(
        user, caps, request, addressed=addressed
    )


def may_use_internal_comments(user: User) -> bool:
    """Internal comments are the staff's: only they read and write them."""
    return is_staff(user)


def may_follow(caps: frozenset[str]) -> bool:
    """May the holder of `caps` on a request's entity follow its requests?"""
    return Capability.ACTIVITIES_VIEW_ALL in caps


def may_manage_reminders(caps: frozenset[str]) -> bool:
    """May the holder of `caps` on a request's entity set its reminders and send
    one now?"""
    return may_follow(caps) and Capability.ACTIVITIES_CREATE in caps


def may_remind(caps: frozenset[str], request: Request) -> bool:
    """Does the button "Send a reminder now" make sense for `request`?"""
    return request.is_open and may_manage_reminders(caps)
