"""Background work of signature requests."""

from django_tasks import task

from loket.signatures import sealing
from loket.signatures.models import SignatureRequest


@task()
def process_signatures(signing_id: int, attempt: int | None = None) -> None:
    """Stamp and sign what the signers signed; seal after the last one.
    `attempt`: set on a retry (see sealing.process_signatures)."""
    signing = SignatureRequest.objects.filter(pk=signing_id).first()
    if signing is not None:
        sealing.process_signatures(signing, attempt=attempt)
