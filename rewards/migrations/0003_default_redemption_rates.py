"""Redemption rates to start from: 100 points buy a statement credit of 1.00, at least 500
points a time, in the currencies most accounts hold. Staff change them in the admin.

Earning rules are not seeded: whether and how customers earn is the staff's decision
(the demo data sets its own).
"""

from django.db import migrations

DEFAULT_RATES = [("EUR", 100, 500), ("USD", 100, 500), ("GBP", 100, 500)]


def create_rates(apps, schema_editor):
    RedemptionRate = apps.get_model("rewards", "RedemptionRate")
    for currency, points_per_unit, minimum_points in DEFAULT_RATES:
        RedemptionRate.objects.get_or_create(
            currency=currency,
            defaults={"points_per_unit": points_per_unit, "minimum_points": minimum_points},
        )


def remove_rates(apps, schema_editor):
    apps.get_model("rewards", "RedemptionRate").objects.filter(
        currency__in=[currency for currency, _, _ in DEFAULT_RATES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("rewards", "0002_programmes_for_existing_customers")]

    operations = [migrations.RunPython(create_rates, remove_rates)]
