"""Service events (服务活动): bank–enterprise matchmaking (银企对接, category 3), policy
briefings (政策宣讲) and training (培训, category 8)."""

from datetime import date, datetime
from enum import StrEnum

from attrs import frozen

from serviceframe.domain.categories import Category
from serviceframe.errors import ValidationError


class EventKind(StrEnum):
    MATCHMAKING = "matchmaking"
    BRIEFING = "briefing"
    TRAINING = "training"

    @property
    def label(self) -> str:
        return {"matchmaking": "银企对接", "briefing": "政策宣讲", "training": "培训"}[self.value]

    @property
    def category(self) -> Category:
        """The service category a follow-up of this kind of event belongs to."""
        return {
            "matchmaking": Category(3),
            "briefing": Category(7),
            "training": Category(8),
        }[self.value]


def parse_event_kind(value: object) -> EventKind:
    text = str(value).strip()
    aliases = {"银企对接会": "matchmaking", "政策宣讲会": "briefing", "培训班": "training"}
    text = aliases.get(text, text)
    for kind in EventKind:
        if text in (kind.value, kind.label):
            return kind
    allowed = ", ".join(f"{k.value} ({k.label})" for k in EventKind)
    raise ValidationError("kind", value, f"must be one of {allowed}")


@frozen
class Participant:
    enterprise: str
    name: str
    invited_at: datetime
    attended: bool | None
    bank: str = ""
    intended: int = 0  # 万元
    signed: int = 0  # 万元
    note: str = ""


@frozen
class ServiceEvent:
    id: int
    kind: EventKind
    title: str
    date: date
    jurisdiction: str
    place: str
    organisers: tuple[str, ...]
    created_at: datetime
    participants: tuple[Participant, ...] = ()
    follow_ups: tuple[int, ...] = ()  # issues filed from it (source event)
