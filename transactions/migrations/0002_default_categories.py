from django.db import migrations

DEFAULT_CATEGORIES = [
    ("groceries", "Groceries"),
    ("dining", "Dining"),
    ("utilities", "Utilities"),
    ("transport", "Transport"),
    ("housing", "Housing"),
    ("entertainment", "Entertainment"),
    ("shopping", "Shopping"),
    ("travel", "Travel"),
    ("health", "Health"),
    ("education", "Education"),
    ("technology", "Technology"),
    ("income", "Income"),
    ("transfers", "Transfers"),
    ("fees", "Fees"),
    ("other", "Other"),
]


def create_default_categories(apps, schema_editor):
    Category = apps.get_model("transactions", "Category")
    for slug, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(slug=slug, user=None, defaults={"name": name})


def remove_default_categories(apps, schema_editor):
    Category = apps.get_model("transactions", "Category")
    Category.objects.filter(user=None, slug__in=[slug for slug, _ in DEFAULT_CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("transactions", "0001_initial")]

    operations = [migrations.RunPython(create_default_categories, remove_default_categories)]
