"""Solicitation letters (企业意见建议征询函) from the CLI: create, send to a filter of
enterprises (each with its own link, through the outbox), and the summary of the answers."""

import json

import pytest
from click.testing import CliRunner

from channel_setup import ENTERPRISE, configure
from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.errors import ValidationError
from serviceframe.services import letters, surveys
from serviceframe.services.issues import list_issues
from serviceframe.services.outbox import list_outbox


@pytest.fixture
def app(sf_small_app, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICEFRAME_SECRET", "a-test-secret-of-enough-length")
    monkeypatch.setenv("SERVICEFRAME_PORTAL_URL", "https://portal.example")
    configure(sf_small_app, tmp_path)
    return sf_small_app


def run(app, *args):
    result = CliRunner().invoke(cli, list(args), obj=CliContext(app=app))
    return result


def test_create_send_answer_and_results(app):
    made = run(
        app,
        "letter",
        "create",
        "--title",
        "2026年第四季度企业意见征询函",
        "--question",
        "对营商环境的评价",
        "--question",
        "对涉企政策的建议",
        "--json",
    )
    assert made.exit_code == 0, made.output
    letter_id = json.loads(made.output)["id"]
    sent = run(app, "letter", "send", str(letter_id), "--to", "410802", "--json")
    assert sent.exit_code == 0, sent.output
    rows = json.loads(sent.output)
    assert len(rows) == 3 and all(
        r["url"].startswith("https://portal.example/letter/") for r in rows
    )
    assert all(r["notified"] for r in rows)
    notices = [r for r in list_outbox(app) if r["kind"] == "letter"]
    assert len(notices) == 3 and all(r["status"] == "pending" for r in notices)
    assert rows[0]["url"] in next(
        r["body"] for r in notices if r["recipient_id"] == f"{ENTERPRISE}#1"
    )
    again = run(app, "letter", "send", str(letter_id), "--to", "all", "--json")
    assert len(json.loads(again.output)) == 1  # only the enterprise not sent to yet

    token = rows[0]["url"].rsplit("/", 1)[1]
    issue_id = letters.answer(app, token, ["满意", ""], "园区污水管网不通,排污许可无法办理")
    with pytest.raises(surveys.LinkRefused):
        letters.answer(app, token, ["满意", ""], "再来一次")
    (issue,) = list_issues(app)
    assert issue.id == issue_id and issue.source == "solicitation_letter"
    shown = run(app, "letter", "results", str(letter_id), "--json")
    found = json.loads(shown.output)
    assert found["sent"] == 4 and found["answered"] == 1
    assert found["questions"][0]["answers"][0]["answer"] == "满意"
    assert found["questions"][1]["answers"] == []
    assert found["issues"][0]["issue_id"] == issue_id
    text = run(app, "letter", "results", str(letter_id))
    assert "发出 4 份,答复 1 份" in text.output


def test_bad_letters_are_refused_naming_the_field(app):
    with pytest.raises(ValidationError, match="question"):
        letters.create(app, "标题", ["  "])
    letter_id = letters.create(app, "标题", ["问题一"])
    with pytest.raises(ValidationError, match="410899"):
        letters.send(app, letter_id, "410899")
    result = run(app, "letter", "send", "999", "--to", "all")
    assert result.exit_code != 0 and "999" in result.output
    with pytest.raises(surveys.LinkRefused):
        letters.open_letter(app, "forged-token")
