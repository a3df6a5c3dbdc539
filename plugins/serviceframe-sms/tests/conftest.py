"""Real servers for the SMS tests: the test SMSC (its own process, speaking SMPP) and the
local stand-in for the cloud SMS APIs (a thread, checking signatures). serviceframe's own
fixtures (sf_make_db, sf_clock…) come from its pytest plugin, turned on by
``serviceframe = true`` in pyproject.toml."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_server import CloudSms
from smsc import Smsc


@pytest.fixture
def smsc(tmp_path: Path) -> Iterator[Smsc]:
    server = Smsc(tmp_path / "smsc").start()
    yield server
    server.stop()


@pytest.fixture
def cloud() -> Iterator[CloudSms]:
    server = CloudSms().start()
    yield server
    server.stop()
