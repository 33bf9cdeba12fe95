"""/api/v1/import-profiles/: an account's saved CSV mapping, seen, corrected and forgotten."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditLog
from accounts.tests.factories import BankAccountFactory
from smartbank.testing import database_snapshot
from transactions.models import ImportBatch, ImportProfile, Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import ImportProfileFactory

URL = "/api/v1/import-profiles/"
SSV = "csv/hledger__sample.ssv"  # no header; 10/2009/09 Flubber Co +50, 11/2009/09 -50
pytestmark = pytest.mark.django_db


def detail(profile) -> str:
    return f"{URL}{profile.pk}/"


@pytest.fixture
def profile(user):
    return ImportProfileFactory(account=BankAccountFactory(user=user))


# --- Reading ----------------------------------------------------------------------------


def test_list_shows_only_your_profiles(
    api_client, user, other_user, profile, django_assert_num_queries
):
    second = ImportProfileFactory(account=BankAccountFactory(user=user), name="")
    ImportProfileFactory(account=BankAccountFactory(user=other_user))

    # The user (JWT), the count and the page, whatever the size of the page.
    with django_assert_num_queries(3):
        response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [profile.pk, second.pk]
    assert body["results"][0] == {
        "id": profile.pk,
        "account": profile.account_id,
        "name": "Corner Bank export",
        "format": "csv",
        "mapping": {"delimiter": ";", "date_column": 0, "credit_column": 2, "debit_column": 3},
        "created_at": body["results"][0]["created_at"],
        "updated_at": body["results"][0]["updated_at"],
    }


def test_retrieve(api_client, profile):
    response = api_client.get(detail(profile))

    assert response.status_code == 200
    assert response.json()["account"] == profile.account_id
    assert response.json()["mapping"]["credit_column"] == 2


def test_anonymous_calls_are_401(anon_client, profile):
    before = database_snapshot()

    assert anon_client.get(URL).status_code == 401
    assert anon_client.get(detail(profile)).status_code == 401
    assert anon_client.patch(detail(profile), {"name": "x"}, format="json").status_code == 401
    assert anon_client.delete(detail(profile)).status_code == 401
    assert database_snapshot() == before


def test_another_customers_profile_is_404_and_unchanged(other_client, profile):
    before = database_snapshot()

    assert other_client.get(detail(profile)).status_code == 404
    assert other_client.patch(detail(profile), {"name": "Mine"}, format="json").status_code == 404
    assert other_client.delete(detail(profile)).status_code == 404
    assert other_client.get(URL).json()["count"] == 0
    assert database_snapshot() == before


def test_put_is_not_offered(api_client, profile):
    response = api_client.put(detail(profile), {"name": "x", "mapping": {}}, format="json")

    assert response.status_code == 405


# --- Changing ---------------------------------------------------------------------------


def test_patch_renames_and_replaces_the_mapping(api_client, profile):
    mapping = {"date_column": 1, "amount_column": 4, "day_first": True, "columns": ["A", "B"]}

    response = api_client.patch(
        detail(profile), {"name": "  Bank of Example  ", "mapping": mapping}, format="json"
    )

    assert response.status_code == 200, response.json()
    profile.refresh_from_db()
    assert profile.name == "Bank of Example"
    # Replaced, not merged; the header names a dry run shows are for display and not kept.
    assert profile.mapping == {"date_column": 1, "amount_column": 4, "day_first": True}
    assert response.json()["mapping"] == profile.mapping
    # A customer changing their own profile is not a staff change: nothing audited.
    assert not AuditLog.objects.filter(target_type="transactions.importprofile").exists()


def test_patch_with_only_a_name_keeps_the_mapping(api_client, profile):
    mapping = profile.mapping

    response = api_client.patch(detail(profile), {"name": "Renamed"}, format="json")

    assert response.status_code == 200
    profile.refresh_from_db()
    assert (profile.name, profile.mapping) == ("Renamed", mapping)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mapping": {"date_colum": 0}}, "Unknown mapping setting(s): date_colum"),
        ({"mapping": {"amount_column": "C"}}, "amount_column must be a column number"),
        ({"mapping": {"amount_column": -1}}, "amount_column must be a column number"),
        ({"mapping": {"description_columns": 2}}, "description_columns must be a list"),
        ({"mapping": {"day_first": "yes"}}, "day_first must be true or false"),
        ({"mapping": {"date_format": "%Q"}}, "date_format"),
        ({"mapping": {"decimal_separator": ";"}}, "decimal_separator"),
        ({"mapping": {"encoding": "klingon-8"}}, "Unknown text encoding"),
        ({"mapping": [0, 1]}, "JSON object"),
        ({"mapping": "date_column=0"}, "JSON object"),
        ({"mapping": None}, "null"),
    ],
)
def test_a_bad_mapping_is_a_400_and_nothing_changes(api_client, profile, body, message):
    before = database_snapshot()

    response = api_client.patch(detail(profile), {"name": "New name", **body}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["mapping"]
    assert message in response.json()["mapping"][0]
    assert database_snapshot() == before


def test_a_name_too_long_is_a_400(api_client, profile):
    before = database_snapshot()

    response = api_client.patch(detail(profile), {"name": "x" * 101}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert database_snapshot() == before


def test_the_account_and_format_are_read_only(api_client, user, profile):
    other_account = BankAccountFactory(user=user)

    response = api_client.patch(
        detail(profile), {"account": other_account.pk, "format": "ofx"}, format="json"
    )

    assert response.status_code == 200
    profile.refresh_from_db()
    assert (profile.account_id, profile.format) != (other_account.pk, "ofx")


def test_delete_forgets_the_profile(api_client, profile):
    response = api_client.delete(detail(profile))

    assert response.status_code == 204
    assert not ImportProfile.objects.filter(pk=profile.pk).exists()
    assert api_client.get(detail(profile)).status_code == 404


# --- End to end: the mapping a customer saves is used for the next file -------------------


def test_a_saved_profile_reads_the_next_file_without_questions(
    api_client, user, bank_fixture, django_capture_on_commit_callbacks
):
    account = BankAccountFactory(
        user=user,
        currency="USD",
        opening_balance=Decimal("100.00"),
        opening_date=datetime.date(2009, 1, 1),
    )
    content = bank_fixture(SSV)

    def post(**fields):
        upload = SimpleUploadedFile("sample.ssv", content, content_type="text/csv")
        return api_client.post(
            "/api/v1/transactions/import/",
            {"file": upload, "account": account.pk, **fields},
            format="multipart",
        )

    # Only the customer can say that column 2 is money in and column 3 money out.
    mapping = '{"credit_column": 2, "debit_column": 3}'
    dry_run = post(dry_run="true", save_profile="true", mapping=mapping)
    assert dry_run.status_code == 200, dry_run.json()
    assert [row["amount"] for row in dry_run.json()["rows"]] == ["50", "-50"]
    assert not ImportBatch.objects.exists()
    assert not Transaction.objects.exists()
    assert api_client.get(URL).json()["count"] == 0  # a dry run writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        first = post(save_profile="true", mapping=mapping, day_first="true")
    assert api_client.get(f"/api/v1/imports/{first.json()['id']}/").json()["status"] == "done"
    profiles = api_client.get(URL).json()["results"]
    assert len(profiles) == 1
    assert profiles[0]["account"] == account.pk
    assert (profiles[0]["mapping"]["credit_column"], profiles[0]["mapping"]["debit_column"]) == (
        2,
        3,
    )
    api_client.post(f"/api/v1/imports/{first.json()['id']}/undo/")
    assert not Transaction.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = post()  # no mapping: the profile's
    assert response.status_code == 202, response.json()
    report = api_client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert report["status"] == "done", report["error"]
    assert report["counts"]["created"] == 2
    rows = list(
        Transaction.objects.filter(account=account)
        .order_by("txn_date")
        .values_list("txn_date", "amount", "description")
    )
    assert rows == [
        (datetime.date(2009, 9, 10), Decimal("50.00"), "Flubber Co🎅"),
        (datetime.date(2009, 9, 11), Decimal("-50.00"), "Flubber Co🎅"),
    ]
    account.refresh_from_db()
    assert account.balance == Decimal("100.00")
    assert ledger_differences() == []


def test_without_a_profile_the_same_file_asks_first(api_client, user, bank_fixture):
    account = BankAccountFactory(user=user, currency="USD")
    upload = SimpleUploadedFile("sample.ssv", bank_fixture(SSV), content_type="text/csv")

    response = api_client.post(
        "/api/v1/transactions/import/",
        {"file": upload, "account": account.pk, "dry_run": "true"},
        format="multipart",
    )

    assert response.status_code == 200
    assert response.json()["date_order_ambiguous"] is True
    assert "day_first" in response.json()["question"]
    assert not ImportProfile.objects.exists()
