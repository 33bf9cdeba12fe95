from django.db import migrations

TASK_NAME = "Daily ECB exchange rates"


def schedule_ecb_rates_refresh(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # The ECB publishes at about 16:00 CET on working days (14:00 or 15:00 UTC); 17:00 UTC
    # is after it in summer and winter alike. Every day: the 90-day file it fetches makes a
    # weekend run a no-op and fills in whatever a failed weekday run missed.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="17",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "accounts.tasks.ecb_rates_refresh_task",
            "crontab": crontab,
            "description": "Downloads the ECB's euro reference rates (ECB_RATES_URL) and stores "
            "the days not stored yet; staff-entered rates are never overwritten.",
        },
    )


def unschedule_ecb_rates_refresh(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_phone_locale_validators"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_ecb_rates_refresh, unschedule_ecb_rates_refresh)]
