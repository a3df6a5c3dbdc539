from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from serviceframe.testing.clock import Clock

pytest_plugins = ["serviceframe.testing.fixtures"]


@pytest.fixture
def now() -> datetime:
    """When a test's clock starts (a Monday morning in Beijing); a module may override it."""
    return datetime(2026, 9, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock(now):
    return Clock(now)


@pytest.fixture
def app(jiaozuo_app, clock):
    """The bundled city on a clock the test sets (modules may define their own ``app``)."""
    jiaozuo_app.clock = clock
    return jiaozuo_app
