"""What a plugin's hook may return: the plugin author's contract, checked on every call.

Each hookspec in :mod:`serviceframe.hookspecs` names its result check with one decorator line
beside it (``@returns(contract.TOPIC)``); the plugin host applies it to every result a plugin
gives. A result the check refuses is reported naming the plugin and the hook, and the host goes
on as if that plugin had returned nothing: the next implementation (in the end the built-in one)
decides. A hook added later is checked by adding that one line; a test fails for a hookspec
without one.

A check is a function ``(result, call) -> value``: ``call`` holds the arguments the hook was
called with (a route is checked against the ``organisation`` it was given), the value returned
is what the host uses (an ``int`` category becomes a :class:`Category`), and :class:`Refused`
says why a result is not acceptable. ``refuses`` lists results the check refuses, for the
hostile-plugin suite in :mod:`serviceframe.testing.hostile` to return.

The domain is imported inside the checks: plugins import this module through ``hookspecs``,
and ``serviceframe --help`` must stay light.
"""

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from attrs import evolve, frozen

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "serviceframe_result"  # where ``returns`` puts the check on the spec function


class Refused(Exception):
    """A result that breaks its hook's contract; the message says why."""


@frozen
class ResultCheck:
    accept: Callable[[Any, Mapping[str, Any]], Any]
    describe: str  # what a valid result is, for docs/hooks.md
    refuses: Callable[[], tuple[Any, ...]] = tuple


def returns(check: ResultCheck) -> Callable[[F], F]:
    """Declare how a hookspec's results are checked (put it under ``@hookspec``)."""

    def mark(spec: F) -> F:
        setattr(spec, ATTRIBUTE, check)
        return spec

    return mark


def check_of(spec: Callable[..., Any]) -> ResultCheck | None:
    check = getattr(spec, ATTRIBUTE, None)
    return check if isinstance(check, ResultCheck) else None


