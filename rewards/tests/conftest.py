import pytest

from rewards.models import RedemptionRate


@pytest.fixture(autouse=True)
def _no_seeded_redemption_rates(db):
    """Each test sets the rates it needs; the seed data (migration 0003) is not used."""
    RedemptionRate.objects.all().delete()
