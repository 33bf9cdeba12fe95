"""POST /api/v1/transactions/import/ and /api/v1/imports/, with real bank files."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from smartbank.testing import database_snapshot
from transactions.models import ImportBatch, Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import TransactionFactory

URL = "/api/v1/transactions/import/"
BANK_MEDIUM = "ofx/ofxparse__bank_medium.ofx"  # CAD, 3 rows, sum -345.27, acct ...5678
pytestmark = pytest.mark.django_db


@pytest.fixture
def cad_account(user):
    return BankAccountFactory(
        user=user,
        currency="CAD",
        number_last4="5678",
        opening_balance=Decimal("500.00"),
        opening_date=datetime.date(2009, 1, 1),
    )


def upload(content: bytes, name: str = "statement.ofx"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def post_import(client, account, content, name="statement.ofx", **fields):
    data = {"file": upload(content, name), "account": account.pk, **fields}
    return client.post(URL, data, format="multipart")


def test_dry_run_shows_the_file_and_writes_nothing(api_client, cad_account, bank_fixture):
    before = database_snapshot()
    response = post_import(api_client, cad_account, bank_fixture(BANK_MEDIUM), dry_run="true")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["format"] == "ofx"
    assert body["counts"] == {"rows": 3, "valid": 3, "pending": 0, "invalid": 0}
    assert body["accounts"][0]["mapped_to"] == cad_account.pk
    assert body["rows"][0]["amount"] == "-6.60"
    assert database_snapshot() == before
    assert not ImportBatch.objects.exists()


def test_import_answers_202_and_the_batch_reports_its_counts(
    api_client, cad_account, bank_fixture, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(api_client, cad_account, bank_fixture(BANK_MEDIUM))
    assert response.status_code == 202, response.json()
    batch_id = response.json()["id"]
    report = api_client.get(f"/api/v1/imports/{batch_id}/").json()
    assert report["status"] == "done"
    assert report["progress"] == 100
    assert report["counts"] == {
        "read": 3,
        "created": 3,
        "duplicates": 0,
        "matched": 0,
        "skipped": 0,
        "rejected": 0,
    }
    cad_account.refresh_from_db()
    assert cad_account.balance == Decimal("500.00") - Decimal("345.27")
    assert report["reconciliation"][0]["statement_balance"] == "382.34"
    assert report["reconciliation"][0]["agrees"] is False
    assert bytes(ImportBatch.objects.get(pk=batch_id).file_data) == bank_fixture(BANK_MEDIUM)


def test_importing_the_same_file_twice_reports_duplicates_and_keeps_the_ledger(
    api_client, cad_account, bank_fixture, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_import(api_client, cad_account, bank_fixture(BANK_MEDIUM))
    balance = BankAccount.objects.get(pk=cad_account.pk).balance
    with django_capture_on_commit_callbacks(execute=True):
        second = post_import(api_client, cad_account, bank_fixture(BANK_MEDIUM))
    counts = api_client.get(f"/api/v1/imports/{second.json()['id']}/").json()["counts"]
    assert (counts["created"], counts["duplicates"]) == (0, 3)
    assert BankAccount.objects.get(pk=cad_account.pk).balance == balance
    assert Transaction.objects.count() == 3
    assert ledger_differences() == []


def test_undo_and_reconcile_through_the_api(
    api_client, cad_account, bank_fixture, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch_id = post_import(api_client, cad_account, bank_fixture(BANK_MEDIUM)).json()["id"]
    response = api_client.post(
        f"/api/v1/imports/{batch_id}/reconcile/", {"account": cad_account.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["balance"] == "382.34"
    response = api_client.post(f"/api/v1/imports/{batch_id}/undo/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "undone"
    assert not Transaction.objects.exists()
    assert ledger_differences() == []


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.png", "PNG"),
        (b"%PDF-1.7\n%%EOF", "statement.pdf", "PDF"),
    ],
)
def test_a_file_that_is_no_statement_is_a_400_and_nothing_written(
    api_client, cad_account, content, name, message
):
    before = database_snapshot()
    response = post_import(api_client, cad_account, content, name)
    assert response.status_code == 400
    assert message in response.json()["file"][0]
    assert database_snapshot() == before


def test_an_oversize_file_is_a_400(api_client, cad_account, settings):
    settings.IMPORT_MAX_FILE_BYTES = 2048
    response = post_import(api_client, cad_account, b"Date,Amount\n" + b"2025-01-01,1\n" * 400)
    assert response.status_code == 400
    assert "at most 2048 bytes" in response.json()["file"][0]
    assert not ImportBatch.objects.exists()


def test_a_truncated_file_fails_its_batch_and_writes_nothing(
    api_client, cad_account, bank_fixture, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(
            api_client, cad_account, bank_fixture("ofx/finances__invalid_bank_xml_truncated.ofx")
        )
    report = api_client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert report["status"] == "failed"
    assert report["error"]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": "[1, 2]"}, "mapping"),
        ({"account_map": '{"123": "x"}'}, "account_map"),
        ({"format": "xls"}, "format"),
        ({"dry_run": "perhaps"}, "dry_run"),
    ],
)
def test_bad_fields_are_a_400(api_client, cad_account, bank_fixture, fields, field):
    response = post_import(api_client, cad_account, bank_fixture(BANK_MEDIUM), **fields)
    assert response.status_code == 400
    assert field in response.json()
    assert not ImportBatch.objects.exists()


def test_another_customers_account_and_batch_are_not_found(
    api_client,
    other_client,
    other_user,
    cad_account,
    bank_fixture,
    django_capture_on_commit_callbacks,
):
    theirs = BankAccountFactory(user=other_user)
    response = post_import(api_client, theirs, bank_fixture(BANK_MEDIUM))
    assert response.status_code == 400
    assert "account" in response.json()
    with django_capture_on_commit_callbacks(execute=True):
        batch_id = post_import(api_client, cad_account, bank_fixture(BANK_MEDIUM)).json()["id"]
    assert other_client.get(f"/api/v1/imports/{batch_id}/").status_code == 404
    assert other_client.post(f"/api/v1/imports/{batch_id}/undo/").status_code == 404
    assert other_client.get("/api/v1/imports/").json()["count"] == 0
    assert Transaction.objects.count() == 3


def test_an_offered_transfer_can_be_accepted(api_client, user):
    checking = BankAccountFactory(user=user)
    savings = BankAccountFactory(user=user)
    out_row = TransactionFactory(account=checking, amount=Decimal("-50.00"))
    in_row = TransactionFactory(account=savings, amount=Decimal("50.00"))
    batch = ImportBatch.objects.create(
        user=user,
        account=checking,
        file_data=b"x",
        file_sha256="0" * 64,
        status="done",
        transfer_candidates=[{"outgoing": out_row.pk, "incoming": in_row.pk}],
    )
    response = api_client.post(
        f"/api/v1/imports/{batch.pk}/link-transfer/",
        {"outgoing": out_row.pk, "incoming": in_row.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    out_row.refresh_from_db()
    assert out_row.kind == "transfer" and out_row.counterpart_id == in_row.pk
    assert ledger_differences() == []


def test_the_batch_list_does_not_load_files(api_client, cad_account, django_assert_num_queries):
    for _ in range(3):
        ImportBatch.objects.create(
            user=cad_account.user, account=cad_account, file_data=b"x" * 1000, file_sha256="0" * 64
        )
    # The user (JWT), the count, the page.
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/imports/")
    assert response.json()["count"] == 3


def test_accepting_a_transfer_records_the_category_change(api_client, user):
    from transactions.models import CategoryChange

    checking = BankAccountFactory(user=user)
    savings = BankAccountFactory(user=user)
    out_row = TransactionFactory(account=checking, amount=Decimal("-50.00"))
    in_row = TransactionFactory(account=savings, amount=Decimal("50.00"))
    batch = ImportBatch.objects.create(
        user=user,
        account=checking,
        file_data=b"x",
        file_sha256="0" * 64,
        status="done",
        transfer_candidates=[{"outgoing": out_row.pk, "incoming": in_row.pk}],
    )
    api_client.post(
        f"/api/v1/imports/{batch.pk}/link-transfer/",
        {"outgoing": out_row.pk, "incoming": in_row.pk},
        format="json",
    )
    changes = CategoryChange.objects.filter(
        transaction__in=[out_row, in_row], new_category_slug="transfers"
    )
    assert sorted(changes.values_list("old_category_slug", flat=True)) == ["groceries"] * 2
    out_row.refresh_from_db()
    assert out_row.category_source == "manual"


def test_a_huge_id_is_a_400_not_a_crash(api_client, user):
    batch = ImportBatch.objects.create(
        user=user, account=BankAccountFactory(user=user), file_data=b"x", file_sha256="0" * 64
    )
    response = api_client.post(
        f"/api/v1/imports/{batch.pk}/link-transfer/",
        {"outgoing": 99999999999999999999, "incoming": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "outgoing" in response.json()


def test_transfers_category_is_refused_for_an_ordinary_row_and_a_rule(api_client, user):
    row = TransactionFactory(account=BankAccountFactory(user=user))
    response = api_client.put(
        f"/api/v1/transactions/{row.pk}/category/", {"category": "transfers"}, format="json"
    )
    assert response.status_code == 400
    response = api_client.post(
        "/api/v1/categories/rules/",
        {
            "name": "Everything is a transfer",
            "conditions": [{"field": "description", "operator": "contains", "value": "x"}],
            "actions": {"set_category": "transfers"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert "kept for transfers" in str(response.json())
    row.refresh_from_db()
    assert row.category.slug == "groceries"


def test_only_an_offered_pair_can_be_linked(api_client, user):
    checking = BankAccountFactory(user=user)
    out_row = TransactionFactory(account=checking, amount=Decimal("-50.00"))
    in_row = TransactionFactory(account=BankAccountFactory(user=user), amount=Decimal("50.00"))
    batch = ImportBatch.objects.create(
        user=user, account=checking, file_data=b"x", file_sha256="0" * 64, status="done"
    )
    response = api_client.post(
        f"/api/v1/imports/{batch.pk}/link-transfer/",
        {"outgoing": out_row.pk, "incoming": in_row.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "did not offer" in response.json()["detail"]
    out_row.refresh_from_db()
    assert out_row.kind == "expense"
