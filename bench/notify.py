"""Notifications at scale: a request to 1,000 recipients, its e-mails delivered
through the real worker to a local SMTP server, and 10,000 reminders due at once.

    .venv/bin/python bench/notify.py                      # SQLite, full size
    .venv/bin/python bench/notify.py --recipients 200 --reminders 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loket_bench_notify \\
        .venv/bin/python bench/notify.py     # PostgreSQL (created, dropped)

Everything runs in one process on a throw-away database (SQLite: a temporary
file) with the database task queue (django-tasks-db):

1. *create*: what the web request does when staff send a file request —
   `requests.actions.create_request(...)` (which calls `notify_request_sent`) in
   one transaction, committed (the commit enqueues one task). Median of
   `--rounds` requests.
2. *delivery*: django-tasks-db's worker (`db_worker --batch`, in process) runs
   the fan-out (rendering every e-mail) and the deliveries to aiosmtpd on
   127.0.0.1; e-mails per second from the first task to the last e-mail.
3. *reminders*: `--reminders` open requests, each to one of the contacts and due
   today, then one scheduler run (`reminders.run`): seconds for working out,
   recording and queueing them all (one e-mail per contact).

The last line printed is JSON. Goals: the web request under 300 ms whatever
the number of recipients; at least 100 e-mails a second.
"""

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
GOAL_CREATE_MS = 300
GOAL_DELIVERY_PER_S = 100
CPU: dict[str, float] = {}


