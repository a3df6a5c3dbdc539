"""``serviceframe survey``: signed satisfaction survey links (满意度评价链接)."""

import click

from serviceframe.cli.context import CliContext
from serviceframe.cli.output import emit_json, json_option


@click.group()
def survey() -> None:
    """Satisfaction survey links: signed, single-use, expiring, for one issue and round."""


@survey.command()
@click.argument("issue_id", type=int)
@json_option
@click.pass_obj
def invite(obj: CliContext, issue_id: int, as_json: bool) -> None:
    """Create a survey link for resolved issue ISSUE_ID's current round and print it.

    The link starts with SERVICEFRAME_PORTAL_URL; it is signed with SERVICEFRAME_SECRET.
    """
    from serviceframe.services.surveys import invite as make

    invitation = make(obj.app, issue_id)
    if as_json:
        emit_json(invitation)
        return
    click.echo(invitation.url)
