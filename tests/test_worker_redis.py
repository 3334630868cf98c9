"""The Redis queue for scale (LOKET_TASKS_BACKEND=rq, django-tasks-rq): the same
e-mail path through a real redis-server and an RQ worker. Skipped where
redis-server is not installed, except in CI (CI=true), which installs it."""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from loket.accounts.models import User
from loket.audit import triggers
from loket.entities.models import Entity
from loket.notifications.models import OutgoingEmail
from loket.notifications.notify import notify_request_sent
from tests.notification_support import SmtpServer, free_port, make_request

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("redis-server") is None and not os.environ.get("CI"),
        reason="redis-server is not installed",
    ),
]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def rq_queue(settings: Any, redis_url: str) -> Iterator[None]:
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    yield
    triggers.drop(connection)


def run_rq_worker() -> None:
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    queue = django_rq.get_queue("default", job_class=Job)
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)


def test_a_new_request_is_delivered_through_redis(
    rq_queue: None, settings: Any, entity: Entity, staff_reader: User, contact: User
) -> None:
    smtp = SmtpServer()
    for name, value in smtp.settings().items():
        setattr(settings, name, value)
    smtp.start()
    try:
        with transaction.atomic():
            notify_request_sent(make_request(entity, staff_reader, [contact]))
        assert smtp.inbox.messages == []
        run_rq_worker()  # fans out, then delivers
        run_rq_worker()
    finally:
        smtp.stop()
    assert [m["To"] for m in smtp.inbox.messages] == [contact.email]
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
