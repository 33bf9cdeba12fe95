"""The auth API (signup, login, refresh, logout), users/me, throttling and their schema."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AuditLog, User
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/api/v1/auth/signup/"
LOGIN_URL = "/api/v1/auth/login/"
REFRESH_URL = "/api/v1/auth/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/users/me/"

STRONG_PASSWORD = "violet-Harbour-91-lantern"
ME_FIELDS = {
    "id",
    "email",
    "full_name",
    "phone",
    "role",
    "kyc_status",
    "base_currency",
    "time_zone",
    "locale",
    "date_joined",
}
BAD_CREDENTIALS = "No active account found with the given credentials"


def _db_state():
    """What a refused request must leave exactly as it was."""
    return (
        list(User.objects.order_by("pk").values()),
        OutstandingToken.objects.count(),
        BlacklistedToken.objects.count(),
        AuditLog.objects.count(),
    )


def _login(client, email, password=TEST_PASSWORD, **extra):
    return client.post(LOGIN_URL, {"email": email, "password": password}, **extra)


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- Signup ---------------------------------------------------------------------------


def test_signup_creates_a_customer_and_returns_the_user_with_working_tokens(anon_client):
    response = anon_client.post(
        SIGNUP_URL,
        {
            "email": "  Ann.Lee@Example.COM ",
            "password": STRONG_PASSWORD,
            "full_name": "Ann Lee",
            "phone": "+44 7700 900123",
            "base_currency": "gbp",
            "time_zone": "Europe/London",
            "locale": "en-gb",
        },
    )

    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) == {"user", "access", "refresh"}
    assert set(body["user"]) == ME_FIELDS
    assert "password" not in response.content.decode()
    assert STRONG_PASSWORD not in response.content.decode()
    assert body["user"]["email"] == "ann.lee@example.com"
    assert body["user"]["base_currency"] == "GBP"
    assert body["user"]["role"] == "customer"
    assert body["user"]["kyc_status"] == "pending"

    user = User.objects.get()
    assert user.email == "ann.lee@example.com"
    assert (user.full_name, user.phone, user.time_zone, user.locale) == (
        "Ann Lee",
        "+44 7700 900123",
        "Europe/London",
        "en-gb",
    )
    assert user.password != STRONG_PASSWORD
    assert user.check_password(STRONG_PASSWORD)
    assert not user.is_staff and not user.is_superuser
    assert user.groups.count() == 0

    me = _bearer(body["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk
    refreshed = anon_client.post(REFRESH_URL, {"refresh": body["refresh"]})
    assert refreshed.status_code == 200


def test_signup_with_only_email_and_password_takes_the_defaults(anon_client):
    response = anon_client.post(
        SIGNUP_URL, {"email": "bo@example.com", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 201, response.data
    user = User.objects.get(email="bo@example.com")
    assert user.base_currency == django_settings.BASE_CURRENCY
    assert user.time_zone == "UTC"
    assert user.locale == "en-us"
    assert user.full_name == ""


def test_signup_ignores_role_kyc_and_staff_flags_in_the_body(anon_client):
    response = anon_client.post(
        SIGNUP_URL,
        {
            "email": "mallory@example.com",
            "password": STRONG_PASSWORD,
            "role": "admin",
            "kyc_status": "verified",
            "is_staff": True,
            "is_superuser": True,
            "groups": ["Admins"],
        },
    )

    assert response.status_code == 201, response.data
    user = User.objects.get(email="mallory@example.com")
    assert user.role == User.Role.CUSTOMER
    assert user.kyc_status == User.KycStatus.PENDING
    assert not user.is_staff
    assert not user.is_superuser
    assert user.groups.count() == 0
    assert response.json()["user"]["role"] == "customer"
    assert response.json()["user"]["kyc_status"] == "pending"


def test_signup_ignores_a_stale_authorization_header(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = anon_client.post(
        SIGNUP_URL, {"email": "cy@example.com", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 201, response.data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": None}, "email"),
        ({"password": None}, "password"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ann@"}, "email"),
        ({"password": "short1"}, "password"),
        ({"password": "password123"}, "password"),
        ({"password": "4839201748392"}, "password"),
        ({"password": "dan.brown@example"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"base_currency": "XYZ"}, "base_currency"),
        ({"base_currency": "EURO"}, "base_currency"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"full_name": "n" * 151}, "full_name"),
        ({"locale": "x" * 17}, "locale"),
        ({"locale": "<script>"}, "locale"),
        ({"phone": "call me maybe"}, "phone"),
    ],
)
def test_signup_bad_input_is_a_400_naming_the_field_and_writes_nothing(anon_client, changes, field):
    UserFactory(email="existing@example.com")
    payload = {"email": "dan.brown@example.com", "password": STRONG_PASSWORD}
    for key, value in changes.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    before = _db_state()

    response = anon_client.post(SIGNUP_URL, payload)

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert _db_state() == before


@pytest.mark.parametrize("email", ["Ann@X.com", "ann@x.com", "ANN@X.COM", " ann@x.com "])
def test_signup_with_an_email_taken_in_any_case_is_a_400(anon_client, email):
    UserFactory(email="ann@x.com")
    before = _db_state()

    response = anon_client.post(SIGNUP_URL, {"email": email, "password": STRONG_PASSWORD})

    assert response.status_code == 400
    assert response.json() == {"email": ["An account with this email already exists."]}
    assert _db_state() == before


def test_signup_rejects_a_json_body_that_is_not_an_object(anon_client):
    before = _db_state()

    response = anon_client.post(SIGNUP_URL, ["email", "password"], format="json")

    assert response.status_code == 400
    assert _db_state() == before


# --- Login ----------------------------------------------------------------------------


def test_login_returns_a_token_pair_for_the_user(anon_client, user):
    response = _login(anon_client, user.email)

    assert response.status_code == 200, response.data
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert RefreshToken(body["refresh"])["user_id"] == str(user.pk)
    me = _bearer(body["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    user.refresh_from_db()
    assert user.last_login is not None


def test_login_email_is_case_insensitive(anon_client):
    user = UserFactory(email="ann@example.com")

    response = _login(anon_client, "  ANN@Example.Com")

    assert response.status_code == 200, response.data
    assert RefreshToken(response.json()["refresh"])["user_id"] == str(user.pk)


def test_login_does_not_fold_look_alike_letters(anon_client):
    # PostgreSQL's UPPER('ſ') is 'S': an iexact lookup would log this in as sam@ and give
    # every such spelling its own throttle bucket.
    UserFactory(email="sam@example.com")

    response = _login(anon_client, "\u017fam@example.com")

    assert response.status_code == 401, response.data


def test_login_does_not_trim_the_password(anon_client):
    UserFactory(email="ann@example.com")

    assert _login(anon_client, "ann@example.com", f" {TEST_PASSWORD} ").status_code == 401


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("ann@example.com", "wrong-password-123", True),
        ("nobody@example.com", TEST_PASSWORD, True),
        ("ann@example.com", TEST_PASSWORD, False),
    ],
    ids=["wrong-password", "unknown-email", "inactive"],
)
def test_login_failures_are_one_401_that_does_not_say_which(anon_client, email, password, active):
    UserFactory(email="ann@example.com", is_active=active)
    before = _db_state()

    response = _login(anon_client, email, password)

    assert response.status_code == 401
    assert response.json() == {"detail": BAD_CREDENTIALS}
    assert _db_state() == before


@pytest.mark.parametrize("missing", ["email", "password"])
def test_login_without_a_field_is_a_400_naming_it(anon_client, user, missing):
    payload = {"email": user.email, "password": TEST_PASSWORD}
    payload.pop(missing)

    response = anon_client.post(LOGIN_URL, payload)

    assert response.status_code == 400
    assert missing in response.json()


# --- Refresh --------------------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_is_refused(anon_client, user):
    first = _login(anon_client, user.email).json()

    rotated = anon_client.post(REFRESH_URL, {"refresh": first["refresh"]})

    assert rotated.status_code == 200, rotated.data
    second = rotated.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert _bearer(second["access"]).get(ME_URL).status_code == 200
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True))
    assert blacklisted == {RefreshToken(first["refresh"], verify=False)["jti"]}

    reused = anon_client.post(REFRESH_URL, {"refresh": first["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"

    assert anon_client.post(REFRESH_URL, {"refresh": second["refresh"]}).status_code == 200


@pytest.mark.parametrize(
    "token", ["not-a-token", "a.b.c", ""], ids=["garbage", "three-parts", "empty"]
)
def test_refresh_with_a_malformed_token_is_refused(anon_client, token):
    response = anon_client.post(REFRESH_URL, {"refresh": token})

    assert response.status_code in (400, 401)
    assert response.status_code == (400 if token == "" else 401)


def test_refresh_with_an_access_token_is_a_401(anon_client, user):
    access = _login(anon_client, user.email).json()["access"]

    assert anon_client.post(REFRESH_URL, {"refresh": access}).status_code == 401


def test_refresh_without_the_field_is_a_400(anon_client):
    response = anon_client.post(REFRESH_URL, {})

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_refresh_for_an_inactive_user_is_a_401(anon_client, user):
    refresh = _login(anon_client, user.email).json()["refresh"]
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert anon_client.post(REFRESH_URL, {"refresh": refresh}).status_code == 401


def test_refresh_for_a_deleted_user_is_a_401_not_a_500(anon_client):
    user = UserFactory()
    refresh = _login(anon_client, user.email).json()["refresh"]
    user.delete()

    response = anon_client.post(REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_give_one_new_pair():
    user = UserFactory()
    refresh = _login(APIClient(), user.email).json()["refresh"]
    threads = 8
    start = threading.Barrier(threads)

    def rotate(_):
        start.wait(timeout=30)
        try:
            return APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(rotate, range(threads)))

    assert sorted(outcomes) == [200] + [401] * (threads - 1)


# --- Logout ---------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token_and_refresh_then_fails(anon_client, user):
    tokens = _login(anon_client, user.email).json()
    client = _bearer(tokens["access"])

    response = client.post(LOGOUT_URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 205
    jti = RefreshToken(tokens["refresh"], verify=False)["jti"]
    assert BlacklistedToken.objects.filter(token__jti=jti).exists()
    refused = anon_client.post(REFRESH_URL, {"refresh": tokens["refresh"]})
    assert refused.status_code == 401


def test_logout_needs_authentication(anon_client, user):
    refresh = _login(anon_client, user.email).json()["refresh"]
    before = _db_state()

    response = anon_client.post(LOGOUT_URL, {"refresh": refresh})

    assert response.status_code == 401
    assert _db_state() == before


def test_logout_with_another_users_token_is_refused_and_blacklists_nothing(
    anon_client, api_client, other_user
):
    victim_refresh = _login(anon_client, other_user.email).json()["refresh"]
    before = _db_state()

    response = api_client.post(LOGOUT_URL, {"refresh": victim_refresh})

    assert response.status_code == 400
    assert response.json() == {"refresh": ["This refresh token belongs to another user."]}
    assert _db_state() == before
    assert anon_client.post(REFRESH_URL, {"refresh": victim_refresh}).status_code == 200


@pytest.mark.parametrize("token", ["not-a-token", "", None], ids=["malformed", "blank", "missing"])
def test_logout_with_a_bad_token_is_a_400_on_the_refresh_field(api_client, token):
    before = _db_state()

    response = api_client.post(LOGOUT_URL, {} if token is None else {"refresh": token})

    assert response.status_code == 400
    assert response.json()["refresh"]
    assert _db_state() == before


def test_logout_with_an_access_token_in_place_of_the_refresh_is_a_400(anon_client, user):
    tokens = _login(anon_client, user.email).json()

    response = _bearer(tokens["access"]).post(LOGOUT_URL, {"refresh": tokens["access"]})

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_logout_twice_with_one_token_is_a_400(anon_client, user):
    tokens = _login(anon_client, user.email).json()
    client = _bearer(tokens["access"])
    assert client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}).status_code == 205

    again = client.post(LOGOUT_URL, {"refresh": tokens["refresh"]})

    assert again.status_code == 400
    assert again.json() == {"refresh": ["Token is blacklisted"]}


# --- users/me -------------------------------------------------------------------------


def test_me_returns_the_signed_in_users_profile(api_client, user):
    response = api_client.get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ME_FIELDS
    assert body["id"] == user.pk
    assert body["email"] == user.email
    assert body["full_name"] == user.full_name
    assert body["role"] == "customer"
    assert body["kyc_status"] == "pending"
    assert body["base_currency"] == "EUR"
    assert body["time_zone"] == "Europe/London"


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_without_authentication_is_a_401(anon_client, method):
    response = getattr(anon_client, method)(ME_URL, {"full_name": "X"})

    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")


def test_me_with_an_invalid_token_is_a_401(user):
    assert _bearer("not-a-token").get(ME_URL).status_code == 401


def test_me_patch_changes_the_profile_without_an_audit_entry(api_client, user):
    response = api_client.patch(
        ME_URL,
        {
            "full_name": "Ann Other",
            "phone": "+1 555 0100",
            "base_currency": "usd",
            "time_zone": "America/New_York",
            "locale": "en-us",
            "email": "Ann.Other@Example.com",
        },
    )

    assert response.status_code == 200, response.data
    assert response.json()["base_currency"] == "USD"
    assert response.json()["email"] == "ann.other@example.com"
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.base_currency, user.time_zone, user.email) == (
        "Ann Other",
        "+1 555 0100",
        "USD",
        "America/New_York",
        "ann.other@example.com",
    )
    assert AuditLog.objects.count() == 0


def test_me_patch_ignores_read_only_fields(api_client, user):
    before = list(User.objects.filter(pk=user.pk).values())

    response = api_client.patch(
        ME_URL,
        {
            "id": user.pk + 100,
            "role": "admin",
            "kyc_status": "verified",
            "date_joined": "2000-01-01T00:00:00Z",
            "is_staff": True,
            "is_active": False,
            "password": "new-password-that-is-long",
        },
    )

    assert response.status_code == 200, response.data
    assert response.json()["role"] == "customer"
    assert response.json()["kyc_status"] == "pending"
    assert list(User.objects.filter(pk=user.pk).values()) == before
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "OTHER@example.com"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"base_currency": "XYZ"}, "base_currency"),
        ({"time_zone": "Nowhere/Special"}, "time_zone"),
        ({"full_name": "n" * 151}, "full_name"),
        ({"full_name": "Fine", "time_zone": "Nowhere/Special"}, "time_zone"),
        ({"locale": "<script>"}, "locale"),
        ({"phone": "+44 20 7946 0000 ext. 5"}, "phone"),
    ],
)
def test_me_patch_bad_input_is_a_400_and_changes_nothing(api_client, user, payload, field):
    UserFactory(email="other@example.com")
    before = _db_state()

    response = api_client.patch(ME_URL, payload)

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert _db_state() == before


def test_me_put_is_not_allowed(api_client, user):
    before = _db_state()

    response = api_client.put(ME_URL, {"full_name": "Whole"})

    assert response.status_code == 405
    assert _db_state() == before


def test_staff_editing_their_own_profile_does_not_change_their_role(staff):
    client = client_for(staff["support"])

    response = client.patch(ME_URL, {"role": "admin", "full_name": "Sam Support"})

    assert response.status_code == 200
    staff["support"].refresh_from_db()
    assert staff["support"].role == "support"
    assert staff["support"].full_name == "Sam Support"


# --- Throttling -----------------------------------------------------------------------


@pytest.fixture
def auth_rate(settings):
    """Lower the auth rate to 3 a minute; DRF re-reads REST_FRAMEWORK on the change."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    rates.update({"auth_ip": "3/min", "auth_email": "3/min"})
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    return 3


