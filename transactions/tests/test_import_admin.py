"""The staff console for statement imports and import profiles."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from accounts.tests.test_admin import admin_url, change_url, client_logged_in
from smartbank.testing import database_snapshot
from transactions import imports
from transactions.models import ImportBatch, ImportProfile, Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import ImportBatchFactory, ImportProfileFactory

pytestmark = pytest.mark.django_db

STATEMENT = (
    b"Date,Description,Amount\n"
    b"2025-03-01,Coffee,-3.50\n"
    b"2025-03-02,Broken row,not a number\n"
    b"2025-03-03,Salary,1000.00\n"
)


@pytest.fixture
def account():
    return BankAccountFactory(
        opening_balance=Decimal("100.00"), opening_date=datetime.date(2025, 1, 1)
    )


def run_import(account, data: bytes = STATEMENT, filename: str = "march.csv") -> ImportBatch:
    batch = imports.import_create(user=account.user, account=account, filename=filename, data=data)
    return imports.import_run(batch_id=batch.pk)


def download_url(batch) -> str:
    return admin_url(ImportBatch, "download", batch.pk)


def undo(client, *batches):
    return client.post(
        admin_url(ImportBatch, "changelist"),
        {"action": "undo_imports", "_selected_action": [batch.pk for batch in batches]},
        follow=True,
    )


# --- Undo -------------------------------------------------------------------------------


def test_staff_undo_a_customers_import_and_it_is_audited(staff, account):
    batch = run_import(account)
    assert batch.rows_created == 2
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("1096.50")

    response = undo(client_logged_in(staff["admin"]), batch)

    assert response.status_code == 200
    assert "1 import(s) undone" in [str(m) for m in get_messages(response.wsgi_request)][0]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE
    assert not Transaction.objects.filter(account=account).exists()
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("100.00")
    entry = AuditLog.objects.get(action="import.undo")
    assert (entry.actor, entry.target_type, entry.target_id) == (
        staff["admin"],
        "transactions.importbatch",
        str(batch.pk),
    )
    assert ledger_differences() == []


def test_an_import_that_cannot_be_undone_is_reported_and_the_others_still_go(admin_client, account):
    done = run_import(account)
    pending = ImportBatchFactory(account=account, status=ImportBatch.Status.PENDING)

    response = undo(admin_client, done, pending)

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"Import #{pending.pk}: Only a finished import can be undone; this one is pending." in (
        texts
    )
    assert "1 import(s) undone: their rows are gone, balances restored." in texts
    done.refresh_from_db()
    pending.refresh_from_db()
    assert (done.status, pending.status) == ("undone", "pending")
    assert ledger_differences() == []


def test_an_auditor_is_not_offered_undo_and_cannot_post_it(staff, account):
    batch = run_import(account)
    client = client_logged_in(staff["auditor"])
    before = database_snapshot()

    changelist = client.get(admin_url(ImportBatch, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None
    undo(client, batch)

    assert database_snapshot() == before


# --- The kept file ----------------------------------------------------------------------


def test_the_kept_file_downloads_as_it_was_uploaded(staff, account):
    batch = run_import(account, filename="März statement.csv")

    response = client_logged_in(staff["auditor"]).get(download_url(batch))

    assert response.status_code == 200
    assert response.content == STATEMENT
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''M%C3%A4rz%20statement.csv" in response["Content-Disposition"]


def test_the_change_page_links_the_download(admin_client, account):
    batch = run_import(account)

    page = admin_client.get(change_url(batch)).content.decode()

    assert f'href="{download_url(batch)}"' in page


def test_the_download_is_refused_without_view_permission(staff, account):
    batch = run_import(account)

    # Support staff see customers, accounts and transactions, not their statement files.
    assert client_logged_in(staff["support"]).get(download_url(batch)).status_code == 403
    # A customer is not let into the admin at all.
    customer = client_logged_in(account.user).get(download_url(batch))
    assert customer.status_code == 302
    assert customer["Location"].startswith("/admin/login/")


def test_the_download_of_a_missing_import_is_404(admin_client):
    assert admin_client.get(admin_url(ImportBatch, "download", 999999)).status_code == 404


# --- Pages ------------------------------------------------------------------------------


def test_the_change_page_shows_problems_and_reconciliation(admin_client, account):
    batch = run_import(account)
    ImportBatch.objects.filter(pk=batch.pk).update(
        reconciliation=[
            {
                "account": account.pk,
                "ref": "DE89370400440532013000",
                "date": "2025-03-31",
                "statement_balance": "1096.50",
                "account_balance": "1090.00",
                "difference": "6.50",
                "agrees": False,
            }
        ]
    )

    page = admin_client.get(change_url(batch)).content.decode()

    assert "<td>3</td><td>rejected</td>" in page  # the broken row, by its line
    assert "DE89370400440532013000" in page
    assert "<td>6.50</td><td>differs</td>" in page
    assert "2 created" in page


# Session, user, the count, the full count, the rows (users and accounts joined), the date
# hierarchy's range and days.
IMPORT_CHANGELIST_QUERIES = 7


def test_import_changelist_query_count_does_not_grow_and_leaves_the_files(
    admin_client, django_assert_num_queries
):
    url = admin_url(ImportBatch, "changelist")

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    ImportBatchFactory()
    few = len(queries())
    for _ in range(10):
        ImportBatchFactory(file_data=b"x" * 1000)
    many = queries()
    assert len(many) == few
    assert not any("file_data" in sql for sql in many)
    with django_assert_num_queries(IMPORT_CHANGELIST_QUERIES):
        admin_client.get(url)


def test_the_changelist_filters_and_searches(admin_client):
    ofx = ImportBatchFactory(format="ofx", filename="bank.ofx")
    csv = ImportBatchFactory(
        account=BankAccountFactory(user=UserFactory(email="finder@example.com")),
        status=ImportBatch.Status.FAILED,
    )
    url = admin_url(ImportBatch, "changelist")

    def shown(params) -> set[int]:
        return {batch.pk for batch in admin_client.get(url, params).context["cl"].result_list}

    assert shown({"format": "ofx"}) == {ofx.pk}
    assert shown({"status__exact": "failed"}) == {csv.pk}
    assert shown({"q": "finder@"}) == {csv.pk}
    assert shown({"q": "bank.ofx"}) == {ofx.pk}


# --- Import profiles --------------------------------------------------------------------


def test_staff_delete_a_profile_through_the_service_and_it_is_audited(staff):
    profile = ImportProfileFactory()
    client = client_logged_in(staff["admin"])

    response = client.post(admin_url(ImportProfile, "delete", profile.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not ImportProfile.objects.exists()
    entry = AuditLog.objects.get(action="import_profile.delete")
    assert (entry.actor, entry.target_id) == (staff["admin"], str(profile.pk))


def test_staff_delete_profiles_in_bulk(admin_client, admin_user):
    first, second = ImportProfileFactory(), ImportProfileFactory()

    admin_client.post(
        admin_url(ImportProfile, "changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert not ImportProfile.objects.exists()
    assert AuditLog.objects.filter(action="import_profile.delete").count() == 2


def test_profiles_are_read_only_in_the_admin(admin_client):
    profile = ImportProfileFactory()
    before = database_snapshot()

    page = admin_client.get(change_url(profile))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert admin_client.post(change_url(profile), {"name": "Changed"}).status_code == 403
    assert admin_client.get(admin_url(ImportProfile, "add")).status_code == 403
    assert database_snapshot() == before
