"""/api/v1/staff/portfolio/: admins and auditors only, every section's figures worked out by
hand across several currencies and time zones, the audit row, bad input, fixed queries."""

import datetime
import json
import subprocess
import sys
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser

from accounts.api.permissions import StaffRole, has_staff_role
from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from alerts.models import Alert, AlertType
from alerts.tests.factories import AlertFactory
from bills.models import Bill
from bills.tests.factories import BillFactory
from conftest import client_for
from smartbank.testing import database_snapshot
from transactions.services import transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date
URL = "/api/v1/staff/portfolio/"

# 11:00 UTC on Wednesday 2025-03-05. Today is the 4th at UTC-12 (Etc/GMT+12), the 5th in
# London and already the 6th at UTC+14 (Pacific/Kiritimati): three customers' todays.
NOW = datetime.datetime(2025, 3, 5, 11, 0, tzinfo=datetime.UTC)
WEST, LONDON, EAST = "Etc/GMT+12", "Europe/London", "Pacific/Kiritimati"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rates():
    """1 EUR = 1.25 USD (but 1.20 in February and 1.00 on the 4th), 1 EUR = 0.8 GBP."""
    for day, rate in (
        (DAY(2025, 2, 28), "1.2"),
        (DAY(2025, 3, 3), "1.25"),
        (DAY(2025, 3, 4), "1.0"),
        (DAY(2025, 3, 5), "1.25"),
    ):
        ExchangeRateFactory(base="EUR", quote="USD", day=day, rate=D(rate))
    ExchangeRateFactory(base="EUR", quote="GBP", day=DAY(2025, 2, 28), rate=D("0.8"))


