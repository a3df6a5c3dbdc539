"""A leader's instruction on an issue (领导批示): recorded in its history, told to the units and
the office, given only by a leader on issues it sees (or entered by the office in its name).
Runs on SQLite and on PostgreSQL (SERVICEFRAME_TEST_DB)."""

import pytest
from click.testing import CliRunner

from channel_setup import configure, dispatched, resolved
from ladder import events_of, routing
from serviceframe.cli import cli
from serviceframe.errors import Forbidden, IllegalTransition, ValidationError
from serviceframe.services import audit, outbox
from serviceframe.services import issues as svc
from serviceframe.services.instructions import MAX_INSTRUCTION, instruct

TEXT = "请市发改委牵头,三日内协调供电公司拿出保供方案。"


@pytest.fixture
def app(sf_small_app, tmp_path):
    configure(sf_small_app, tmp_path)
    return sf_small_app


def told(app, issue_id):
    return [
        r
        for r in outbox.list_outbox(app)
        if r["kind"] == "instructed" and r["issue_id"] == issue_id
    ]


def test_the_leader_in_charge_instructs_and_the_units_and_office_are_told(app):
    issue_id = dispatched(app)
    leader = routing(app, issue_id).official
    before = svc.get_issue(app, issue_id).issue

    after = instruct(app.acting_as(leader), issue_id, f"  {TEXT}\n")

    assert after == before  # a record about the issue: state, deadlines and version unchanged
    (event,) = events_of(app, issue_id, "instructed")
    assert event.data == {"instruction": TEXT, "official": leader, "by": f"leader:{leader}"}
    rows = told(app, issue_id)
    # The lead unit's head, the co-handling unit's liaison leader, the office of the county.
    assert {r["recipient_id"] for r in rows} == {"jz-edsb-head", "jz-fgw-leader", "jf-edsb"}
    assert all(TEXT in r["body"] and "批示" in r["subject"] for r in rows)
    assert audit.verify(app).ok


def test_the_office_enters_an_instruction_in_a_named_leaders_name(app):
    issue_id = dispatched(app)
    with pytest.raises(ValidationError) as info:
        instruct(app, issue_id, TEXT)
    assert "leader" in str(info.value)
    with pytest.raises(ValidationError) as info:
        instruct(app, issue_id, TEXT, leader="nobody-here")
    assert "nobody-here" in str(info.value)
    instruct(app, issue_id, TEXT, leader="jz-vm")
    (event,) = events_of(app, issue_id, "instructed")
    assert (event.data["official"], event.data["by"]) == ("jz-vm", "office:jz-edsb")


def test_only_a_leader_who_sees_the_issue_may_instruct(app):
    issue_id = dispatched(app)
    leader = routing(app, issue_id).official
    for who in ("jz-fgw", "jf-gov", "auditor"):
        with pytest.raises(Forbidden) as info:
            instruct(app.acting_as(who), issue_id, TEXT)
        assert who in str(info.value) and "instruct" in str(info.value)
    outsider = "jz-fgw-leader"  # a leader the issue is neither routed to nor in the portfolio of
    assert outsider != leader
    with pytest.raises(Forbidden) as info:
        instruct(app.acting_as(outsider), issue_id, TEXT)
    assert "outside its scope" in str(info.value)
    with pytest.raises(ValidationError):  # a leader speaks for itself only
        instruct(app.acting_as(leader), issue_id, TEXT, leader="jz-mayor")
    assert events_of(app, issue_id, "instructed") == []


@pytest.mark.parametrize("text", ["", "   \n", "批" * (MAX_INSTRUCTION + 1)])
def test_an_empty_or_overlong_instruction_is_refused_naming_the_field(app, text):
    issue_id = dispatched(app)
    with pytest.raises(ValidationError) as info:
        instruct(app, issue_id, text, leader="jz-vm")
    assert "instruction" in str(info.value)
    assert events_of(app, issue_id, "instructed") == []


def test_a_finished_issue_takes_no_instruction(app):
    issue_id = resolved(app)
    svc.rate(app, issue_id, "satisfied")
    with pytest.raises(IllegalTransition):
        instruct(app, issue_id, TEXT, leader="jz-vm")


def run(app, *args):
    return CliRunner().invoke(cli, ["--db", app.settings.db_url, *args], env={})


def test_cli_instruct_as_the_leader_and_the_history_shows_it(app):
    issue_id = dispatched(app)
    leader = routing(app, issue_id).official
    result = run(app, "--as", leader, "issue", "instruct", str(issue_id), "--text", TEXT)
    assert result.exit_code == 0, result.output
    shown = run(app, "issue", "show", str(issue_id))
    assert "领导批示 (instructed)" in shown.output and TEXT in shown.output
    refused = run(app, "--as", "jz-fgw", "issue", "instruct", str(issue_id), "--text", TEXT)
    assert refused.exit_code != 0 and "无权操作" in refused.output
