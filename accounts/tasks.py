"""Celery tasks for accounts: the daily ECB rates refresh (scheduled by accounts/migrations/0004_*)."""

import logging

from celery import shared_task
from django.conf import settings

from accounts.currency import EcbFileError
from accounts.ecb import EcbFetchError, EcbUnavailableError, ecb_rates_refresh

logger = logging.getLogger(__name__)


def ecb_retry_countdown(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: base * 2**retries, capped."""
    return min(settings.ECB_RATES_RETRY_BACKOFF_MAX, settings.ECB_RATES_RETRY_BACKOFF * 2**retries)


@shared_task(bind=True, acks_late=True)
def ecb_rates_refresh_task(self) -> dict[str, int | str | None]:
    """Store the ECB's latest euro reference rates; safe to run twice (an import is idempotent).

    A server that cannot be reached or fails for now is retried ECB_RATES_MAX_RETRIES times:
    on a worker through the broker after ``ecb_retry_countdown``; run eagerly (the embedded
    default, tests: no broker to wait on) at once, in this call. A file that is not ECB
    rates, a 404 or an oversized body fails at once, as the same download would fail the
    same way. Nothing is written on failure.
    """
    url = settings.ECB_RATES_URL
    max_retries = settings.ECB_RATES_MAX_RETRIES
    retries = self.request.retries or 0
    while True:
        try:
            result = ecb_rates_refresh(url=url)
            break
        except EcbUnavailableError as exc:
            if retries >= max_retries:
                logger.error(
                    "ECB rates not loaded, nothing written; giving up after %s tries: %s",
                    retries + 1,
                    exc,
                )
                raise
            if self.request.is_eager:
                logger.warning(
                    "ECB rates not loaded (try %s of %s), retrying now: %s",
                    retries + 1,
                    max_retries + 1,
                    exc,
                )
                retries += 1
                continue
            countdown = ecb_retry_countdown(retries)
            logger.warning(
                "ECB rates not loaded (try %s of %s), retrying in %s s: %s",
                retries + 1,
                max_retries + 1,
                countdown,
                exc,
            )
            raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc
        except (EcbFetchError, EcbFileError) as exc:
            logger.error("ECB rates not loaded, nothing written (not retried): %s", exc)
            raise
    return {
        "added": result.added,
        "unchanged": result.unchanged,
        "corrected": result.corrected,
        "kept_manual": result.kept_manual,
        "first_day": result.first_day.isoformat() if result.first_day else None,
        "last_day": result.last_day.isoformat() if result.last_day else None,
    }
