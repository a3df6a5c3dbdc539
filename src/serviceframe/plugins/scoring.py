"""The built-in scoring profile: the enterprises' satisfaction, the seed's sole standard (R9)."""

from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:  # every command loads this plugin; only the assessment scores
    from serviceframe.domain.assessment import Figures, ScoringProfile, ScoringRules


def satisfaction(figures: "Figures", rules: "ScoringRules") -> Fraction | None:
    """Every rating of the period, every round; co-handled items with ``co_weight``."""
    from serviceframe.domain.satisfaction import weighted_rate

    return weighted_rate(figures.lead, figures.co, rules.basic_weight, rules.co_weight)


@hookimpl
def serviceframe_scoring_profiles() -> Iterator["ScoringProfile"]:
    from serviceframe.domain.assessment import ScoringProfile

    yield ScoringProfile(
        "satisfaction",
        "满意度(唯一标准)",
        satisfaction,
        "The average points of every rating given in the period: 满意 1, 基本满意 "
        "basic_weight, 不满意 0; a co-handling unit counts each rating with co_weight.",
    )