def joined(day: DAY, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def deposit(owner, currency, balance, account_type=BankAccount.Type.CHECKING, **kwargs):
    return BankAccountFactory(
        user=owner,
        currency=currency,
        opening_balance=D(balance),
        account_type=account_type,
        opening_date=DAY(2024, 1, 1),
        **kwargs,
    )


def card(owner, currency):
    """A credit card: not a deposit, so its rows move no deposit figure."""
    return deposit(owner, currency, "0.00", BankAccount.Type.CREDIT_CARD, credit_limit=D("5000.00"))


def spend(account, amount, day, category):
    return TransactionFactory(
        account=account, amount=D(amount), txn_date=DAY(2025, 3, day), category=category
    )


@pytest.fixture
def bank(staff, rates):
    """Three customers in three time zones, and a staff member whose own money never counts."""
    first = UserFactory(
        time_zone=LONDON, kyc_status="verified", date_joined=joined(DAY(2024, 6, 1))
    )
    west = UserFactory(time_zone=WEST, kyc_status="pending", date_joined=joined(DAY(2025, 3, 2)))
    east = UserFactory(
        time_zone=EAST, kyc_status="rejected", date_joined=joined(DAY(2025, 3, 5), 0)
    )
    # 23:59 UTC on the last day of February: before the range, whatever London says.
    UserFactory(time_zone=LONDON, kyc_status="verified", date_joined=joined(DAY(2025, 2, 28), 23))
    admin = staff["admin"]

    # Deposits: EUR 1000.00 + 35.50, USD 200.00 + 300.00, GBP 80.00.
    deposit(first, "EUR", "1000.00")
    deposit(first, "USD", "200.00", BankAccount.Type.SAVINGS)
    deposit(first, "EUR", "5000.00", BankAccount.Type.INVESTMENT)
    deposit(first, "EUR", "700.00", is_archived=True)
    deposit(west, "EUR", "35.50", BankAccount.Type.CASH)
    deposit(west, "GBP", "80.00", BankAccount.Type.SAVINGS)
    deposit(east, "USD", "300.00")
    deposit(admin, "EUR", "999.00")

    # Spending, all on cards. Groceries 40.00 - 10.00 refund + 25.00 USD at 1.25 = 50.00;
    # own categories 15.00 + 12.50 USD at 1.00 (the 4th's rate) = 27.50; dining 20.00;
    # uncategorised 7.00; income is negative spending and not listed.
    groceries, dining = default_category("groceries"), default_category("dining")
    euro_card, other_card, dollar_card = card(first, "EUR"), card(first, "EUR"), card(east, "USD")
    spend(euro_card, "-40.00", 1, groceries)
    spend(euro_card, "10.00", 2, groceries)
    spend(euro_card, "-20.00", 3, dining)
    spend(euro_card, "500.00", 4, default_category("income"))
    uncategorised = spend(euro_card, "-7.00", 2, None)
    spend(euro_card, "-15.00", 3, CategoryFactory(user=first, name="Hobby", slug="hobby"))
    spend(dollar_card, "-25.00", 3, groceries)
    spend(dollar_card, "-12.50", 4, CategoryFactory(user=east, name="Pets", slug="pets"))
    # Outside the range, a transfer, and staff's own spending: none of them count.
    TransactionFactory(
        account=euro_card, amount=D("-100.00"), txn_date=DAY(2025, 2, 28), category=groceries
    )
    transfer_create(
        user=first,
        from_account=euro_card,
        to_account=other_card,
        amount=D("30.00"),
        txn_date=DAY(2025, 3, 2),
    )
    spend(card(admin, "EUR"), "-60.00", 2, groceries)

    # Overdue in each customer's own today: EUR 20.00 (west, due the 3rd) + 30.00 (London,
    # due the 4th); USD 15.00 (London) + 25.00 (east, due the 5th).
    BillFactory(user=west, due_date=DAY(2025, 3, 3), amount_due=D("20.00"))
    BillFactory(user=west, due_date=DAY(2025, 3, 4), amount_due=D("10.00"))  # due today there
    BillFactory(user=first, due_date=DAY(2025, 3, 4), amount_due=D("30.00"))
    BillFactory(user=first, due_date=DAY(2025, 3, 5), amount_due=D("40.00"))
    BillFactory(user=first, due_date=DAY(2025, 3, 1), amount_due=D("15.00"), currency="USD")
    paid = BillFactory(user=first, due_date=DAY(2025, 2, 1), amount_due=D("7.00"))
    Bill.objects.filter(pk=paid.pk).update(paid_transaction=uncategorised)
    BillFactory(user=east, due_date=DAY(2025, 3, 5), amount_due=D("25.00"), currency="USD")
    BillFactory(user=east, due_date=DAY(2025, 3, 6), amount_due=D("5.00"), currency="USD")
    BillFactory(user=admin, due_date=DAY(2025, 2, 1), amount_due=D("99.00"))

    # Open alerts: large_transaction 1 (unread); low_balance 2 (one read). The rows above
    # may have raised alerts of their own; only these are kept.
    Alert.objects.all().delete()
    AlertFactory(user=first, alert_type=AlertType.LARGE_TRANSACTION)
    AlertFactory(user=first, alert_type=AlertType.LOW_BALANCE, read_at=NOW)
    AlertFactory(user=first, alert_type=AlertType.BUDGET_80, dismissed_at=NOW)
    AlertFactory(user=first, alert_type=AlertType.BILL_OVERDUE, deleted_at=NOW)
    AlertFactory(user=west, alert_type=AlertType.LOW_BALANCE)
    AlertFactory(user=admin, alert_type=AlertType.LARGE_TRANSACTION)
    return {"first": first, "west": west, "east": east}


def alert_counts(**found):
    return [
        {
            "alert_type": alert_type,
            "open": found.get(alert_type, (0, 0))[0],
            "unread": found.get(alert_type, (0, 0))[1],
        }
        for alert_type in AlertType.values
    ]


def test_every_section_worked_out_by_hand(staff, bank):
    response = client_for(staff["auditor"]).get(URL)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "date_from": "2025-03-01",
        "date_to": "2025-03-05",
        "currency": "EUR",
        "customers": {
            "total": 4,
            "joined": 2,
            "by_kyc_status": [
                {"kyc_status": "pending", "customers": 1, "joined": 1},
                {"kyc_status": "verified", "customers": 2, "joined": 0},
                {"kyc_status": "rejected", "customers": 1, "joined": 1},
            ],
        },
        "deposits": {
            "currency": "EUR",
            "rate_date": "2025-03-05",
            # 1035.50 + 500.00 USD at 1.25 (400.00) + 80.00 GBP at 0.8 (100.00)
            "total": "1535.50",
            "accounts": 5,
            "by_currency": [
                {"currency": "EUR", "balance": "1035.50", "accounts": 2},
                {"currency": "GBP", "balance": "80.00", "accounts": 1},
                {"currency": "USD", "balance": "500.00", "accounts": 2},
            ],
        },
        "spending": {
            "currency": "EUR",
            "categories": [
                {
                    "group": "default",
                    "category": "groceries",
                    "name": "Groceries",
                    "spending": "50.00",
                    "count": 3,
                },
                {
                    "group": "own",
                    "category": None,
                    "name": "Customers' own categories",
                    "spending": "27.50",
                    "count": 2,
                },
                {
                    "group": "default",
                    "category": "dining",
                    "name": "Dining",
                    "spending": "20.00",
                    "count": 1,
                },
                {
                    "group": "none",
                    "category": None,
                    "name": "Uncategorised",
                    "spending": "7.00",
                    "count": 1,
                },
            ],
        },
        "open_alerts": {
            "total": 3,
            "unread": 2,
            "by_type": alert_counts(large_transaction=(1, 1), low_balance=(2, 1)),
        },
        "overdue_bills": {
            "bills": 4,
            "by_currency": [
                {"currency": "EUR", "bills": 2, "amount_due": "50.00"},
                {"currency": "USD", "bills": 2, "amount_due": "40.00"},
            ],
        },
    }


