"""The organisation file: a province, city or county describes itself in one TOML file.

Loaded through the one cattrs converter with unknown keys rejected; every problem is reported
at once with its key path and value, before anything is written to the store.
"""

import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from attrs import evolve, field, fields, frozen

from serviceframe.domain.indicators import WarningRule, check_warning_rules
from serviceframe.domain.notices import NotificationRule, check_rules
from serviceframe.domain.organisation import (
    Jurisdiction,
    LeadingGroup,
    Official,
    Organisation,
    Quotas,
    Role,
    Unit,
    check_organisation,
)
from serviceframe.domain.topics import TopicEdit
from serviceframe.errors import ConfigError
from serviceframe.serialise import converter, structure_errors


@frozen
class DeadlineRules:
    """Working-day limits (限时办理), per step and severity."""

    acknowledge: int = 1  # 签收
    feedback: int = 3  # 首次反馈
    resolve_general: int = 7
    resolve_major: int = 20
    resolve_policy: int = 20
    redo: int = 5  # 退回重办
    supervision_reply: int = 3  # 督办单: the overdue unit's reply limit, then 催办 one rung up
    strict_calendar: bool = False  # an unknown year is an error instead of a provisional date
    calendar_overrides: str | None = None  # TOML of holidays, relative to the organisation file


@frozen
class EscalationRules:
    """Where widespread issues go and what counts as widespread (倾向性、普遍性)."""

    widespread_to: Role = Role.EXECUTIVE_DEPUTY  # or "head"
    cluster_min_enterprises: int = 5  # different enterprises raising the same topic…
    cluster_min_counties: int = 2  # …in at least this many counties…
    cluster_window_days: int = 30  # …within this many days


@frozen
class AssessmentRules:
    """How the enterprises' ratings become each unit's result (R9; docs/assessment.md)."""

    profile: str = "satisfaction"  # the scoring profile; plugins may add others
    basic_weight: float = 0.8  # 基本满意 is worth this much of 满意 (0..1)
    co_weight: float = 0.5  # a co-handling unit counts each rating with this weight (0..1)
    params: dict[str, float] = field(factory=dict)  # the profile's own parameters


@frozen
class Meeting:
    """A scheduled executive meeting of a government (常务会议)."""

    jurisdiction: str
    date: date
    name: str = ""


@frozen
class ChannelConfig:
    """A channel the county runs (``[[channels]]``): a plugin's channel kind, configured."""

    name: str  # how outbox rows and issues name it; also the source of what it brings in
    kind: str  # a channel kind a plugin provides: email, apprise, hotline, file…
    jurisdiction: str | None = None  # whose people it reaches; default the root
    settings: dict[str, Any] = field(factory=dict, hash=False)  # structured by the kind
    # Settings read from environment variables at run time: {"password": "JZ_SMTP_PASSWORD"}.
    secrets: dict[str, str] = field(factory=dict, hash=False)
    source: str | None = None  # the issue source of what it brings in; default its name
    address: tuple[str, ...] = ()  # the address kinds it reaches people by; default the kind's


@frozen
class OutboxRules:
    """How ``outbox deliver`` retries (exponential back-off) and when it gives up."""

    max_attempts: int = 8
    first_retry_seconds: int = 60  # then 2×, 4×, … up to max_retry_seconds
    max_retry_seconds: int = 3600
    # A notification claimed this long ago by a deliverer that never recorded the outcome is
    # taken over by another (the first one stopped): longer than any send can take.
    lease_seconds: int = 300


@frozen
class WarningNotices:
    """Whom an early warning is sent to, and the words (``[warning_notices]``)."""

    enabled: bool = True
    # The unit in charge (e.g. the industry bureau); default: the office that runs the
    # enterprise's place. It is told through its liaison leader for the enterprise, else its head.
    unit: str | None = None
    channels: tuple[str, ...] = ()  # preference order; empty: every outbound channel
    subject: str = "【预警】{enterprise}:{rule}"
    body: str = (
        "{recipient}:{enterprise}{month}{rule}:{detail}。请了解企业生产经营情况,"
        "及时协调解决困难。\n——{office}"
    )


