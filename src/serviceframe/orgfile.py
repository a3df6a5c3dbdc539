"""The organisation file: a city or county describes itself in one TOML file.

Loaded through the one cattrs converter with unknown keys rejected; every problem is reported
at once with its key path and value, before anything is written to the store.
"""

import tomllib
from datetime import date
from pathlib import Path

from attrs import evolve, field, frozen

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
    strict_calendar: bool = False  # an unknown year is an error instead of a provisional date
    calendar_overrides: str | None = None  # TOML of holidays, relative to the organisation file


@frozen
class EscalationRules:
    """Where widespread issues go and what counts as widespread (倾向性、普遍性)."""

    widespread_to: Role = Role.EXECUTIVE_VICE_MAYOR  # or "mayor"
    cluster_min_enterprises: int = 5  # different enterprises raising the same topic…
    cluster_min_counties: int = 2  # …in at least this many counties…
    cluster_window_days: int = 30  # …within this many days


@frozen
class Meeting:
    """A scheduled executive meeting of a government (常务会议)."""

    jurisdiction: str
    date: date
    name: str = ""


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

    @property
    def organisation(self) -> Organisation:
        return Organisation(
            jurisdictions=self.jurisdictions,
            units=self.units,
            officials=self.officials,
            groups=self.groups,
            quotas=self.quotas,
        )


def parse_org(data: dict[str, object], source: str = "organisation file") -> OrgFile:
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
    if org_file.escalation.widespread_to not in (Role.EXECUTIVE_VICE_MAYOR, Role.MAYOR):
        problems.append(
            f"escalation.widespread_to={org_file.escalation.widespread_to.value!r}: must be executive_vice_mayor or mayor"
        )
    problems += _classification_problems(org_file)
    if problems:
        raise ConfigError(_report(source, problems))
    return org_file


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


def load_org(path: str | Path) -> OrgFile:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    org_file = parse_org(data, source=str(path))
    overrides = org_file.deadlines.calendar_overrides
    if overrides is not None and not Path(overrides).is_absolute():
        # Keep the calendar file next to the organisation file working from any directory.
        deadlines = evolve(org_file.deadlines, calendar_overrides=str(path.parent / overrides))
        org_file = evolve(org_file, deadlines=deadlines)
    return org_file


def _report(source: str, problems: list[str]) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{source}: {len(problems)} problem(s)\n{lines}"
