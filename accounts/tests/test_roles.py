"""Staff roles in the admin: admin changes everything the admin allows, auditor reads
everything and changes nothing, support reads customers, accounts and transactions and
changes no money, and customers do not get in at all."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import AuditLog, BankAccount, ExchangeRate, User
from accounts.roles import ROLE_GROUPS, SUPPORT_VIEWABLE_MODELS
from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from accounts.tests.test_admin import (
    REGISTERED_MODELS,
    admin_url,
    change_url,
    client_logged_in,
    first_object,
    form_data,
    make_one_of_each,
    model_id,
)
from alerts.models import Alert, Notification
from bills.models import Bill
from budgets.models import Budget
from insights.models import Export
from rewards.models import PointsEntry, RewardProgramme
from smartbank.testing import database_snapshot
from transactions.models import Category, Transaction
from transactions.tests.factories import TransactionFactory

SUPPORT_MODELS = (
    User,
    BankAccount,
    Transaction,
    Category,
    ExchangeRate,
    Budget,
    Bill,
    RewardProgramme,
    PointsEntry,
    Alert,
    Notification,
    Export,
)


# --- The groups -------------------------------------------------------------------------


def test_role_groups_hold_their_roles_permissions(db):
    every = set(Permission.objects.values_list("codename", flat=True))
    admins, auditors, support = (
        set(
            Group.objects.get(name=ROLE_GROUPS[role]).permissions.values_list("codename", flat=True)
        )
        for role in ("admin", "auditor", "support")
    )

    assert admins == every
    assert auditors == {codename for codename in every if codename.startswith("view_")}
    assert {"view_auditlog", "view_periodictask", "view_group"} <= auditors
    assert support == {f"view_{model}" for model in SUPPORT_VIEWABLE_MODELS}


def test_a_staff_role_puts_the_user_in_its_group_only(staff):
    for role, user in staff.items():
        assert user.is_staff
        assert list(user.groups.values_list("name", flat=True)) == [ROLE_GROUPS[role]]


# --- Auditor ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=model_id)
def test_an_auditor_reads_every_admin_page_and_changes_nothing(staff, model):
    make_one_of_each()
    client = client_logged_in(staff["auditor"])
    obj = first_object(model)
    before = database_snapshot()

    changelist = client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert not changelist.context["has_add_permission"]
    assert changelist.context["action_form"] is None, "an auditor was offered an action"
    page = client.get(change_url(obj))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]

    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {}).status_code == 403
    assert client.post(change_url(obj), {}).status_code == 403
    assert client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert database_snapshot() == before


def test_an_auditor_cannot_run_user_actions(staff):
    customer = UserFactory()
    client = client_logged_in(staff["auditor"])

    client.post(
        admin_url(User, "changelist"),
        {"action": "mark_kyc_verified", "_selected_action": [customer.pk]},
    )
    client.post(
        admin_url(User, "changelist"), {"action": "make_admin", "_selected_action": [customer.pk]}
    )

    customer.refresh_from_db()
    assert customer.kyc_status == "pending"
    assert customer.role == "customer"


def test_an_auditor_cannot_set_a_password(staff):
    customer = UserFactory()
    client = client_logged_in(staff["auditor"])
    url = reverse("admin:auth_user_password_change", args=[customer.pk])

    response = client.post(
        url, {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"}
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.check_password(TEST_PASSWORD)


# --- Support ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", SUPPORT_MODELS, ids=model_id)
def test_support_reads_customers_accounts_and_transactions(staff, model):
    make_one_of_each()
    client = client_logged_in(staff["support"])

    changelist = client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert not changelist.context["has_add_permission"]
    assert client.get(change_url(first_object(model))).status_code == 200
    assert client.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize(
    "model", [model for model in REGISTERED_MODELS if model not in SUPPORT_MODELS], ids=model_id
)
def test_support_does_not_see_the_rest(staff, model):
    make_one_of_each()
    client = client_logged_in(staff["support"])

    assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.get(change_url(first_object(model))).status_code == 403


def test_support_cannot_change_money(staff):
    txn = TransactionFactory(amount=Decimal("-20.00"))
    account = txn.account
    client = client_logged_in(staff["support"])
    before = database_snapshot()

    account_page = client.get(change_url(account))
    assert account_page.status_code == 200
    assert (
        client.post(change_url(account), {"name": "Mine now", "currency": "EUR"}).status_code == 403
    )
    assert client.post(change_url(txn), {"description": "changed"}).status_code == 403
    assert client.post(admin_url(Transaction, "delete", txn.pk), {"post": "yes"}).status_code == 403
    assert (
        client.post(
            admin_url(Transaction, "add"),
            {"account": account.pk, "amount": "500.00", "txn_date": "2025-04-01"},
        ).status_code
        == 403
    )
    client.post(
        admin_url(BankAccount, "changelist"),
        {"action": "archive_accounts", "_selected_action": [account.pk]},
    )
    assert database_snapshot() == before


def test_support_does_not_see_the_audit_log_on_the_index(staff):
    client = client_logged_in(staff["support"])

    page = client.get(reverse("admin:index")).content.decode()

    assert admin_url(User, "changelist") in page
    assert admin_url(AuditLog, "changelist") not in page


# --- Admin role -------------------------------------------------------------------------


def test_the_admin_role_changes_what_the_admin_allows(staff):
    client = client_logged_in(staff["admin"])
    account = BankAccountFactory()
    customer = account.user

    page = client.get(change_url(account))
    response = client.post(change_url(account), form_data(page) | {"name": "Renamed by staff"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed by staff"

    response = client.post(
        admin_url(Transaction, "add"),
        {"account": account.pk, "amount": "-15.00", "txn_date": "2025-04-01", "category": ""},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance == Decimal("985.00")

    client.post(
        admin_url(User, "changelist"),
        {"action": "mark_kyc_verified", "_selected_action": [customer.pk]},
    )
    customer.refresh_from_db()
    assert customer.kyc_status == "verified"


def test_the_admin_role_reads_but_never_edits_the_audit_log(staff):
    client = client_logged_in(staff["admin"])
    account = BankAccountFactory()
    client.post(
        admin_url(BankAccount, "changelist"),
        {"action": "archive_accounts", "_selected_action": [account.pk]},
    )
    entry = AuditLog.objects.get()

    assert client.get(admin_url(AuditLog, "changelist")).status_code == 200
    assert client.get(change_url(entry)).status_code == 200
    assert client.get(admin_url(AuditLog, "add")).status_code == 403
    assert client.post(change_url(entry), {"action": "nothing"}).status_code == 403
    assert client.post(admin_url(AuditLog, "delete", entry.pk), {"post": "yes"}).status_code == 403
    assert AuditLog.objects.get() == entry


# --- Customers --------------------------------------------------------------------------


def test_a_customer_cannot_log_into_the_admin(client, db):
    customer = UserFactory()

    response = client.post(
        reverse("admin:login"), {"username": customer.email, "password": TEST_PASSWORD}
    )

    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_logged_in_customer_is_sent_to_the_admin_login(db):
    client = client_logged_in(UserFactory())

    for url in (reverse("admin:index"), admin_url(User, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_log_in_with_their_email_in_any_case(client, staff):
    response = client.post(
        reverse("admin:login"),
        {"username": staff["auditor"].email.upper(), "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_demoted_staff_member_loses_the_admin(staff):
    support = staff["support"]
    client = client_logged_in(staff["admin"])
    page = client.get(change_url(support))
    client.post(change_url(support), form_data(page) | {"role": "customer"})

    support.refresh_from_db()
    assert not support.is_staff
    assert not support.groups.exists()
    assert client_logged_in(support).get(reverse("admin:index")).status_code == 302
