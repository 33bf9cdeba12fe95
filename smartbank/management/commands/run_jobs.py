from django.core.management.base import BaseCommand, CommandError


def scheduled_jobs() -> dict:
    """The daily jobs celery beat runs, by name, in the order a day needs them.

    Autopay first, so a bill it pays is neither reported overdue nor reminded of.
    """
    from accounts.tasks import ecb_rates_refresh_task
    from alerts.tasks import low_balances_check_task
    from bills.tasks import bills_autopay_task, bills_mark_overdue_task, bills_send_reminders_task

    return {
        "autopay": bills_autopay_task,
        "overdue": bills_mark_overdue_task,
        "reminders": bills_send_reminders_task,
        "low-balances": low_balances_check_task,
        "rates": ecb_rates_refresh_task,
    }


# Jobs that download from the internet run only when named: the default run (bin/run-dev,
# tests) stays offline.
ONLINE_JOBS = frozenset({"rates"})


class Command(BaseCommand):
    help = (
        "Runs the daily jobs now, in this process: auto-pay due bills, mark overdue bills, "
        "send bill reminders, check low balances; named, refresh the ECB exchange rates "
        "(downloads ECB_RATES_URL). What celery beat runs on its schedule; "
        "for the embedded default, which has no beat. Safe to run again: each reminder goes "
        "out once and each bill is paid once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "jobs",
            nargs="*",
            help=(
                f"Which jobs, of {', '.join(scheduled_jobs())} (default: all but "
                f"{', '.join(sorted(ONLINE_JOBS))}, which download, in that order)."
            ),
        )

    def handle(self, *args, **options):
        jobs = scheduled_jobs()
        unknown = sorted(set(options["jobs"]) - set(jobs))
        if unknown:
            raise CommandError(f"No such job: {', '.join(unknown)}. Jobs: {', '.join(jobs)}.")
        for name in options["jobs"] or [name for name in jobs if name not in ONLINE_JOBS]:
            # apply() runs the task here and now, whatever the broker: no worker needed.
            result = jobs[name].apply().get()
            self.stdout.write(f"{name}: {result}")
