from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so a large table keeps taking writes while
    the index builds (a plain CREATE INDEX blocks them until it is done); elsewhere (SQLite,
    which has no such option) a plain one."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("transactions", "0005_rules_and_category_changes"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("kind", "transfer"), _negated=True),
                fields=["user", "txn_date"],
                include=("amount", "currency", "category", "merchant", "id"),
                name="txn_user_flow_idx",
            ),
        ),
    ]
