"""The assessment (R9): each unit's (and official's) figures for a period, and the scoring
profiles that turn them into a result.

The seed makes the enterprises' satisfaction the *sole* standard; the built-in profile
``satisfaction`` scores exactly that (:mod:`serviceframe.domain.satisfaction`). Everything
else here — items handled, deadlines kept, redos, supervision orders, how many ratings came
back — is shown beside the result and scored only by a profile that says so (a county may
choose one in its organisation file, e.g. the built-in 12345-style ``hotline12345``).
Profiles are plugins: ``serviceframe_scoring_profiles`` yields :class:`ScoringProfile` records.
"""

import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from attrs import field, frozen

from serviceframe.domain.satisfaction import Tally

# The names plugins register things under: short, lower case, safe in a command line.
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def check_name(_inst: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not NAME.match(value):
        raise ValueError(f"name {value!r}: use 1-40 lower-case letters, digits, - or _")


def _callable(_inst: object, attribute: Any, value: Any) -> None:
    if not callable(value):
        raise ValueError(f"{attribute.name} must be callable, got {type(value).__name__}")


@frozen
class DeadlineCounts:
    """One deadline (acknowledge, feedback or resolve) over many issues, judged as of now."""

    met: int = 0  # 按期完成
    missed: int = 0  # 逾期完成
    pending: int = 0  # 未到期
    overdue: int = 0  # 超期未完成

    @property
    def on_time_rate(self) -> float | None:
        """Met among the deadlines that are decided (met, missed or overdue)."""
        decided = self.met + self.missed + self.overdue
        return None if decided == 0 else self.met / decided


@frozen
class Figures:
    """What one unit (or official) did in a period; every count is of items it answers for
    as lead unit (主办) unless it says co."""

    key: str  # unit or official id
    name: str
    jurisdiction: str
    lead: Tally = Tally()  # ratings given in the period, every round
    co: Tally = Tally()  # ratings of issues it co-handled (协办)
    unrated: int = 0  # resolved in the period, the enterprise has not rated yet
    unrated_co: int = 0
    handled: int = 0  # dispatched to it in the period
    handled_co: int = 0
    resolved: int = 0  # of those handled, resolved by now
    acknowledge: DeadlineCounts = DeadlineCounts()
    feedback: DeadlineCounts = DeadlineCounts()
    resolve: DeadlineCounts = DeadlineCounts()
    supervision: int = 0  # supervision orders (督办) it received in the period

    @property
    def redo(self) -> int:
        """Items sent back for redo: every 不满意 is one."""
        return self.lead.unsatisfied

    @property
    def response_rate(self) -> float | None:
        """Of the resolutions the enterprises were asked to rate, how many they rated."""
        asked = self.lead.rated + self.unrated
        return None if asked == 0 else self.lead.rated / asked

    @property
    def resolution_rate(self) -> float | None:
        return None if self.handled == 0 else self.resolved / self.handled

    @property
    def active(self) -> bool:
        return bool(
            self.lead.rated
            or self.co.rated
            or self.unrated
            or self.unrated_co
            or self.handled
            or self.handled_co
            or self.supervision
        )


@frozen
class ScoringRules:
    """The ``[assessment]`` of the organisation file, as a profile receives it."""

    basic_weight: Fraction = Fraction(4, 5)
    co_weight: Fraction = Fraction(1, 2)
    params: Mapping[str, float] = field(factory=dict)  # the profile's defaults, overridden


Score = Callable[[Figures, ScoringRules], "Fraction | float | None"]


@frozen
class ScoringProfile:
    """A way to turn a unit's figures into its result, registered by a plugin.

    ``score(figures, rules)`` returns the result between 0 and 1 (shown as a percentage), or
    ``None`` when the unit has nothing to be scored on; it must not raise. ``parameters`` are
    the profile's own settings with their defaults; the organisation file's
    ``[assessment] params`` may override them, and no others.
    """

    name: str = field(validator=check_name)
    label: str  # Chinese, for the report
    score: Score = field(validator=_callable)
    description: str = ""
    parameters: Mapping[str, float] = field(factory=dict)
