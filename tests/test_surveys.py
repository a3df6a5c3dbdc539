"""Satisfaction survey links: signed, single-use, expiring, bound to one issue and one round;
forged, expired, reused, another enterprise's and another round's links are refused."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from channel_setup import ENTERPRISE, OTHER, configure, resolved
from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.issue import Status
from serviceframe.errors import ConfigError, ServiceFrameError
from serviceframe.services import issues as svc
from serviceframe.services import surveys

SECRET = "a-test-secret-of-enough-length"


@pytest.fixture
def app(sf_small_app, sf_clock, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICEFRAME_SECRET", SECRET)
    monkeypatch.setenv("SERVICEFRAME_PORTAL_URL", "https://portal.example/")
    sf_small_app.clock = sf_clock
    configure(sf_small_app, tmp_path)
    return sf_small_app


def refused(app, token, why, enterprise=None):
    with pytest.raises(surveys.LinkRefused) as caught:
        surveys.open_survey(app, token, enterprise)
    assert caught.value.why == why, caught.value
    with pytest.raises(surveys.LinkRefused) as caught:
        surveys.answer(app, token, "satisfied", enterprise=enterprise)
    assert caught.value.why == why
    return str(caught.value)


def test_a_link_rates_its_issue_once(app):
    issue_id = resolved(app)
    invitation = surveys.invite(app, issue_id)
    assert invitation.url.startswith("https://portal.example/survey/")
    page = surveys.open_survey(app, invitation.token)
    assert page.issue.id == issue_id and page.round == 1
    assert page.resolution == "已协调供电公司恢复供电"
    rated = surveys.answer(app, invitation.token, "基本满意", "  响应及时 ")
    assert rated.status is Status.CLOSED and rated.satisfaction.label == "基本满意"
    assert "已使用" in refused(app, invitation.token, "used")


def test_a_forged_or_damaged_link_is_refused(app):
    issue_id = resolved(app)
    token = surveys.invite(app, issue_id).token
    refused(app, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "forged")
    refused(app, "not-a-token", "forged")
    # Signed with another secret: the same payload is worthless.
    other = surveys.token_for("x" * 32, issue_id, 1, ENTERPRISE, app.now() + timedelta(days=1))
    app_secret = surveys.secret
    try:
        surveys.secret = lambda: "another-secret-of-enough-length"  # type: ignore[assignment]
        forged = surveys.token_for("y" * 32, issue_id, 1, ENTERPRISE, app.now() + timedelta(1))
    finally:
        surveys.secret = app_secret  # type: ignore[assignment]
    refused(app, forged, "forged")
    surveys.open_survey(app, other)  # the genuine one, for contrast, opens
    assert svc.get_issue(app, issue_id).issue.status is Status.RESOLVED


def test_an_expired_link_is_refused(app, sf_clock):
    issue_id = resolved(app)
    token = surveys.invite(app, issue_id).token
    sf_clock.now += surveys.VALID_FOR + timedelta(minutes=1)
    assert "过期" in refused(app, token, "expired")


def test_another_enterprise_cannot_use_the_link(app):
    issue_id = resolved(app)
    token = surveys.invite(app, issue_id).token
    assert "其他企业" in refused(app, token, "enterprise", enterprise=OTHER)
    surveys.answer(app, token, "satisfied", enterprise=ENTERPRISE)


def test_a_link_of_an_earlier_round_is_refused(app):
    issue_id = resolved(app)
    first = surveys.invite(app, issue_id).token
    spare = surveys.invite(app, issue_id).token  # a second link for the same round
    surveys.answer(app, first, "unsatisfied", "没有解决")  # back for redo: round 2
    svc.resolve(app, issue_id, "第二次办理:已架设专线")
    assert "第 1 轮" in refused(app, spare, "round")
    second = surveys.invite(app, issue_id)
    assert second.round == 2
    assert surveys.open_survey(app, second.token).resolution == "第二次办理:已架设专线"
    surveys.answer(app, second.token, "satisfied")


def test_nothing_is_stored_when_the_rating_fails(app):
    issue_id = resolved(app)
    token = surveys.invite(app, issue_id).token
    with pytest.raises(ServiceFrameError):
        surveys.answer(app, token, "very happy")
    surveys.answer(app, token, "satisfied")  # the link was not spent


def test_only_a_resolved_issue_is_invited(app):
    from channel_setup import dispatched

    with pytest.raises(ServiceFrameError, match="尚未办结"):
        surveys.invite(app, dispatched(app))


def test_no_secret_no_links(app, monkeypatch):
    monkeypatch.delenv("SERVICEFRAME_SECRET")
    with pytest.raises(ConfigError, match="SERVICEFRAME_SECRET"):
        surveys.invite(app, resolved(app))


def test_survey_invite_prints_the_link(app):
    issue_id = resolved(app)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["survey", "invite", str(issue_id), "--json"], obj=CliContext(app=app)
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["url"].startswith("https://portal.example/survey/") and found["round"] == 1
    assert found["expires_at"].endswith("+08:00")
    result = runner.invoke(cli, ["survey", "invite", "99999"], obj=CliContext(app=app))
    assert result.exit_code != 0 and "99999" in result.output


@given(
    position=st.integers(min_value=0, max_value=10_000),
    char=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
    issue_id=st.integers(min_value=1, max_value=10**9),
    round_=st.integers(min_value=1, max_value=50),
)
def test_a_changed_token_never_means_something_else(
    monkeypatch_secret, position, char, issue_id, round_
):
    """Changing any one character of a token makes it forged, or (base64's unused low bits of
    a last character) leaves it the same token: never another issue, round or enterprise."""
    payload = {"n": "n" * 32, "i": issue_id, "r": round_, "e": ENTERPRISE, "x": 1_800_000_000}
    token = surveys.sign("survey", payload)
    at = position % len(token)
    changed = token[:at] + char + token[at + 1 :]
    assert surveys.unsign("survey", changed) in (None, payload)
    assert surveys.unsign("letter", token) is None  # a survey token is no letter token


@pytest.fixture(scope="module")
def monkeypatch_secret():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SERVICEFRAME_SECRET", SECRET)
        yield
