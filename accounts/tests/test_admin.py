"""The staff console: every admin page renders, and users and bank accounts change only
through accounts.services."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.db import connection
from django.forms import CheckboxInput
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AuditLog, BankAccount, ExchangeRate, User
from accounts.roles import ROLE_GROUPS
from accounts.tests.factories import (
    TEST_PASSWORD,
    AuditLogFactory,
    BankAccountFactory,
    ExchangeRateFactory,
    UserFactory,
)
from alerts.tests.factories import AlertFactory, AlertSubscriptionFactory, NotificationFactory
from bills.tests.factories import BillFactory
from budgets.tests.factories import BudgetFactory
from insights.tests.factories import ExportFactory
from rewards.tests.factories import (
    EarningRuleFactory,
    PointsEntryFactory,
    RedemptionRateFactory,
)
from transactions.rule_services import rule_create
from transactions.services import ledger_differences, transfer_create
from transactions.tests.factories import (
    CategoryFactory,
    ImportBatchFactory,
    ImportProfileFactory,
    TransactionFactory,
)

REGISTERED_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


# --- Helpers, also used by the other admin tests ----------------------------------------


def client_logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def change_url(obj) -> str:
    return admin_url(type(obj), "change", quote(obj.pk))


def form_data(response) -> dict:
    """What the browser would post back from an admin change page left as it is."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is not None:
            data[name] = str(value)
    return data


def make_one_of_each() -> dict:
    """At least one row of every model the admin shows, so each change page can be opened.

    A model newly registered in the admin needs a row here; the smoke test says so.
    """
    customer = UserFactory()
    account = BankAccountFactory(user=customer)
    savings = BankAccountFactory(
        user=customer, name="Savings", account_type=BankAccount.Type.SAVINGS
    )
    txn = TransactionFactory(account=account)
    transfer_create(
        user=customer,
        from_account=account,
        to_account=savings,
        amount=Decimal("10.00"),
        txn_date=datetime.date(2025, 3, 15),
    )
    category = CategoryFactory(user=customer)
    rule_create(
        user=customer,
        name="Corner shop",
        conditions=[{"field": "merchant", "operator": "contains", "value": "corner"}],
        set_category=category,
    )
    ImportBatchFactory(account=account)
    ImportProfileFactory(account=account)
    ExportFactory(account=account)
    BudgetFactory(user=customer, category=category)
    BillFactory(account=account)
    alert = AlertFactory(user=customer)
    AlertSubscriptionFactory(user=customer)
    NotificationFactory(user=customer, alert=alert)
    PointsEntryFactory(programme__user=customer)
    EarningRuleFactory()
    RedemptionRateFactory()
    ExchangeRateFactory()
    AuditLogFactory(target_id=str(customer.pk))
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    CrontabSchedule.objects.create(minute="0", hour="4")
    SolarSchedule.objects.create(
        event="sunrise", latitude=Decimal("51.5"), longitude=Decimal("-0.12")
    )
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    PeriodicTask.objects.create(name="Nightly check", task="smartbank.health", interval=interval)
    RefreshToken.for_user(customer).blacklist()
    return {"customer": customer, "account": account, "transaction": txn, "category": category}


