"""The import profiles pages (an account's saved CSV mapping) through Django's test client."""

import json

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from accounts.tests.factories import BankAccountFactory, UserFactory
from smartbank.testing import database_snapshot
from transactions.import_profile_web_views import describe_mapping
from transactions.models import ImportProfile
from transactions.tests.factories import ImportProfileFactory

pytestmark = pytest.mark.django_db

PROFILES = reverse("transactions-web:import-profiles")


def edit_url(profile) -> str:
    return reverse("transactions-web:import-profile-edit", args=[profile.pk])


def delete_url(profile) -> str:
    return reverse("transactions-web:import-profile-delete", args=[profile.pk])


@pytest.fixture
def profile(user):
    return ImportProfileFactory(account=BankAccountFactory(user=user, name="Everyday"))


def form_data(**changes) -> dict:
    mapping = {"delimiter": ";", "date_column": 0, "amount_column": 1, "day_first": True}
    return {"name": "Corner Bank", "mapping": json.dumps(mapping)} | changes


# --- Login and methods ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_and_nothing_changes(client, profile):
    for url in (PROFILES, edit_url(profile), delete_url(profile)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    before = database_snapshot()
    for url, data in ((edit_url(profile), form_data()), (delete_url(profile), {})):
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert database_snapshot() == before


def test_the_list_is_get_only(web):
    assert web.post(PROFILES).status_code == 405


# --- The list ---------------------------------------------------------------------------


def test_the_list_shows_your_profiles_readably(web, user, profile):
    ImportProfileFactory(
        account=BankAccountFactory(user=user, name="Savings"),
        name="",
        mapping={"delimiter": "\t", "date_column": 2, "description_columns": [3, 4]},
    )
    ImportProfileFactory(account=BankAccountFactory(name="Their account"), name="Their bank")

    response = web.get(PROFILES)

    assert response.status_code == 200
    body = response.content.decode()
    assert [item["profile"].account.name for item in response.context["items"]] == [
        "Everyday",
        "Savings",
    ]
    assert "Their account" not in body and "Their bank" not in body
    assert "“Corner Bank export”" in body
    assert '<th scope="row">Money in</th><td>column 3</td>' in body
    assert '<th scope="row">Separator</th><td>semicolon (;)</td>' in body
    assert '<th scope="row">Description</th><td>columns 4, 5</td>' in body
    assert '<th scope="row">Separator</th><td>tab</td>' in body
    assert edit_url(profile) in body and delete_url(profile) in body


def test_describe_mapping_reads_every_setting():
    lines = dict(
        describe_mapping(
            {
                "has_header": False,
                "header_row": 0,
                "day_first": False,
                "thousands_separator": "",
                "debit_values": ["D", "DR"],
                "something_new": 1,
            }
        )
    )
    assert lines == {
        "Header row": "no",
        "Header on line": "1",
        "Dates": "month before day",
        "Thousands separator": "none",
        "Money out marked as": "D, DR",
        "something_new": "1",
    }


def test_the_list_says_what_to_do_when_empty(web):
    body = web.get(PROFILES).content.decode()

    assert "No import profiles yet." in body


def test_the_import_page_links_to_the_profiles(web):
    body = web.get(reverse("transactions-web:import")).content.decode()

    assert f'href="{PROFILES}"' in body


@pytest.mark.parametrize("size", [1, 20])
def test_the_list_runs_a_fixed_number_of_queries(web, user, django_assert_num_queries, size):
    for _ in range(size):
        ImportProfileFactory(account=BankAccountFactory(user=user))
    # Session, user, the profiles with their accounts.
    with django_assert_num_queries(3):
        response = web.get(PROFILES)
    assert len(response.context["items"]) == size


def test_edit_and_delete_pages_run_a_fixed_number_of_queries(
    web, profile, django_assert_num_queries
):
    # Session, user, the profile with its account.
    with django_assert_num_queries(3):
        assert web.get(edit_url(profile)).status_code == 200
    with django_assert_num_queries(3):
        assert web.get(delete_url(profile)).status_code == 200


# --- Rename and correct -----------------------------------------------------------------


def test_the_form_shows_the_name_and_the_mapping_as_json(web, profile):
    response = web.get(edit_url(profile))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Corner Bank export"' in body
    assert "&quot;credit_column&quot;: 2" in body


def test_rename_and_correct_the_mapping(web, profile):
    response = web.post(edit_url(profile), form_data(), follow=True)

    assert response.redirect_chain == [(PROFILES, 302)]
    assert "The import profile of Everyday is saved." in response.content.decode()
    profile.refresh_from_db()
    assert profile.name == "Corner Bank"
    assert profile.mapping == {
        "delimiter": ";",
        "date_column": 0,
        "amount_column": 1,
        "day_first": True,
    }
    # A customer's own change is not audited as staff's.
    assert not AuditLog.objects.exists()


def test_renaming_alone_keeps_the_mapping(web, profile):
    mapping = profile.mapping
    data = {"name": "  Renamed  ", "mapping": json.dumps(mapping)}

    assert web.post(edit_url(profile), data).status_code == 302

    profile.refresh_from_db()
    assert (profile.name, profile.mapping) == ("Renamed", mapping)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mapping": '{"date_colum": 0}'}, "mapping", "Unknown mapping setting(s): date_colum"),
        ({"mapping": '{"amount_column": "C"}'}, "mapping", "amount_column must be a column"),
        ({"mapping": '{"amount_column": -1}'}, "mapping", "amount_column must be a column"),
        ({"mapping": '{"day_first": "yes"}'}, "mapping", "day_first must be true or false"),
        ({"mapping": '{"encoding": "klingon-8"}'}, "mapping", "Unknown text encoding"),
        ({"mapping": "[0, 1]"}, "mapping", "Send a JSON object"),
        ({"mapping": "null"}, "mapping", "Send a JSON object"),
        ({"mapping": ""}, "mapping", "Send a JSON object"),
        ({"mapping": "{date_column: 0"}, "mapping", "This is not valid JSON"),
        ({"mapping": '{"x": "' + "y" * 200_000 + '"}'}, "mapping", "Unknown mapping setting"),
        ({"name": "x" * 101}, "name", "At most 100 characters."),
        ({"name": "x" * 100_000}, "name", "At most 100 characters."),
        ({"name": "Bank\x00"}, "name", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_400_beside_its_field_and_saves_nothing(web, profile, changes, field, message):
    before = database_snapshot()

    response = web.post(edit_url(profile), form_data(**changes))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert database_snapshot() == before


def test_a_bad_mapping_is_shown_back_as_typed(web, profile):
    response = web.post(edit_url(profile), form_data(mapping="{date_column: 0"))

    assert "{date_column: 0</textarea>" in response.content.decode()


def test_missing_fields_are_400_and_save_nothing(web, profile):
    before = database_snapshot()

    response = web.post(edit_url(profile), {})

    assert response.status_code == 400
    assert "Send a JSON object" in " ".join(response.context["form"].errors["mapping"])
    assert database_snapshot() == before


# --- Forget -----------------------------------------------------------------------------


def test_forget_asks_first_then_deletes(web, profile):
    page = web.get(delete_url(profile))
    assert page.status_code == 200
    assert "Forget the import profile of Everyday?" in page.content.decode()
    assert ImportProfile.objects.filter(pk=profile.pk).exists()

    response = web.post(delete_url(profile), follow=True)

    assert response.redirect_chain == [(PROFILES, 302)]
    assert "The import profile of Everyday is forgotten" in response.content.decode()
    assert not ImportProfile.objects.filter(pk=profile.pk).exists()


# --- Another customer's -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_customers_profile_is_404_and_unchanged(web, method):
    theirs = ImportProfileFactory(account=BankAccountFactory(user=UserFactory()))
    before = database_snapshot()

    for url in (edit_url(theirs), delete_url(theirs)):
        data = form_data() if method == "post" and url == edit_url(theirs) else {}
        assert getattr(web, method)(url, data).status_code == 404
    assert database_snapshot() == before


def test_unknown_ids_are_404(web):
    for name in ("import-profile-edit", "import-profile-delete"):
        url = reverse(f"transactions-web:{name}", args=[999_999])
        assert web.get(url).status_code == 404
    assert web.get(f"{PROFILES}abc/edit/").status_code == 404