def test_totals_in_another_reporting_currency(staff, bank, settings):
    settings.REPORTING_CURRENCY = "USD"

    body = client_for(staff["admin"]).get(URL).json()

    assert body["currency"] == body["deposits"]["currency"] == body["spending"]["currency"] == "USD"
    # 1035.50 EUR at 1.25 = 1294.375, 80.00 GBP at 1.25 / 0.8 = 125.00, 500.00 USD: the exact
    # sum 1919.375, rounded once, half to even.
    assert body["deposits"]["total"] == "1919.38"
    # Each row at its own day's rate: the 1st and 2nd use February's 1.2, the 3rd 1.25.
    # Groceries 48.00 - 12.00 + 25.00; own 18.75 + 12.50; dining 25.00; uncategorised 8.40.
    assert [(line["name"], line["spending"]) for line in body["spending"]["categories"]] == [
        ("Groceries", "61.00"),
        ("Customers' own categories", "31.25"),
        ("Dining", "25.00"),
        ("Uncategorised", "8.40"),
    ]
    # Amounts due stay in their own currencies.
    assert body["overdue_bills"]["by_currency"][0] == {
        "currency": "EUR",
        "bills": 2,
        "amount_due": "50.00",
    }


def test_a_missing_rate_is_a_409_and_nothing_is_written(staff, bank):
    deposit(bank["first"], "CHF", "10.00")
    client = client_for(staff["admin"])
    before = database_snapshot()

    response = client.get(URL)

    assert response.status_code == 409
    assert response.json()["detail"] == "No exchange rate for CHF->EUR on or before 2025-03-05."
    assert database_snapshot() == before


# --- Who may see it ---------------------------------------------------------------------

# (who, status, audit rows written)
MATRIX = [("admin", 200, 1), ("auditor", 200, 1), ("support", 403, 0), ("customer", 403, 0)]


