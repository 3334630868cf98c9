import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.requests import models as request_models
from loket.requests.models import Request
from loket.signatures import certificates, pdf

# Settings warns this long before the certificate expires.
EXPIRY_WARNING = dt.timedelta(days=30)


class SigningCertificateQuerySet(models.QuerySet["SigningCertificate"]):
    def current(self) -> "SigningCertificate | None":
        return self.filter(is_current=True).first()

    def for_signing(self) -> "SigningCertificate":
        """The current certificate, to sign with: refused (ValidationError) while
        none is installed or the current one has expired."""
        certificate = self.current()
        if certificate is None or certificate.has_expired:
            raise ValidationError(
                gettext(
                    "Signature requests need the firm's signing certificate: an "
                    "administrator installs one in Settings → Signing certificate."
                ),
                code="no_certificate",
            )
        return certificate


class SigningCertificate(models.Model):
    """The firm's certificate for signing PDFs, with its private key encrypted
    (see `certificates.py`). One is current; the ones it replaced are kept so
    that documents they signed still verify as the firm's."""

    class Source(models.TextChoices):
        GENERATED = "generated", _("Generated (self-signed)")
        IMPORTED = "imported", _("Imported (PKCS#12)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    subject = models.CharField(_("subject"), max_length=1000)
    common_name = models.CharField(_("name"), max_length=255)
    issuer = models.CharField(_("issuer"), max_length=1000)
    serial_number = models.CharField(_("serial number"), max_length=80)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    fingerprint_sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=95)
    self_signed = models.BooleanField(_("self-signed"))
    certificate_pem = models.TextField()
    chain_pem = models.TextField(blank=True)
    # PKCS#8 PEM, encrypted under the secret `key_protection` names.
    encrypted_private_key = models.TextField()
    key_protection = models.CharField(max_length=16)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replaced_at = models.DateTimeField(null=True, blank=True)

    objects = SigningCertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="one_current_signing_certificate",
            )
        ]

    def __str__(self) -> str:
        return self.common_name

    @property
    def certificate_der(self) -> bytes:
        return certificates.from_pem(self.certificate_pem)[0]

    def credentials(self) -> pdf.Credentials:
        """The certificate with its key decrypted, for one signature."""
        return pdf.Credentials(
            certificate=self.certificate_der,
            private_key=certificates.decrypt_private_key(
                self.encrypted_private_key, self.key_protection
            ),
            chain=certificates.from_pem(self.chain_pem),
        )

    def is_valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment < self.not_after

    @property
    def has_expired(self) -> bool:
        return self.not_after <= timezone.now()

    @property
    def expires_soon(self) -> bool:
        return not self.has_expired and self.not_after - timezone.now() < EXPIRY_WARNING


def firm_trust_roots() -> list[bytes]:
    """Every certificate the firm has signed with (DER): Verify trusts the
    signatures they made. (Only these: trusting the CA certificates that came
    with an imported one would trust everyone else that CA certified.)"""
    return [
        certificates.from_pem(pem)[0]
        for pem in SigningCertificate.objects.values_list("certificate_pem", flat=True)
    ]