def first_object(model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"No {model._meta.label} row: add one to make_one_of_each()."
    return obj


def model_id(model) -> str:
    return model._meta.label


# --- Every page renders -----------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=model_id)
def test_every_admin_page_renders_for_a_superuser(admin_client, admin_user, model):
    make_one_of_each()
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = admin_user

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    search = admin_client.get(admin_url(model, "changelist"), {"q": "example"})
    assert search.status_code == 200
    add = admin_client.get(admin_url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)
    assert admin_client.get(change_url(first_object(model))).status_code == 200


def test_the_admin_index_lists_every_registered_model(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    for model in REGISTERED_MODELS:
        assert admin_url(model, "changelist") in response.content.decode()


def test_periodic_task_actions_are_kept(admin_client):
    make_one_of_each()
    response = admin_client.get(admin_url(PeriodicTask, "changelist"))

    choices = dict(response.context["action_form"].fields["action"].choices)
    assert {"enable_tasks", "disable_tasks", "run_tasks"} <= set(choices)


# --- Users ------------------------------------------------------------------------------


def test_adding_a_user_hashes_the_password_and_sets_the_role(admin_client, admin_user):
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "New.Support@Example.com",
            "full_name": "Nia Support",
            "phone": "",
            "role": "support",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.support@example.com")
    assert user.password != TEST_PASSWORD
    assert user.check_password(TEST_PASSWORD)
    assert user.role == "support"
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [ROLE_GROUPS["support"]]
    actions = set(AuditLog.objects.filter(target_id=str(user.pk)).values_list("action", "actor"))
    assert actions == {("user.create", admin_user.pk), ("user.set_role", admin_user.pk)}


@pytest.mark.parametrize(
    ("email", "password2", "field"),
    [
        ("Taken@Example.com", TEST_PASSWORD, "email"),
        ("fresh@example.com", "something-else-entirely", "password2"),
        ("not-an-email", TEST_PASSWORD, "email"),
    ],
)
def test_adding_a_user_with_bad_input_shows_errors_and_creates_nothing(
    admin_client, email, password2, field
):
    UserFactory(email="taken@example.com")
    before = User.objects.count()

    response = admin_client.post(
        admin_url(User, "add"),
        {"email": email, "role": "customer", "password1": TEST_PASSWORD, "password2": password2},
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert User.objects.count() == before


def test_a_weak_password_is_refused(admin_client):
    response = admin_client.post(
        admin_url(User, "add"),
        {"email": "weak@example.com", "role": "customer", "password1": "123", "password2": "123"},
    )

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="weak@example.com").exists()


def test_changing_a_users_role_moves_staff_status_and_group(admin_client):
    customer = UserFactory()
    page = admin_client.get(change_url(customer))
    data = form_data(page) | {"role": "auditor"}

    response = admin_client.post(change_url(customer), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.role == "auditor"
    assert customer.is_staff
    assert set(customer.groups.values_list("name", flat=True)) == {"Auditors"}


def test_staff_status_superuser_and_groups_are_not_editable(admin_client):
    customer = UserFactory()
    page = admin_client.get(change_url(customer))
    form = page.context["adminform"].form
    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & set(form.fields)

    data = form_data(page) | {"is_staff": "on", "is_superuser": "on"}
    admin_client.post(change_url(customer), data)

    customer.refresh_from_db()
    assert not customer.is_staff
    assert not customer.is_superuser


def test_staff_cannot_change_their_own_role_or_deactivate_themselves(admin_client, admin_user):
    page = admin_client.get(change_url(admin_user))
    data = form_data(page) | {"role": "customer"}
    data.pop("is_active")

    response = admin_client.post(change_url(admin_user), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "role" in errors
    assert "is_active" in errors
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"
    assert admin_user.is_active


def test_a_bad_profile_value_is_a_form_error(admin_client):
    customer = UserFactory()
    other = UserFactory()
    page = admin_client.get(change_url(customer))

    response = admin_client.post(
        change_url(customer),
        form_data(page) | {"email": other.email.upper(), "base_currency": "XYZ"},
    )

    assert response.status_code == 200
    assert {"email", "base_currency"} <= set(response.context["adminform"].form.errors)
    customer.refresh_from_db()
    assert customer.base_currency == "EUR"


def test_kyc_actions(admin_client):
    pending, other = UserFactory(), UserFactory()
    changelist = admin_url(User, "changelist")

    response = admin_client.post(
        changelist, {"action": "mark_kyc_verified", "_selected_action": [pending.pk, other.pk]}
    )
    assert response.status_code == 302
    assert set(
        User.objects.filter(pk__in=[pending.pk, other.pk]).values_list("kyc_status", flat=True)
    ) == {"verified"}

    admin_client.post(changelist, {"action": "mark_kyc_rejected", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.kyc_status == "rejected"


def test_role_actions_skip_the_acting_user(admin_client, admin_user):
    customer = UserFactory()

    admin_client.post(
        admin_url(User, "changelist"),
        {"action": "make_support", "_selected_action": [customer.pk, admin_user.pk]},
    )

    customer.refresh_from_db()
    admin_user.refresh_from_db()
    assert customer.role == "support"
    assert customer.is_staff
    assert admin_user.role == "admin"


def test_users_are_never_deleted_from_the_admin(admin_client):
    customer = UserFactory()

    assert admin_client.get(admin_url(User, "delete", customer.pk)).status_code == 403
    assert (
        admin_client.post(admin_url(User, "delete", customer.pk), {"post": "yes"}).status_code
        == 403
    )
    assert User.objects.filter(pk=customer.pk).exists()


def test_setting_a_password_in_the_admin_hashes_it_and_is_audited(admin_client, admin_user):
    customer = UserFactory()
    url = reverse("admin:auth_user_password_change", args=[customer.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url, {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"}
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("a-new-long-passphrase")
    entry = AuditLog.objects.get(action="user.set_password", target_id=str(customer.pk))
    assert entry.actor == admin_user
    assert "a-new-long-passphrase" not in str(entry.changes)


def test_user_changelist_filters(admin_client):
    UserFactory(email="verified@example.com", kyc_status="verified")
    UserFactory(email="pending@example.com")

    response = admin_client.get(admin_url(User, "changelist"), {"kyc_status__exact": "verified"})

    emails = {user.email for user in response.context["cl"].result_list}
    assert emails == {"verified@example.com"}


# --- Bank accounts ----------------------------------------------------------------------


def account_form(user, **overrides) -> dict:
    return {
        "user": user.pk,
        "name": "Holiday fund",
        "bank_name": "Example Bank",
        "account_type": "savings",
        "account_number": "GB82 WEST 1234 5698 7654 32",
        "currency": "gbp",
        "opening_balance": "250.00",
        "opening_date": "2025-01-01",
        "credit_limit": "",
        **overrides,
    }


def test_adding_an_account_goes_through_the_service(admin_client, admin_user):
    customer = UserFactory()

    response = admin_client.post(admin_url(BankAccount, "add"), account_form(customer))

    assert response.status_code == 302
    account = BankAccount.objects.get(user=customer)
    assert account.currency == "GBP"
    assert account.number_last4 == "5432"
    assert account.balance == account.opening_balance == Decimal("250.00")
    assert AuditLog.objects.filter(
        action="bank_account.create", target_id=str(account.pk), actor=admin_user
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"account_number": "12"}, "account_number"),
        ({"account_type": "checking", "opening_balance": "-5.00"}, "opening_balance"),
        ({"opening_date": "2999-01-01"}, "opening_date"),
    ],
)
def test_adding_an_account_with_bad_input_writes_nothing(admin_client, overrides, field):
    customer = UserFactory()

    response = admin_client.post(admin_url(BankAccount, "add"), account_form(customer, **overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not BankAccount.objects.filter(user=customer).exists()
    assert not AuditLog.objects.exists()


def test_balance_and_opening_balance_are_read_only_once_created(admin_client):
    account = BankAccountFactory()
    TransactionFactory(account=account, amount=Decimal("-100.00"))
    page = admin_client.get(change_url(account))
    form = page.context["adminform"].form
    assert "balance" not in form.fields
    assert "opening_balance" not in form.fields
    assert "user" not in form.fields

    data = form_data(page) | {"balance": "1000000.00", "opening_balance": "5000.00", "name": "Main"}
    response = admin_client.post(change_url(account), data)

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Main"
    assert account.opening_balance == Decimal("1000.00")
    assert account.balance == Decimal("900.00")
    assert ledger_differences() == []


def test_a_service_refusal_comes_back_as_a_form_error(admin_client):
    account = BankAccountFactory(currency="EUR")
    TransactionFactory(account=account)
    page = admin_client.get(change_url(account))

    response = admin_client.post(change_url(account), form_data(page) | {"currency": "USD"})

    assert response.status_code == 200
    assert "currency" in response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.currency == "EUR"
    assert not AuditLog.objects.exists()


def test_a_service_error_on_a_read_only_field_is_shown_above_the_form(admin_client):
    loan = BankAccountFactory(account_type="loan", opening_balance=Decimal("-5000.00"))
    page = admin_client.get(change_url(loan))

    response = admin_client.post(change_url(loan), form_data(page) | {"account_type": "checking"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any(error.startswith("Opening balance: A checking account") for error in errors)
    assert "Opening balance: A checking account" in response.content.decode()
    loan.refresh_from_db()
    assert loan.account_type == "loan"


def test_a_new_account_number_keeps_only_the_last_four(admin_client):
    account = BankAccountFactory()
    page = admin_client.get(change_url(account))

    admin_client.post(
        change_url(account), form_data(page) | {"account_number": "4000 1234 5678 9010"}
    )
    account.refresh_from_db()
    assert account.number_last4 == "9010"

    # Left empty, the number stays as it is.
    page = admin_client.get(change_url(account))
    admin_client.post(change_url(account), form_data(page) | {"account_number": ""})
    account.refresh_from_db()
    assert account.number_last4 == "9010"


def test_an_account_without_transactions_can_be_deleted(admin_client, admin_user):
    account = BankAccountFactory()

    response = admin_client.post(admin_url(BankAccount, "delete", account.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not BankAccount.objects.filter(pk=account.pk).exists()
    assert AuditLog.objects.filter(action="bank_account.delete", actor=admin_user).exists()


def test_an_account_with_transactions_is_not_deleted_but_may_be_archived(admin_client):
    account = BankAccountFactory()
    TransactionFactory(account=account)

    page = admin_client.get(admin_url(BankAccount, "delete", account.pk))
    assert page.status_code == 200
    assert "archive it instead" in page.content.decode()
    admin_client.post(admin_url(BankAccount, "delete", account.pk), {"post": "yes"})
    assert BankAccount.objects.filter(pk=account.pk).exists()

    admin_client.post(
        admin_url(BankAccount, "changelist"),
        {"action": "archive_accounts", "_selected_action": [account.pk]},
    )
    account.refresh_from_db()
    assert account.is_archived


def test_bank_account_changelist_query_count_does_not_grow_per_row(
    admin_client, django_assert_num_queries
):
    url = admin_url(BankAccount, "changelist")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    for _ in range(3):
        BankAccountFactory()
    few = count_queries()
    for _ in range(12):
        BankAccountFactory()
    assert count_queries() == few
    with django_assert_num_queries(few):
        admin_client.get(url)
    assert few == BANK_ACCOUNT_CHANGELIST_QUERIES


# Session, user, count, full count, the rows (users joined), the date hierarchy's range and
# days, the currency filter's choices.
BANK_ACCOUNT_CHANGELIST_QUERIES = 8


# --- Exchange rates ---------------------------------------------------------------------


def test_staff_enter_a_rate_by_hand(admin_client, admin_user):
    response = admin_client.post(
        admin_url(ExchangeRate, "add"),
        {"day": "2025-02-03", "base": "usd", "quote": "gbp", "rate": "0.7912"},
    )

    assert response.status_code == 302
    rate = ExchangeRate.objects.get(day=datetime.date(2025, 2, 3))
    assert (rate.base, rate.quote, rate.rate, rate.source) == (
        "USD",
        "GBP",
        Decimal("0.7912"),
        "manual",
    )
    entry = AuditLog.objects.get(action="exchange_rate.create")
    assert entry.actor == admin_user
    assert entry.changes["rate"] == [None, "0.7912"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"base": "ABC"}, "base"),
        ({"quote": "EURO"}, "quote"),
        ({"quote": "usd"}, "quote"),
        ({"rate": "0"}, "rate"),
    ],
)
def test_a_bad_rate_is_refused(admin_client, data, field):
    response = admin_client.post(
        admin_url(ExchangeRate, "add"),
        {"day": "2025-02-03", "base": "USD", "quote": "GBP", "rate": "0.79"} | data,
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ExchangeRate.objects.exists()


def test_an_edited_ecb_rate_becomes_a_manual_one(admin_client):
    rate = ExchangeRateFactory()
    page = admin_client.get(change_url(rate))

    admin_client.post(change_url(rate), form_data(page) | {"rate": "1.0400"})

    rate.refresh_from_db()
    assert rate.rate == Decimal("1.0400")
    assert rate.source == "manual"
    entry = AuditLog.objects.get(action="exchange_rate.update")
    assert entry.changes == {"rate": ["1.0350000000", "1.0400"], "source": ["ecb", "manual"]}


# --- Groups -----------------------------------------------------------------------------


def test_role_groups_are_in_the_admin(admin_client):
    group = Group.objects.get(name="Auditors")

    response = admin_client.get(change_url(group))

    assert response.status_code == 200
