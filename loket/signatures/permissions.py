"""Who may do what with a signature request, on top of `loket.access` (which
decides who sees a request or a file at all). The pages (`views.py`) and the
API (`loket/api/signatures.py`) ask these same questions.

- **Ask for signatures** on a file: staff members who see the file and hold
  `activities.create` on its entity.
- **Read** a signature request (its document, who signed): whoever sees the
  request (`access.visible_requests`).
- **Sign** (consent, sign, decline, the e-mail code): a signer of the request
  who still holds `activities.create` on its entity; a signer reduced to
  Contact – Entity Access still reads it but signs nothing.
"""

from uuid import UUID

from django.shortcuts import get_object_or_404

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.files.models import File
from loket.requests.models import Request
from loket.signatures import flow
from loket.signatures.models import SignatureRequest, Signer


def staff_file(user: User, file_uuid: UUID) -> File:
    """A PDF `user` may ask signatures for: 404 when they do not see the file,
    403 unless they are staff holding activities.create on its entity."""
    file = get_object_or_404(access.visible_files(user), uuid=file_uuid)
    caps = access.entity_capabilities(user, file.entity)
    access.require(user.is_staff_member and Capability.ACTIVITIES_CREATE in caps)
    return file


def visible_signing(user: User, request_uuid: UUID) -> SignatureRequest:
    """The signature request `user` sees (404 otherwise)."""
    requests = access.visible_requests(user).filter(kind=Request.Kind.SIGNATURE)
    return get_object_or_404(
        SignatureRequest.objects.select_related("request__entity"),
        request__in=requests,
        request__uuid=request_uuid,
    )


def may_sign(user: User, signing: SignatureRequest) -> Signer | None:
    """The user's signer row, if they may sign (still holding
    activities.create on the entity)."""
    signer = flow.signer_for(signing, user)
    caps = access.entity_capabilities(user, signing.request.entity)
    return signer if Capability.ACTIVITIES_CREATE in caps else None


def signer(user: User, signing: SignatureRequest) -> Signer:
    """The user's signer row: 403 for those who see the request but may not
    sign it (not a signer, or no longer holding activities.create)."""
    row = may_sign(user, signing)
    access.require(row is not None)
    assert row is not None
    return row
