import datetime

import pytest
import time_machine

from alerts import sms

# A Wednesday; the factories' users live in Europe/London, where it is 2025-03-05 too.
NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


@pytest.fixture
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sms_outbox(settings):
    """Text messages kept in memory (alerts.sms.outbox), emptied for each test."""
    settings.SMS_BACKEND = "alerts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()
