"""Helpers shared by the routing, escalation, trends and agenda tests."""

from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.routing import apply_routing
from serviceframe.services.routing import explain_route


def routing(app, issue_id: int):
    """The issue's stored place on the ladder."""
    return explain_route(app, issue_id).current


def events_of(app, issue_id: int, kind: str):
    with app.uow() as uow:
        return [e for e in uow.issues.events(issue_id) if e.kind == kind]


def replayed(app, issue_id: int):
    """The routing state folded from the issue's events alone."""
    state = None
    with app.uow() as uow:
        for e in uow.issues.events(issue_id):
            state = apply_routing(state, issue_id, e.kind, dict(e.data))
    return state


def invoke(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app))
