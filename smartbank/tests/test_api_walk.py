"""Walks every endpoint in the OpenAPI schema, so a new endpoint is covered the day it lands:

- an anonymous call gets 401 (except the public auth endpoints),
- another customer's object id gets 404 on every verb, and nothing changes,
- a 10 MB body gets 413, and nothing changes.
"""

import json
import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.tests.factories import BankAccountFactory
from alerts.tests.factories import AlertFactory, AlertSubscriptionFactory
from bills.tests.factories import BillFactory
from budgets.tests.factories import BudgetFactory
from conftest import client_for
from insights.tests.factories import ExportFactory
from rewards.services import programme_for
from smartbank.testing import database_snapshot
from transactions.rule_services import rule_create
from transactions.tests.factories import (
    CategoryFactory,
    ImportBatchFactory,
    ImportProfileFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

PUBLIC_PATHS = {
    "/api/v1/auth/signup/",
    "/api/v1/auth/login/",
    "/api/v1/auth/refresh/",
}

# One factory per object endpoint; the walk fails if an {id} endpoint appears without one.
OBJECT_FACTORIES = {
    "/api/v1/accounts/": lambda owner: BankAccountFactory(user=owner),
    "/api/v1/transactions/": lambda owner: TransactionFactory(
        account=BankAccountFactory(user=owner)
    ),
    "/api/v1/categories/": lambda owner: CategoryFactory(user=owner),
    "/api/v1/budgets/": lambda owner: BudgetFactory(user=owner),
    # month/{year}/{month}/ shows the caller's own month, so there is no other customer's
    # object to reach: the id fills both year and month, never a real month, a 404.
    "/api/v1/budgets/month/": lambda owner: BudgetFactory(user=owner),
    "/api/v1/bills/": lambda owner: BillFactory(account=BankAccountFactory(user=owner)),
    "/api/v1/imports/": lambda owner: ImportBatchFactory(account=BankAccountFactory(user=owner)),
    "/api/v1/import-profiles/": lambda owner: ImportProfileFactory(
        account=BankAccountFactory(user=owner)
    ),
    "/api/v1/categories/rules/": lambda owner: rule_create(
        user=owner,
        name="Coffee",
        conditions=[{"field": "description", "operator": "contains", "value": "coffee"}],
        set_merchant="Coffee shop",
    ),
    "/api/v1/alerts/": lambda owner: AlertFactory(user=owner),
    # The path names an alert type of the caller's own preferences, so another customer's
    # row cannot be addressed at all: its id is no alert type, a 404 that changes nothing.
    "/api/v1/alerts/subscriptions/": lambda owner: AlertSubscriptionFactory(user=owner),
    "/api/v1/rewards/": lambda owner: programme_for(owner),
    # A report's object is the customer it is about.
    "/api/v1/reports/account-summary/": lambda owner: owner,
    "/api/v1/reports/transaction-trends/": lambda owner: owner,
    "/api/v1/exports/": lambda owner: ExportFactory(account=BankAccountFactory(user=owner)),
}

TEN_MB = 10 * 1024 * 1024


def api_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method


OPERATIONS = sorted(api_operations())


def concrete(path: str, object_id: int = 999999) -> str:
    return re.sub(r"\{[^}]+\}", str(object_id), path)


PRIVATE_OPERATIONS = [(p, m) for p, m in OPERATIONS if p not in PUBLIC_PATHS]


@pytest.mark.parametrize(
    ("path", "method"), PRIVATE_OPERATIONS, ids=[f"{m} {p}" for p, m in PRIVATE_OPERATIONS]
)
def test_anonymous_call_gets_401(anon_client, path, method):
    response = getattr(anon_client, method)(concrete(path), data={}, format="json")
    assert response.status_code == 401, response.content


OBJECT_OPERATIONS = [(p, m) for p, m in OPERATIONS if "{" in p]


@pytest.mark.parametrize(
    ("path", "method"), OBJECT_OPERATIONS, ids=[f"{m} {p}" for p, m in OBJECT_OPERATIONS]
)
def test_another_customers_object_is_404_and_unchanged(user, other_user, path, method):
    prefix = path[: path.index("{")]
    assert prefix in OBJECT_FACTORIES, f"add a factory for {prefix} to OBJECT_FACTORIES"
    victim_object = OBJECT_FACTORIES[prefix](user)
    intruder = client_for(other_user)  # issuing its token writes a row; do it before the snapshot
    before = database_snapshot()
    response = getattr(intruder, method)(
        concrete(path, victim_object.pk), data={"name": "x", "amount": "-1.00"}, format="json"
    )
    assert response.status_code == 404, response.content
    assert database_snapshot() == before


WRITE_OPERATIONS = [(p, m) for p, m in OPERATIONS if m in ("post", "put", "patch")]


@pytest.mark.parametrize(
    ("path", "method"), WRITE_OPERATIONS, ids=[f"{m} {p}" for p, m in WRITE_OPERATIONS]
)
def test_ten_megabyte_body_is_refused(user, path, method):
    object_id = 999999
    if "{" in path:
        object_id = OBJECT_FACTORIES[path[: path.index("{")]](user).pk
    client = client_for(user)
    before = database_snapshot()
    body = json.dumps({"description": "x" * TEN_MB})
    response = getattr(client, method)(
        concrete(path, object_id), data=body, content_type="application/json"
    )
    assert response.status_code in (400, 413), response.content
    assert database_snapshot() == before


def test_the_walk_sees_the_endpoints():
    paths = {p for p, _ in OPERATIONS}
    assert {"/api/v1/accounts/", "/api/v1/transactions/", "/api/v1/auth/login/"} <= paths