def shown(value: Any, limit: int = 60) -> str:
    """A result as a message shows it: its type, and its repr cut short."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{text} ({type(value).__name__})"


def _instance(result: Any, cls: type, what: str) -> None:
    if not isinstance(result, cls):
        raise Refused(f"expected {what}, got {shown(result)}")


# --- notifications -----------------------------------------------------------------------------

IGNORED = ResultCheck(lambda result, call: None, "The return value is ignored.")


# --- registration hooks: records yielded or returned as a list --------------------------------


def _records(result: Any, call: Mapping[str, Any]) -> list[Any]:
    if not isinstance(result, list):
        raise Refused(f"expected records (yielded, or a list), got {shown(result)}")
    return result


RECORDS = ResultCheck(
    _records,
    "Records, yielded or returned as a list; the host checks each as it uses it and reports a "
    "record of the wrong type naming the plugin.",
    lambda: (42, "kinds"),
)


# --- serviceframe_sources ----------------------------------------------------------------------

SOURCE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")  # issues.source is 40 characters


def _source_names(result: Any, call: Mapping[str, Any]) -> list[str]:
    if isinstance(result, str) or not isinstance(result, list | tuple):
        raise Refused(f"expected a list of names, got {shown(result)}")
    for name in result:
        if not isinstance(name, str) or not SOURCE_NAME.fullmatch(name):
            raise Refused(
                f"{shown(name)} is not a source name: lower-case ASCII letters, digits and _, "
                "starting with a letter, at most 40 characters"
            )
    return list(result)


SOURCE_NAMES = ResultCheck(
    _source_names,
    "A list of source names (`[a-z][a-z0-9_]*`, at most 40 characters). A name that another "
    "plugin claimed first is refused.",
    lambda: ("sms", ["短信"], ["SMS Gateway"], [42]),
)


# --- serviceframe_classify ---------------------------------------------------------------------


def _classification(result: Any, call: Mapping[str, Any]) -> Any:
    from serviceframe.domain.categories import Category
    from serviceframe.domain.taxonomy import Classification

    _instance(result, Classification, "a Classification")
    category = _category(result.category, "category")
    runner_up = None if result.runner_up is None else _category(result.runner_up, "runner_up")
    score = result.score
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise Refused(f"score {shown(score)} is not a finite number")
    if score < 0:
        raise Refused(f"score {score} is negative")
    matched = result.matched
    if not isinstance(matched, tuple | list) or not all(isinstance(k, str) for k in matched):
        raise Refused(f"matched {shown(matched)} is not a tuple of keywords")
    if category is Category.UNCLASSIFIED and matched:
        raise Refused("an unclassified result names matched keywords")
    return evolve(result, category=category, runner_up=runner_up, matched=tuple(matched))


def _category(value: Any, field: str) -> Any:
    from serviceframe.domain.categories import Category

    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"{field} {shown(value)} is not a category number")
    if value not in Category._value2member_map_:
        raise Refused(f"{field} {value} is not one of the categories 1-9 (0: unclassified)")
    return Category(value)


def _bad_classifications() -> tuple[Any, ...]:
    from serviceframe.domain.categories import Category
    from serviceframe.domain.taxonomy import Classification

    return (
        "融资服务",
        3,
        Classification(42, 1.0, (), None),  # type: ignore[arg-type]
        Classification(Category.FINANCING, math.nan, ("贷款",), None),
        Classification(Category.FINANCING, 1.0, "贷款", None),  # type: ignore[arg-type]
    )


CLASSIFICATION = ResultCheck(
    _classification,
    "A `Classification` whose category is 0-9 (0: unclassified), with a finite score "
    "≥ 0 and a tuple of matched keywords.",
    _bad_classifications,
)


# --- serviceframe_route ------------------------------------------------------------------------

MAX_REASON = 500  # issue_routing.reason


def _route(result: Any, call: Mapping[str, Any]) -> Any:
    from serviceframe.domain.routing import RouteDecision, Rung

    _instance(result, RouteDecision, "a RouteDecision")
    org = call["organisation"]
    codes = {j.code for j in org.jurisdictions}
    try:
        rung = Rung(result.rung)
    except ValueError:
        raise Refused(
            f"rung {shown(result.rung)} is not one of {', '.join(r.value for r in Rung)}"
        ) from None
    if result.level not in codes:
        raise Refused(f"level {shown(result.level)} is not a jurisdiction of the organisation")
    if result.official is not None and result.official not in {o.id for o in org.officials}:
        raise Refused(f"official {shown(result.official)} is not in the organisation")
    if result.official is None and rung is not Rung.EXECUTIVE_MEETING:
        raise Refused(f"no official named for the rung {rung.value}")
    if not isinstance(result.reason, str) or len(result.reason) > MAX_REASON:
        raise Refused(f"reason {shown(result.reason)} is not a text of at most {MAX_REASON}")
    informed = result.informed
    if isinstance(informed, str) or not all(code in codes for code in informed):
        raise Refused(f"informed {shown(informed)} is not a tuple of jurisdiction codes")
    return evolve(result, rung=rung, informed=tuple(informed))


def _bad_routes() -> tuple[Any, ...]:
    from serviceframe.domain.routing import RouteDecision, Rung

    return (
        {"level": "410800", "official": "jz-vm"},
        RouteDecision("999999", Rung.VICE_MAYOR, "jz-vm", "不存在的辖区"),
        RouteDecision("410800", Rung.VICE_MAYOR, "nobody", "不存在的领导"),
        RouteDecision("410800", "boss", "jz-vm", "不存在的层级"),  # type: ignore[arg-type]
    )


ROUTE_DECISION = ResultCheck(
    _route,
    "A `RouteDecision` whose level and informed jurisdictions are in the organisation, whose "
    "rung is a `Rung`, and whose official is an official of the organisation (none only for "
    "the executive meeting).",
    _bad_routes,
)


# --- serviceframe_topic ------------------------------------------------------------------------

MAX_TOPIC = 100  # issue_routing.topic, clusters.topic


def _topic(result: Any, call: Mapping[str, Any]) -> str:
    if not isinstance(result, str):
        raise Refused(f"expected a text, got {shown(result)}")
    if not result.strip() or len(result) > MAX_TOPIC or not result.isprintable():
        raise Refused(
            f"topic {shown(result)} must be 1-{MAX_TOPIC} printable characters on one line"
        )
    return result


TOPIC = ResultCheck(
    _topic,
    f"A text of 1-{MAX_TOPIC} printable characters on one line.",
    lambda: (42, "", "电" * (MAX_TOPIC + 1), "停电\n限电"),
)


# --- serviceframe_cli_commands -----------------------------------------------------------------

COMMAND_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")
IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def _cli_commands(result: Any, call: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(result, dict):
        raise Refused(f"expected a dict of command name -> 'module:attribute', got {shown(result)}")
    for name, path in result.items():
        if not isinstance(name, str) or not COMMAND_NAME.fullmatch(name):
            raise Refused(f"{shown(name)} is not a command name (lower-case letters, digits, -)")
        if not isinstance(path, str) or not IMPORT_PATH.fullmatch(path):
            raise Refused(f"{shown(path)} is not 'module:attribute'")
    return dict(result)


CLI_COMMANDS = ResultCheck(
    _cli_commands,
    'A dict from a command name (`[a-z][a-z0-9-]*`) to `"module:attribute"` of a click '
    "command; imported only when that command is used.",
    lambda: (["serve"], {"Serve": "m:serve"}, {"serve": "not a path"}),
)
