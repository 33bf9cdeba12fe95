from django.db import migrations

TASK_NAME = "Daily low-balance check"


def schedule_low_balance_check(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="6",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "alerts.tasks.low_balances_check_task",
            "crontab": crontab,
            "description": "Raises a low-balance alert for each checking, savings or cash "
            "account below its owner's threshold or 20 % of its 90-day average (once a day).",
        },
    )


def unschedule_low_balance_check(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_low_balance_check, unschedule_low_balance_check)]
