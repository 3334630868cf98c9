from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from loket.accounts.models import User
from loket.roles.models import Role, RoleAssignment

# (e-mail, first name, last name, kind, state, firm role, language)
PEOPLE = [
    (
        "admin@demo.loket.test",
        "Anna",
        "de Vries",
        "staff",
        "active",
        "administrator",
        "nl",
    ),
    (
        "staff@demo.loket.test",
        "Bram",
        "Jansen",
        "staff",
        "active",
        "staff-administrator",
        "en",
    ),
    ("accountant@demo.loket.test", "Carla", "Bakker", "staff", "active", None, "nl"),
    ("client@demo.loket.test", "Daan", "Visser", "contact", "active", None, "nl"),
    ("owner@bakkerij.demo.loket.test", "Eva", "Smit", "contact", "active", None, "en"),
    ("invited@demo.loket.test", "Femke", "Mulder", "contact", "invited", None, "nl"),
    ("new@demo.loket.test", "Gijs", "de Boer", "contact", "not_activated", None, "nl"),
]
PASSWORD = "demo-loket-2026"  # noqa: S105 - printed for the demo on purpose


class Command(BaseCommand):
    help = "Load (or refresh) the demo firm. Safe to run more than once."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for email, first, last, kind, state, role_key, language in PEOPLE:
            user, _ = User.objects.get_or_create(
                email=email,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "kind": kind,
                    "language": language,
                },
            )
            user.state = state
            if state == User.State.ACTIVE:
                user.set_password(PASSWORD)
                user.activated_at = user.activated_at or timezone.now()
            else:
                user.set_unusable_password()
            if state == User.State.INVITED:
                user.invited_at = user.invited_at or timezone.now()
            user.save()
            if role_key:
                RoleAssignment.objects.get_or_create(
                    user=user, role=Role.objects.get(key=role_key)
                )
        self.stdout.write(self._banner())

    def _banner(self) -> str:
        lines = [
            "",
            "Loket demo firm is ready. Open http://127.0.0.1:8000 and sign in with:",
            "",
        ]
        for email, first, last, kind, state, role_key, _ in PEOPLE:
            if state != "active":
                continue
            what = role_key or ("staff member" if kind == "staff" else "contact")
            lines.append(f"  {email:<34} {PASSWORD}   ({first} {last}, {what})")
        lines += [
            "",
            "E-mails are written to var/mail/ and echoed in this terminal.",
            "",
        ]
        return "\n".join(lines)