@frozen
class PolicyPushRules:
    """How a policy added to the catalogue is pushed to the enterprises it fits
    (``[policy_push]``): once per policy and enterprise, to its contact people."""

    enabled: bool = True
    categories: tuple[int, ...] = ()  # only policies of these service categories; empty: all
    # A policy issued longer ago than this when it is added is not pushed: filling the
    # catalogue with older documents tells no one.
    max_age_days: int = 90
    channels: tuple[str, ...] = ()
    subject: str = "【政策推送】{title}"
    body: str = (
        "{recipient}:您好!{issuer}发布《{title}》{doc_no},适用于贵企业所在行业,"
        "请关注。{url}\n——{office}"
    )


WARNING_PLACEHOLDERS = frozenset(
    {"recipient", "office", "enterprise", "enterprise_code", "month", "rule", "detail"}
)
PUSH_PLACEHOLDERS = frozenset(
    {"recipient", "office", "enterprise", "title", "doc_no", "issuer", "url", "policy_id"}
)


@frozen
class StepTemplate:
    """One approval step of a major project (重大项目): who approves it, in how many working days."""

    name: str  # 立项备案, 用地预审, 规划许可…
    unit: str  # the unit that approves it
    limit_days: int  # working days from submission (限时办理)


@frozen
class ProjectTemplate:
    """The approval steps a jurisdiction's major projects go through, in order
    (``[[project_templates]]``); a project takes its own jurisdiction's, else the nearest
    one above it."""

    jurisdiction: str
    steps: tuple[StepTemplate, ...]


MAX_STEP_NAME = 40
MAX_STEP_LIMIT = 365


@frozen
class PluginChecks:
    """What only the installed plugins can tell about a file: whether each channel's kind
    exists and its settings fit, and which placeholders plugins add to templates."""

    channel: Callable[[str, ChannelConfig], list[str]]
    placeholders: Mapping[str, frozenset[str]] = field(factory=dict)


_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@frozen
class OrgFile:
    """Everything one organisation file holds."""

    name: str
    jurisdictions: tuple[Jurisdiction, ...]
    units: tuple[Unit, ...]
    officials: tuple[Official, ...]
    groups: tuple[LeadingGroup, ...] = ()
    quotas: Quotas = Quotas()
    deadlines: DeadlineRules = DeadlineRules()
    # Extra classification keywords per category number: {"1": {"拉闸": 2.0}}; weight 0 removes.
    taxonomy: dict[int, dict[str, float]] = field(factory=dict)
    # Edits of the topic map: {1: {"电力供应": TopicEdit(words=("跳闸",))}} (domain.topics).
    topics: dict[int, dict[str, TopicEdit]] = field(factory=dict)
    escalation: EscalationRules = EscalationRules()
    meetings: tuple[Meeting, ...] = ()
    channels: tuple[ChannelConfig, ...] = ()
    notifications: dict[str, NotificationRule] = field(factory=dict)
    outbox: OutboxRules = OutboxRules()
    assessment: AssessmentRules = AssessmentRules()
    warnings: tuple[WarningRule, ...] = ()
    warning_notices: WarningNotices = WarningNotices()
    policy_push: PolicyPushRules = PolicyPushRules()
    project_templates: tuple[ProjectTemplate, ...] = ()

    @property
    def organisation(self) -> Organisation:
        return Organisation(
            jurisdictions=self.jurisdictions,
            units=self.units,
            officials=self.officials,
            groups=self.groups,
            quotas=self.quotas,
        )


