"""Every ``--json`` output matches its documented shape (docs/json/*.schema.json, docs/json.md).

Each command that takes ``--json`` is run for real, through the CLI, on a copy of the demo's
city after its season (organisation, enterprises, 98 issues, visits, supervision orders,
clusters, notifications), and its output is validated against the JSON Schema of that command.
The schemas forbid keys they do not name, so a new key fails here until it is documented; and
every time must carry Beijing time (``+08:00``). docs/json.md is generated from the schemas
(scripts/gen_docs.py) and drift-tested in tests/test_docs.py.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.testing.fixtures import make_app

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "json"
ENTERPRISE = "914108026469439561"  # a city key enterprise of the example city
INBOX = "SF_JSON_SHAPES_INBOX"  # the demo channel's inbox, a folder per test
INDICATORS = str(ROOT / "examples" / "jiaozuo" / "indicators.csv")


def _demo(url: str) -> None:
    """The demo's city after its season, with a file channel whose inbox the test chooses."""
    from serviceframe.demo import load_example
    from serviceframe.orgfile import ChannelConfig
    from serviceframe.scenario import run_season
    from serviceframe.testing.databases import migrated

    migrated(url)
    app = make_app(url)
    try:
        channel = ChannelConfig(
            "demo", "file", secrets={"path": "SF_JSON_SHAPES_OUT", "inbox": INBOX}
        )
        load_example(app, (channel,))
        run_season(app, lambda _text: None)
    finally:
        app.close()


