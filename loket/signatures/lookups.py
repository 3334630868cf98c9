"""The objects of a signature request a user may reach, one helper each,
shared by the pages (`views/`) and the API (`api.py`), on top of
`access.fetch`: out of sight is a 404, the same as missing; a missing right
(`loket.access.signatures`) a 403. Each returns what the user holds on the
entity too, for the page to hand down instead of asking again."""

from uuid import UUID

from django.db.models import QuerySet

from loket import access
from loket.accounts.models import User
from loket.entities.models import Entity
from loket.files.models import File
from loket.requests.models import Request
from loket.signatures.models import SignatureRequest, Signer
from loket.signatures.signers import signer_for


def get_file_for_signature_request(
    user: User, file_uuid: UUID
) -> tuple[File, frozenset[str]]:
    """A file `user` may ask signatures for: 404 when they do not see it, 403
    unless they are staff holding activities.create on its entity."""
    file, caps = access.fetch(user, access.visible_files(user), uuid=file_uuid)
    access.require(access.may_request_signatures(user, caps))
    return file, caps


def get_entity_for_signature_request(
    user: User, entity_uuid: UUID
) -> tuple[Entity, frozenset[str]]:
    """An entity where `user` may start a signature request: 404 when they do
    not see it, 403 unless they are staff holding activities.create there and
    it is not archived."""
    entity, caps = access.fetch(
        user,
        access.visible_entities(user),
        entity_of=lambda entity: entity,
        uuid=entity_uuid,
    )
    access.require(access.may_start_signature_request(user, caps, entity))
    return entity, caps


def visible_signings(user: User) -> QuerySet[SignatureRequest]:
    """The signature requests `user` sees: whoever sees the request reads its
    document and who signed. (The page images, which need nothing more, are
    fetched through it directly.)"""
    requests = access.visible_requests(user).filter(kind=Request.Kind.SIGNATURE)
    return SignatureRequest.objects.select_related("request__entity").filter(
        request__in=requests
    )


def get_signing_for_user(
    user: User, request_uuid: UUID
) -> tuple[SignatureRequest, frozenset[str]]:
    """The signature request `user` sees (404 otherwise)."""
    return access.fetch(
        user,
        visible_signings(user),
        entity_of=lambda signing: signing.request.entity,
        request__uuid=request_uuid,
    )


def get_signer_for_user(
    user: User, request_uuid: UUID
) -> tuple[SignatureRequest, Signer, frozenset[str]]:
    """A signature request `user` may sign, and their signer row: 404 when
    they do not see it, 403 for those who see it but may not sign it (not a
    signer, or no longer holding activities.create)."""
    signing, caps = get_signing_for_user(user, request_uuid)
    signer = signer_for(signing, user)
    access.require(access.may_sign(user, caps, signer))
    assert signer is not None  # may_sign says so
    return signing, signer, caps
