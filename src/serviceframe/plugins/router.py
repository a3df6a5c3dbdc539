"""The built-in router and topic finder: the seed's rules (R7). Registered ``trylast`` so a
county's own router or topic plugin wins."""

from typing import Any

from serviceframe.domain.categories import Category
from serviceframe.domain.routing import RouteDecision, RoutingFacts, decide
from serviceframe.hookspecs import hookimpl


@hookimpl(trylast=True)
def serviceframe_route(
    app: Any, issue: Any, facts: RoutingFacts, organisation: Any
) -> RouteDecision:
    from serviceframe.services.configured import escalation_rules

    return decide(organisation, facts, escalation_rules(app).widespread_to)


@hookimpl(trylast=True)
def serviceframe_topic(app: Any, issue: Any) -> str | None:
    from serviceframe.domain.taxonomy import keywords_in
    from serviceframe.services.configured import taxonomy

    if issue.category is Category.UNCLASSIFIED:
        return None
    found = taxonomy(app)
    weights = found.keywords.get(issue.category, {})
    matched = keywords_in(f"{issue.title}\n{issue.body}", found, issue.category)
    if not matched:
        return None
    # The strongest keyword names the topic; ties go to the longer, then the first in order.
    best = max(matched, key=lambda k: (weights.get(k, 1.0), len(k), -matched.index(k)))
    return f"{int(issue.category)}:{best}"
