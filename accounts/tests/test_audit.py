"""What staff change in a customer's data through the admin is in the audit log: who, what,
on which object, old -> new, from which IP, when. The log itself cannot be edited there."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import AuditLogFactory, BankAccountFactory, UserFactory
from accounts.tests.test_admin import admin_url, change_url, client_logged_in, form_data
from transactions.models import Transaction
from transactions.tests.factories import TransactionFactory

STAFF_IP = "203.0.113.7"


@pytest.fixture
def staff_admin(staff):
    return staff["admin"]


@pytest.fixture
def staff_client(staff_admin):
    return client_logged_in(staff_admin)


def post_change(client, obj, **changes):
    page = client.get(change_url(obj))
    assert page.status_code == 200
    response = client.post(
        change_url(obj), form_data(page) | changes, REMOTE_ADDR=STAFF_IP, HTTP_X_REQUEST_ID="req-42"
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def only_entry(**filters) -> AuditLog:
    entries = list(AuditLog.objects.filter(**filters))
    assert len(entries) == 1, entries
    return entries[0]


def assert_from_staff(entry: AuditLog, actor, started) -> None:
    assert entry.actor == actor
    assert entry.actor_email == actor.email
    assert entry.ip_address == STAFF_IP
    assert entry.request_id == "req-42"
    assert started <= entry.created_at <= timezone.now()


def test_a_profile_change_is_audited_with_old_and_new_values(staff_client, staff_admin):
    customer = UserFactory(full_name="Ann Old", phone="+44 20 0000 0000")
    started = timezone.now()

    post_change(staff_client, customer, full_name="Ann New", phone="+44 20 1111 1111")

    entry = only_entry(action="user.update")
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(customer.pk))
    assert entry.changes == {
        "full_name": ["Ann Old", "Ann New"],
        "phone": ["+44 20 0000 0000", "+44 20 1111 1111"],
    }
    assert_from_staff(entry, staff_admin, started)


def test_a_kyc_change_in_the_form_is_audited(staff_client, staff_admin):
    customer = UserFactory()
    started = timezone.now()

    post_change(staff_client, customer, kyc_status="verified")

    entry = only_entry(action="user.set_kyc_status")
    assert entry.target_id == str(customer.pk)
    assert entry.changes == {"kyc_status": ["pending", "verified"]}
    assert_from_staff(entry, staff_admin, started)


def test_a_kyc_action_is_audited_per_user(staff_client, staff_admin):
    first, second = UserFactory(), UserFactory()

    staff_client.post(
        admin_url(type(first), "changelist"),
        {"action": "mark_kyc_rejected", "_selected_action": [first.pk, second.pk]},
        REMOTE_ADDR=STAFF_IP,
    )

    entries = AuditLog.objects.filter(action="user.set_kyc_status")
    assert {entry.target_id for entry in entries} == {str(first.pk), str(second.pk)}
    for entry in entries:
        assert entry.actor == staff_admin
        assert entry.ip_address == STAFF_IP
        assert entry.changes == {"kyc_status": ["pending", "rejected"]}


def test_a_role_change_is_audited(staff_client, staff_admin):
    customer = UserFactory()
    started = timezone.now()

    post_change(staff_client, customer, role="support")

    entry = only_entry(action="user.set_role")
    assert entry.changes == {"role": ["customer", "support"]}
    assert_from_staff(entry, staff_admin, started)


def test_an_unchanged_form_writes_no_entry(staff_client):
    customer = UserFactory()

    post_change(staff_client, customer)

    assert not AuditLog.objects.exists()


def test_a_bank_account_change_is_audited(staff_client, staff_admin):
    account = BankAccountFactory(name="Everyday", credit_limit=None)
    started = timezone.now()

    post_change(staff_client, account, name="Bills", credit_limit="500.00")

    entry = only_entry(action="bank_account.update")
    assert (entry.target_type, entry.target_id) == ("accounts.bankaccount", str(account.pk))
    assert entry.changes == {"name": ["Everyday", "Bills"], "credit_limit": [None, "500.00"]}
    assert_from_staff(entry, staff_admin, started)


def test_opening_an_account_for_a_customer_is_audited(staff_client, staff_admin):
    customer = UserFactory()

    staff_client.post(
        admin_url(BankAccount, "add"),
        {
            "user": customer.pk,
            "name": "Savings",
            "account_type": "savings",
            "currency": "EUR",
            "opening_balance": "10.00",
            "opening_date": "2025-01-01",
        },
        REMOTE_ADDR=STAFF_IP,
    )

    account = BankAccount.objects.get(user=customer)
    entry = only_entry(action="bank_account.create")
    assert entry.target_id == str(account.pk)
    assert entry.ip_address == STAFF_IP
    assert entry.actor == staff_admin


def test_a_transaction_change_is_audited(staff_client, staff_admin):
    txn = TransactionFactory(description="Card payment", merchant="Corner Shop")
    started = timezone.now()

    post_change(staff_client, txn, merchant="Corner Shop Ltd")

    entry = only_entry(action="transaction.update")
    assert (entry.target_type, entry.target_id) == ("transactions.transaction", str(txn.pk))
    assert entry.changes == {"merchant": ["Corner Shop", "Corner Shop Ltd"]}
    assert_from_staff(entry, staff_admin, started)


def test_recording_and_deleting_a_transaction_are_audited(staff_client, staff_admin):
    account = BankAccountFactory()

    staff_client.post(
        admin_url(Transaction, "add"),
        {"account": account.pk, "amount": "-12.00", "txn_date": "2025-04-01"},
        REMOTE_ADDR=STAFF_IP,
    )
    txn = Transaction.objects.get(account=account)
    staff_client.post(
        admin_url(Transaction, "delete", txn.pk), {"post": "yes"}, REMOTE_ADDR=STAFF_IP
    )

    created = only_entry(action="transaction.create")
    deleted = only_entry(action="transaction.delete")
    assert created.target_id == deleted.target_id == str(txn.pk)
    assert created.changes["amount"] == [None, "-12.00"]
    assert deleted.changes["amount"] == ["-12.00", None]
    assert {created.ip_address, deleted.ip_address} == {STAFF_IP}
    assert {created.actor, deleted.actor} == {staff_admin}
    account.refresh_from_db()
    assert account.balance == Decimal("1000.00")


def test_a_refused_change_leaves_no_entry(staff_client):
    account = BankAccountFactory(currency="EUR")
    TransactionFactory(account=account)
    page = staff_client.get(change_url(account))

    response = staff_client.post(
        change_url(account), form_data(page) | {"currency": "GBP", "name": "X"}
    )

    assert response.status_code == 200
    assert not AuditLog.objects.exists()
    account.refresh_from_db()
    assert account.name != "X"


# --- The log cannot be edited -----------------------------------------------------------


def test_the_audit_log_refuses_add_change_and_delete_even_for_a_superuser(admin_client):
    entry = AuditLogFactory(changes={"full_name": ["a", "b"]})
    before = list(AuditLog.objects.values())

    assert admin_client.get(admin_url(AuditLog, "add")).status_code == 403
    assert admin_client.post(admin_url(AuditLog, "add"), {"action": "forged"}).status_code == 403
    assert admin_client.post(change_url(entry), {"action": "forged"}).status_code == 403
    assert admin_client.get(admin_url(AuditLog, "delete", entry.pk)).status_code == 403
    assert (
        admin_client.post(admin_url(AuditLog, "delete", entry.pk), {"post": "yes"}).status_code
        == 403
    )
    admin_client.post(
        admin_url(AuditLog, "changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert list(AuditLog.objects.values()) == before


def test_the_audit_log_reads_well_for_a_superuser(admin_client):
    customer = UserFactory()
    entry = AuditLogFactory(
        target_id=str(customer.pk),
        changes={"full_name": ["Ann Old", "Ann New"]},
        ip_address=STAFF_IP,
    )

    changelist = admin_client.get(admin_url(AuditLog, "changelist"))
    assert changelist.status_code == 200
    assert not changelist.context["has_add_permission"]
    assert changelist.context["action_form"] is None
    assert STAFF_IP in changelist.content.decode()

    page = admin_client.get(change_url(entry))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]
    body = page.content.decode()
    assert "Ann Old" in body
    assert "Ann New" in body
    assert change_url(customer) in body


def test_the_audit_log_changelist_filters_and_searches(admin_client):
    AuditLogFactory(action="user.update", actor_email="first@example.com")
    AuditLogFactory(action="bank_account.update", target_type="accounts.bankaccount")
    url = admin_url(AuditLog, "changelist")

    def shown(params) -> set[str]:
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return {entry.action for entry in response.context["cl"].result_list}

    assert shown({"action": "bank_account.update"}) == {"bank_account.update"}
    assert shown({"target_type": "accounts.bankaccount"}) == {"bank_account.update"}
    assert shown({"q": "first@example"}) == {"user.update"}
