"""Helpers for tests across apps."""

import logging
from contextlib import contextmanager

from django.apps import apps

SNAPSHOT_APPS = (
    "accounts",
    "transactions",
    "budgets",
    "bills",
    "rewards",
    "alerts",
    "insights",
    "token_blacklist",
    "auth",
)


def database_snapshot() -> dict[str, list[tuple]]:
    """Every row of the project's models, for asserting that a refused request changed nothing."""
    snapshot = {}
    for model in apps.get_models():
        if model._meta.app_label not in SNAPSHOT_APPS:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        snapshot[model._meta.label] = sorted(
            model.objects.order_by("pk").values_list(*fields), key=repr
        )
    return snapshot


@contextmanager
def preserved_root_logger():
    """Celery's test worker sets the root logger's level and handlers; put them back after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
