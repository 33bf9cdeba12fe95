"""Deleting an alert from the alerts page (Django test client): alert_delete as the API's
DELETE /api/v1/alerts/{id}/ does; ownership, method, CSRF and the list's queries."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from alerts.models import Alert
from alerts.tests.factories import AlertFactory
from smartbank.testing import database_snapshot

pytestmark = pytest.mark.django_db

LIST = reverse("alerts-web:list")
NOW = datetime.datetime(2025, 3, 15, 12, 0, tzinfo=datetime.UTC)


def delete_url(pk) -> str:
    return reverse("alerts-web:delete", args=[pk])


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_each_alert_has_a_delete_button(web, user):
    alert = AlertFactory(user=user, title="Big spend")
    html = web.get(LIST).content.decode()
    assert f'action="{delete_url(alert.pk)}"' in html
    assert 'Delete<span class="visually-hidden"> Big spend</span></button>' in html


def test_delete_hides_the_alert_for_good_and_says_so(web, user):
    alert = AlertFactory(user=user, title="Big spend")
    kept = AlertFactory(user=user, title="Kept")
    response = web.post(delete_url(alert.pk), follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "“Big spend” is deleted for good: it cannot be brought back." in (
        response.content.decode()
    )
    alert.refresh_from_db()
    # The row and its key stay (so it is never raised again); it leaves every list.
    assert alert.deleted_at == NOW
    assert [a.pk for a in response.context["page_obj"].object_list] == [kept.pk]
    kept.refresh_from_db()
    assert kept.deleted_at is None
    # Gone: deleting it again is a 404 and changes nothing.
    before = database_snapshot()
    assert web.post(delete_url(alert.pk)).status_code == 404
    assert database_snapshot() == before


def test_delete_goes_back_to_the_filtered_list_and_never_off_site(web, user):
    one, two = AlertFactory(user=user), AlertFactory(user=user)
    back = f"{LIST}?type=large_transaction&page=1"
    assert web.post(delete_url(one.pk), {"next": back})["Location"] == back
    assert web.post(delete_url(two.pk), {"next": "https://evil.example/"})["Location"] == LIST


def test_a_dismissed_alert_can_be_deleted_too(web, user):
    alert = AlertFactory(user=user, dismissed_at=NOW, read_at=NOW)
    assert web.post(delete_url(alert.pk)).status_code == 302
    assert Alert.objects.get(pk=alert.pk).deleted_at == NOW


@pytest.mark.parametrize("pk", [0, 999_999, 2**62])
def test_an_alert_that_does_not_exist_is_404(web, user, pk):
    AlertFactory(user=user)
    before = database_snapshot()
    assert web.post(delete_url(pk)).status_code == 404
    assert database_snapshot() == before


def test_another_customers_alert_is_404_and_unchanged(web, other_user):
    theirs = AlertFactory(user=other_user)
    before = database_snapshot()
    assert web.post(delete_url(theirs.pk)).status_code == 404
    assert database_snapshot() == before
    assert Alert.objects.get(pk=theirs.pk).deleted_at is None


def test_anonymous_is_sent_to_login(client):
    alert = AlertFactory()
    before = database_snapshot()
    response = client.post(delete_url(alert.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert database_snapshot() == before


def test_it_needs_post_and_csrf(user):
    alert = AlertFactory(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = database_snapshot()
    assert client.get(delete_url(alert.pk)).status_code == 405
    assert client.post(delete_url(alert.pk)).status_code == 403
    assert database_snapshot() == before


def test_the_list_with_delete_buttons_keeps_its_pinned_queries(
    web, user, django_assert_num_queries
):
    for _ in range(3):
        AlertFactory(user=user)
    # Session, user, the page's count, its rows, the unread count: the button adds none.
    with django_assert_num_queries(5):
        web.get(LIST)
    for _ in range(20):
        AlertFactory(user=user)
    with django_assert_num_queries(5):
        response = web.get(LIST)
    assert response.content.decode().count("Delete<span") == 23


def test_delete_runs_a_fixed_number_of_queries(web, user, django_assert_num_queries):
    alert = AlertFactory(user=user)
    # Session, user, the alert, the update.
    with django_assert_num_queries(4):
        web.post(delete_url(alert.pk))
