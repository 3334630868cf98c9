"""Background work of signature requests."""

from django_tasks import task

from loket.signatures import flow
from loket.signatures.models import SignatureRequest


@task()
def process_signatures(signing_id: int) -> None:
    """Stamp and sign what the signers signed; seal after the last one."""
    signing = SignatureRequest.objects.filter(pk=signing_id).first()
    if signing is not None:
        flow.process_signatures(signing)
