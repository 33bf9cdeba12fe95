import pytest

from alerts import sms


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """Text messages kept in memory (alerts.sms.outbox), emptied for each test."""
    settings.SMS_BACKEND = "alerts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()
