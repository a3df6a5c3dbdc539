from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings

from serviceframe.testing.clock import Clock

# Property tests judge rules, never speed: no per-example deadline, which a machine shared with
# other work (CI's, or two test processes) would turn into random failures.
settings.register_profile(
    "serviceframe", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("serviceframe")

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