@pytest.mark.parametrize(("who", "status", "audited"), MATRIX, ids=[m[0] for m in MATRIX])
def test_only_admins_and_auditors_see_the_portfolio(user, staff, who, status, audited):
    client = client_for(user if who == "customer" else staff[who])
    before = database_snapshot()

    response = client.get(URL)

    assert response.status_code == status, response.content
    if status == 403:
        assert response.json() == {"detail": "Only admin and auditor staff may do this."}
        assert database_snapshot() == before
    assert AuditLog.objects.count() == audited


def test_anonymous_is_401_and_writes_nothing(anon_client, staff):
    before = database_snapshot()
    assert anon_client.get(URL).status_code == 401
    assert database_snapshot() == before


def test_a_superuser_whose_role_is_customer_is_refused(db):
    # The role decides, not is_superuser or is_staff.
    odd = UserFactory(is_superuser=True, is_staff=True)
    assert client_for(odd).get(URL).status_code == 403


def test_each_request_is_one_exact_audit_row(staff):
    admin = staff["admin"]

    response = client_for(admin).get(URL, {"date_from": "2025-02-01", "date_to": "2025-02-28"})

    assert response.status_code == 200
    entry = AuditLog.objects.get()
    assert (
        entry.actor,
        entry.actor_email,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.changes,
        entry.created_at,
    ) == (
        admin,
        admin.email,
        "staff.portfolio.view",
        "accounts.user",
        str(admin.pk),
        {"date_from": [None, "2025-02-01"], "date_to": [None, "2025-02-28"]},
        NOW,
    )


# --- The range ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "date_from", "date_to"),
    [
        ({}, "2025-03-01", "2025-03-05"),
        ({"date_to": "2025-02-14"}, "2025-02-01", "2025-02-14"),
        ({"date_from": "2025-01-10"}, "2025-01-10", "2025-03-05"),
        ({"start_date": "2024-12-01", "end_date": "2024-12-31"}, "2024-12-01", "2024-12-31"),
        ({"date_from": "2025-04-01"}, "2025-04-01", "2025-04-01"),
    ],
)
def test_the_range_and_its_defaults_in_utc_days(staff, query, date_from, date_to):
    body = client_for(staff["auditor"]).get(URL, query).json()
    assert (body["date_from"], body["date_to"]) == (date_from, date_to)
    assert body["deposits"]["rate_date"] == date_to


def test_the_range_bounds_spending_and_sign_ups(staff, bank):
    body = (
        client_for(staff["admin"])
        .get(URL, {"date_from": "2025-02-28", "date_to": "2025-03-01"})
        .json()
    )

    # The 28th's 100.00 and the 1st's 40.00 of groceries; the sign-up of the 28th at 23:00 UTC.
    assert body["spending"]["categories"] == [
        {
            "group": "default",
            "category": "groceries",
            "name": "Groceries",
            "spending": "140.00",
            "count": 2,
        }
    ]
    assert (body["customers"]["total"], body["customers"]["joined"]) == (4, 1)
    # Deposits, alerts and bills are as they stand now, whatever the range.
    assert body["open_alerts"]["total"] == 3
    assert body["overdue_bills"]["bills"] == 4


def test_an_empty_bank_is_all_zeros(staff):
    body = client_for(staff["admin"]).get(URL).json()

    assert body["customers"]["total"] == 0
    assert body["deposits"] == {
        "currency": "EUR",
        "rate_date": "2025-03-05",
        "total": "0.00",
        "accounts": 0,
        "by_currency": [],
    }
    assert body["spending"]["categories"] == []
    assert body["open_alerts"] == {"total": 0, "unread": 0, "by_type": alert_counts()}
    assert body["overdue_bills"] == {"bills": 0, "by_currency": []}


