"""The built-in router and topic finder: the seed's rules (R7). Registered ``trylast`` so a
county's own router or topic plugin wins."""

from typing import TYPE_CHECKING, Any

from serviceframe.hookspecs import hookimpl

# Every command loads the built-in plugins: what their hooks need is imported in the hooks.
if TYPE_CHECKING:
    from serviceframe.domain.routing import RouteDecision, RoutingFacts


@hookimpl(trylast=True)
def serviceframe_route(
    app: Any, issue: Any, facts: "RoutingFacts", organisation: Any
) -> "RouteDecision":
    from serviceframe.domain.routing import decide
    from serviceframe.services.configured import escalation_rules

    return decide(organisation, facts, escalation_rules(app).widespread_to)


@hookimpl(trylast=True)
def serviceframe_topic(app: Any, issue: Any) -> str | None:
    from serviceframe.domain.categories import Category
    from serviceframe.services.configured import topic_map

    if issue.category is Category.UNCLASSIFIED:
        return None
    # The concept, not the word: 停电, 拉闸 and 供电不稳 are all "1:电力供应".
    found = topic_map(app).find(f"{issue.title}\n{issue.body}", issue.category)
    return None if found is None else found.topic
