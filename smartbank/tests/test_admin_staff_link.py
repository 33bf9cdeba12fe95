"""The staff console links to the staff portfolio for the roles that may open it (admin and
auditor), on its index and among the header's user links; support staff see no such link."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PORTFOLIO = reverse("insights-web:staff-dashboard")
INDEX = reverse("admin:index")


def _page(client, user, url=INDEX) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admin_and_auditor_see_the_portfolio_link(client, staff, role):
    html = _page(client, staff[role])
    assert f'<p id="staff-portfolio"><a href="{PORTFOLIO}">Open the portfolio</a>' in html
    # In the header's user links too, and so on every admin page, not only the index.
    assert f'<a href="{PORTFOLIO}">Portfolio</a> /' in html
    changelist = _page(client, staff[role], reverse("admin:accounts_user_changelist"))
    assert f'<a href="{PORTFOLIO}">Portfolio</a> /' in changelist
    # The link leads to a page they may open.
    assert client.get(PORTFOLIO).status_code == 200


def test_support_sees_no_portfolio_link(client, staff):
    html = _page(client, staff["support"])
    assert PORTFOLIO not in html
    assert 'id="staff-portfolio"' not in html
    # The link's rule is the page's: support may not open it.
    assert client.get(PORTFOLIO).status_code == 403


def test_a_customer_never_reaches_the_admin(client, user):
    client.force_login(user)
    response = client.get(INDEX)
    assert response.status_code == 302
    assert PORTFOLIO not in response.content.decode()
