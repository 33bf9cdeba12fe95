"""A real `celery worker` process, through Redis, runs the reminder job against the test
database and delivers the reminder it raises: nothing eager, nothing in this process."""

import datetime
import os
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from urllib.parse import quote

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from accounts.tests.factories import UserFactory
from alerts.models import Alert, Notification
from bills.tasks import bills_send_reminders_task
from bills.tests.factories import BillFactory
from smartbank.celery import app as celery_app

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT = 60


def database_url_of_this_test() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql", "the redis tests run on PostgreSQL"
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    at = "@" if credentials else ""
    return f"postgres://{credentials}{at}{host}{port}/{quote(db['NAME'], safe='')}"


def start_worker(queue: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": settings.REDIS_URL,
        # What the worker sends (the reminder's delivery) goes to its own queue too.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "smartbank.settings",
    }
    env.pop("EMAIL_HOST", None)  # the console email backend: nothing leaves the machine
    # REDIS_URL above is already this xdist worker's database; the settings must not move it
    # again in the worker process.
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "smartbank",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    worker.terminate()  # SIGTERM: a warm shutdown
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def result_of(async_result, worker: subprocess.Popen, log) -> object:
    """The task's result, polling so a worker that died says so at once."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    while True:
        try:
            return async_result.get(timeout=1)
        except CeleryTimeout:
            if worker.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                output = log.read().decode(errors="replace")[-4000:]
                state = (
                    f"exited with {worker.returncode}" if worker.poll() is not None else "timed out"
                )
                pytest.fail(f"celery worker {state}; its output:\n{output}")


def test_a_real_worker_sends_a_reminder_once():
    user = UserFactory()
    today = user.today()
    bill = BillFactory(
        user=user,
        biller="Water Co",
        amount_due=Decimal("42.00"),
        due_date=today + datetime.timedelta(days=1),
        notice_days=3,
    )
    queue = f"bills-test-{uuid.uuid4().hex}"
    celery_app.conf.task_always_eager = False
    with tempfile.TemporaryFile() as log:
        worker = start_worker(queue, log)
        try:
            first = bills_send_reminders_task.apply_async(queue=queue)
            assert result_of(first, worker, log) == 1
            # The queue is first in, first out and the worker takes one task at a time: when
            # this second run is done, so is the delivery the first one queued before it.
            second = bills_send_reminders_task.apply_async(queue=queue)
            assert result_of(second, worker, log) == 0
        finally:
            celery_app.conf.task_always_eager = True
            stop_worker(worker)
            with celery_app.connection_for_write() as broker:
                broker.default_channel.queue_delete(queue)

    alert = Alert.objects.get()
    assert (alert.user, alert.key) == (user, f"bill_due_soon:{bill.pk}")
    notification = Notification.objects.get()
    assert (notification.channel, notification.recipient) == ("email", user.email)
    assert notification.status == Notification.Status.SENT, notification.last_error
    assert notification.attempts == 1
    assert "Water Co" in notification.subject
