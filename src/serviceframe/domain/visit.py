"""Regular visits (R5): visits to enterprises, enterprise symposiums and on-site office days,
and the rules they are held to.

The seed asks that each member unit of the leading group visits enterprises at least once a
quarter (成员单位负责同志至少每季度到企业调研一次), that the heads of the city and of each
county hold an enterprise symposium every half year (主要领导每半年安排一次企业负责人座谈会),
and that departments hold on-site office days in the industrial zones (现场办公). A problem an
enterprise raises at a visit becomes an issue like any other (source ``visit``).
"""

from datetime import date
from enum import StrEnum

from attrs import frozen

from serviceframe.domain.period import Period
from serviceframe.errors import ValidationError


class VisitKind(StrEnum):
    VISIT = "visit"  # 走访调研
    SYMPOSIUM = "symposium"  # 企业负责人座谈会
    ONSITE = "onsite"  # 现场办公、上门服务

    @property
    def label(self) -> str:
        return {"visit": "走访调研", "symposium": "座谈会", "onsite": "现场办公"}[self.value]

    @property
    def goes_to_enterprises(self) -> bool:
        """A visit or an on-site office day takes people to the enterprises; a symposium
        brings the enterprises' heads to the government."""
        return self is not VisitKind.SYMPOSIUM


# What clerks write in the 类型 column.
KIND_WORDS = {
    "visit": VisitKind.VISIT,
    "走访": VisitKind.VISIT,
    "调研": VisitKind.VISIT,
    "走访调研": VisitKind.VISIT,
    "symposium": VisitKind.SYMPOSIUM,
    "座谈": VisitKind.SYMPOSIUM,
    "座谈会": VisitKind.SYMPOSIUM,
    "企业负责人座谈会": VisitKind.SYMPOSIUM,
    "onsite": VisitKind.ONSITE,
    "现场办公": VisitKind.ONSITE,
    "上门服务": VisitKind.ONSITE,
}


def parse_kind(value: object) -> VisitKind:
    text = str(value or "").strip()
    kind = KIND_WORDS.get(text) or KIND_WORDS.get(text.lower())
    if kind is None:
        raise ValidationError(
            "kind", value, "use visit (走访调研), symposium (座谈会) or onsite (现场办公)"
        )
    return kind


@frozen
class Finding:
    """What a visit found; a ``problem`` is filed as an issue, ``issue`` is its id."""

    text: str
    enterprise: str | None = None
    problem: bool = False
    issue: int | None = None


@frozen
class Visit:
    id: int
    kind: VisitKind
    date: date
    jurisdiction: str  # the level whose activity this is (whose head held the symposium)
    units: tuple[str, ...]
    officials: tuple[str, ...]
    enterprises: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    subject: str = ""
    place: str = ""
    ref: str | None = None  # the clerk's own number (编号)

    @property
    def origin(self) -> str:
        """What the issues this visit raised point at."""
        return f"visit:{self.id}"


class SpanState(StrEnum):
    MET = "met"  # held at least once
    MISSED = "missed"  # the span is over and nothing was held
    OPEN = "open"  # the span is still running and nothing was held yet

    @property
    def label(self) -> str:
        return {"met": "已完成", "missed": "未完成", "open": "进行中"}[self.value]


@frozen
class SpanCheck:
    """One quarter (or half year) of one unit (or head): how many were held."""

    span: Period
    held: int
    state: SpanState


def check_spans(spans: tuple[Period, ...], dates: list[date], today: date) -> tuple[SpanCheck, ...]:
    """Judge each span that has started by ``today`` against the dates something was held."""
    checks = []
    for span in spans:
        if span.start > today:
            break
        held = sum(1 for d in dates if span.start <= d <= span.end)
        state = SpanState.MISSED
        if held:
            state = SpanState.MET
        elif span.end >= today:
            state = SpanState.OPEN
        checks.append(SpanCheck(span, held, state))
    return tuple(checks)


def behind_since(checks: tuple[SpanCheck, ...], last: date | None, step: int) -> date | None:
    """When the current lapse began: the first day of the span after the one ``last`` fell
    in (``step`` months a span), when the latest finished span was missed; else None.
    A unit that has never held one is behind since it was asked to (None, shown as 从未)."""
    finished = [c for c in checks if c.state is not SpanState.OPEN]
    if not finished or finished[-1].state is not SpanState.MISSED or last is None:
        return None
    index = last.year * 12 + last.month - 1
    index = index - index % step + step
    return date(index // 12, index % 12 + 1, 1)
