"""Progress of long work, for whoever is watching: a terminal's bar, a portal's job page.

A service that can take long (imports, the sweep, trend detection, bulk changes) takes an
optional ``progress`` callable and calls it with ``(done, total)`` as the work advances, first
once the total is known. It never looks at a terminal itself: the CLI passes a bar when it
prints to one (``serviceframe.cli.output.progress_bar``), an embedding portal its own callback.
"""

from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Called with (items done, items in all); ``done`` only grows and ends equal to ``total``."""


def no_progress(done: int, total: int) -> None:
    """The default: nobody is watching."""
