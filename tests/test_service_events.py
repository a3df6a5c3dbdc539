"""Service events (服务活动): a matchmaking meeting invites enterprises by filter through the
outbox (in the same transaction), records who came and the loans intended and signed, and a
follow-up item becomes an issue."""

import json
from datetime import datetime

import pytest
from attrs import evolve
from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.demo import example_dir
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ServiceFrameError, ValidationError
from serviceframe.orgfile import ChannelConfig, load_org
from serviceframe.services import issues as svc
from serviceframe.services import service_events as events
from serviceframe.services.enterprises import list_enterprises
from serviceframe.services.organisation import save_organisation
from serviceframe.services.outbox import deliver_due, list_outbox
from serviceframe.testing.clock import Clock

HENGZE = "9141080242426208X7"


@pytest.fixture
def app(jiaozuo_app, tmp_path):
    jiaozuo_app.clock = Clock(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    return jiaozuo_app


@pytest.fixture
def outbox_file(app, tmp_path):
    """The example city with a file channel: what is sent lands in a local file."""
    path = example_dir() / "organisation.toml"
    org_file = load_org(path)
    channel = ChannelConfig("demo", "file", settings={"path": str(tmp_path / "sent.jsonl")})
    save_organisation(app, evolve(org_file, channels=(channel,)), str(path))
    return tmp_path / "sent.jsonl"


def meeting(app):
    return events.add_event(
        app,
        "银企对接",
        "2026年第四季度银企对接会",
        "2026-11-18",
        ["jz-jrb", "jz-edsb"],
        place="市政府三楼会议室",
    )


def test_invitations_go_through_the_outbox_to_the_chosen_enterprises(app, outbox_file):
    event = meeting(app)
    assert (event.kind.label, event.jurisdiction) == ("银企对接", "410800")
    done = events.invite(app, event.id, events.Invitees(jurisdiction="410802", key="city"))
    chosen = {e.credit_code for e in list_enterprises(app, "410802") if e.key_level.is_city_key}
    assert set(done.invited) == chosen and done.already == 0
    rows = [r for r in list_outbox(app, limit=None) if r["kind"] == "event_invitation"]
    assert len(rows) == done.notifications >= len(chosen)
    assert all(
        "2026年11月18日" in r["subject"] + r["body"] or "银企对接" in r["subject"] for r in rows
    )
    assert "市政府三楼会议室" in rows[0]["body"]
    # Invited again with a wider filter: only the new ones get an invitation.
    again = events.invite(app, event.id, events.Invitees(jurisdiction="410802"))
    assert again.already == len(chosen) and not set(again.invited) & chosen
    report = deliver_due(app, limit=500)
    assert report.count("sent") >= done.notifications - done.unreachable
    assert "银企对接" in outbox_file.read_text(encoding="utf-8")


def test_without_an_outbound_channel_nothing_is_recorded(app):
    event = meeting(app)
    with pytest.raises(ServiceFrameError, match="no outbound channel"):
        events.invite(app, event.id, events.Invitees(enterprises=(HENGZE,)))
    assert events.get_event(app, event.id).participants == ()


def test_attendance_outcomes_and_a_follow_up_that_becomes_an_issue(app, outbox_file):
    event = meeting(app)
    events.invite(app, event.id, events.Invitees(jurisdiction="410802", key="city"))
    others = [
        p.enterprise for p in events.get_event(app, event.id).participants if p.enterprise != HENGZE
    ]
    events.attend(app, event.id, [HENGZE, others[0]])
    events.attend(app, event.id, [others[1]], attended=False)
    found, issue_id = events.record_outcome(
        app,
        event.id,
        HENGZE,
        bank="中国银行焦作分行",
        intended="3000",
        signed=2000,
        follow_up="剩余1000万元需补充抵押物评估,请协调评估机构",
    )
    events.record_outcome(app, event.id, others[0], bank="焦作农商行", intended=500)
    assert issue_id is not None
    issue = svc.get_issue(app, issue_id).issue
    assert (issue.source, issue.origin, int(issue.category)) == ("event", f"event:{event.id}", 3)
    assert issue.received_by == "jz-jrb"
    assert found.follow_ups == (issue_id,)
    (summary,) = events.list_events(app, "matchmaking")
    assert (summary.attended, summary.intended, summary.signed) == (2, 3500, 2000)
    assert (summary.loans_intended, summary.loans_signed) == (2, 1)
    with pytest.raises(ValidationError, match="was not invited"):
        events.attend(app, event.id, ["91410800MA00000012"])
    with pytest.raises(ValidationError, match="intended"):
        events.record_outcome(app, event.id, HENGZE, intended="-5")


def test_loans_belong_to_matchmaking_only(app, outbox_file):
    training = events.add_event(app, "培训", "中层管理人员培训班", "2026-11-20", ["jz-rsj"])
    events.invite(app, training.id, events.Invitees(enterprises=(HENGZE,)))
    with pytest.raises(ValidationError, match="matchmaking"):
        events.record_outcome(app, training.id, HENGZE, intended=100)
    _, issue_id = events.record_outcome(app, training.id, HENGZE, follow_up="希望增开技工培训")
    assert int(svc.get_issue(app, issue_id).issue.category) == 8


def test_bad_input_names_the_field(app):
    with pytest.raises(ValidationError, match="kind"):
        events.add_event(app, "party", "x", "2026-11-18", ["jz-jrb"])
    with pytest.raises(ValidationError, match="organisers"):
        events.add_event(app, "training", "x", "2026-11-18", ["jz-nope"])
    with pytest.raises(ValidationError, match="date"):
        events.add_event(app, "training", "x", "18/11/2026", ["jz-jrb"])


def run(app, *args):
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app), catch_exceptions=False)


def test_the_event_commands(app, outbox_file):
    added = run(
        app, "event", "add", "--kind", "matchmaking", "--title", "银企对接会", "--date",
        "2026-11-18", "--organiser", "jz-jrb", "--json",
    )  # fmt: skip
    event_id = json.loads(added.output)["id"]
    invited = run(app, "event", "invite", str(event_id), "--enterprise", HENGZE)
    assert "invited 1 enterprises" in invited.output
    assert run(app, "event", "attend", str(event_id), HENGZE).exit_code == 0
    out = run(
        app, "event", "outcome", str(event_id), HENGZE, "--intended", "3000", "--signed", "2000",
        "--follow-up", "补充抵押物评估", "--json",
    )  # fmt: skip
    data = json.loads(out.output)
    assert data["issue"] and data["event"]["participants"][0]["signed"] == 2000
    assert data["event"]["created_at"].endswith("+08:00")
    listed = run(app, "event", "list")
    assert "1/3000" in listed.output and "1/2000" in listed.output
    assert f"跟进事项 issues: {data['issue']}" in run(app, "event", "show", str(event_id)).output
