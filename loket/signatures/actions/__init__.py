"""Everything that changes a signature request, and the firm's signing
certificate and settings (decisions 006 and 007). Each action is atomic and
writes its history event in the same transaction; e-mails and the worker's
task go on commit. Actions do not check permissions: their callers do
(`loket.access.signatures`, `lookups.py`).

One module per feature: `firm` (the certificate and the signing settings),
`requesting` (asking for signatures), `signing` (the signer's steps, the e-mail
code, Retry now). Callers use this package's names. The worker's part,
stamping and sealing what the signers signed, is in `sealing.py`; where each
signer stands, in `signers.py`.
"""

from loket.signatures.actions.firm import (
    generate_signing_certificate,
    import_signing_certificate,
    update_signing_settings,
)
from loket.signatures.actions.requesting import MAX_SIGNERS, request_signature
from loket.signatures.actions.signing import (
    CODE_ATTEMPTS,
    CODE_RESEND_AFTER,
    CODE_VALID,
    REASON_MAX,
    TYPED_NAME_MAX,
    confirm_signing_code,
    decline_signature,
    record_consent,
    record_view,
    retry_signing,
    send_signing_code,
    sign,
)

__all__ = [
    "CODE_ATTEMPTS",
    "CODE_RESEND_AFTER",
    "CODE_VALID",
    "MAX_SIGNERS",
    "REASON_MAX",
    "TYPED_NAME_MAX",
    "confirm_signing_code",
    "decline_signature",
    "generate_signing_certificate",
    "import_signing_certificate",
    "record_consent",
    "record_view",
    "request_signature",
    "retry_signing",
    "send_signing_code",
    "sign",
    "update_signing_settings",
]
