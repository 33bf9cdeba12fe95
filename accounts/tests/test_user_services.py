"""accounts.services for users: signup, profile updates, roles, KYC and their audit trail."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, User
from accounts.roles import ROLE_GROUPS
from accounts.services import user_set_kyc_status, user_set_role, user_signup, user_update
from accounts.tests.factories import UserFactory
from smartbank import request_context

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "violet-Harbour-91-lantern"


def _user_rows():
    return list(User.objects.order_by("pk").values())


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def _role_groups(user) -> set[str]:
    return set(user.groups.filter(name__in=ROLE_GROUPS.values()).values_list("name", flat=True))


@pytest.fixture
def in_request():
    """Run the test as if inside a request from 203.0.113.7 with a known request id."""
    token = request_context.set_current(
        request_context.RequestContext(request_id="req-123", ip_address="203.0.113.7")
    )
    yield
    request_context.reset(token)


# --- user_signup ----------------------------------------------------------------------


def test_signup_creates_a_pending_customer_with_a_hashed_password(settings):
    user = user_signup(
        email="  Ann.Lee@Example.COM ",
        password=STRONG_PASSWORD,
        full_name="Ann Lee",
        phone="+44 7700 900123",
        base_currency="GBP",
        time_zone="Europe/London",
        locale="en-gb",
    )

    user.refresh_from_db()
    assert user.email == "ann.lee@example.com"
    assert user.role == User.Role.CUSTOMER
    assert user.kyc_status == User.KycStatus.PENDING
    assert not user.is_staff and not user.is_superuser
    assert user.password != STRONG_PASSWORD
    assert user.check_password(STRONG_PASSWORD)
    assert (user.full_name, user.phone, user.base_currency, user.time_zone, user.locale) == (
        "Ann Lee",
        "+44 7700 900123",
        "GBP",
        "Europe/London",
        "en-gb",
    )
    assert AuditLog.objects.count() == 0


def test_signup_defaults_to_the_banks_base_currency_and_utc(settings):
    user = user_signup(email="bo@example.com", password=STRONG_PASSWORD)

    assert user.base_currency == settings.BASE_CURRENCY
    assert user.time_zone == "UTC"
    assert user.locale == "en-us"


@pytest.mark.parametrize("email", ["ann@x.com", "Ann@X.com", "ANN@X.COM"])
def test_signup_refuses_an_email_taken_in_any_case(email):
    UserFactory(email="ann@x.com")
    before = _user_rows()

    with pytest.raises(ValidationError) as raised:
        user_signup(email=email, password=STRONG_PASSWORD)

    assert raised.value.message_dict == {"email": ["An account with this email already exists."]}
    assert _user_rows() == before


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "1234567890123", "carol.jones@example.com"],
    ids=["too-short", "common", "numeric", "like-the-email"],
)
def test_signup_validates_the_password_with_djangos_validators(password):
    with pytest.raises(ValidationError) as raised:
        user_signup(email="carol.jones@example.com", password=password)

    assert set(raised.value.message_dict) == {"password"}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"base_currency": "XYZ"}, "base_currency"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_signup_refuses_bad_fields_and_saves_nothing(fields, field):
    kwargs = {"email": "dee@example.com", "password": STRONG_PASSWORD, **fields}

    with pytest.raises(ValidationError) as raised:
        user_signup(**kwargs)

    assert field in raised.value.message_dict
    assert not User.objects.exists()


def test_signup_takes_keyword_arguments_only():
    with pytest.raises(TypeError):
        user_signup("eve@example.com", STRONG_PASSWORD)  # type: ignore[misc]


# --- user_update ----------------------------------------------------------------------


def test_a_customer_editing_their_own_profile_is_not_audited(user):
    updated = user_update(
        user=user,
        actor=user,
        full_name="New Name",
        phone="+1 555 0100",
        base_currency="USD",
        time_zone="America/New_York",
        locale="en-us",
    )

    user.refresh_from_db()
    assert updated.pk == user.pk
    assert (user.full_name, user.phone, user.base_currency, user.time_zone) == (
        "New Name",
        "+1 555 0100",
        "USD",
        "America/New_York",
    )
    assert AuditLog.objects.count() == 0


def test_update_lowercases_a_new_email(user):
    user_update(user=user, actor=user, email="  New.Address@Example.COM ")

    user.refresh_from_db()
    assert user.email == "new.address@example.com"


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@example.com", "Taken@Example.Com"])
def test_update_refuses_an_email_another_user_has_in_any_case(user, email):
    UserFactory(email="taken@example.com")
    before = _user_rows()

    with pytest.raises(ValidationError) as raised:
        user_update(user=user, actor=user, email=email)

    assert set(raised.value.message_dict) == {"email"}
    assert _user_rows() == before


def test_update_to_ones_own_email_in_another_case_changes_nothing(user):
    before = _user_rows()

    user_update(user=user, actor=user, email=user.email.upper())

    assert _user_rows() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"base_currency": "XYZ"}, "base_currency"),
        ({"time_zone": "Nowhere/Special"}, "time_zone"),
        ({"full_name": "Fine", "time_zone": "Nowhere/Special"}, "time_zone"),
    ],
)
def test_update_refuses_bad_fields_and_saves_nothing(user, fields, field):
    before = _user_rows()

    with pytest.raises(ValidationError) as raised:
        user_update(user=user, actor=user, **fields)

    assert field in raised.value.message_dict
    assert _user_rows() == before


@pytest.mark.parametrize("field", ["role", "kyc_status", "is_staff", "is_superuser", "password"])
def test_update_cannot_change_role_kyc_staff_or_password(user, field):
    before = _user_rows()

    with pytest.raises(ValueError, match=field):
        user_update(user=user, actor=user, **{field: "x"})

    assert _user_rows() == before


def test_an_update_that_changes_nothing_writes_nothing(user, staff):
    with CaptureQueriesContext(connection) as queries:
        user_update(user=user, actor=staff["admin"], full_name=user.full_name)

    assert _writes(queries) == []
    assert AuditLog.objects.count() == 0


def test_staff_changing_a_customer_is_audited_with_what_changed(user, staff, in_request):
    admin = staff["admin"]
    old_name = user.full_name

    user_update(user=user, actor=admin, full_name="Changed By Staff", is_active=False)

    entry = AuditLog.objects.get()
    assert entry.actor == admin
    assert entry.actor_email == admin.email
    assert entry.action == "user.update"
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(user.pk))
    assert entry.changes == {
        "full_name": [old_name, "Changed By Staff"],
        "is_active": [True, False],
    }
    assert entry.ip_address == "203.0.113.7"
    assert entry.request_id == "req-123"
    user.refresh_from_db()
    assert not user.is_active


def test_an_update_without_an_actor_is_not_audited(user):
    user_update(user=user, actor=None, full_name="From A Script")

    assert AuditLog.objects.count() == 0


# --- user_set_role --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "auditor", "support"])
def test_a_staff_role_makes_the_user_staff_in_its_group(user, role):
    user_set_role(user=user, role=role, actor=None)

    user.refresh_from_db()
    assert user.role == role
    assert user.is_staff
    assert _role_groups(user) == {ROLE_GROUPS[role]}


def test_changing_role_moves_the_user_to_the_new_group_only(user):
    user_set_role(user=user, role="support", actor=None)
    user_set_role(user=user, role="auditor", actor=None)

    user.refresh_from_db()
    assert _role_groups(user) == {"Auditors"}


def test_back_to_customer_removes_staff_and_role_groups_but_keeps_other_groups(user):
    other_group = Group.objects.create(name="Newsletter")
    user.groups.add(other_group)
    user_set_role(user=user, role="admin", actor=None)

    user_set_role(user=user, role="customer", actor=None)

    user.refresh_from_db()
    assert user.role == "customer"
    assert not user.is_staff
    assert set(user.groups.values_list("name", flat=True)) == {"Newsletter"}


def test_a_superuser_stays_staff_as_a_customer():
    superuser = UserFactory(is_superuser=True, is_staff=True)

    user_set_role(user=superuser, role="customer", actor=None)

    superuser.refresh_from_db()
    assert superuser.is_staff


def test_the_role_groups_carry_their_roles_permissions(user):
    user_set_role(user=user, role="auditor", actor=None)
    user = User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance

    assert user.has_perm("accounts.view_user")
    assert not user.has_perm("accounts.change_user")
    assert not user.has_perm("accounts.change_bankaccount")


def test_an_unknown_role_is_refused_and_nothing_changes(user):
    before = _user_rows()

    with pytest.raises(ValidationError) as raised:
        user_set_role(user=user, role="owner", actor=None)

    assert set(raised.value.message_dict) == {"role"}
    assert _user_rows() == before
    assert _role_groups(user) == set()


def test_staff_changing_a_role_is_audited(user, staff, in_request):
    user_set_role(user=user, role="support", actor=staff["admin"])

    entry = AuditLog.objects.get()
    assert entry.action == "user.set_role"
    assert entry.actor == staff["admin"]
    assert entry.changes == {"role": ["customer", "support"]}
    assert entry.target_id == str(user.pk)
    assert entry.ip_address == "203.0.113.7"


def test_setting_the_same_role_again_is_not_audited(staff):
    support = staff["support"]
    AuditLog.objects.all().delete()

    user_set_role(user=support, role="support", actor=staff["admin"])

    assert AuditLog.objects.count() == 0
    assert _role_groups(support) == {"Support"}


# --- user_set_kyc_status --------------------------------------------------------------


@pytest.mark.parametrize("status", ["verified", "rejected"])
def test_kyc_status_is_set(user, status):
    user_set_kyc_status(user=user, kyc_status=status, actor=None)

    user.refresh_from_db()
    assert user.kyc_status == status


def test_an_unknown_kyc_status_is_refused_and_nothing_changes(user, staff):
    before = _user_rows()

    with pytest.raises(ValidationError) as raised:
        user_set_kyc_status(user=user, kyc_status="approved", actor=staff["admin"])

    assert set(raised.value.message_dict) == {"kyc_status"}
    assert _user_rows() == before
    assert AuditLog.objects.count() == 0


def test_staff_verifying_a_customer_is_audited(user, staff, in_request):
    user_set_kyc_status(user=user, kyc_status="verified", actor=staff["support"])

    entry = AuditLog.objects.get()
    assert entry.action == "user.set_kyc_status"
    assert entry.actor == staff["support"]
    assert entry.actor_email == staff["support"].email
    assert entry.changes == {"kyc_status": ["pending", "verified"]}
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(user.pk))
    assert entry.request_id == "req-123"


def test_setting_the_same_kyc_status_writes_nothing(user, staff):
    with CaptureQueriesContext(connection) as queries:
        user_set_kyc_status(user=user, kyc_status="pending", actor=staff["admin"])

    assert _writes(queries) == []
    assert AuditLog.objects.count() == 0


def test_kyc_set_without_an_actor_is_not_audited(user):
    user_set_kyc_status(user=user, kyc_status="rejected", actor=None)

    assert AuditLog.objects.count() == 0
