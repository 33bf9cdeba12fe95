"""/api/v1/alerts/ and /api/v1/alerts/subscriptions/."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from alerts.models import Alert, AlertSubscription, AlertType
from alerts.tests.factories import AlertFactory, AlertSubscriptionFactory
from alerts.tests.utils import snapshot
from conftest import client_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/alerts/"
SUBSCRIPTIONS = "/api/v1/alerts/subscriptions/"


def detail(alert, suffix=""):
    return f"{LIST}{alert.pk}/{suffix}"


def ids(response):
    return [row["id"] for row in response.json()["results"]]


# --- List -----------------------------------------------------------------------------


def test_list_is_newest_first_and_only_mine(api_client, user, other_user):
    with time_machine.travel(datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC), tick=False):
        old = AlertFactory(user=user)
    with time_machine.travel(datetime.datetime(2025, 3, 2, tzinfo=datetime.UTC), tick=False):
        new = AlertFactory(
            user=user,
            alert_type="low_balance",
            severity="critical",
            title="Low balance on Everyday: 12.00 EUR",
            data={"account_id": 7, "balance": "12.00"},
            key="low_balance:7:2025-03-02",
        )
    AlertFactory(user=other_user)

    response = api_client.get(LIST)

    assert response.status_code == 200
    assert ids(response) == [new.pk, old.pk]
    assert response.json()["count"] == 2
    row = response.json()["results"][0]
    assert row == {
        "id": new.pk,
        "alert_type": "low_balance",
        "severity": "critical",
        "title": "Low balance on Everyday: 12.00 EUR",
        "message": "Something happened.",
        "data": {"account_id": 7, "balance": "12.00"},
        "key": "low_balance:7:2025-03-02",
        "is_read": False,
        "read_at": None,
        "dismissed_at": None,
        "created_at": "2025-03-02T00:00:00Z",
    }


def test_list_leaves_out_deleted_hidden_and_dismissed(api_client, user):
    shown = AlertFactory(user=user)
    AlertFactory(user=user, deleted_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    AlertFactory(
        user=user, in_app=False, dismissed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    dismissed = AlertFactory(
        user=user, dismissed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )

    assert ids(api_client.get(LIST)) == [shown.pk]
    assert ids(api_client.get(LIST, {"dismissed": "true"})) == [dismissed.pk]
    assert ids(api_client.get(LIST, {"dismissed": "false"})) == [shown.pk]


def test_filters_unread_and_type(api_client, user):
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    unread_low = AlertFactory(user=user, alert_type="low_balance")
    read_low = AlertFactory(user=user, alert_type="low_balance", read_at=now)
    unread_bill = AlertFactory(user=user, alert_type="bill_overdue")

    assert set(ids(api_client.get(LIST, {"unread": "true"}))) == {unread_low.pk, unread_bill.pk}
    assert ids(api_client.get(LIST, {"unread": "false"})) == [read_low.pk]
    assert set(ids(api_client.get(LIST, {"type": "low_balance"}))) == {
        unread_low.pk,
        read_low.pk,
    }
    assert ids(api_client.get(LIST, {"type": "low_balance", "unread": "true"})) == [unread_low.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unread": "maybe"}, "unread"),
        ({"type": "nonsense"}, "type"),
        ({"dismissed": "1x"}, "dismissed"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_filters_are_400(api_client, user, params, field):
    AlertFactory(user=user)
    response = api_client.get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_list_query_count_does_not_grow(api_client, user, django_assert_num_queries):
    AlertFactory.create_batch(3, user=user)
    # JWT user, count, page
    with django_assert_num_queries(3):
        assert api_client.get(LIST).status_code == 200
    AlertFactory.create_batch(20, user=user)
    with django_assert_num_queries(3):
        assert len(ids(api_client.get(LIST))) == 23


def test_retrieve(api_client, user):
    alert = AlertFactory(user=user, dismissed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    response = api_client.get(detail(alert))
    assert response.status_code == 200
    assert response.json()["id"] == alert.pk
    assert response.json()["dismissed_at"] == "2025-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "hidden",
    [
        {"deleted_at": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)},
        {"in_app": False, "dismissed_at": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)},
    ],
)
def test_deleted_and_hidden_alerts_are_404(api_client, user, hidden):
    alert = AlertFactory(user=user, **hidden)
    before = snapshot()
    for method, suffix in (("get", ""), ("post", "read/"), ("post", "dismiss/"), ("delete", "")):
        response = getattr(api_client, method)(detail(alert, suffix))
        assert response.status_code == 404, (method, suffix)
    assert snapshot() == before


# --- Read, dismiss, delete ------------------------------------------------------------


def test_read(api_client, user):
    alert = AlertFactory(user=user)
    response = api_client.post(detail(alert, "read/"))
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    alert.refresh_from_db()
    assert alert.read_at is not None
    first = alert.read_at

    assert api_client.post(detail(alert, "read/")).status_code == 200
    alert.refresh_from_db()
    assert alert.read_at == first


def test_dismiss_takes_it_off_the_list(api_client, user):
    alert = AlertFactory(user=user)
    response = api_client.post(detail(alert, "dismiss/"))
    assert response.status_code == 200
    assert response.json()["dismissed_at"] is not None
    assert response.json()["is_read"] is True
    assert ids(api_client.get(LIST)) == []
    assert api_client.get(detail(alert)).status_code == 200


def test_delete_is_soft_and_the_key_stays(api_client, user):
    from alerts.services import alert_raise

    alert = alert_raise(user=user, alert_type="bill_overdue", key="bill_overdue:9", title="Late")
    response = api_client.delete(detail(alert))
    assert response.status_code == 204
    alert.refresh_from_db()
    assert alert.deleted_at is not None
    assert api_client.get(detail(alert)).status_code == 404
    assert ids(api_client.get(LIST)) == []
    assert (
        alert_raise(user=user, alert_type="bill_overdue", key="bill_overdue:9", title="x") is None
    )
    assert api_client.delete(detail(alert)).status_code == 404


def test_read_all_and_unread_count(api_client, user, other_user):
    AlertFactory.create_batch(3, user=user)
    AlertFactory(user=user, read_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    AlertFactory(user=user, dismissed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    theirs = AlertFactory(user=other_user)

    assert api_client.get(f"{LIST}unread-count/").json() == {"count": 3}
    response = api_client.post(f"{LIST}read-all/")
    assert response.status_code == 200
    assert response.json() == {"updated": 3}
    assert api_client.get(f"{LIST}unread-count/").json() == {"count": 0}
    assert Alert.objects.get(pk=theirs.pk).read_at is None
    assert client_for(other_user).get(f"{LIST}unread-count/").json() == {"count": 1}


def test_unread_count_is_one_query_after_auth(api_client, user, django_assert_num_queries):
    AlertFactory.create_batch(5, user=user)
    with django_assert_num_queries(2):
        assert api_client.get(f"{LIST}unread-count/").json() == {"count": 5}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("post", "read/"), ("post", "dismiss/"), ("delete", "")],
)
def test_another_users_alert_is_404_and_unchanged(other_client, user, method, suffix):
    alert = AlertFactory(user=user)
    before = snapshot()
    response = getattr(other_client, method)(detail(alert, suffix))
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST),
        ("get", f"{LIST}1/"),
        ("post", f"{LIST}1/read/"),
        ("post", f"{LIST}1/dismiss/"),
        ("delete", f"{LIST}1/"),
        ("post", f"{LIST}read-all/"),
        ("get", f"{LIST}unread-count/"),
        ("get", SUBSCRIPTIONS),
        ("put", f"{SUBSCRIPTIONS}low_balance/"),
        ("patch", f"{SUBSCRIPTIONS}low_balance/"),
    ],
)
def test_anonymous_is_401(anon_client, method, path):
    assert getattr(anon_client, method)(path, {}, format="json").status_code == 401


# --- Subscriptions --------------------------------------------------------------------


def test_subscriptions_list_every_type_with_defaults(api_client, user):
    AlertSubscriptionFactory(user=user, alert_type="low_balance", sms=True, threshold="50.00")

    response = api_client.get(SUBSCRIPTIONS)

    assert response.status_code == 200
    rows = {row["alert_type"]: row for row in response.json()}
    assert list(rows) == AlertType.values
    assert rows["low_balance"] == {
        "alert_type": "low_balance",
        "label": "Low balance",
        "in_app": True,
        "email": True,
        "sms": True,
        "threshold": "50.00",
        "currency": "EUR",
        "customised": True,
    }
    assert rows["large_transaction"]["threshold"] == "1000.00"
    assert rows["large_transaction"]["customised"] is False
    assert rows["budget_80"] == {
        "alert_type": "budget_80",
        "label": "Budget at 80 %",
        "in_app": True,
        "email": True,
        "sms": False,
        "threshold": None,
        "currency": None,
        "customised": False,
    }


def test_subscriptions_list_is_two_queries(api_client, django_assert_num_queries):
    with django_assert_num_queries(2):  # JWT user, subscriptions
        assert api_client.get(SUBSCRIPTIONS).status_code == 200


def test_put_sets_a_preference(api_client, user):
    response = api_client.put(
        f"{SUBSCRIPTIONS}large_transaction/",
        {"in_app": True, "email": False, "sms": True, "threshold": "250.5"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["threshold"] == "250.50"
    assert response.json()["sms"] is True and response.json()["email"] is False
    row = AlertSubscription.objects.get(user=user, alert_type="large_transaction")
    assert row.threshold == Decimal("250.50") and row.sms and not row.email

    # PUT without a threshold goes back to the default.
    response = api_client.put(
        f"{SUBSCRIPTIONS}large_transaction/",
        {"in_app": True, "email": True, "sms": False},
        format="json",
    )
    assert response.json()["threshold"] == "1000.00"
    assert AlertSubscription.objects.get(pk=row.pk).threshold is None


def test_patch_changes_only_what_it_names(api_client, user):
    AlertSubscriptionFactory(user=user, alert_type="low_balance", sms=True, threshold="75.00")
    response = api_client.patch(f"{SUBSCRIPTIONS}low_balance/", {"email": False}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["in_app"], body["email"], body["sms"], body["threshold"]) == (
        True,
        False,
        True,
        "75.00",
    )
    response = api_client.patch(f"{SUBSCRIPTIONS}low_balance/", {"threshold": "0"}, format="json")
    assert response.json()["threshold"] == "0.00"


def test_patch_a_type_without_threshold(api_client, user):
    response = api_client.patch(f"{SUBSCRIPTIONS}budget_80/", {"in_app": False}, format="json")
    assert response.status_code == 200
    assert response.json()["in_app"] is False and response.json()["threshold"] is None


@pytest.mark.parametrize(
    ("alert_type", "body", "field", "message"),
    [
        ("low_balance", {"threshold": "-1.00"}, "threshold", "greater than or equal to 0"),
        ("low_balance", {"threshold": "1.001"}, "threshold", "decimal places"),
        ("low_balance", {"threshold": "1000000000000.00"}, "threshold", "digits"),
        ("low_balance", {"threshold": "lots"}, "threshold", "valid number"),
        ("low_balance", {"threshold": "NaN"}, "threshold", ""),
        ("budget_80", {"threshold": "10.00"}, "threshold", "Only large_transaction and"),
        ("low_balance", {"email": "perhaps"}, "email", "valid boolean"),
        ("low_balance", {"sms": None}, "sms", "null"),
    ],
)
def test_bad_preferences_are_400_and_change_nothing(
    api_client, user, alert_type, body, field, message
):
    before = snapshot()
    response = api_client.patch(f"{SUBSCRIPTIONS}{alert_type}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert message in response.json()[field][0]
    assert snapshot() == before


def test_put_needs_every_channel(api_client, user):
    before = snapshot()
    response = api_client.put(f"{SUBSCRIPTIONS}low_balance/", {"email": False}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"in_app", "sms"}
    assert snapshot() == before


def test_sms_without_a_phone_is_400():
    user = UserFactory(phone="")
    client = client_for(user)
    before = snapshot()
    response = client.patch(f"{SUBSCRIPTIONS}low_balance/", {"sms": True}, format="json")
    assert response.status_code == 400
    assert "phone number" in response.json()["sms"][0]
    assert snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_unknown_type_is_404(api_client, method):
    before = snapshot()
    response = getattr(api_client, method)(
        f"{SUBSCRIPTIONS}nonsense/", {"in_app": True, "email": True, "sms": False}, format="json"
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_my_preferences_are_not_another_users(api_client, user, other_user):
    AlertSubscriptionFactory(user=other_user, alert_type="low_balance", threshold="5.00")
    api_client.patch(f"{SUBSCRIPTIONS}low_balance/", {"threshold": "500.00"}, format="json")
    assert AlertSubscription.objects.get(user=other_user).threshold == Decimal("5.00")
    rows = {row["alert_type"]: row for row in client_for(other_user).get(SUBSCRIPTIONS).json()}
    assert rows["low_balance"]["threshold"] == "5.00"