BAD_RANGES = [
    ({"date_from": "March"}, "date_from"),
    ({"date_to": "2025-13-01"}, "date_to"),
    ({"date_from": "2025-03-05", "date_to": "2025-03-04"}, "date_from"),
    ({"date_from": "1800-01-01"}, "date_from"),
    ({"date_to": "2099-01-01"}, "date_to"),
    ({"date_from": "2000-01-01", "date_to": "2025-01-01"}, "date_from"),
    ({"end_date": "2025-03-01", "date_to": "2025-03-02"}, "end_date"),
    ({"date_to": "9" * 5000}, "date_to"),
]


@pytest.mark.parametrize(("query", "field"), BAD_RANGES, ids=[f for _, f in BAD_RANGES])
def test_a_bad_range_is_a_400_naming_it_and_writes_nothing(staff, bank, query, field):
    client = client_for(staff["admin"])
    before = database_snapshot()

    response = client.get(URL, query)

    assert response.status_code == 400
    assert field in response.json()
    assert database_snapshot() == before


# --- Queries --------------------------------------------------------------------------------


def test_the_queries_do_not_grow_with_customers_or_rows(staff, bank, django_assert_num_queries):
    client = client_for(staff["auditor"])

    # The caller (JWT); KYC; deposits and two for their rates; spending and two for its
    # rates; alerts; the customers' time zones; overdue bills (one union); the audit row.
    with django_assert_num_queries(12):
        first = client.get(URL)
    assert first.status_code == 200

    groceries = default_category("groceries")
    for number in range(6):
        customer = UserFactory(time_zone=("America/New_York", "Asia/Tokyo", LONDON)[number % 3])
        deposit(customer, ("EUR", "USD", "GBP")[number % 3], "10.00")
        for day in (1, 2, 3, 4):
            spend(card(customer, "USD"), "-1.00", day, groceries)
        AlertFactory(user=customer, alert_type=AlertType.UNUSUAL_SPENDING)
        BillFactory(user=customer, due_date=DAY(2025, 3, 1), currency="GBP")
    with django_assert_num_queries(12):
        second = client.get(URL).json()

    assert (first.json()["customers"]["total"], second["customers"]["total"]) == (4, 10)
    assert second["overdue_bills"]["bills"] == 10
    assert second["spending"]["categories"][0]["count"] == 3 + 24


# --- The setting ----------------------------------------------------------------------------

_LOAD_SETTINGS = """
import importlib.util, json, os, sys
results = {}
for value in json.loads(sys.argv[1]):
    os.environ["REPORTING_CURRENCY"] = value
    spec = importlib.util.spec_from_file_location("settings_under_test", "smartbank/settings.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        results[value] = module.REPORTING_CURRENCY
    except Exception as exc:
        results[value] = f"{type(exc).__name__}: {exc}"
print(json.dumps(results))
"""


def test_reporting_currency_is_checked_at_start_up():
    values = ["usd", " GBP ", "XYZ", "XXX", "EURO", ""]
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", _LOAD_SETTINGS, json.dumps(values)],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(result.stdout)
    assert (results["usd"], results[" GBP "]) == ("USD", "GBP")
    # Set but empty is a mistake, as for BASE_CURRENCY; unset is EUR (the other tests).
    for bad in ("XYZ", "XXX", "EURO", ""):
        assert results[bad] == (
            "ImproperlyConfigured: REPORTING_CURRENCY must be an ISO 4217 currency code, "
            f"got {bad!r}."
        )


# --- The permission class ---------------------------------------------------------------------


@pytest.mark.parametrize("roles", [(), ("customer",), ("admin", "boss")])
def test_staff_role_takes_only_staff_roles(roles):
    with pytest.raises(ValueError, match="StaffRole.of"):
        StaffRole.of(*roles)


def test_has_staff_role(staff, user):
    assert has_staff_role(staff["support"])
    assert not has_staff_role(staff["support"], ("admin", "auditor"))
    assert not has_staff_role(user)
    # A list naming "customer" still lets no customer through.
    assert not has_staff_role(user, ("customer", "admin"))
    assert not has_staff_role(AnonymousUser())
    staff["admin"].is_active = False
    assert not has_staff_role(staff["admin"])