def parse_org(
    data: dict[str, object],
    source: str = "organisation file",
    plugins: PluginChecks | None = None,
) -> OrgFile:
    try:
        org_file = converter.structure(data, OrgFile)
    except Exception as exc:
        problems = structure_errors(exc, path="$")
        raise ConfigError(_report(source, problems)) from None
    problems = check_organisation(org_file.organisation)
    codes = {j.code for j in org_file.jurisdictions}
    for i, meeting in enumerate(org_file.meetings):
        if meeting.jurisdiction not in codes:
            problems.append(
                f"meetings[{i}]: jurisdiction={meeting.jurisdiction!r} is not a jurisdiction"
            )
    if org_file.escalation.widespread_to not in (Role.EXECUTIVE_DEPUTY, Role.HEAD):
        problems.append(
            f"escalation.widespread_to={org_file.escalation.widespread_to.value!r}: "
            "must be executive_deputy or head"
        )

    problems += _bounded_numbers(org_file)
    problems += _classification_problems(org_file)
    problems += _check_channels(org_file, codes, plugins)
    problems += check_project_templates(
        org_file.project_templates, codes, {u.id for u in org_file.units}
    )
    for name in ("basic_weight", "co_weight"):
        value = getattr(org_file.assessment, name)
        if not 0 <= value <= 1:
            problems.append(f"assessment.{name}={value!r}: must be between 0 and 1")
    problems += check_warning_rules(org_file.warnings)
    problems += _check_pushes(org_file, {c.name for c in org_file.channels})
    if problems:
        raise ConfigError(_report(source, problems))
    return org_file


# The whole numbers of the file and the range each must be in: deadlines are working days
# (a year at most), quotas may be 0, the outbox counts attempts and seconds. A value outside
# would crash a sweep later (acknowledge=-1) or overflow a date (100000000).
_BOUNDS: dict[str, tuple[int, int]] = {
    "quotas": (0, 100_000),
    "deadlines": (1, 250),
    "escalation": (1, 10_000),
    "outbox": (1, 10_000_000),
}


def _bounded_numbers(org_file: OrgFile) -> list[str]:
    problems = []
    for section, (low, high) in _BOUNDS.items():
        values = getattr(org_file, section)
        for a in fields(type(values)):
            value = getattr(values, a.name)
            if a.type is int and not low <= value <= high:
                problems.append(
                    f"{section}.{a.name}={value}: must be a whole number from {low} to {high}"
                )
    return problems


def _check_pushes(org_file: OrgFile, channels: set[str]) -> list[str]:
    """``[warning_notices]`` and ``[policy_push]``: the unit, channels and templates."""
    from serviceframe.domain.notices import check_template

    problems = []
    notices, push = org_file.warning_notices, org_file.policy_push
    units = {u.id for u in org_file.units}
    if notices.unit is not None and notices.unit not in units:
        problems.append(f"warning_notices.unit={notices.unit!r} is not a unit")
    for where, names in (("warning_notices", notices.channels), ("policy_push", push.channels)):
        problems += [
            f"{where}.channels: {name!r} is not a configured channel"
            for name in names
            if name not in channels
        ]
    if push.max_age_days < 0:
        problems.append(f"policy_push.max_age_days={push.max_age_days!r}: 0 or more days")
    for number in push.categories:
        if not 1 <= number <= 9:
            problems.append(f"policy_push.categories: {number!r} is not a service category (1-9)")
    for where, rules, allowed in (
        ("warning_notices", notices, WARNING_PLACEHOLDERS),
        ("policy_push", push, PUSH_PLACEHOLDERS),
    ):
        for part in ("subject", "body"):
            problems += [
                f"{where}.{part}: {p}" for p in check_template(getattr(rules, part), allowed)
            ]
    return problems


def _check_channels(org_file: OrgFile, codes: set[str], plugins: PluginChecks | None) -> list[str]:
    problems = []
    names: set[str] = set()
    for i, channel in enumerate(org_file.channels):
        where = f"channels[{i}]"
        if not _CHANNEL_NAME.match(channel.name):
            problems.append(
                f"{where}.name={channel.name!r}: lower-case letters, digits, _ and -, "
                'at most 40, e.g. "mail"'
            )
        elif channel.name in names:
            problems.append(f"{where}.name={channel.name!r}: two channels have this name")
        names.add(channel.name)
        if channel.jurisdiction is not None and channel.jurisdiction not in codes:
            problems.append(f"{where}.jurisdiction={channel.jurisdiction!r} is not a jurisdiction")
        if channel.source is not None and not _CHANNEL_NAME.match(channel.source):
            problems.append(f"{where}.source={channel.source!r}: a short lower-case name")
        for setting, variable in channel.secrets.items():
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", variable):
                problems.append(
                    f"{where}.secrets.{setting}={variable!r}: name an environment variable"
                )
            if setting in channel.settings:
                problems.append(f"{where}.secrets.{setting}: also given in settings; give it once")
        if plugins is not None:
            problems += plugins.channel(where, channel)
    problems += check_rules(
        org_file.notifications, names, plugins.placeholders if plugins else None
    )
    return problems