class Run:
    """``run(*args)``: the CLI on the test's database; ``run.json(*args)`` adds ``--json``."""

    def __init__(self, url: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.url, self.tmp, self.monkeypatch = url, tmp, monkeypatch

    def __call__(self, *args: str, exits: tuple[int, ...] = (0,)) -> str:
        app = make_app(self.url)
        try:
            result = CliRunner().invoke(cli, list(args), obj=CliContext(app=app))
        finally:
            app.close()
        assert result.exit_code in exits, f"serviceframe {' '.join(args)}: {result.output}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))

    def issue(self, status: str) -> str:
        return str(self.json("issue", "list", "--status", status)[0]["id"])

    def filed(self) -> str:
        body = "电网频繁拉闸限电,影响正常生产"
        return str(
            self.json(
                "issue", "file", "--enterprise", ENTERPRISE, "--source", "hotline", "--body", body
            )["id"]
        )

    def drop(self, name: str, message: dict[str, Any]) -> None:
        inbox = self.tmp / "inbox"
        inbox.mkdir(exist_ok=True)
        (inbox / name).write_text(json.dumps(message, ensure_ascii=False), encoding="utf-8")

    def quarantined(self) -> str:
        self.drop("m.json", {"id": "m-1", "from": "stranger@x.example", "body": "你好"})
        self("channel", "poll", "demo")
        return str(self.json("quarantine", "list")[0]["id"])

    def queued(self) -> str:
        return str(self.json("cluster", "queue", "1")["id"])

    def acknowledged(self) -> str:
        issue = self.json("issue", "list", "--status", "dispatched")[0]
        self("issue", "ack", str(issue["id"]), "--unit", issue["lead_unit"])
        return str(issue["id"])

    def open_cluster(self) -> str:
        """Power cuts reported by six enterprises of several counties: a widespread problem
        (the topic is found when the office accepts an issue)."""
        enterprises = self.json("enterprise", "list")
        one_per_place = {e["jurisdiction"]: e["credit_code"] for e in enterprises}
        for code in list(one_per_place.values())[:6]:
            body = "电网频繁拉闸限电,影响正常生产"
            args = ("issue", "file", "--enterprise", code, "--source", "hotline", "--body", body)
            self("issue", "accept", str(self.json(*args)["id"]), "--category", "1")
        return str(self.json("trends")["open_clusters"][0]["id"])

    def failed_notification(self) -> str:
        """A notification whose delivery failed for good: the channel has no file to write."""
        self.filed()
        self.monkeypatch.setenv("SF_JSON_SHAPES_OUT", "")
        self("outbox", "deliver", "--once")
        return str(self.json("outbox", "list", "--status", "failed")[0]["id"])

    def event(self) -> str:
        """A bank–enterprise matchmaking meeting (银企对接会) of the city."""
        args = ("event", "add", "--kind", "matchmaking", "--title", "2026年第四季度银企对接会")
        return str(self.json(*args, "--date", "2026-11-18", "--organiser", "jz-fgw")["id"])

    def invited_event(self) -> str:
        """The meeting, with the city's key enterprises invited."""
        event = self.event()
        self("event", "invite", event, "--key", "city")
        return event

    def attended_event(self) -> str:
        """The meeting, with one of the invited enterprises there."""
        event = self.invited_event()
        self("event", "attend", event, ENTERPRISE)
        return event

    def held_event(self) -> str:
        """The meeting held: one enterprise came, signed a loan and has a follow-up issue."""
        event = self.attended_event()
        loan = ("--bank", "中国银行焦作分行", "--intended", "3000", "--signed", "2000")
        follow_up = ("--follow-up", "剩余1000万元需补充抵押物评估")
        self("event", "outcome", event, ENTERPRISE, *loan, *follow_up)
        return event

    def indicators(self) -> None:
        """The example city's monthly indicators (the demo's season has none)."""
        self("indicator", "import", INDICATORS)

    def stalled_project(self) -> str:
        """Project 1 with its first step submitted long ago and filed as a stalled step."""
        submitted = ("--status", "submitted", "--at", "2026-09-29 10:00")
        self("project", "step", "1", "立项备案", *submitted)
        self("project", "sweep")
        return "1"

    def letter(self) -> str:
        """A solicitation letter (征询函) of two questions, not sent yet."""
        title = ("--title", "2026年第四季度企业意见征询函")
        questions = ("--question", "您对营商环境是否满意?", "--question", "有何意见建议?")
        return str(self.json("letter", "create", *title, *questions)["id"])

    def answered_letter(self) -> str:
        """A letter sent to one enterprise, which answered it and raised a problem."""
        from serviceframe.services.letters import answer

        letter = self.letter()
        url = self.json("letter", "send", letter, "--to", ENTERPRISE)[0]["url"]
        app = make_app(self.url)
        try:
            answers = ["基本满意", "希望简化用地审批"]
            answer(app, url.rsplit("/", 1)[1], answers, problem="厂区用电增容申请迟迟未批")
        finally:
            app.close()
        return letter


def _issue_csv(run: Run) -> str:
    path = run.tmp / "12345.csv"
    path.write_text(
        f"工单号,统一社会信用代码,受理时间,问题描述,类别\n"
        f"12345-0001,{ENTERPRISE},2026-11-02 09:12,停电影响生产,1\n",
        encoding="utf-8",
    )
    return str(path)


def _dispatched_to(run: Run) -> tuple[str, str]:
    issue = run.json("issue", "list", "--status", "dispatched")[0]
    return str(issue["id"]), issue["lead_unit"]


def after(_setup: object, *args: str) -> list[str]:
    """The command's arguments, once ``_setup`` (evaluated first, as an argument) is done."""
    return list(args)


# Each command's run: what to set up, then the arguments of the command under test (without
# --json). Order does not matter: every test has its own copy of the database.
CASES: dict[str, Callable[[Run], list[str]]] = {
    "agenda": lambda r: after(r.queued(), "agenda"),
    "agenda decide": lambda r: [
        "agenda",
        "decide",
        r.queued(),
        "--decision",
        "由市发改委牵头协调",
        "--settle",
    ],
    "agenda schedule": lambda r: after(r.queued(), "agenda", "schedule", "--date", "2026-12-10"),
    "assess": lambda r: ["assess", "--period", "2026-Q4"],
    "assign": lambda r: ["assign", ENTERPRISE, "--official", "jz-evm"],
    "audit anchor": lambda r: ["audit", "anchor"],
    "audit anchors": lambda r: after(r("audit", "anchor"), "audit", "anchors"),
    "audit verify": lambda r: ["audit", "verify"],
    "channel list": lambda r: ["channel", "list"],
    "channel poll": lambda r: after(
        r.drop("a.json", {"id": "m-0", "enterprise": ENTERPRISE, "body": "融资难"}),
        "channel",
        "poll",
        "demo",
    ),
    "cluster queue": lambda r: ["cluster", "queue", "1"],
    "cluster resolve": lambda r: [
        "cluster",
        "resolve",
        r.open_cluster(),
        "--note",
        "协调燃气公司增加供气",
    ],
    "cluster show": lambda r: ["cluster", "show", "1"],
    "contact-card": lambda r: ["contact-card", ENTERPRISE],
    "coordination": lambda r: ["coordination", "--period", "2026-Q4"],
    "coverage": lambda r: ["coverage"],
    "db check": lambda r: ["db", "check"],
    "db current": lambda r: ["db", "current"],
    "db upgrade": lambda r: ["db", "upgrade"],
    "enterprise designate": lambda r: ["enterprise", "designate", ENTERPRISE, "--level", "county"],
    "enterprise import": lambda r: [
        "enterprise",
        "import",
        str(ROOT / "examples" / "jiaozuo" / "enterprises.csv"),
    ],
    "enterprise list": lambda r: ["enterprise", "list", "--key", "city"],
    "enterprise show": lambda r: ["enterprise", "show", ENTERPRISE],
    "event add": lambda r: [
        "event",
        "add",
        "--kind",
        "matchmaking",
        "--title",
        "2026年第四季度银企对接会",
        "--date",
        "2026-11-18",
        "--organiser",
        "jz-fgw",
        "--place",
        "市政府三楼会议室",
    ],
    "event attend": lambda r: ["event", "attend", r.invited_event(), ENTERPRISE],
    "event invite": lambda r: ["event", "invite", r.event(), "--key", "city"],
    "event list": lambda r: after(r.held_event(), "event", "list"),
    "event outcome": lambda r: [
        "event",
        "outcome",
        r.attended_event(),
        ENTERPRISE,
        "--bank",
        "中国银行焦作分行",
        "--intended",
        "3000",
        "--signed",
        "2000",
        "--follow-up",
        "剩余1000万元需补充抵押物评估",
    ],
    "event show": lambda r: ["event", "show", r.held_event()],
    "escalate": lambda r: ["escalate", "--now", "2026-12-31T09:00"],
    "indicator import": lambda r: ["indicator", "import", INDICATORS],
    "indicator rollup": lambda r: after(r.indicators(), "indicator", "rollup"),
    "issue accept": lambda r: ["issue", "accept", r.filed(), "--category", "1"],
    "issue ack": lambda r: ["issue", "ack", (d := _dispatched_to(r))[0], "--unit", d[1]],
    "issue dispatch": lambda r: [
        "issue",
        "dispatch",
        r("issue", "accept", r.filed(), "--category", "1") and r.issue("accepted"),
        "--lead",
        "jz-fgw",
    ],
    "issue file": lambda r: [
        "issue",
        "file",
        "--enterprise",
        ENTERPRISE,
        "--source",
        "hotline",
        "--body",
        "融资难,贷款审批慢",
    ],
    "issue import": lambda r: ["issue", "import", _issue_csv(r), "--source", "hotline"],
    "issue instruct": lambda r: [
        "issue",
        "instruct",
        r.acknowledged(),
        "--text",
        "请抓紧协调",
        "--leader",
        "jz-vm-industry",
    ],
    "issue list": lambda r: ["issue", "list"],
    "issue merge": lambda r: ["issue", "merge", r.filed(), "--into", r.filed()],
    "issue progress": lambda r: ["issue", "progress", r.acknowledged(), "--note", "已联系供电公司"],
    "issue rate": lambda r: ["issue", "rate", r.issue("resolved"), "--satisfaction", "satisfied"],
    "issue reclassify": lambda r: [
        "issue",
        "reclassify",
        r.issue("dispatched"),
        "--severity",
        "major",
    ],
    "issue reject": lambda r: ["issue", "reject", r.filed(), "--reason", "不属于服务企业范围"],
    "issue resolve": lambda r: ["issue", "resolve", r.acknowledged(), "--note", "已协调解决"],
    "issue show": lambda r: ["issue", "show", "1"],
    "ledger": lambda r: ["ledger", "jz-fgw", "--period", "2026-Q4"],
    "letter create": lambda r: [
        "letter",
        "create",
        "--title",
        "2026年第四季度企业意见征询函",
        "--question",
        "您对营商环境是否满意?",
    ],
    "letter results": lambda r: ["letter", "results", r.answered_letter()],
    "letter send": lambda r: ["letter", "send", r.letter(), "--to", ENTERPRISE],
    "org check": lambda r: ["org", "check"],
    "org load": lambda r: ["org", "load", str(ROOT / "examples" / "jiaozuo" / "organisation.toml")],
    "org show": lambda r: ["org", "show"],
    "outbox deliver": lambda r: after(r.filed(), "outbox", "deliver", "--once"),
    "outbox list": lambda r: ["outbox", "list", "--limit", "20"],
    "outbox retry": lambda r: ["outbox", "retry", r.failed_notification()],
    "outbox show": lambda r: ["outbox", "show", "1"],
    "plugins list": lambda r: ["plugins", "list"],
    "policy for": lambda r: ["policy", "for", ENTERPRISE],
    "policy import": lambda r: [
        "policy",
        "import",
        str(ROOT / "examples" / "jiaozuo" / "policies.csv"),
    ],
    "policy list": lambda r: ["policy", "list"],
    "policy search": lambda r: ["policy", "search", "融资"],
    "policy show": lambda r: ["policy", "show", "1"],
    "project add": lambda r: [
        "project",
        "add",
        "--enterprise",
        ENTERPRISE,
        "--name",
        "年产2万吨铝合金导线项目",
        "--investment",
        "50000",
        "--leader",
        "jz-vm-industry",
        "--lead-unit",
        "jz-fgw",
        "--ref",
        "XM-2026-101",
    ],
    "project list": lambda r: after(r.stalled_project(), "project", "list"),
    "project report": lambda r: after(r.stalled_project(), "project", "report"),
    "project show": lambda r: ["project", "show", r.stalled_project()],
    "project step": lambda r: [
        "project",
        "step",
        "1",
        "立项备案",
        "--status",
        "submitted",
        "--at",
        "2026-09-29 10:00",
    ],
    "quarantine dismiss": lambda r: [
        "quarantine",
        "dismiss",
        r.quarantined(),
        "--reason",
        "推销邮件",
    ],
    "quarantine list": lambda r: after(r.quarantined(), "quarantine", "list"),
    "quarantine retry": lambda r: ["quarantine", "retry", r.quarantined()],
    "report list": lambda r: ["report", "list"],
    "route": lambda r: ["route", "1"],
    "supervision list": lambda r: ["supervision", "list"],
    "survey invite": lambda r: ["survey", "invite", r.issue("resolved")],
    "topics find": lambda r: ["topics", "find", "电网频繁拉闸限电"],
    "topics list": lambda r: ["topics", "list"],
    "topics refresh": lambda r: ["topics", "refresh"],
    "trends": lambda r: ["trends"],
    "visit add": lambda r: [
        "visit",
        "add",
        "--date",
        "2026-11-20",
        "--kind",
        "visit",
        "--unit",
        "jz-fgw",
        "--enterprise",
        ENTERPRISE,
        "--problem",
        "变压器容量不足,需增容",
    ],
    "visit compliance": lambda r: ["visit", "compliance", "--period", "2026-Q4"],
    "visit list": lambda r: ["visit", "list"],
    "visit show": lambda r: ["visit", "show", "1"],
    "warnings": lambda r: after(r.indicators(), "warnings"),
}


def json_commands() -> list[str]:
    """The path (``issue list``) of every command that takes ``--json``, from the click tree."""
    found, seen = [], set()

    def walk(command: click.Command, path: list[str]) -> None:
        if id(command) in seen:  # an alias (`visits` for `visit`): documented under its name
            return
        seen.add(id(command))
        if any(p.name == "as_json" for p in command.params):  # a group may print too (agenda)
            found.append(" ".join(path))
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=" ".join(path) or "serviceframe")
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])

    walk(cli, [])
    return found


