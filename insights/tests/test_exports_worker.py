"""A real `celery worker` process, through Redis, makes a PDF statement against the test
database: WeasyPrint in the worker, the PDF in the database, a second delivery a no-op."""

import datetime
import io
import tempfile
import uuid
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.tests.factories import BankAccountFactory
from bills.tests.test_worker_process import result_of, start_worker, stop_worker
from insights.exports import export_pdf
from insights.models import Export
from insights.tasks import statement_export_task
from insights.tests.factories import ExportFactory
from smartbank.celery import app as celery_app
from transactions.tests.factories import TransactionFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_makes_the_statement_once():
    account = BankAccountFactory(opening_balance=Decimal("500.00"))
    TransactionFactory(
        account=account,
        amount=Decimal("-42.10"),
        txn_date=datetime.date(2025, 3, 12),
        description="Water bill",
    )
    export = ExportFactory(account=account)
    queue = f"exports-test-{uuid.uuid4().hex}"
    celery_app.conf.task_always_eager = False
    with tempfile.TemporaryFile() as log:
        worker = start_worker(queue, log)
        try:
            first = statement_export_task.apply_async((export.pk,), queue=queue)
            assert result_of(first, worker, log) == "done"
            second = statement_export_task.apply_async((export.pk,), queue=queue)
            assert result_of(second, worker, log) == "skipped"
        finally:
            celery_app.conf.task_always_eager = True
            stop_worker(worker)
            with celery_app.connection_for_write() as broker:
                broker.default_channel.queue_delete(queue)

    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    assert (export.attempts, export.closing_balance) == (1, Decimal("457.90"))
    reader = PdfReader(io.BytesIO(export_pdf(export=export)))
    text = " ".join(reader.pages[0].extract_text().split())
    assert "12 Mar 2025 Water bill · Corner Shop 42.10 457.90" in text
