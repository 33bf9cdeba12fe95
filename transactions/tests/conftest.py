import pytest
from django.conf import settings

from conftest import IN_CI


@pytest.fixture
def bank_fixture():
    """Reads a file of ../shared/bank_fixtures by its path there, e.g. "ofx/x.ofx".

    Outside CI a missing folder skips the test; in CI it fails it.
    """
    root = settings.BANK_FIXTURES_DIR
    if not root.is_dir():
        message = f"BANK_FIXTURES_DIR {root} is missing"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    def read(relative_path: str) -> bytes:
        return (root / relative_path).read_bytes()

    return read
