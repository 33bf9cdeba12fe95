"""manage.py import_statement: the API's import from a terminal, with a progress bar."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.tests.factories import BankAccountFactory
from transactions.models import ImportBatch, Transaction

pytestmark = pytest.mark.django_db
BANK_MEDIUM = "ofx/ofxparse__bank_medium.ofx"


@pytest.fixture
def cad_account():
    return BankAccountFactory(
        currency="CAD", number_last4="5678", opening_date=datetime.date(2009, 1, 1)
    )


@pytest.fixture
def statement_path(bank_fixture, tmp_path):
    path = tmp_path / "statement.ofx"
    path.write_bytes(bank_fixture(BANK_MEDIUM))
    return path


def test_imports_then_finds_duplicates(cad_account, statement_path, capsys):
    call_command("import_statement", str(statement_path), account=cad_account.pk)
    out, err = capsys.readouterr()
    assert "read 3, created 3, duplicates 0" in out
    assert "100%" in err  # the progress bar reached the end
    cad_account.refresh_from_db()
    assert cad_account.balance == Decimal("1000.00") - Decimal("345.27")

    call_command("import_statement", str(statement_path), account=cad_account.pk)
    assert "created 0, duplicates 3" in capsys.readouterr().out
    assert Transaction.objects.count() == 3


def test_dry_run_prints_the_file_and_writes_nothing(cad_account, statement_path, capsys):
    call_command("import_statement", str(statement_path), account=cad_account.pk, dry_run=True)
    preview = json.loads(capsys.readouterr().out)
    assert (preview["format"], preview["counts"]["rows"]) == ("ofx", 3)
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"account": 999999}, "No bank account with id 999999"),
        ({"mapping": "{nope"}, "--mapping is not valid JSON"),
        ({"account_map": "[1]"}, "--account-map must be a JSON object"),
    ],
)
def test_bad_arguments_are_refused(cad_account, statement_path, arguments, message):
    options = {"account": cad_account.pk, **arguments}
    with pytest.raises(CommandError, match=message):
        call_command("import_statement", str(statement_path), **options)
    assert not ImportBatch.objects.exists()


def test_a_missing_or_broken_file_writes_nothing(cad_account, tmp_path, bank_fixture):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_statement", str(tmp_path / "nope.ofx"), account=cad_account.pk)
    broken = tmp_path / "truncated.ofx"
    broken.write_bytes(bank_fixture("ofx/finances__invalid_bank_xml_truncated.ofx"))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_statement", str(broken), account=cad_account.pk)
    assert not Transaction.objects.exists()
