"""The staff portfolio page (Django test client): admin and auditor only, the range from
the URL, a fixed number of queries. The charts' figures come from /api/v1/staff/portfolio/
(test_browser_staff_dashboard.py shows they match it)."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import BankAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/staff/"
NOW = datetime.datetime(2025, 6, 20, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _script(response, element_id: str):
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admin_and_auditor_see_the_page(client, staff, role):
    client.force_login(staff[role])
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The bank's portfolio" in html
    assert '<a href="/staff/" aria-current="page">Portfolio</a>' in html
    assert _script(response, "portfolio-names")["kyc_status"]["verified"] == "Verified"


def test_support_and_customers_are_refused(client, staff, user):
    for someone in (staff["support"], user):
        client.force_login(someone)
        assert client.get(URL).status_code == 403


def test_the_range_in_the_url_is_kept_and_a_bad_one_shown(client, staff):
    client.force_login(staff["auditor"])
    response = client.get(URL, {"date_from": "2025-01-01", "date_to": "2025-03-31"})
    assert _script(response, "portfolio-filters-initial") == {
        "date_from": "2025-01-01",
        "date_to": "2025-03-31",
    }
    response = client.get(URL, {"date_from": "2025-02-30", "date_to": "2025-03-31"})
    assert 'id="id_date_from_error" aria-live="polite">Enter a valid date.' in (
        response.content.decode()
    )
    assert _script(response, "portfolio-filters-initial") == {"date_to": "2025-03-31"}


@pytest.mark.parametrize("customers", [1, 10])
def test_query_count_does_not_grow_with_the_customers(
    client, staff, customers, django_assert_num_queries
):
    for _ in range(customers):
        BankAccountFactory(user=UserFactory())
    client.force_login(staff["admin"])
    # Session and user: the figures come from the API.
    with django_assert_num_queries(2):
        assert client.get(URL).status_code == 200
