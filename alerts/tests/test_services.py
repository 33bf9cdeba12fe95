import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from alerts.models import (
    LARGE_TRANSACTION_DEFAULT,
    LOW_BALANCE_DEFAULT,
    Alert,
    AlertSubscription,
    AlertType,
    Notification,
)
from alerts.selectors import alert_list, alert_preferences, alert_unread_count
from alerts.services import (
    ALERT_RECENT_DAYS,
    AlertSpec,
    alert_delete,
    alert_dismiss,
    alert_raise,
    alert_read,
    alerts_raise,
    alerts_read_all,
    is_recent,
    subscription_update,
)
from alerts.tests.factories import AlertFactory, AlertSubscriptionFactory

pytestmark = pytest.mark.django_db


def raise_bill_overdue(user, key="bill_overdue:1", **kwargs):
    return alert_raise(
        user=user,
        alert_type=AlertType.BILL_OVERDUE,
        key=key,
        title="Electricity is overdue",
        message="Your Electricity bill of 80.00 EUR was due on 3 March.",
        severity="warning",
        data={"bill_id": 1},
        **kwargs,
    )


# --- Recent ---------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC))
def test_recent_is_within_alert_recent_days_of_the_users_today(user):
    assert ALERT_RECENT_DAYS == 31
    assert is_recent(user=user, day=datetime.date(2025, 6, 15))
    assert is_recent(user=user, day=datetime.date(2025, 5, 15))
    assert not is_recent(user=user, day=datetime.date(2025, 5, 14))
    assert is_recent(user=user, day=datetime.date(2025, 6, 20))


@time_machine.travel(datetime.datetime(2025, 6, 15, 23, 30, tzinfo=datetime.UTC))
def test_recent_uses_the_users_time_zone():
    tokyo = UserFactory(time_zone="Asia/Tokyo")  # already 16 June there
    assert not is_recent(user=tokyo, day=datetime.date(2025, 5, 15))
    assert is_recent(user=tokyo, day=datetime.date(2025, 5, 16))


# --- Preferences ----------------------------------------------------------------------


def test_preferences_default_for_every_type(user, django_assert_num_queries):
    with django_assert_num_queries(1):
        preferences = alert_preferences(user)
    assert set(preferences) == set(AlertType.values)
    for preference in preferences.values():
        assert (preference.in_app, preference.email, preference.sms) == (True, True, False)
        assert not preference.customised
    assert preferences["low_balance"].threshold == LOW_BALANCE_DEFAULT == Decimal("100.00")
    assert preferences["large_transaction"].threshold == LARGE_TRANSACTION_DEFAULT
    assert preferences["large_transaction"].threshold == Decimal("1000.00")
    assert preferences["budget_80"].threshold is None


def test_stored_preferences_override_the_defaults(user, other_user):
    AlertSubscriptionFactory(user=user, alert_type="low_balance", sms=True, threshold="50.00")
    AlertSubscriptionFactory(user=user, alert_type="large_transaction", email=False)
    AlertSubscriptionFactory(user=other_user, alert_type="budget_80", in_app=False)

    preferences = alert_preferences(user)

    assert preferences["low_balance"].sms and preferences["low_balance"].customised
    assert preferences["low_balance"].threshold == Decimal("50.00")
    assert preferences["low_balance"].channels == ["email", "sms"]
    # A row without a threshold keeps the default amount.
    assert preferences["large_transaction"].threshold == LARGE_TRANSACTION_DEFAULT
    assert preferences["large_transaction"].channels == []
    assert preferences["budget_80"].in_app  # the other user's row is theirs


def test_subscription_update_creates_then_changes_one_row(user):
    preference = subscription_update(user=user, alert_type="low_balance", threshold=Decimal("25"))
    assert preference.threshold == Decimal("25.00")
    assert (preference.in_app, preference.email, preference.sms) == (True, True, False)

    preference = subscription_update(user=user, alert_type="low_balance", email=False, sms=True)
    assert preference.threshold == Decimal("25.00")
    assert (preference.email, preference.sms) == (False, True)

    preference = subscription_update(user=user, alert_type="low_balance", threshold=None)
    assert preference.threshold == LOW_BALANCE_DEFAULT
    assert AlertSubscription.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("alert_type", "changes", "field"),
    [
        ("budget_80", {"threshold": Decimal("10")}, "threshold"),
        ("low_balance", {"threshold": Decimal("-0.01")}, "threshold"),
        ("low_balance", {"threshold": Decimal("1000000000000")}, "threshold"),
        ("nonsense", {"email": False}, "alert_type"),
    ],
)
def test_subscription_update_refuses_bad_input(user, alert_type, changes, field):
    with pytest.raises(ValidationError) as info:
        subscription_update(user=user, alert_type=alert_type, **changes)
    assert field in info.value.message_dict
    assert not AlertSubscription.objects.exists()


def test_sms_needs_a_phone_number():
    user = UserFactory(phone="")
    with pytest.raises(ValidationError) as info:
        subscription_update(user=user, alert_type="low_balance", sms=True)
    assert "phone number" in info.value.message_dict["sms"][0]
    assert not AlertSubscription.objects.exists()


# --- Raising --------------------------------------------------------------------------


