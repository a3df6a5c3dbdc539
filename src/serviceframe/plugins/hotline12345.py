"""A 12345-style scoring profile, built in as a plugin like any county's would be.

12345 government hotlines judge a unit on how it responded, whether it resolved and how
satisfied the caller was. Here: response = acknowledgements on time (签收按期率), resolution =
items resolved of those handled (办结率), satisfaction = the satisfaction profile's score; the
result is their weighted mean. A part without data (no item to acknowledge, no rating) is left
out and the other weights count in full; with no part at all there is no result.
"""

from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:  # every command loads this plugin; only the assessment scores
    from serviceframe.domain.assessment import Figures, ScoringProfile, ScoringRules

PARTS = {"response": 0.2, "resolution": 0.3, "satisfaction": 0.5}


def hotline_score(figures: "Figures", rules: "ScoringRules") -> Fraction | None:
    from serviceframe.domain.satisfaction import weight, weighted_rate

    weights = {part: weight(rules.params.get(part, default)) for part, default in PARTS.items()}
    if any(w < 0 for w in weights.values()) or sum(weights.values()) != 1:
        shown = ", ".join(f"{p}={float(w):g}" for p, w in weights.items())
        raise ValueError(f"the weights must be 0 or more and add up to 1, got {shown}")
    ack = figures.acknowledge
    decided = ack.met + ack.missed + ack.overdue
    parts = {
        "response": Fraction(ack.met, decided) if decided else None,
        "resolution": Fraction(figures.resolved, figures.handled) if figures.handled else None,
        "satisfaction": weighted_rate(
            figures.lead, figures.co, rules.basic_weight, rules.co_weight
        ),
    }
    present = {p: v for p, v in parts.items() if v is not None}
    total = sum((weights[p] for p in present), Fraction(0))
    if not present or total == 0:
        return None
    return sum((weights[p] * v for p, v in present.items()), Fraction(0)) / total


@hookimpl
def serviceframe_scoring_profiles() -> Iterator["ScoringProfile"]:
    from serviceframe.domain.assessment import ScoringProfile

    yield ScoringProfile(
        "hotline12345",
        "12345式综合评分(响应、办结、满意)",
        hotline_score,
        "0.2 x acknowledgements on time + 0.3 x items resolved + 0.5 x satisfaction; "
        "the weights are params response, resolution, satisfaction.",
        dict(PARTS),
    )
