"""A leader's instruction on an issue (领导批示): the contact leader's "organising, co-ordinating
and guiding" (组织协调和综合指导) of the seed, written on the issue itself.

An instruction is a record *about* the issue, like a supervision order: it changes neither
its state nor its deadlines, is kept in its history (event ``instructed``) and is told to
the handling units through the outbox (notice kind ``instructed``). A leader gives it on
the issues it sees (routed to it, of its portfolio); the office may enter one a leader gave
on paper or by phone, naming the leader: the event records that the office did so.
"""

from typing import Any

from serviceframe.app import App
from serviceframe.domain.issue import Issue, IssueEvent, check_transition
from serviceframe.domain.principal import Action, Principal, PrincipalKind
from serviceframe.errors import NotFound, ValidationError
from serviceframe.services.configured import organisation_of
from serviceframe.services.events import issue_event_row

MAX_INSTRUCTION = 1000  # characters: a 批示 is a few lines


def instruct(
    app: App, issue_id: int, text: str, leader: str | None = None, actor: str | None = None
) -> Issue:
    """Record ``text`` as the instruction of ``leader`` (an official's id; a leader acting
    for itself may leave it out) on an open issue; returns the issue, unchanged."""
    actor = actor or app.settings.actor
    instruction = text.strip()
    if not instruction:
        raise ValidationError("instruction", text, "must not be empty")
    if len(instruction) > MAX_INSTRUCTION:
        raise ValidationError(
            "instruction",
            f"{instruction[:20]}… ({len(instruction)} characters)",
            f"longer than {MAX_INSTRUCTION} characters",
        )
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.INSTRUCT, issue_id)
        me = uow.principal
        official = _leader(app, uow, me, leader)
        issue = uow.issues.get(issue_id)
        if issue is None:
            raise NotFound("issue", issue_id)
        check_transition(issue, "instructed")  # a finished issue takes no instruction
        data = {"instruction": instruction, "official": official, "by": str(me)}
        event = IssueEvent("instructed", now, actor, data)
        uow.record([issue_event_row(issue_id, event)])
        uow.commit()
    app.publish_issue_events([(issue, event)])
    return issue


def _leader(app: App, uow: Any, me: Principal, leader: str | None) -> str:
    """The official whose instruction it is: the acting leader itself, or the one named."""
    if me.kind is PrincipalKind.LEADER:
        if leader not in (None, me.id):
            raise ValidationError(
                "leader", leader, f"a leader gives its own instructions ({me.id})"
            )
        return me.id
    if not leader:
        raise ValidationError("leader", leader, "name the leader whose instruction it is")
    if organisation_of(app, uow).official(leader) is None:
        raise ValidationError("leader", leader, "no such official in the organisation")
    return leader
