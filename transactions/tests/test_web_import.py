"""The statement import pages through Django's test client, with Celery eager."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.testing import database_snapshot
from transactions.models import ImportBatch, ImportProfile, Transaction
from transactions.services import ledger_differences

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_time():
    # The rows' dates are checked against the customer's today.
    with time_machine.travel(datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


IMPORT_URL = reverse("transactions-web:import")
REVIEW_URL = reverse("transactions-web:import-review")

STATEMENT = (
    b"Date;Description;Amount\n"
    b"01.03.2025;Bakery;-4,20\n"
    b"02.03.2025;Salary;2.500,00\n"
    b"31.13.2025;Broken date;-1,00\n"
    b"03.03.2025;Rent;-900,00\n"
)
AMBIGUOUS = b"Date,Description,Amount\n03/04/2025,Bakery,-4.20\n05/06/2025,Salary,2500.00\n"


@pytest.fixture
def account(user):
    return BankAccountFactory(
        user=user, name="Everyday", opening_balance=Decimal("100.00"), currency="EUR"
    )


def upload(client, account, content=STATEMENT, name="march.csv"):
    return client.post(
        IMPORT_URL, {"account": account.pk, "file": SimpleUploadedFile(name, content)}
    )


def token_of(response) -> str:
    return response.context["form"]["token"].value()


def test_the_whole_flow_upload_preview_import_result_and_undo(
    web, account, django_capture_on_commit_callbacks
):
    page = web.get(IMPORT_URL)
    assert page.status_code == 200
    assert f'<option value="{account.pk}">Everyday (EUR)</option>' in page.content.decode()

    before = database_snapshot()
    review = upload(web, account)
    assert review.status_code == 200
    html = review.content.decode()
    # The dry run: detected format, the mapping as form controls, the first rows; nothing kept.
    assert 'id="detected-format">CSV<' in html
    assert re.search(r'<option value="0" selected>1: Date</option>', html)
    assert 'data-mapping-key="amount_column"' in html
    assert "Bakery" in html and "Rent" in html
    assert review.context["preview"]["counts"] == {
        "rows": 4,
        "valid": 3,
        "pending": 0,
        "invalid": 1,
    }
    assert "Import 3 rows" in html
    assert database_snapshot() == before

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = web.post(REVIEW_URL, {"token": token_of(review), "action": "import"})
    batch = ImportBatch.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("transactions-web:import-batch", args=[batch.pk])
    assert (batch.status, batch.progress, batch.rows_created, batch.rows_rejected) == (
        "done",
        100,
        3,
        1,
    )
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("1695.80")

    result = web.get(confirmed["Location"])
    html = result.content.decode()
    assert '<progress id="import-progress" max="100" value="100">' in html
    assert 'data-count="created">3<' in html and 'data-count="rejected">1<' in html
    # The refused row with its line number and the parser's reason.
    [problem] = batch.problems
    assert problem["line"] == 4
    assert "<tr><td>4</td>" in html and escape(problem["reason"]) in html
    assert "Undo this import" in html

    # The staged upload is gone once imported: a second confirmation adds nothing.
    again = web.post(REVIEW_URL, {"token": token_of(review), "action": "import"})
    assert again.status_code == 302 and again["Location"] == IMPORT_URL
    assert ImportBatch.objects.count() == 1

    undone = web.post(reverse("transactions-web:import-undo", args=[batch.pk]), follow=True)
    assert "is undone" in undone.content.decode()
    batch.refresh_from_db()
    assert batch.status == "undone"
    assert not Transaction.objects.filter(account=account).exists()
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("100.00")
    assert ledger_differences() == []


def test_ambiguous_dates_are_asked_about_beside_the_question(
    web, account, django_capture_on_commit_callbacks
):
    review = upload(web, account, AMBIGUOUS)
    html = review.content.decode()
    assert "Day or month first?" in html
    before = database_snapshot()
    unanswered = web.post(REVIEW_URL, {"token": token_of(review), "action": "import"})
    assert unanswered.status_code == 400
    assert (
        '<p class="error" id="id_day_first_error">Say how the dates are written before importing.'
        in unanswered.content.decode()
    )
    assert database_snapshot() == before

    answered = web.post(
        REVIEW_URL, {"token": token_of(review), "action": "preview", "day_first": "false"}
    )
    assert answered.status_code == 200
    assert "Day or month first?" not in answered.content.decode()
    assert answered.context["preview"]["rows"][0]["txn_date"] == "2025-03-04"
    with django_capture_on_commit_callbacks(execute=True):
        web.post(REVIEW_URL, {"token": token_of(answered), "action": "import"})
    assert sorted(Transaction.objects.values_list("txn_date", flat=True)) == [
        datetime.date(2025, 3, 4),
        datetime.date(2025, 5, 6),
    ]


def mapping_post(review, **changes) -> dict:
    """The review form as the browser sends it: every control at its shown value."""
    form = review.context["form"]
    data = {"token": token_of(review), "action": "preview"}
    for field in form.mapping_fields:
        value = field.value()
        if field.name in ("has_header",):
            if value:
                data[field.name] = "on"
            continue
        if isinstance(value, list):
            data[field.name] = [str(v) for v in value]
        else:
            data[field.name] = field.field.prepare_value(value) if value is not None else ""
    return data | changes


def test_a_changed_mapping_is_previewed_then_imported_and_saved_as_the_profile(
    web, account, django_capture_on_commit_callbacks
):
    content = b"Date;Shop;Note;Amount\n01.03.2025;Bakery;bread;-4,20\n02.03.2025;Cafe;tea;-3,00\n"
    review = upload(web, account, content)
    # Detected: the Note column as the description.
    assert review.context["preview"]["rows"][0]["description"] == "bread"
    changed = web.post(REVIEW_URL, mapping_post(review, description_columns=["1"]))
    assert changed.status_code == 200
    assert changed.context["preview"]["rows"][0]["description"] == "Bakery"
    data = mapping_post(changed, action="import", save_profile="on")
    with django_capture_on_commit_callbacks(execute=True):
        web.post(REVIEW_URL, data)
    assert sorted(Transaction.objects.values_list("description", flat=True)) == ["Bakery", "Cafe"]
    assert ImportProfile.objects.get(account=account).mapping["description_columns"] == [1]
    # The next file from this bank is read with the saved mapping at once.
    nxt = upload(web, account, content.replace(b"01.03", b"04.03").replace(b"02.03", b"05.03"))
    assert nxt.context["preview"]["rows"][0]["description"] == "Bakery"
    with django_capture_on_commit_callbacks(execute=True):
        web.post(REVIEW_URL, {"token": token_of(nxt), "action": "import"})
    assert Transaction.objects.filter(description="Bakery").count() == 2


def test_a_mapping_the_file_cannot_be_read_with_is_an_error_and_writes_nothing(web, account):
    review = upload(web, account)
    before = database_snapshot()
    response = web.post(
        REVIEW_URL, mapping_post(review, action="import", date_format="%Q nonsense")
    )
    assert response.status_code == 400
    assert "The file cannot be read with these settings" in response.content.decode()
    bad_number = web.post(REVIEW_URL, mapping_post(review, skip_rows="-3"))
    assert bad_number.status_code == 400
    assert 'id="id_skip_rows_error"' in bad_number.content.decode()
    assert database_snapshot() == before


def test_a_real_bank_export_goes_through_the_pages(
    web, user, bank_fixture, django_capture_on_commit_callbacks
):
    account = BankAccountFactory(user=user, currency="USD", opening_date=datetime.date(1990, 1, 1))
    review = upload(web, account, bank_fixture("ofx/beangulp__ofxdownload.ofx"), "dl.ofx")
    assert review.status_code == 200
    assert review.context["preview"]["format"] == "ofx"
    assert 'data-mapping-key="date_column"' not in review.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        web.post(REVIEW_URL, {"token": token_of(review), "action": "import"})
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_created) == ("done", 12)
    [check] = batch.reconciliation
    html = web.get(reverse("transactions-web:import-batch", args=[batch.pk])).content.decode()
    # The statement's closing balance beside the account's on that day.
    assert f'data-money="{check["statement_balance"]}" data-currency="USD"' in html
    assert ("they agree" in html) is check["agrees"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\x00\x01\x02 this is no statement at all \xff\xfe", "photo.jpg", "statement"),
        (b"", "empty.csv", "The file is empty."),
        (b"Date;Description;Amount\n" + b"01.03.2025;Bakery;-4,20\n" * 200, "big.csv", "at most"),
    ],
)
def test_bad_files_are_refused_beside_the_file_field_and_write_nothing(
    web, account, settings, content, name, message
):
    settings.IMPORT_MAX_FILE_BYTES = 2048
    before = database_snapshot()
    response = upload(web, account, content, name)
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors
    assert 'id="id_file_error"' in response.content.decode()
    assert database_snapshot() == before


def test_another_customers_account_or_an_archived_one_is_refused(web, user):
    others = BankAccountFactory(user=UserFactory())
    archived = BankAccountFactory(user=user, is_archived=True)
    before = database_snapshot()
    for target in (others, archived):
        response = upload(web, target)
        assert response.status_code == 400
        assert response.context["form"].errors["account"] == ["Choose one of your open accounts."]
    assert database_snapshot() == before


def test_another_customers_import_and_upload_token_are_out_of_reach(
    client, account, django_capture_on_commit_callbacks
):
    client.force_login(account.user)
    review = upload(client, account)
    token = token_of(review)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REVIEW_URL, {"token": token, "action": "import"})
    batch = ImportBatch.objects.get()
    second = upload(client, account, AMBIGUOUS)
    stranger = UserFactory()
    client.force_login(stranger)
    before = database_snapshot()
    assert client.get(reverse("transactions-web:import-batch", args=[batch.pk])).status_code == 404
    undo = client.post(reverse("transactions-web:import-undo", args=[batch.pk]))
    assert undo.status_code == 404
    # The staged file is kept under its owner: the token alone does not import it.
    stolen = client.post(REVIEW_URL, {"token": token_of(second), "action": "import"})
    assert stolen.status_code == 302 and stolen["Location"] == IMPORT_URL
    for forged in ("", "x" * 65, "a b\n", "../" + token_of(second)):
        response = client.post(REVIEW_URL, {"token": forged, "action": "import"})
        assert response.status_code == 302 and response["Location"] == IMPORT_URL
    assert database_snapshot() == before


def test_the_pages_need_a_login(client, account):
    batch = ImportBatch.objects.create(
        user=account.user, account=account, filename="x.csv", file_data=b"x", file_sha256="0"
    )
    for url in (IMPORT_URL, reverse("transactions-web:import-batch", args=[batch.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    for url in (REVIEW_URL, reverse("transactions-web:import-undo", args=[batch.pk])):
        response = client.post(url, {"token": "x"})
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert ImportBatch.objects.get().status == "pending"


def test_undo_of_an_unfinished_import_says_why(web, account):
    batch = ImportBatch.objects.create(
        user=account.user, account=account, filename="x.csv", file_data=b"x", file_sha256="0"
    )
    response = web.post(reverse("transactions-web:import-undo", args=[batch.pk]), follow=True)
    assert "Only a finished import can be undone" in response.content.decode()
    assert ImportBatch.objects.get().status == "pending"
    html = web.get(reverse("transactions-web:import-batch", args=[batch.pk])).content
    # A page of an unfinished batch asks its script to follow it.
    assert b'data-follow="true"' in html and b'value="0"' in html


def make_batches(account, count: int, problems: int) -> None:
    ImportBatch.objects.bulk_create(
        ImportBatch(
            user=account.user,
            account=account,
            filename=f"f{n}.csv",
            file_data=b"x",
            file_sha256="0",
            status="done",
            progress=100,
            problems=[
                {"line": line, "outcome": "rejected", "reason": "The amount cannot be read."}
                for line in range(problems)
            ],
        )
        for n in range(count)
    )


@pytest.mark.parametrize("history", [1, 30])
def test_the_pages_run_a_fixed_number_of_queries(web, account, django_assert_num_queries, history):
    make_batches(account, history, problems=history * 10)
    BankAccountFactory.create_batch(history, user=account.user)
    # Session, user, whether there is an account, the accounts to choose from, recent imports.
    with django_assert_num_queries(5):
        assert web.get(IMPORT_URL).status_code == 200
    batch = ImportBatch.objects.first()
    # Session, user, the batch with its account.
    with django_assert_num_queries(3):
        page = web.get(reverse("transactions-web:import-batch", args=[batch.pk]))
    assert page.content.decode().count("The amount cannot be read.") == history * 10


def test_without_an_open_account_the_page_says_what_to_do(web, user):
    BankAccountFactory(user=user, is_archived=True)
    html = web.get(IMPORT_URL).content.decode()
    assert "You have no open account to import into yet." in html
    assert 'type="file"' not in html
