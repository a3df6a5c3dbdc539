"""Scheduled jobs run one at a time per database (``serviceframe.store.locks``)."""

import functools
from collections.abc import Callable
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
