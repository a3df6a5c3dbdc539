"""Satisfaction (满意度), the sole standard of the assessment (R9): how ratings are counted.

* **Every rating counts**, one per resolution round: an issue rated 不满意, redone and then
  rated 满意 has two ratings, and the first still counts against the unit.
* The **score** of a set of ratings is the average of their points: 满意 1, 基本满意
  ``basic_weight`` (0.8 unless the organisation file says otherwise), 不满意 0.
* An item resolved but not rated yet is *unrated*: shown beside the score, never counted in it
  (and so never as satisfied).
* A co-handling unit (协办) counts each rating of the issues it co-handled with ``co_weight``
  (0.5 by default), the lead unit (主办) with 1.

Scores are exact fractions, so that equal results are equal and tie in the ranking.
docs/assessment.md states the same with worked examples.
"""

from collections.abc import Sequence
from fractions import Fraction

from attrs import frozen


def weight(value: float | str | Fraction) -> Fraction:
    """A weight as written in the organisation file (0.8) as an exact fraction (4/5)."""
    return value if isinstance(value, Fraction) else Fraction(str(value))


@frozen
class Tally:
    """Ratings counted by value."""

    satisfied: int = 0  # 满意
    basic: int = 0  # 基本满意
    unsatisfied: int = 0  # 不满意

    @property
    def rated(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    def points(self, basic_weight: Fraction) -> Fraction:
        return self.satisfied + basic_weight * self.basic

    def rate(self, basic_weight: Fraction) -> Fraction | None:
        """The score: the average points of the ratings; None when there are none."""
        return None if self.rated == 0 else self.points(basic_weight) / self.rated

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(
            self.satisfied + other.satisfied,
            self.basic + other.basic,
            self.unsatisfied + other.unsatisfied,
        )


def weighted_rate(
    lead: Tally, co: Tally, basic_weight: Fraction, co_weight: Fraction
) -> Fraction | None:
    """A unit's score over the ratings it answers for as lead (weight 1) and as co-handling
    unit (``co_weight``); None when no rating carries any weight."""
    count = lead.rated + co_weight * co.rated
    if count == 0:
        return None
    return (lead.points(basic_weight) + co_weight * co.points(basic_weight)) / count


def competition_ranks(scores: Sequence[Fraction | float | None]) -> list[int | None]:
    """Standard competition ranking ("1224"): equal scores share a rank and the next rank
    skips as many places; higher is better; no score, no rank."""
    ranked = sorted((s for s in scores if s is not None), reverse=True)
    first: dict[Fraction | float, int] = {}
    for place, score in enumerate(ranked, start=1):
        first.setdefault(score, place)
    return [None if s is None else first[s] for s in scores]
