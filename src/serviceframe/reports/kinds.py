"""Report kinds: what a county registers to add a report (local reporting).

A plugin yields :class:`ReportKind` records from ``serviceframe_report_kinds``::

    @hookimpl
    def serviceframe_report_kinds(app):
        yield ReportKind("weekly", "县服务企业工作周报", build_weekly,
                         parameters=(ReportParameter("top", "int", 10, "how many items"),))

``build(app, request)`` returns a :class:`~serviceframe.reports.document.Report`;
``serviceframe report run weekly --period 2026-W…`` renders it as text, JSON, XLSX or HTML.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import field, frozen
from attrs.validators import in_

from serviceframe.domain.assessment import check_name
from serviceframe.errors import ValidationError

if TYPE_CHECKING:  # kept out of plugin loading: periods bring the calendar
    from serviceframe.domain.period import Period
    from serviceframe.reports.document import Report

PARAMETER_TYPES = {"int": int, "float": float, "str": str, "bool": bool}
FORMATS = ("text", "json", "xlsx", "html")


@frozen
class ReportParameter:
    """A parameter of a report kind beyond the period and the jurisdiction."""

    name: str = field(validator=check_name)
    type: str = field(validator=in_(tuple(PARAMETER_TYPES)))
    default: Any = None
    help: str = ""

    def parse(self, value: object) -> Any:
        if value is None or isinstance(value, PARAMETER_TYPES[self.type]):
            return value
        text = str(value).strip()
        try:
            if self.type == "bool":
                if text.lower() not in ("true", "false", "yes", "no", "1", "0", "是", "否"):
                    raise ValueError
                return text.lower() in ("true", "yes", "1", "是")
            return PARAMETER_TYPES[self.type](text)
        except ValueError:
            raise ValidationError(self.name, value, f"must be a {self.type}") from None


@frozen
class ReportRequest:
    """What a report is asked for: the period, the jurisdiction (a code; everything below it
    is included), the parameters (defaults filled in) and the moment it is made."""

    period: "Period"
    jurisdiction: str | None
    params: Mapping[str, Any]
    now: datetime


def _callable(_inst: object, attribute: Any, value: Any) -> None:
    if not callable(value):
        raise ValueError(f"{attribute.name} must be callable, got {type(value).__name__}")


@frozen
class ReportKind:
    name: str = field(validator=check_name)
    title: str  # Chinese, for `report list`
    build: Callable[[Any, ReportRequest], "Report"] = field(validator=_callable)
    parameters: tuple[ReportParameter, ...] = field(default=(), converter=lambda v: tuple(v))
    description: str = ""
    formats: tuple[str, ...] = field(
        default=FORMATS, converter=lambda v: tuple(v), validator=lambda _i, _a, v: _formats(v)
    )

    def params(self, given: Mapping[str, object]) -> dict[str, Any]:
        """The parameters, parsed, with the defaults of those not given; an unknown name is
        an error listing the known ones."""
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(given) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise ValidationError(
                "param", unknown[0], f"report {self.name!r} has no such parameter ({names})"
            )
        return {
            name: p.parse(given[name]) if given.get(name) is not None else p.default
            for name, p in known.items()
        }


def _formats(value: tuple[str, ...]) -> None:
    bad = [f for f in value if f not in FORMATS]
    if bad or not value:
        raise ValueError(f"formats {value!r}: choose from {', '.join(FORMATS)}")


def report_kinds(app: Any) -> Any:
    """Every report kind the plugins registered (a :class:`~serviceframe.plugins.manager.
    Registry`), collected once per app."""
    return app.cached(
        "report_kinds",
        lambda: app.plugins.collect("serviceframe_report_kinds", ReportKind, app=app),
    )
