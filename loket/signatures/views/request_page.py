"""What a request's page and its edit page (loket.requests.views) show of a
signature request. Requests import nothing of signatures: `apps.py`
registers these with `loket.requests.kinds`."""

from typing import Any

from django.db.models import Prefetch

from loket.requests.models import Request
from loket.signatures import signers
from loket.signatures.models import SignatureRequest, Signer


def detail_context(req: Request) -> dict[str, Any]:
    """The signing side, its signers and their users read along (two
    queries), and where each signer stands."""
    signing = (
        SignatureRequest.objects.select_related("signed_version")
        .prefetch_related(
            Prefetch("signers", queryset=Signer.objects.select_related("user"))
        )
        .filter(request=req)
        .first()
    )
    if signing is None:
        return {}
    req.signing = signing  # for req.shown_status
    return {"signing": signing, "signer_states": signers.states(req, signing)}


def edit_context(req: Request) -> dict[str, Any]:
    """The signers, who cannot be changed (the document was prepared for
    them), in signing order."""
    rows = Signer.objects.filter(signing__request=req).select_related("user")
    return {"signer_rows": list(rows.order_by("position"))}
