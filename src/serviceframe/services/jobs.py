"""Scheduled jobs run one at a time per database (``serviceframe.store.locks``)."""

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def exclusive(job: str) -> Callable[[F], F]:
    """Run the decorated service (its first argument is the app) holding the lock of ``job``;
    a second run meanwhile raises :class:`~serviceframe.store.locks.AlreadyRunning`."""

    def decorate(service: F) -> F:
        @functools.wraps(service)
        def run(app: Any, *args: Any, **kwargs: Any) -> Any:
            from serviceframe.store.locks import job_lock

            with job_lock(app.engine, job):
                return service(app, *args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the block runs. A sweep allocates tens
    of thousands of small objects (rows, events, results) that live until it ends and form
    no cycles; meanwhile the collector would walk them, and every object of the process,
    again and again, finding nothing: a fifth of a large sweep's CPU time. Whatever the
    block leaves is collected on the next pass after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