def test_raising_stores_the_alert_and_emails_it(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_bill_overdue(user)

    assert alert.pk and alert.user == user and alert.in_app and alert.dismissed_at is None
    assert alert.alert_type == "bill_overdue" and alert.severity == "warning"
    assert alert.data == {"bill_id": 1}
    notification = Notification.objects.get()
    assert (notification.channel, notification.status) == ("email", "sent")
    assert notification.alert == alert and notification.recipient == user.email
    assert notification.key == f"alert:{user.pk}:bill_overdue:1"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "SmartBank: Electricity is overdue"
    assert "was due on 3 March" in mail.outbox[0].body


def test_the_same_key_is_raised_once(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = raise_bill_overdue(user)
        second = raise_bill_overdue(user)
    assert first is not None and second is None
    assert Alert.objects.count() == 1 and Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_deleted_alerts_key_still_holds(user):
    alert = raise_bill_overdue(user)
    alert_delete(alert=alert)
    assert raise_bill_overdue(user) is None
    assert Alert.objects.count() == 1


def test_another_user_may_have_the_same_key(user, other_user):
    assert raise_bill_overdue(user) is not None
    assert raise_bill_overdue(other_user) is not None
    assert Notification.objects.count() == 2


def test_a_key_stored_concurrently_is_not_raised_again(user):
    """As if another writer stored the key between our read and our insert."""
    AlertFactory(user=user, key="bill_overdue:1")
    assert raise_bill_overdue(user) is None
    assert not Notification.objects.exists()


def test_in_app_off_stores_the_alert_hidden_and_still_sends(
    user, django_capture_on_commit_callbacks
):
    AlertSubscriptionFactory(user=user, alert_type="bill_overdue", in_app=False, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_bill_overdue(user)

    assert alert is not None and not alert.in_app and alert.dismissed_at is not None
    assert not alert_list(user=user).exists()
    assert alert_unread_count(user=user) == 0
    assert set(Notification.objects.values_list("channel", "status")) == {
        ("email", "sent"),
        ("sms", "sent"),
    }
    assert raise_bill_overdue(user) is None  # the key holds


def test_every_channel_off_stores_nothing(user):
    AlertSubscriptionFactory(
        user=user, alert_type="bill_overdue", in_app=False, email=False, sms=False
    )
    assert raise_bill_overdue(user) is None
    assert not Alert.objects.exists() and not Notification.objects.exists()


def test_in_app_only_sends_nothing(user):
    AlertSubscriptionFactory(user=user, alert_type="bill_overdue", email=False)
    assert raise_bill_overdue(user) is not None
    assert not Notification.objects.exists()


def test_sms_without_a_phone_is_stored_failed(django_capture_on_commit_callbacks, sms_outbox):
    user = UserFactory(phone="")
    AlertSubscriptionFactory(user=user, alert_type="bill_overdue", sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        raise_bill_overdue(user)
    sms = Notification.objects.get(channel="sms")
    assert sms.status == "failed" and "no phone number" in sms.last_error
    assert sms.attempts == 0
    assert sms_outbox == []
    assert Notification.objects.get(channel="email").status == "sent"


def test_raising_many_is_a_fixed_number_of_queries(user, other_user, django_assert_num_queries):
    specs = [
        AlertSpec(user=owner, alert_type="large_transaction", key=f"k:{n}", title=f"T {n}")
        for owner in (user, other_user)
        for n in range(30)
    ]
    # savepoint, preferences, existing keys, insert, read back; notifications: existing,
    # insert, read back; release
    with django_assert_num_queries(9):
        created = alerts_raise(specs=specs)
    assert len(created) == 60
    assert Notification.objects.count() == 60
    with django_assert_num_queries(4):
        assert alerts_raise(specs=specs) == []


def test_unknown_type_is_a_programming_error(user):
    with pytest.raises(ValueError, match="Unknown alert type"):
        alert_raise(user=user, alert_type="nope", key="x", title="x")


# --- Read, dismiss, delete ------------------------------------------------------------


def test_read_dismiss_delete(user):
    alert = AlertFactory(user=user)
    other = AlertFactory(user=user)
    assert alert_unread_count(user=user) == 2

    alert_read(alert=alert)
    first_read = Alert.objects.get(pk=alert.pk).read_at
    assert first_read is not None
    alert_read(alert=alert)
    assert Alert.objects.get(pk=alert.pk).read_at == first_read
    assert alert_unread_count(user=user) == 1

    alert_dismiss(alert=other)
    other.refresh_from_db()
    assert other.dismissed_at is not None and other.read_at is not None
    assert alert_unread_count(user=user) == 0
    assert set(alert_list(user=user)) == {alert, other}

    alert_delete(alert=alert)
    assert Alert.objects.get(pk=alert.pk).deleted_at is not None
    assert list(alert_list(user=user)) == [other]


def test_read_all_touches_only_the_users_unread_feed(user, other_user):
    mine = AlertFactory.create_batch(3, user=user)
    hidden = AlertFactory(user=user, in_app=False)
    theirs = AlertFactory(user=other_user)
    assert alerts_read_all(user=user) == 3
    assert all(Alert.objects.get(pk=a.pk).read_at for a in mine)
    assert Alert.objects.get(pk=hidden.pk).read_at is None
    assert Alert.objects.get(pk=theirs.pk).read_at is None
