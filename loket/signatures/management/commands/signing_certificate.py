import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loket.signatures.actions import (
    generate_signing_certificate,
    import_signing_certificate,
)
from loket.signatures.models import SigningCertificate


class Command(BaseCommand):
    help = (
        "The firm's certificate for signing PDFs: generate a self-signed one "
        "(tests, demos), import a PKCS#12 file, or show the current one. The "
        "private key is stored encrypted and never shown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        generate = commands.add_parser(
            "generate", help="Make a self-signed certificate and key."
        )
        generate.add_argument("--name", required=True, help="The common name (CN).")
        generate.add_argument("--organization", default="", help="The O field.")
        generate.add_argument(
            "--days", type=int, default=3 * 365, help="Validity in days."
        )
        imported = commands.add_parser("import", help="Install a .p12/.pfx file.")
        imported.add_argument("path", type=Path)
        password = imported.add_mutually_exclusive_group()
        password.add_argument(
            "--password-file",
            type=Path,
            help="A file holding the password (its first line).",
        )
        password.add_argument(
            "--password-env",
            metavar="NAME",
            help="An environment variable holding the password.",
        )
        commands.add_parser("show", help="Describe the current certificate.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["command"] == "generate":
                certificate = generate_signing_certificate(
                    options["name"],
                    organization=options["organization"],
                    days=options["days"],
                    actor=None,
                )
            elif options["command"] == "import":
                certificate = import_signing_certificate(
                    _read(options["path"]),
                    password=_password(options),
                    actor=None,
                )
            else:
                current = SigningCertificate.objects.current()
                if current is None:
                    raise CommandError("There is no signing certificate yet.")
                certificate = current
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self._describe(certificate)

    def _describe(self, certificate: SigningCertificate) -> None:
        lines = [
            f"subject:     {certificate.subject}",
            f"issuer:      {certificate.issuer}",
            f"valid:       {certificate.not_before:%Y-%m-%d} to "
            f"{certificate.not_after:%Y-%m-%d}",
            f"SHA-256:     {certificate.fingerprint_sha256}",
            f"self-signed: {'yes' if certificate.self_signed else 'no'}",
        ]
        self.stdout.write("\n".join(lines))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from None


def _password(options: dict[str, Any]) -> str:
    if options["password_file"] is not None:
        lines = _read(options["password_file"]).decode().splitlines()
        return lines[0] if lines else ""
    if options["password_env"]:
        value = os.environ.get(options["password_env"])
        if value is None:
            raise CommandError(f"{options['password_env']} is not set.")
        return value
    return ""
