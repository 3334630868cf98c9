"""Who may do what with a request, on top of `loket.access` (which decides who
sees a request at all: `visible_requests`).

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
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files.models import Upload
from loket.requests.models import Request


def creatable_entities(user: User) -> QuerySet[Entity]:
    """The active entities on which `user` may create requests."""
    return access.entities_with(user, Capability.ACTIVITIES_CREATE).filter(
        archived_at__isnull=True
    )


def may_manage(
    user: User, caps: frozenset[str], request: Request | None = None
) -> bool:
    """`caps`: what `user` holds on the request's entity. Without `request`:
    may `user` manage the entity's requests in general (staff)?"""
    if Capability.ACTIVITIES_CREATE not in caps:
        return False
    return user.is_staff_member or (
        request is not None and request.created_by_id == user.pk
    )


def is_recipient(user: User, request: Request) -> bool:
    return request.recipient_rows.filter(user=user).exists()


def may_respond(user: User, request: Request, caps: frozenset[str]) -> bool:
    return Capability.ACTIVITIES_CREATE in caps and is_recipient(user, request)


def finished_upload(user: User, value: object) -> Upload:
    """The caller's own finished tus upload named by `value` (a uuid)."""
    try:
        upload_uuid = UUID(str(value))
    except ValueError:
        upload_uuid = None
    upload = (
        Upload.objects.filter(uuid=upload_uuid, owner=user).first()
        if upload_uuid
        else None
    )
    if upload is None:
        raise ValidationError({"upload": _("There is no such upload.")}, code="invalid")
    if not upload.is_complete:
        raise ValidationError(
            {"upload": _("The upload has not finished yet.")}, code="invalid"
        )
    return upload