class SigningSettings(models.Model):
    """The firm's choices for signed documents: one row, read through
    `SigningSettings.load()`."""

    class Evidence(models.TextChoices):
        PAGE = "page", _("A page at the end of the signed document")
        SEPARATE = "separate", _("A separate PDF next to the signed document")

    evidence = models.CharField(
        _("evidence record"),
        max_length=16,
        choices=Evidence.choices,
        default=Evidence.PAGE,
    )
    # Here, not in the e-mail settings: it decides where signed documents go.
    email_attachments = models.BooleanField(
        _("attach the signed document to the e-mail that says it is signed"),
        default=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("signing settings")
        verbose_name_plural = _("signing settings")

    def __str__(self) -> str:
        return str(_("Signing settings"))

    @classmethod
    def load(cls) -> "SigningSettings":
        found: SigningSettings = cls.objects.get_or_create(pk=1)[0]
        return found


class SignatureRequestQuerySet(models.QuerySet["SignatureRequest"]):
    def due_for_retry(self, before: dt.datetime) -> "SignatureRequestQuerySet":
        """Open, not cancelled, with work the worker should have done by
        `before` (a retry, or a first run whose task was lost)."""
        return self.filter(
            state=SignatureRequest.State.OPEN,
            next_attempt_at__lte=before,
            request__status__in=[Request.Status.AWAITING, Request.Status.RETURNED],
        )


class SignatureRequest(models.Model):
    """The signing side of a `Request` of kind *signature*: which file, in which
    order, and the working copy the signatures are added to (decision 006)."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for signatures")
        COMPLETED = "completed", _("Signed by everyone")
        # The request shows as declined (requests read this value, unimported).
        DECLINED = request_models.DECLINED, _("Declined")
        FAILED = "failed", _("Signing failed")

    class AuthMethod(models.TextChoices):
        NONE = "none", _("None: signed in is enough")
        EMAIL = "email", _("A code sent by e-mail")

    request = models.OneToOneField(
        "requests.Request", on_delete=models.CASCADE, related_name="signing"
    )
    file = models.ForeignKey(
        "files.File", on_delete=models.PROTECT, related_name="signature_requests"
    )
    ordered = models.BooleanField(_("one after another"), default=True)
    auth_method = models.CharField(
        _("identity check"),
        max_length=16,
        choices=AuthMethod.choices,
        default=AuthMethod.NONE,
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    # The document with the evidence page and the signatures so far.
    working_blob = models.CharField(max_length=500)
    document_name = models.CharField(max_length=255)
    sha256_original = models.CharField(max_length=64)
    sha256_prepared = models.CharField(max_length=64)
    sha256_signed = models.CharField(max_length=64, blank=True)
    signed_version = models.ForeignKey(
        "files.FileVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Fixed when the request is made: the firm's setting may change since.
    evidence = models.CharField(
        _("evidence record"),
        max_length=16,
        choices=SigningSettings.Evidence.choices,
        default=SigningSettings.Evidence.PAGE,
    )
    # With a separate evidence record: its file's version (the sealed PDF).
    evidence_version = models.ForeignKey(
        "files.FileVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why the last try to stamp or seal failed, in words for staff.
    problem = models.TextField(blank=True)
    # Failed tries since the last success (or staff's "Retry now").
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the worker should (have) run: set when a signature is recorded, a
    # retry is due, or staff retry; cleared when nothing is left to do.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = SignatureRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature request")
        verbose_name_plural = _("signature requests")
        indexes = [
            # The scheduler's look for work due (sealing.requeue_signing).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="signing_next_attempt",
            )
        ]

    def __str__(self) -> str:
        return str(self.request)

    @property
    def has_failed(self) -> bool:
        return self.state == self.State.FAILED


class Signer(models.Model):
    """One person asked to sign, where their signature goes, and the evidence
    of what they did."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SIGNED = "signed", _("Signed")
        DECLINED = "declined", _("Declined")

    signing = models.ForeignKey(
        SignatureRequest, on_delete=models.CASCADE, related_name="signers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.WAITING
    )
    # The box, as `pdf.SignatureBox`: points from the top-left of the page.
    page = models.PositiveIntegerField()
    x = models.FloatField()
    y = models.FloatField()
    width = models.FloatField()
    height = models.FloatField()
    # The evidence.
    viewed_at = models.DateTimeField(null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    # What they signed with: a drawing (PNG, dropped once stamped) or a name.
    image_png = models.BinaryField(null=True, blank=True)
    typed_name = models.CharField(max_length=200, blank=True)
    stamped_at = models.DateTimeField(null=True, blank=True)
    # The e-mail code (hashed), when the request asks for one.
    code_hash = models.CharField(max_length=128, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    code_verified_at = models.DateTimeField(null=True, blank=True)
    sha256_before = models.CharField(max_length=64, blank=True)
    sha256_after = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["signing", "user"], name="signer_once_per_request"
            ),
            models.UniqueConstraint(
                fields=["signing", "position"], name="signer_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signing} → {self.user}"

    @property
    def box(self) -> pdf.SignatureBox:
        return pdf.SignatureBox(
            page=self.page, x=self.x, y=self.y, width=self.width, height=self.height
        )