def schema_path(command: str) -> Path:
    return SCHEMAS / f"{command.replace(' ', '-')}.schema.json"


def test_every_json_command_has_a_schema_and_a_run():
    commands = json_commands()
    assert len(commands) > 50
    missing = [c for c in commands if not schema_path(c).exists()]
    assert not missing, f"no docs/json/<command>.schema.json for: {missing}"
    assert sorted(CASES) == sorted(commands), "add a run to CASES for each --json command"
    stale = {p.name for p in SCHEMAS.glob("*.schema.json")} - {
        schema_path(c).name for c in commands
    }
    assert not stale, f"schemas of commands that no longer exist: {stale}"


@pytest.fixture
def run(sf_make_db, tmp_path, monkeypatch) -> Run:
    monkeypatch.setenv(INBOX, str(tmp_path / "inbox"))
    monkeypatch.setenv("SF_JSON_SHAPES_OUT", str(tmp_path / "sent.jsonl"))
    monkeypatch.setenv("SERVICEFRAME_SECRET", "a-test-secret-of-enough-length")  # letters, surveys
    return Run(sf_make_db("json-shapes-demo", _demo), tmp_path, monkeypatch)


@pytest.mark.parametrize("command", sorted(CASES))
def test_json_output_matches_its_documented_shape(command: str, run: Run):
    schema = json.loads(schema_path(command).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    args = CASES[command](run)
    assert " ".join(args).startswith(command), args
    # `db check` and `audit verify` print their findings as JSON and exit 1 when they find any.
    output = run(*args, "--json", exits=(0, 1) if command in ("db check", "audit verify") else (0,))
    value = json.loads(output)
    assert "\\u" not in output, "JSON is written with Chinese characters as they are"
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"docs/json/{schema_path(command).name}: at {'/'.join(map(str, e.path)) or '(top)'}: {e.message}"
        for e in errors[:10]
    )
