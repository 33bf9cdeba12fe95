"""The alerts pages (Django test client): list, filters, read, dismiss, read all, preferences."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from alerts.models import Alert, AlertSubscription, AlertType
from alerts.selectors import alert_preferences
from alerts.tests.factories import AlertFactory
from smartbank.testing import database_snapshot

pytestmark = pytest.mark.django_db

LIST = reverse("alerts-web:list")
PREFERENCES = reverse("alerts-web:preferences")
NOW = datetime.datetime(2025, 3, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _alert(user, **kwargs) -> Alert:
    return AlertFactory(user=user, **kwargs)


def test_anonymous_is_sent_to_login(client):
    alert = AlertFactory()
    for url in (LIST, PREFERENCES):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(reverse("alerts-web:read", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.read_at is None


def test_list_shows_unread_first_then_newest(web, user):
    with time_machine.travel(NOW - datetime.timedelta(days=3), tick=False):
        old_unread = _alert(user, title="Old unread")
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        newer_read = _alert(user, title="Newer read", read_at=NOW)
    with time_machine.travel(NOW - datetime.timedelta(days=1), tick=False):
        new_unread = _alert(user, title="New unread")
    _alert(user, title="Dismissed", dismissed_at=NOW, read_at=NOW)
    _alert(user, title="Deleted", deleted_at=NOW)
    _alert(AlertFactory().user, title="Someone else's")
    response = web.get(LIST)
    assert response.status_code == 200
    shown = [alert.pk for alert in response.context["page_obj"].object_list]
    assert shown == [new_unread.pk, old_unread.pk, newer_read.pk]
    assert response.context["unread_count"] == 2
    html = response.content.decode()
    assert "Someone else" not in html and "Dismissed" not in html


def test_filters_by_unread_and_type(web, user):
    low = _alert(user, alert_type=AlertType.LOW_BALANCE, title="Low")
    _alert(user, alert_type=AlertType.LOW_BALANCE, title="Low read", read_at=NOW)
    _alert(user, alert_type=AlertType.BILL_OVERDUE, title="Bill")
    response = web.get(LIST, {"show": "unread", "type": "low_balance"})
    assert [a.pk for a in response.context["page_obj"].object_list] == [low.pk]
    response = web.get(LIST, {"type": "bill_overdue", "show": ""})
    assert [a.title for a in response.context["page_obj"].object_list] == ["Bill"]


@pytest.mark.parametrize(
    ("query", "field"), [({"type": "nope"}, "type"), ({"show": "x" * 5000}, "show")]
)
def test_a_bad_filter_is_shown_beside_the_field(web, user, query, field):
    response = web.get(LIST, query)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()


def test_empty_list_says_what_to_do(web):
    html = web.get(LIST).content.decode()
    assert "No alerts. SmartBank tells you here" in html


def test_pages_of_alerts(web, user):
    for _ in range(30):
        _alert(user)
    first = web.get(LIST)
    assert len(first.context["page_obj"].object_list) == 25
    second = web.get(LIST, {"page": 2})
    assert len(second.context["page_obj"].object_list) == 5
    assert web.get(LIST, {"page": "zzz"}).status_code == 200


def test_read_dismiss_and_read_all(web, user):
    one, two, three = _alert(user, title="One"), _alert(user, title="Two"), _alert(user)
    response = web.post(
        reverse("alerts-web:read", args=[one.pk]), {"next": f"{LIST}?type=large_transaction"}
    )
    assert response["Location"] == f"{LIST}?type=large_transaction"
    one.refresh_from_db()
    assert one.read_at == NOW
    response = web.post(reverse("alerts-web:dismiss", args=[two.pk]), follow=True)
    assert "“Two” is dismissed." in response.content.decode()
    two.refresh_from_db()
    assert two.dismissed_at == NOW and two.read_at == NOW
    response = web.post(reverse("alerts-web:read-all"), follow=True)
    assert "1 alert marked read." in response.content.decode()
    three.refresh_from_db()
    assert three.read_at == NOW


def test_next_never_leads_off_site(web, user):
    alert = _alert(user)
    response = web.post(
        reverse("alerts-web:read", args=[alert.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == LIST


def test_another_customers_alert_is_404_and_unchanged(web, other_user):
    theirs = _alert(other_user)
    before = list(Alert.objects.values_list("read_at", "dismissed_at"))
    for name in ("read", "dismiss"):
        assert web.post(reverse(f"alerts-web:{name}", args=[theirs.pk])).status_code == 404
    web.post(reverse("alerts-web:read-all"))
    assert list(Alert.objects.values_list("read_at", "dismissed_at")) == before


def test_writes_need_post_and_csrf(user):
    alert = _alert(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("alerts-web:read", args=[alert.pk])).status_code == 403
    assert client.post(reverse("alerts-web:read-all")).status_code == 403
    assert client.get(reverse("alerts-web:dismiss", args=[alert.pk])).status_code == 405
    alert.refresh_from_db()
    assert alert.read_at is None


def _preferences_post(user, **changes) -> dict:
    """What the form posts when nothing changes, with ``changes`` over it."""
    data = {}
    for alert_type, preference in alert_preferences(user).items():
        for channel in ("in_app", "email", "sms"):
            if getattr(preference, channel):
                data[f"{alert_type}_{channel}"] = "on"
        if preference.has_threshold:
            data[f"{alert_type}_threshold"] = str(preference.threshold)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_preferences_show_the_defaults(web):
    response = web.get(PREFERENCES)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="low_balance_threshold" value="100.00"' in html
    assert "Email for Bill due soon" in html


def test_preferences_change_channels_and_thresholds(web, user):
    data = _preferences_post(
        user,
        low_balance_threshold="250.50",
        unusual_spending_email=None,
        bill_due_soon_sms="on",
    )
    response = web.post(PREFERENCES, data, follow=True)
    assert "Your alert preferences are saved." in response.content.decode()
    preferences = alert_preferences(user)
    assert preferences["low_balance"].threshold == Decimal("250.50")
    assert preferences["unusual_spending"].email is False
    assert preferences["bill_due_soon"].sms is True
    # Only the types that changed got a row.
    assert set(AlertSubscription.objects.values_list("alert_type", flat=True)) == {
        "low_balance",
        "unusual_spending",
        "bill_due_soon",
    }
    response = web.post(PREFERENCES, _preferences_post(user), follow=True)
    assert "Nothing changed." in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"low_balance_threshold": "-1"}, "low_balance_threshold", "greater than or equal to 0"),
        ({"large_transaction_threshold": "abc"}, "large_transaction_threshold", "Enter a number"),
        ({"large_transaction_threshold": "1e400"}, "large_transaction_threshold", "14 digits"),
        ({"bill_overdue_sms": "on"}, "bill_overdue_sms", "Add a phone number"),
    ],
)
def test_preference_refusals_are_beside_the_field_and_save_nothing(
    web, user, changes, field, message
):
    user.phone = ""
    user.save(update_fields=["phone"])
    # A good change beside the bad one is not saved either.
    data = _preferences_post(user, low_balance_email=None, **changes)
    before = database_snapshot()
    response = web.post(PREFERENCES, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert database_snapshot() == before
    assert not AlertSubscription.objects.exists()


def test_list_query_count_does_not_grow(web, user, django_assert_num_queries):
    for _ in range(3):
        _alert(user)
    # Session, user, the page's count, its rows, the unread count.
    with django_assert_num_queries(5):
        web.get(LIST)
    for _ in range(40):
        _alert(user)
    with django_assert_num_queries(5):
        response = web.get(LIST, {"show": "unread"})
    assert len(response.context["page_obj"].object_list) == 25


def test_preferences_query_count(web, user, django_assert_num_queries):
    web.post(PREFERENCES, _preferences_post(user, low_balance_threshold="5"))
    # Session, user, the stored preferences.
    with django_assert_num_queries(3):
        web.get(PREFERENCES)


def test_demo_customers_alert_pages_run_the_pinned_queries(client, django_assert_num_queries):
    from accounts.models import User
    from smartbank.demo import DemoSize, seed_demo

    seed_demo(DemoSize(customers=1, months=3, transactions_per_month=6), today=NOW.date())
    customer = User.objects.filter(role="customer").get()
    client.force_login(customer)
    with django_assert_num_queries(5):
        client.get(LIST)
    with django_assert_num_queries(3):
        client.get(PREFERENCES)
