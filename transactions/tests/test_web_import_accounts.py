"""The import pages' account choices, balances and transfers: which of the customer's
accounts each account in a file is, making an account agree with the statement, accepting
the transfers an import offers, and the bar's progress while the rows are written."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.testing import database_snapshot
from transactions import imports
from transactions.models import ImportBatch, Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import ImportBatchFactory, TransactionFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("transactions-web:import")
REVIEW_URL = reverse("transactions-web:import-review")
# Two accounts in one file: ...1111 is the customer's Everyday by its last four digits;
# ...2222 matches none of theirs until they say which it is.
TWO_ACCOUNTS = (
    b"Date;Account number;Description;Amount\n"
    b"01.03.2025;DE89370400440532011111;Bakery;-4,20\n"
    b"02.03.2025;DE89370400440532012222;Salary;2.500,00\n"
    b"03.03.2025;DE89370400440532012222;Rent;-900,00\n"
)
WITH_CLOSING_BALANCE = (
    b"Date;Description;Amount\n"
    b"01.03.2025;Bakery;-4,20\n"
    b"02.03.2025;Salary;2.500,00\n"
    b"Closing balance 31.03.2025;;2.600,00\n"
)


@pytest.fixture(autouse=True)
def _frozen_time():
    # The rows' dates are checked against the customer's today.
    with time_machine.travel(datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def everyday(user):
    return BankAccountFactory(
        user=user,
        name="Everyday",
        number_last4="1111",
        opening_balance=Decimal("100.00"),
        opening_date=datetime.date(2025, 1, 1),
    )


@pytest.fixture
def savings(user):
    return BankAccountFactory(
        user=user,
        name="Savings",
        number_last4="9999",
        opening_balance=Decimal("0.00"),
        opening_date=datetime.date(2025, 1, 1),
    )


def upload(client, account, content, name="march.csv"):
    return client.post(
        IMPORT_URL, {"account": account.pk, "file": SimpleUploadedFile(name, content)}
    )


def review_post(review, **fields) -> dict:
    """The review form as the browser sends it, its account choices at their shown values."""
    form = review.context["form"]
    data = {"token": form["token"].value(), "action": "preview"}
    for _, field in form.file_accounts:
        data[field.name] = field.value() or ""
    return data | fields


def account_field_for(review, ref: str) -> str:
    return next(
        field.name for shown, field in review.context["form"].file_accounts if shown["ref"] == ref
    )


# --- Several accounts in one file -----------------------------------------------------


def test_each_account_in_the_file_is_chosen_previewed_and_imported(
    web, everyday, savings, django_capture_on_commit_callbacks
):
    review = upload(web, everyday, TWO_ACCOUNTS)
    assert review.status_code == 200
    html = review.content.decode()
    assert "Accounts in the file" in html
    matched = account_field_for(review, "DE89370400440532011111")
    unmatched = account_field_for(review, "DE89370400440532012222")
    # Matched by its last four digits; the other is not imported until chosen.
    assert review.context["form"][matched].value() == str(everyday.pk)
    assert review.context["form"][unmatched].value() == ""
    assert "Not imported (its rows are skipped)" in html

    before = database_snapshot()
    again = web.post(REVIEW_URL, review_post(review, **{unmatched: str(savings.pk)}))
    assert again.status_code == 200
    by_ref = {a["ref"]: a["mapped_to"] for a in again.context["preview"]["accounts"]}
    assert by_ref == {
        "DE89370400440532011111": everyday.pk,
        "DE89370400440532012222": savings.pk,
    }
    # The preview writes nothing; the choice is kept for the confirmation.
    assert database_snapshot() == before

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = web.post(REVIEW_URL, review_post(again, action="import"))
    assert confirmed.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.options["account_map"] == {
        "DE89370400440532011111": everyday.pk,
        "DE89370400440532012222": savings.pk,
    }
    assert (batch.rows_created, batch.rows_skipped) == (3, 0)
    assert BankAccount.objects.get(pk=everyday.pk).balance == Decimal("95.80")
    assert BankAccount.objects.get(pk=savings.pk).balance == Decimal("1600.00")
    assert ledger_differences() == []


def test_an_account_left_unchosen_has_its_rows_skipped_and_listed(
    web, everyday, savings, django_capture_on_commit_callbacks
):
    review = upload(web, everyday, TWO_ACCOUNTS)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(REVIEW_URL, review_post(review, action="import"))
    batch = ImportBatch.objects.get()
    assert (batch.rows_created, batch.rows_skipped) == (1, 2)
    assert BankAccount.objects.get(pk=savings.pk).balance == Decimal("0.00")
    page = web.get(reverse("transactions-web:import-batch", args=[batch.pk]))
    assert page.content.decode().count("skipped</span>") == 2


@pytest.mark.parametrize("choice", ["other-customers", "archived", "abc", "99999999999999999999"])
def test_a_choice_not_among_the_customers_open_accounts_is_refused_beside_it(
    web, user, everyday, savings, choice
):
    review = upload(web, everyday, TWO_ACCOUNTS)
    unmatched = account_field_for(review, "DE89370400440532012222")
    value = {
        "other-customers": lambda: str(BankAccountFactory(user=UserFactory()).pk),
        "archived": lambda: str(BankAccountFactory(user=user, is_archived=True).pk),
    }.get(choice, lambda: choice)()
    before = database_snapshot()
    refused = web.post(REVIEW_URL, review_post(review, action="import", **{unmatched: value}))
    assert refused.status_code == 400
    assert (
        f'<p class="error" id="id_{unmatched}_error">Choose one of your open accounts.</p>'
        in refused.content.decode()
    )
    assert database_snapshot() == before


def test_a_one_account_file_asks_nothing_about_accounts(web, everyday):
    review = upload(web, everyday, WITH_CLOSING_BALANCE)
    assert review.context["form"].file_accounts == []
    assert "Accounts in the file" not in review.content.decode()


# --- Balances against the statement ---------------------------------------------------


@pytest.fixture
def disagreeing_import(web, everyday, django_capture_on_commit_callbacks):
    """An import whose statement closes at 2,600.00 where Everyday stands at 2,595.80."""
    review = upload(web, everyday, WITH_CLOSING_BALANCE)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(REVIEW_URL, {"token": review.context["form"]["token"].value(), "action": "import"})
    return ImportBatch.objects.get()


def test_an_account_is_made_to_agree_with_the_statement(web, user, everyday, disagreeing_import):
    batch = disagreeing_import
    url = reverse("transactions-web:import-batch", args=[batch.pk])
    html = web.get(url).content.decode()
    assert 'data-money="2600.00"' in html and 'data-money="2595.80"' in html
    assert "Make Everyday agree" in html

    done = web.post(
        reverse("transactions-web:import-reconcile", args=[batch.pk]), {"account": everyday.pk}
    )
    assert done.status_code == 302 and done["Location"] == url
    everyday.refresh_from_db()
    assert (everyday.opening_balance, everyday.balance) == (Decimal("104.20"), Decimal("2600.00"))
    assert AuditLog.objects.filter(action="bank_account.reconcile", actor=user).count() == 1
    assert ledger_differences() == []
    page = web.get(url).content.decode()
    assert "now agrees with the statement" in page
    assert 'data-money="104.20"' in page
    # The import's report says so too (and the API with it).
    batch.refresh_from_db()
    assert batch.reconciliation[0] | {"account": everyday.pk} == batch.reconciliation[0]
    assert (batch.reconciliation[0]["agrees"], batch.reconciliation[0]["difference"]) == (
        True,
        "0.00",
    )
    assert "they agree" in page and "Make Everyday agree" not in page


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ("savings", "This import states no balance for that account."),
        ("theirs", "Choose one of your open accounts."),
        ("", "This field is required."),
        ("x", "Choose one of your open accounts."),
    ],
)
def test_a_reconcile_the_import_cannot_make_is_refused_and_changes_nothing(
    web, savings, disagreeing_import, account, message
):
    value = {
        "savings": str(savings.pk),
        "theirs": str(BankAccountFactory(user=UserFactory()).pk),
    }.get(account, account)
    before = database_snapshot()
    refused = web.post(
        reverse("transactions-web:import-reconcile", args=[disagreeing_import.pk]),
        {"account": value},
    )
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert database_snapshot() == before


def test_an_undone_import_is_not_reconciled(web, everyday, disagreeing_import):
    imports.import_undo(batch=disagreeing_import, actor=None)
    before = database_snapshot()
    refused = web.post(
        reverse("transactions-web:import-reconcile", args=[disagreeing_import.pk]),
        {"account": everyday.pk},
    )
    assert refused.status_code == 400
    assert (
        "Only a finished import can be reconciled; this one is undone." in refused.content.decode()
    )
    assert database_snapshot() == before


# --- Transfers the import offers ------------------------------------------------------


def offered_transfer_batch(everyday, savings, pairs: int = 1) -> tuple[ImportBatch, list]:
    batch = ImportBatchFactory(account=everyday)
    offered = []
    for n in range(pairs):
        out_row = TransactionFactory(
            account=everyday, amount=Decimal("-5.00"), description=f"To savings {n}"
        )
        in_row = TransactionFactory(
            account=savings, amount=Decimal("5.00"), description=f"From everyday {n}"
        )
        offered.append({"outgoing": out_row.pk, "incoming": in_row.pk})
    Transaction.objects.filter(pk__in=[pk for pair in offered for pk in pair.values()]).update(
        import_batch=batch
    )
    batch.transfer_candidates = offered
    batch.save(update_fields=["transfer_candidates"])
    return batch, offered


def test_an_offered_transfer_is_linked_from_the_page(web, everyday, savings):
    batch, [pair] = offered_transfer_batch(everyday, savings)
    url = reverse("transactions-web:import-batch", args=[batch.pk])
    html = web.get(url).content.decode()
    assert "Transfers between your accounts?" in html
    assert "To savings 0" in html and "From everyday 0" in html
    balances = dict(BankAccount.objects.values_list("pk", "balance"))

    done = web.post(reverse("transactions-web:import-link-transfer", args=[batch.pk]), pair)
    assert done.status_code == 302 and done["Location"] == url
    out_row = Transaction.objects.get(pk=pair["outgoing"])
    assert (out_row.kind, out_row.counterpart_id) == ("transfer", pair["incoming"])
    # Linking moves no money.
    assert dict(BankAccount.objects.values_list("pk", "balance")) == balances
    assert ledger_differences() == []
    after = web.get(url).content.decode()
    assert "now one transfer" in after
    # Linked pairs are no longer offered.
    assert "Transfers between your accounts?" not in after


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("swapped", "This import did not offer these two rows as a transfer."),
        ({"outgoing": "abc", "incoming": "1"}, "Enter a whole number."),
        ({"outgoing": "0", "incoming": "1"}, "greater than or equal to 1"),
        ({"outgoing": str(2**64), "incoming": "1"}, "less than or equal to"),
        ({}, "This field is required."),
    ],
)
def test_a_transfer_the_import_did_not_offer_is_refused(web, everyday, savings, fields, message):
    batch, [pair] = offered_transfer_batch(everyday, savings)
    if fields == "swapped":
        fields = {"outgoing": pair["incoming"], "incoming": pair["outgoing"]}
    before = database_snapshot()
    refused = web.post(reverse("transactions-web:import-link-transfer", args=[batch.pk]), fields)
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert database_snapshot() == before


def test_another_customers_import_is_out_of_reach(client, everyday, savings, disagreeing_import):
    batch, [pair] = offered_transfer_batch(everyday, savings)
    client.force_login(UserFactory())
    before = database_snapshot()
    for target in (batch, disagreeing_import):
        assert (
            client.post(
                reverse("transactions-web:import-link-transfer", args=[target.pk]), pair
            ).status_code
            == 404
        )
        assert (
            client.post(
                reverse("transactions-web:import-reconcile", args=[target.pk]),
                {"account": everyday.pk},
            ).status_code
            == 404
        )
    assert database_snapshot() == before


def test_the_actions_need_a_login_and_a_post(web, everyday, savings):
    batch, [pair] = offered_transfer_batch(everyday, savings)
    for name in ("import-link-transfer", "import-reconcile"):
        url = reverse(f"transactions-web:{name}", args=[batch.pk])
        assert web.get(url).status_code == 405
        anonymous = Client().post(url, pair)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.parametrize("pairs", [1, 12])
def test_the_batch_page_with_balances_and_transfers_runs_a_fixed_number_of_queries(
    web, everyday, savings, django_assert_num_queries, pairs
):
    batch, _ = offered_transfer_batch(everyday, savings, pairs)
    batch.reconciliation = [
        {
            "account": account.pk,
            "ref": "",
            "date": "2025-03-31",
            "statement_balance": "10.00",
            "account_balance": "0.00",
            "difference": "10.00",
            "agrees": False,
        }
        for account in (everyday, savings)
    ]
    batch.save(update_fields=["reconciliation"])
    # Session, user, the batch with its account, the accounts' names, the offered rows.
    with django_assert_num_queries(5):
        page = web.get(reverse("transactions-web:import-batch", args=[batch.pk]))
    html = page.content.decode()
    assert html.count("Link as a transfer</button>") == pairs
    assert "Make Everyday agree" in html and "Make Savings agree" in html


# --- Progress while the rows are written ----------------------------------------------


def test_the_bar_moves_while_the_rows_are_written(everyday, django_capture_on_commit_callbacks):
    rows = "".join(f"0{n % 9 + 1}.03.2025;Shop {n};-1,{n % 100:02d}\n" for n in range(400))
    batch = imports.import_create(
        user=everyday.user,
        account=everyday,
        filename="many.csv",
        data=("Date;Description;Amount\n" + rows).encode(),
    )
    seen: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_run(batch_id=batch.pk, on_progress=seen.append)
    assert seen[0] == imports.PROGRESS_READ and seen[-1] == 100
    assert seen == sorted(seen)
    writing = [p for p in seen if imports.PROGRESS_PLANNED < p < imports.PROGRESS_WRITTEN]
    assert len(writing) >= imports.PROGRESS_WRITE_STEPS - 2
    # Finished: the live figure is gone and the stored one is the answer.
    assert cache.get(imports.live_progress_key(batch.pk)) is None


def test_a_running_import_shows_its_live_progress_on_the_page_and_in_the_api(
    web, api_client, everyday
):
    batch = ImportBatchFactory(account=everyday, status=ImportBatch.Status.RUNNING, progress=30)
    cache.set(imports.live_progress_key(batch.pk), 67)
    page = web.get(reverse("transactions-web:import-batch", args=[batch.pk]))
    assert '<progress id="import-progress" max="100" value="67">' in page.content.decode()
    assert api_client.get(f"/api/v1/imports/{batch.pk}/").json()["progress"] == 67
    # A finished batch's stored figure wins over a stale live one.
    ImportBatch.objects.filter(pk=batch.pk).update(status="failed", progress=100)
    assert api_client.get(f"/api/v1/imports/{batch.pk}/").json()["progress"] == 100
