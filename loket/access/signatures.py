"""Who may do what with a signature request (decision 006), on top of who
sees a file or a request at all (`visible_files`, `visible_requests`). Each
predicate takes `caps`, what the user holds on the entity, read once by the
caller (`fetch`) and handed down.

- **Ask for signatures**: staff members holding `activities.create` on the
  entity (contacts sign, they do not ask); the file page offers it for a PDF,
  Activities → New → Signature request on an entity that is not archived.
- **Read** a signature request (its document, who signed): whoever sees it.
- **Sign** (consent, sign, decline, the e-mail code): a signer of the request
  who still holds `activities.create` on its entity; a signer reduced to
  Contact – Entity Access still reads it but signs nothing.
- **Retry now**, once signing failed: the staff who manage the request.
"""

from typing import TYPE_CHECKING

from loket.access.capabilities import Capability
from loket.access.grants import AnyUser, is_staff
from loket.entities.models import Entity

if TYPE_CHECKING:
    from loket.files.models import File
    from loket.signatures.models import Signer

PDF_TYPE = "application/pdf"


def may_request_signatures(user: AnyUser, caps: frozenset[str]) -> bool:
    """May `user` ask for signatures on the entity they hold `caps` on? Staff
    members holding activities.create there. (Whether the file is a PDF the
    action says, in words.)"""
    return is_staff(user) and Capability.ACTIVITIES_CREATE in caps


def may_request_signature(user: AnyUser, caps: frozenset[str], file: "File") -> bool:
    """The file page's "Request signature": `may_request_signatures`, for a
    file whose current version is a PDF."""
    version = file.current_version
    return (
        may_request_signatures(user, caps)
        and version is not None
        and version.content_type == PDF_TYPE
    )


def may_start_signature_request(
    user: AnyUser, caps: frozenset[str], entity: Entity
) -> bool:
    """Activities → New → Signature request on `entity`: staff who may ask for
    signatures there, on an entity that is not archived."""
    return may_request_signatures(user, caps) and entity.archived_at is None


def may_start_signature_requests(user: AnyUser, *, creates_anywhere: bool) -> bool:
    """The Activities list's New → Signature request: a staff member who
    creates activities on some active entity (`creates_anywhere`, which the
    list has asked already)."""
    return is_staff(user) and creates_anywhere


def may_sign(user: AnyUser, caps: frozenset[str], signer: "Signer | None") -> bool:
    """May `user` sign (consent, sign, decline, ask for a code)? `signer`: their
    row among the request's signers, if any. They must still hold
    activities.create on the request's entity."""
    return (
        signer is not None
        and signer.user_id == getattr(user, "pk", None)
        and Capability.ACTIVITIES_CREATE in caps
    )


def may_retry_signing(user: AnyUser, caps: frozenset[str]) -> bool:
    """The "Retry now" of a request whose signing failed: the staff who manage it
    (for staff, managing a request is holding activities.create on its
    entity)."""
    return may_request_signatures(user, caps)
