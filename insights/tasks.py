"""Background work of the insights app: making PDF statements.

Thin: the task takes an export id and calls insights.exports, which makes each statement
once however often the task is delivered.
"""

from celery import shared_task
from django.conf import settings

from insights.exports import RunOutcome, statement_export_run


@shared_task(bind=True, acks_late=True, max_retries=3)
def statement_export_task(self, export_id: int) -> str:
    """Make the statement export ``export_id`` asks for; a repeat delivery does nothing.

    When another run holds the export (a duplicate delivery while it renders, or a worker
    that died mid-render), try again once that run's claim has expired: by then the export
    is done, or it is taken as abandoned and made by this task.
    """
    outcome = statement_export_run(export_id=export_id)
    if outcome is RunOutcome.BUSY:
        raise self.retry(countdown=settings.EXPORT_RENDER_TIMEOUT + 1)
    return outcome.value