def _assert_throttled(response):
    assert response.status_code == 429
    assert "throttled" in response.json()["detail"].lower()
    assert int(response["Retry-After"]) > 0


def test_the_auth_rates_come_from_the_auth_throttle_rate_setting():
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["auth_ip"] == django_settings.AUTH_THROTTLE_RATE
    assert rates["auth_email"] == django_settings.AUTH_THROTTLE_RATE


def test_login_past_the_rate_is_a_429(anon_client, user, auth_rate):
    for _ in range(auth_rate):
        assert _login(anon_client, user.email, "wrong-password-123").status_code == 401

    response = _login(anon_client, user.email)

    _assert_throttled(response)


def test_another_email_from_the_same_ip_is_still_limited_by_ip(anon_client, auth_rate):
    for n in range(auth_rate):
        _login(anon_client, f"guess{n}@example.com", "wrong-password-123", REMOTE_ADDR="10.0.0.1")
    fresh = UserFactory()

    response = _login(anon_client, fresh.email, REMOTE_ADDR="10.0.0.1")

    _assert_throttled(response)
    assert _login(anon_client, fresh.email, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_same_email_from_other_ips_is_limited_by_email(anon_client, user, auth_rate):
    for n in range(auth_rate):
        attempt = _login(anon_client, user.email, "wrong-password-123", REMOTE_ADDR=f"10.0.1.{n}")
        assert attempt.status_code == 401

    response = _login(anon_client, user.email, REMOTE_ADDR="10.0.2.1")

    _assert_throttled(response)
    other = UserFactory()
    assert _login(anon_client, other.email, REMOTE_ADDR="10.0.2.1").status_code == 200


def test_the_email_limit_counts_every_case_of_an_email_together(anon_client, auth_rate):
    UserFactory(email="ann@example.com")
    for n, email in enumerate(["Ann@Example.com", "ANN@EXAMPLE.COM", " ann@example.com"]):
        _login(anon_client, email, "wrong-password-123", REMOTE_ADDR=f"10.0.3.{n}")

    _assert_throttled(_login(anon_client, "ann@EXAMPLE.com", REMOTE_ADDR="10.0.3.9"))


def test_signup_past_the_rate_is_a_429_and_creates_nothing(anon_client, auth_rate):
    for n in range(auth_rate):
        anon_client.post(SIGNUP_URL, {"email": f"new{n}@example.com", "password": STRONG_PASSWORD})
    assert User.objects.count() == auth_rate
    before = _db_state()

    response = anon_client.post(
        SIGNUP_URL, {"email": "one-more@example.com", "password": STRONG_PASSWORD}
    )

    _assert_throttled(response)
    assert _db_state() == before


def test_refresh_and_me_are_not_auth_throttled(anon_client, user, auth_rate):
    refresh = _login(anon_client, user.email).json()["refresh"]
    for _ in range(auth_rate + 1):
        response = anon_client.post(REFRESH_URL, {"refresh": refresh})
        assert response.status_code == 200
        refresh = response.json()["refresh"]
    client = client_for(user)
    for _ in range(auth_rate + 1):
        assert client.get(ME_URL).status_code == 200


# --- Schema ---------------------------------------------------------------------------


def test_the_schema_documents_every_auth_endpoint(anon_client):
    response = anon_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    schemas = schema["components"]["schemas"]
    for path, method, request_component, ok in [
        ("/api/v1/auth/signup/", "post", "SignupRequest", "201"),
        ("/api/v1/auth/login/", "post", "LoginRequest", "200"),
        ("/api/v1/auth/refresh/", "post", "RefreshRequest", "200"),
        ("/api/v1/auth/logout/", "post", "LogoutRequest", "205"),
        ("/api/v1/users/me/", "patch", "PatchedUserRequest", "200"),
    ]:
        operation = paths[path][method]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{request_component}"}
        assert ok in operation["responses"]
        assert request_component in schemas
    assert "put" not in paths["/api/v1/users/me/"]
    assert "429" in paths["/api/v1/auth/login/"]["post"]["responses"]
    assert "401" in paths["/api/v1/auth/login/"]["post"]["responses"]
    for path in ("/api/v1/auth/signup/", "/api/v1/auth/login/", "/api/v1/auth/refresh/"):
        assert not paths[path]["post"].get("security")
    assert paths["/api/v1/auth/logout/"]["post"]["security"]
    me_response = paths["/api/v1/users/me/"]["get"]["responses"]["200"]
    assert me_response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/User"
    }
    assert set(schemas["User"]["properties"]) == ME_FIELDS
    for read_only in ("id", "role", "kyc_status", "date_joined"):
        assert schemas["User"]["properties"][read_only].get("readOnly") is True
        assert read_only not in schemas["PatchedUserRequest"]["properties"]
