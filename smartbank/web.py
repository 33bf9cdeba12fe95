"""What every web page shares: the main navigation, and the customer's locale and time zone.

The pages are Django templates over the same services and selectors as the API. Dates and
times on a page are in the customer's own time zone (``UserTimeZoneMiddleware``) and money
is formatted in their locale (``static/smartbank/app.js``).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.roles import sees_portfolio
from smartbank.money import format_money

# (label, URL name): the main navigation, in order. A customer sees CUSTOMER_NAV; admin and
# auditor see STAFF_NAV; support staff work in the admin.
CUSTOMER_NAV = (
    ("Dashboard", "dashboard"),
    ("Accounts", "accounts-web:list"),
    ("Transactions", "transactions-web:list"),
    ("Import", "transactions-web:import"),
    ("Rules", "transactions-web:rules"),
    ("Budgets", "budgets-web:list"),
    ("Bills", "bills-web:list"),
    ("Rewards", "rewards-web:overview"),
    ("Alerts", "alerts-web:list"),
    ("Reports", "insights-web:reports"),
    ("Settings", "settings"),
)
STAFF_NAV = (
    ("Portfolio", "insights-web:staff-dashboard"),
    ("Staff console", "admin:index"),
    ("Settings", "settings"),
)


def money_html(amount: Decimal, currency: str) -> SafeString:
    """Money for a server-written message: "940.00 EUR" as text, which the page script
    rewrites in the customer's locale ("940,00 €"), like every amount on a page."""
    return format_html(
        '<span data-money="{}" data-currency="{}">{}</span>',
        amount,
        currency,
        format_money(amount, currency),
    )


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def _nav(request) -> list[NavItem]:
    user = request.user
    entries = STAFF_NAV if sees_portfolio(user) else CUSTOMER_NAV
    if getattr(user, "role", None) == "support":
        entries = (("Staff console", "admin:index"), ("Settings", "settings"))
    links = []
    for label, name in entries:
        try:
            links.append((label, reverse(name)))
        except NoReverseMatch:
            # A page not built yet is left out of the menu rather than linked to a 404.
            continue
    # The current entry is the longest link the path starts with: /transactions/import/
    # is Import, not Transactions too.
    matching = [url for _, url in links if request.path.startswith(url) and url != "/"]
    current = max(matching, key=len, default=None)
    return [NavItem(label, url, url == current) for label, url in links]


def web_context(request) -> dict:
    """The ``web`` template variable: bank name, the customer's locale and menu."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    locale = user.locale if signed_in else "en-US"
    nav = _nav(request) if signed_in else []
    return {
        "web": {
            "bank_name": settings.BANK_NAME,
            "locale": locale,
            "language": locale.split("-")[0].split("_")[0].lower(),
            "currency": user.base_currency if signed_in else settings.BASE_CURRENCY,
            "time_zone": user.time_zone if signed_in else "UTC",
            "nav": nav,
            "home_url": nav[0].url if nav else "/",
            # For the staff console's link to the portfolio (templates/admin/).
            "portfolio_url": (
                reverse("insights-web:staff-dashboard") if sees_portfolio(user) else ""
            ),
        }
    }


class UserTimeZoneMiddleware:
    """Renders a signed-in user's pages in their own time zone (timestamps are UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
