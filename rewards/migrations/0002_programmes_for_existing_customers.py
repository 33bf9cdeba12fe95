from django.db import migrations

CUSTOMER_ROLE = "customer"
BATCH_SIZE = 2000


def create_programmes(apps, schema_editor):
    """A programme for every customer who has none: from now on sign-up makes it."""
    User = apps.get_model("accounts", "User")
    RewardProgramme = apps.get_model("rewards", "RewardProgramme")
    missing = (
        User.objects.filter(role=CUSTOMER_ROLE, reward_programme__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    RewardProgramme.objects.bulk_create(
        [RewardProgramme(user_id=user_id) for user_id in missing.iterator(chunk_size=BATCH_SIZE)],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )


def remove_empty_programmes(apps, schema_editor):
    """Back: the programmes with no entries go; one with points history is kept (PROTECT)."""
    RewardProgramme = apps.get_model("rewards", "RewardProgramme")
    RewardProgramme.objects.filter(entries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0001_programmes_points_rules_rates"),
        ("accounts", "0003_user_phone_locale_validators"),
    ]

    operations = [migrations.RunPython(create_programmes, remove_empty_programmes)]