class Counter:
    """An aiosmtpd handler that only counts what it accepts."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        self.last = time.perf_counter()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="requests created")
    parser.add_argument("--reminders", type=int, default=10_000)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="loket-bench-notify-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOKET_VAR_DIR": str(workdir),
            "SECRET_KEY": "bench-only-" + "x" * 40,
            "LOKET_TASKS_BACKEND": "database",
            "LOKET_HTTPS": "false",
        }
    )
    admin_url = os.environ.get("DATABASE_URL", "")
    if admin_url:
        _postgres(admin_url, f"DROP DATABASE IF EXISTS {_name(admin_url)} WITH (FORCE)")
        _postgres(admin_url, f"CREATE DATABASE {_name(admin_url)}")
    try:
        figures = run(args)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)
        if admin_url:
            _postgres(
                admin_url, f"DROP DATABASE IF EXISTS {_name(admin_url)} WITH (FORCE)"
            )
    print(json.dumps(figures))


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _postgres(url: str, sql: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.encode())


def run(args: argparse.Namespace) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")

    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        staff, entity, contacts = _seed(args.recipients)
        create_ms = _create(staff, entity, contacts, args.rounds)
        delivery = _deliver(handler, args.recipients * args.rounds)
        reminders_s = _reminders(staff, entity, contacts, args.reminders)
    finally:
        controller.stop()
    figures = {
        "create_request_1000_recipients_ms": round(create_ms, 1),
        "delivery_per_s": round(delivery, 1),
        "reminders_10000_s": round(reminders_s, 2),
        # This process's CPU time: what the figures would be on an idle machine.
        "delivery_per_cpu_s": round(CPU["delivery"], 1),
        "reminders_10000_cpu_s": round(CPU["reminders"], 2),
        "load_average": round(os.getloadavg()[0], 1),
    }
    verdict = "met" if create_ms < GOAL_CREATE_MS else "MISSED"
    print(f"create: {create_ms:.1f} ms median (goal < {GOAL_CREATE_MS} ms: {verdict})")
    verdict = "met" if delivery >= GOAL_DELIVERY_PER_S else "MISSED"
    print(
        f"delivery: {delivery:.1f} e-mails/s (goal >= {GOAL_DELIVERY_PER_S}: {verdict})"
    )
    print(f"reminders: {args.reminders} in {reminders_s:.2f} s")
    print(
        f"CPU: {CPU['delivery']:.0f} e-mails per CPU second, reminders "
        f"{CPU['reminders']:.1f} CPU s; load average {os.getloadavg()[0]:.1f}"
    )
    return figures


def _seed(count: int) -> tuple[Any, Any, list[Any]]:
    from loket.accounts.models import User
    from loket.entities.models import Entity
    from loket.roles.models import Role, RoleAssignment

    started = time.perf_counter()
    entity = Entity.objects.create(name="Bakkerij de Vries BV", client_number="B-1")
    staff = User.objects.create_user(
        "staff@bench.test",
        None,
        first_name="Sam",
        last_name="Staff",
        kind=User.Kind.STAFF,
        state=User.State.ACTIVE,
    )
    RoleAssignment.objects.create(
        user=staff, role=Role.objects.get(key="owner"), entity=entity
    )
    User.objects.bulk_create(
        [
            User(
                email=f"contact{i:05d}@client.test",
                first_name=f"C{i}",
                last_name="Contact",
                kind=User.Kind.CONTACT,
                state=User.State.ACTIVE,
                language="nl" if i % 2 else "en",
                client_entity=entity,
                password="!",  # noqa: S106
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    contacts = list(User.objects.filter(kind=User.Kind.CONTACT).order_by("pk"))
    role = Role.objects.get(key="contact-entity-staff")
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=c, role=role, entity=entity) for c in contacts],
        batch_size=1000,
    )
    print(f"seeded {len(contacts)} contacts in {time.perf_counter() - started:.1f} s")
    return staff, entity, contacts


def _create(staff: Any, entity: Any, contacts: list[Any], rounds: int) -> float:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from loket.requests.actions import create_request

    times = []
    for number in range(rounds):
        started = time.perf_counter()
        with transaction.atomic():
            create_request(
                entity,
                actor=staff,
                subject=f"Jaarrekening 2025 ({number + 1})",
                description="De bankafschriften van december.",
                recipients=contacts,
                due_date=timezone.localdate() + timedelta(days=14),
                additional_message="Graag voor het einde van de maand.",
            )
        times.append((time.perf_counter() - started) * 1000)
    print("create (ms):", ", ".join(f"{t:.1f}" for t in times))
    return statistics.median(times)


def _run_worker() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench",
        excluded_queue_names=[],
    ).run()


def _deliver(handler: Counter, expected: int) -> float:
    from loket.notifications.models import OutgoingEmail

    started = time.perf_counter()
    cpu = time.process_time()
    _run_worker()
    elapsed = (handler.last or time.perf_counter()) - started
    CPU["delivery"] = handler.count / (time.process_time() - cpu)
    sent = OutgoingEmail.objects.filter(status="sent").count()
    print(
        f"delivered {handler.count} of {expected} e-mails ({sent} marked sent) "
        f"in {elapsed:.1f} s"
    )
    if handler.count != expected or sent != expected:
        raise SystemExit("not every e-mail was delivered exactly once")
    return handler.count / elapsed


def _reminders(staff: Any, entity: Any, contacts: list[Any], count: int) -> float:
    from datetime import timedelta

    from django.utils import timezone

    from loket.notifications import reminders
    from loket.notifications.models import OutgoingEmail, SentReminder
    from loket.requests.models import Recipient, Request

    today = timezone.localdate()
    sent = timezone.now() - timedelta(days=5)
    requests = Request.objects.bulk_create(
        [
            Request(
                entity=entity,
                subject=f"Loonstrook {i}",
                created_by=staff,
                status=Request.Status.AWAITING,
                due_date=today,
                sent_at=sent,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    if requests[0].pk is None:  # a database that does not return ids
        requests = list(Request.objects.filter(subject__startswith="Loonstrook "))
    Recipient.objects.bulk_create(
        [
            Recipient(request=request, user=contacts[i % len(contacts)])
            for i, request in enumerate(requests)
        ],
        batch_size=1000,
    )
    before = OutgoingEmail.objects.count()
    started = time.perf_counter()
    cpu = time.process_time()
    report = reminders.run(force=True)
    elapsed = time.perf_counter() - started
    CPU["reminders"] = time.process_time() - cpu
    print(
        f"reminders: {report.reminders} due, {report.reminder_emails} e-mails "
        f"queued ({OutgoingEmail.objects.count() - before} rows), "
        f"{SentReminder.objects.count()} recorded, in {elapsed:.2f} s"
    )
    again = reminders.run(force=True)
    if report.reminders != count or again.reminders:
        raise SystemExit("reminders were not all sent exactly once")
    return elapsed


if __name__ == "__main__":
    # aiosmtpd's thread needs its own event loop policy default; nothing else.
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
    threading.current_thread().name = "bench"
    main()