def check_project_templates(
    templates: tuple[ProjectTemplate, ...], codes: set[str], units: set[str]
) -> list[str]:
    """Every step of every template names a unit of the file and a limit it can keep."""
    problems = []
    seen: set[str] = set()
    for i, template in enumerate(templates):
        where = f"project_templates[{i}]"
        if template.jurisdiction not in codes:
            problems.append(f"{where}.jurisdiction={template.jurisdiction!r} is not a jurisdiction")
        elif template.jurisdiction in seen:
            problems.append(
                f"{where}.jurisdiction={template.jurisdiction!r}: a second template for it"
            )
        seen.add(template.jurisdiction)
        if not template.steps:
            problems.append(f"{where}.steps=[]: name at least one approval step")
        names: set[str] = set()
        for n, step in enumerate(template.steps):
            at = f"{where}.steps[{n}]"
            name = step.name.strip()
            if not name or len(name) > MAX_STEP_NAME:
                problems.append(f"{at}.name={step.name!r}: 1 to {MAX_STEP_NAME} characters")
            elif name in names:
                problems.append(f"{at}.name={step.name!r}: two steps have this name")
            names.add(name)
            if step.unit not in units:
                problems.append(f"{at}.unit={step.unit!r} is not a unit")
            if not 1 <= step.limit_days <= MAX_STEP_LIMIT:
                problems.append(
                    f"{at}.limit_days={step.limit_days!r}: 1 to {MAX_STEP_LIMIT} working days"
                )
    return problems


def _classification_problems(org_file: OrgFile) -> list[str]:
    """The taxonomy and topic map edits, checked now rather than when an issue first needs
    them: a bad keyword must stop `org load`, not an intake weeks later."""
    from serviceframe.domain.taxonomy import load_taxonomy
    from serviceframe.domain.topics import check_topic_edits

    problems = []
    for number, keywords in org_file.taxonomy.items():
        try:
            load_taxonomy().merged({number: keywords}, where="taxonomy")
        except ConfigError as exc:
            problems.append(str(exc))
    return problems + check_topic_edits(org_file.topics, "topics")


def load_org(path: str | Path, plugins: PluginChecks | None = None) -> OrgFile:
    path = Path(path)
    try:
        data = tomllib.loads(read_text(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    org_file = parse_org(data, source=str(path), plugins=plugins)
    overrides = org_file.deadlines.calendar_overrides
    if overrides is not None and not Path(overrides).is_absolute():
        # Keep the calendar file next to the organisation file working from any directory.
        deadlines = evolve(org_file.deadlines, calendar_overrides=str(path.parent / overrides))
        org_file = evolve(org_file, deadlines=deadlines)
    return org_file


def read_text(path: Path) -> str:
    """The file as text: UTF-8, with or without the BOM Windows Notepad writes. Anything else
    is refused naming where it goes wrong, rather than guessed: a GBK file read as UTF-8 (or
    a UTF-8 file read as GBK) would load with every Chinese name garbled."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: the file is UTF-16; save it as UTF-8 (另存为 UTF-8)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        where = f"byte 0x{raw[exc.start]:02x} at line {line}, column {column} is not UTF-8"
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: {where}; save the file as UTF-8") from None
        raise ConfigError(
            f"{path}: {where}; the file looks like GBK/GB18030: "
            "save it as UTF-8 (记事本: 另存为, 编码 UTF-8)"
        ) from None


def _report(source: str, problems: list[str]) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{source}: {len(problems)} problem(s)\n{lines}"
