"""The unit of work: one connection, one transaction, the repositories over it.

Every change goes through one of these; nothing is half-written because either ``commit`` is
reached or everything is rolled back. The notifications the recorded events call for are written
in the same transaction; plugins are told *after* the commit: they can never roll a change back.
"""

from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import SQLAlchemyError

from serviceframe.domain.principal import Action, Principal
from serviceframe.errors import Forbidden, NotFound
from serviceframe.store.database import store_error
from serviceframe.store.issue_repository import IssueRepository
from serviceframe.store.repositories import (
    AssignmentRepository,
    EnterpriseRepository,
    EventRepository,
    OrganisationRepository,
)

if TYPE_CHECKING:
    from serviceframe.store.inbound_repository import InboundRepository
    from serviceframe.store.outbox_repository import OutboxRepository
    from serviceframe.store.policy_repository import PolicyRepository
    from serviceframe.store.routing_repository import RoutingRepository
    from serviceframe.store.visit_repository import VisitRepository

# Events remembered at most before their notifications are written (still in the transaction).
RECORDED_MAX = 10_000


class UnitOfWork:
    connection: Connection
    org: OrganisationRepository
    enterprises: EnterpriseRepository
    assignments: AssignmentRepository
    events: EventRepository
    issues: IssueRepository

    def __init__(
        self,
        engine: Engine,
        principal: Principal,
        before_commit: "Callable[[UnitOfWork], None] | None" = None,
    ) -> None:
        self.engine = engine
        # Who acts, with no default: every service reads it from here (docs/identities.md).
        self.principal = principal
        self.recorded: list[dict[str, Any]] = []
        # Runs inside the transaction, just before it commits: the app writes the
        # notifications the recorded events call for here, so they commit with the change.
        self.before_commit = before_commit
        self._tx: RootTransaction | None = None

    def __enter__(self) -> "UnitOfWork":
        try:
            self.connection = self.engine.connect()
            self._tx = self.connection.begin()
        except SQLAlchemyError as exc:
            raise store_error(exc, str(self.engine.url)) from exc
        conn = self.connection
        self.org = OrganisationRepository(conn)
        self.enterprises = EnterpriseRepository(conn)
        self.assignments = AssignmentRepository(conn)
        self.events = EventRepository(conn)
        self.issues = IssueRepository(conn)
        return self

    # The repositories below are imported on first use: most commands need none of them, and
    # importing them all (with their domain modules) is a start-up cost every command paid.

    @cached_property
    def routing(self) -> "RoutingRepository":
        from serviceframe.store.routing_repository import RoutingRepository

        return RoutingRepository(self.connection)

    @cached_property
    def policies(self) -> "PolicyRepository":
        from serviceframe.store.policy_repository import PolicyRepository

        return PolicyRepository(self.connection)

    @cached_property
    def outbox(self) -> "OutboxRepository":
        from serviceframe.store.outbox_repository import OutboxRepository

        return OutboxRepository(self.connection)

    @cached_property
    def inbound(self) -> "InboundRepository":
        from serviceframe.store.inbound_repository import InboundRepository

        return InboundRepository(self.connection)

    @cached_property
    def visits(self) -> "VisitRepository":
        from serviceframe.store.visit_repository import VisitRepository

        return VisitRepository(self.connection)

    def authorise(self, action: Action, issue_id: int | None = None) -> None:
        """Raise :class:`Forbidden` unless the principal may do ``action`` (to issue
        ``issue_id``: which must also be in its scope, checked in SQL like every list).
        An issue out of scope is reported as not found to those who may not read it at all."""
        what = f"issue {issue_id}" if issue_id is not None else action.value
        self.principal.require(action, what)
        if issue_id is not None and not self.issues.in_scope(issue_id, self.principal):
            if self.issues.get(issue_id) is None:
                raise NotFound("issue", issue_id)
            raise Forbidden(str(self.principal), action.value, what, "outside its scope")

    def record(self, rows: list[dict[str, Any]]) -> None:
        """Append event rows to the log (every service records its events here), and
        remember them for the notifications written before the commit. A long unit of work
        (a file of a million rows) has those written as it goes, so that memory stays flat."""
        self.events.append(rows)
        self.recorded.extend(rows)
        if len(self.recorded) >= RECORDED_MAX and self.before_commit is not None:
            self.before_commit(self)
            self.recorded.clear()

    def commit(self) -> None:
        assert self._tx is not None, "commit outside the unit of work"
        if self.before_commit is not None and self.recorded:
            self.before_commit(self)
        try:
            self._tx.commit()
        except SQLAlchemyError as exc:
            raise store_error(exc, str(self.engine.url)) from exc
        self._tx = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
            self.connection.close()
        except SQLAlchemyError:
            pass  # the original error, raised below, is the one worth reporting
        self._tx = None
        if isinstance(exc, SQLAlchemyError):
            raise store_error(exc, str(self.engine.url)) from exc
