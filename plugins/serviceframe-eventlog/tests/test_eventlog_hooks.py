"""The plugin on a real app: registry changes through the services, issue events through the host."""

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from attrs import frozen
from serviceframe.app import App, Settings, bootstrap
from serviceframe.demo import example_dir
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.services.enterprises import designate, import_enterprises
from serviceframe.services.issues import IssueDraft, file_issue
from serviceframe.services.organisation import load_organisation

import serviceframe_eventlog

CODE = "914108026469439561"  # 河南东昌电缆集团有限公司 in the bundled example


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "feed" / "事件.jsonl"
    monkeypatch.setenv(serviceframe_eventlog.ENV_VAR, str(path))
    return path


@pytest.fixture
def app(sf_db_url: str):
    # Entry points are not loaded: the plugin is given here, so the test does not depend on
    # how (or whether) the package is installed.
    app = bootstrap(
        Settings(
            acting_as="office", db_url=sf_db_url, actor="县工信局:张伟", load_entry_points=False
        ),
        plugins=[serviceframe_eventlog],
    )
    yield app
    app.close()


def read(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def registry(app: App, tmp_path: Path, log_file: Path) -> App:
    """The bundled organisation, one enterprise, made a city key enterprise: three events."""
    org = tmp_path / "焦作市组织机构.toml"
    shutil.copyfile(example_dir() / "organisation.toml", org)
    enterprises = tmp_path / "重点企业名录.csv"
    enterprises.write_text(
        "统一社会信用代码,企业名称,所属县区,行业代码\n"
        f"{CODE},河南东昌电缆集团有限公司,410802,C3831\n",
        encoding="utf-8",
    )
    load_organisation(app, org)
    import_enterprises(app, enterprises)
    designate(app, CODE, KeyLevel.CITY)
    return app


def test_registry_changes_are_appended_as_json_lines(registry: App, log_file: Path):
    events = read(log_file)
    assert [e["kind"] for e in events] == ["org_loaded", "enterprise_added", "key_level_changed"]
    assert {e["stream"] for e in events} == {"registry"}
    assert all(e["actor"] == "县工信局:张伟" for e in events)
    assert events[0]["data"]["source"].endswith("焦作市组织机构.toml")
    assert events[1]["subject"] == f"enterprise:{CODE}"
    assert events[1]["data"]["source"].endswith("重点企业名录.csv")
    assert events[2]["data"] == {"before": "none", "after": "city"}
    datetime.fromisoformat(events[2]["at"])  # ISO 8601, readable by the other system
    # Chinese stays Chinese on disk: no \\uXXXX escapes for the other system to undo.
    raw = log_file.read_text(encoding="utf-8")
    assert "县工信局:张伟" in raw
    assert "\\u" not in raw


@frozen
class FakeIssue:
    """Stands in for serviceframe's Issue: the plugin only needs an attrs value."""

    id: int
    title: str
    enterprise: str
    filed_at: datetime


@frozen
class FakeIssueEvent:
    kind: str
    note: str
    at: datetime


def test_issue_events_are_serialised_with_the_converter(app: App, log_file: Path):
    at = datetime(2025, 3, 3, 8, 30, tzinfo=UTC)
    issue = FakeIssue(7, "变压器增容审批迟迟未办", CODE, at)
    event = FakeIssueEvent("filed", "企业自行申报", at)

    failures = app.plugins.notify("serviceframe_issue_event", app=app, issue=issue, event=event)

    assert failures == []
    (line,) = read(log_file)
    assert line == {
        "stream": "issue",
        "kind": "filed",
        "event": {"kind": "filed", "note": "企业自行申报", "at": "2025-03-03T16:30:00+08:00"},
        "issue": {
            "id": 7,
            "title": "变压器增容审批迟迟未办",
            "enterprise": CODE,
            "filed_at": "2025-03-03T16:30:00+08:00",
        },
    }
    assert "变压器增容审批迟迟未办" in log_file.read_text(encoding="utf-8")


def test_a_filed_issue_is_appended_with_the_issue(registry: App, log_file: Path):
    draft = IssueDraft(
        enterprise=CODE,
        source="hotline",
        title="企业用电增容申请",
        body="我公司新上生产线,需要变压器增容,供电公司迟迟不予办理,影响按期投产。",
    )
    filed = file_issue(registry, draft)

    line = read(log_file)[-1]
    assert line["stream"] == "issue"
    assert line["kind"] == "filed"
    assert line["event"]["kind"] == "filed"
    assert line["issue"]["id"] == filed.issue.id
    assert line["issue"]["enterprise"] == CODE
    assert line["issue"]["title"] == "企业用电增容申请"
    assert "供电公司迟迟不予办理" in log_file.read_text(encoding="utf-8")


def test_default_file_is_in_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(serviceframe_eventlog.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert serviceframe_eventlog.log_path() == Path("serviceframe-events.jsonl")
    serviceframe_eventlog.append({"kind": "测试"})
    assert read(tmp_path / "serviceframe-events.jsonl") == [{"kind": "测试"}]


def test_the_plugin_keeps_the_contract_through_every_hook(sf_db_url: str, log_file: Path):
    """serviceframe's course through every hook, with this plugin beside the built-in ones."""
    from serviceframe.testing.hostile import contract_failures

    assert contract_failures(sf_db_url, serviceframe_eventlog) == []
    kinds = {json.loads(line)["kind"] for line in log_file.read_text("utf-8").splitlines()}
    assert {"org_loaded", "filed", "accepted", "dispatched"} <= kinds
