"""Job locks: a scheduled job (the escalation sweep, trend detection) never runs twice at once.

A second run while one is under way does nothing and says so (:class:`AlreadyRunning`); the
jobs are idempotent, so the next scheduled run does whatever is left. The lock goes away with
the process that holds it, however it ends:

- PostgreSQL: a session-level advisory lock, held for the job's length on a connection of its
  own, which the server releases when that session ends;
- a SQLite file: an OS file lock on ``<database>.<job>.lock`` beside the database file
  (``filelock``), which the kernel releases when the process ends;
- an in-memory SQLite database belongs to one connection of one process: nothing to lock.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from serviceframe.errors import AlreadyRunning, StoreError
from serviceframe.store.database import safe_url, store_error


@contextmanager
def job_lock(engine: Engine, job: str) -> Iterator[None]:
    """Hold the lock of ``job`` (a short name, e.g. ``"escalation sweep"``) on this database
    while the block runs; raise :class:`AlreadyRunning` at once if another process holds it."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, job):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        yield
        return
    with _file_lock(engine, database, job):
        yield


def _key(job: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` (the same in every process)."""
    digest = hashlib.sha256(f"serviceframe job: {job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _advisory_lock(engine: Engine, job: str) -> Iterator[None]:
    key = _key(job)
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        raise store_error(exc, str(engine.url)) from exc
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        conn.commit()  # the session keeps the lock; no transaction stays open for the job
        if not got:
            raise AlreadyRunning(job, safe_url(str(engine.url)))
        try:
            yield
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
            except SQLAlchemyError:
                conn.invalidate()  # a session we cannot unlock is closed, which unlocks it
    except SQLAlchemyError as exc:
        raise store_error(exc, str(engine.url)) from exc
    finally:
        conn.close()


@contextmanager
def _file_lock(engine: Engine, database: str, job: str) -> Iterator[None]:
    from filelock import FileLock, Timeout

    path = f"{database}.{job.replace(' ', '-')}.lock"
    lock = FileLock(path, timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(job, safe_url(str(engine.url))) from None
    except OSError as exc:
        raise StoreError(f"cannot take the {job} lock {path}: {exc}") from None
    try:
        yield
    finally:
        lock.release()
