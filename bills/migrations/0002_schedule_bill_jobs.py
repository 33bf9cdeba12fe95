from django.db import migrations

# Every hour, in the order a day needs them: auto-pay first, so a bill it pays is neither
# reported overdue nor reminded of. Each job works out every customer's own today, so
# running hourly handles each time zone soon after its midnight; each is safe to run
# again (a bill is paid once, a reminder sent once), so staff may move or repeat them.
JOBS = (
    (
        "Bills: auto-pay due bills",
        "bills.tasks.bills_autopay_task",
        "5",
        "Pays the auto-pay bills due today or overdue; a refused payment raises an alert.",
    ),
    (
        "Bills: mark overdue bills",
        "bills.tasks.bills_mark_overdue_task",
        "20",
        "Raises an overdue alert, once, for each unpaid bill past its due date.",
    ),
    (
        "Bills: send due reminders",
        "bills.tasks.bills_send_reminders_task",
        "35",
        "Reminds customers of bills in their notice period, once per bill and channel.",
    ),
)


def schedule_bill_jobs(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, description in JOBS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour="*",
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )


def unschedule_bill_jobs(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, *_ in JOBS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bills", "0001_bills"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_bill_jobs, unschedule_bill_jobs)]
