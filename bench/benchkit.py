"""What every benchmark script needs before and around its run: Django, and a database label."""

import os
import sys
from pathlib import Path


def setup_django() -> None:
    """Settings and app registry for a run from the command line (a no-op under pytest)."""
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartbank.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def database_label() -> str:
    """Which database the figures come from, e.g. "PostgreSQL 15.20, database smartbank_bench"."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
        return f"PostgreSQL {version}, database {name}"
    return f"{connection.vendor} ({name})"
