"""A settable clock for ``app.clock``: tests move time instead of waiting for it."""

from datetime import datetime

from serviceframe.domain.workdays import SHANGHAI


class Clock:
    """``app.clock = Clock(start)``; then ``clock.now = …`` or ``clock.set(2026, 9, 28, 10)``
    (Beijing time) moves what the app thinks "now" is."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> None:
        self.now = datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
