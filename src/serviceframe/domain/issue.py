"""The issue: what an enterprise raised, and its lifecycle as events (R4, R6, R7, category 7).

The current state of an issue is what its events say: every command below checks that the
transition is allowed, builds an :class:`IssueEvent`, and :func:`apply` folds the event into the
state. The store keeps the folded state as a row for querying, and the events as the record;
:func:`replay` rebuilds the state from the events alone.

First-inquiry responsibility (首问负责): ``owner`` is whoever first received the issue until the
lead unit acknowledges the dispatch (签收); from then on the lead unit owns it.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import evolve, frozen

from serviceframe.domain.categories import Category
from serviceframe.errors import IllegalTransition, ValidationError

MAX_TITLE = 200
MAX_BODY = 20_000  # a complaint letter, not a file upload


class Severity(StrEnum):
    GENERAL = "general"  # 一般性问题 -> the vice mayor in charge
    MAJOR = "major"  # 重大问题 -> the executive vice mayor or the mayor
    POLICY = "policy"  # 政策性问题 -> the executive meeting

    @property
    def label(self) -> str:
        return {"general": "一般", "major": "重大", "policy": "政策性"}[self.value]


class Status(StrEnum):
    RECEIVED = "received"  # 已受理
    ACCEPTED = "accepted"  # 已分类
    DISPATCHED = "dispatched"  # 已交办
    ACKNOWLEDGED = "acknowledged"  # 已签收
    IN_PROGRESS = "in_progress"  # 办理中
    RESOLVED = "resolved"  # 已办结, awaiting the enterprise's rating
    REDO = "redo"  # 退回重办
    CLOSED = "closed"  # 已评价, done
    REJECTED = "rejected"  # 不予受理
    MERGED = "merged"  # 已合并

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self not in (Status.CLOSED, Status.REJECTED, Status.MERGED)


STATUS_LABELS = {
    Status.RECEIVED: "已受理",
    Status.ACCEPTED: "已分类",
    Status.DISPATCHED: "已交办",
    Status.ACKNOWLEDGED: "已签收",
    Status.IN_PROGRESS: "办理中",
    Status.RESOLVED: "已办结待评价",
    Status.REDO: "退回重办",
    Status.CLOSED: "已办结",
    Status.REJECTED: "不予受理",
    Status.MERGED: "已合并",
}


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意

    @property
    def label(self) -> str:
        return {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}[self.value]


def parse_enum(enum: type[StrEnum], field: str, value: object) -> Any:
    """An enum member from its value or Chinese label; a clear error naming the field."""
    if isinstance(value, enum):
        return value
    text = str(value).strip()
    for member in enum:
        if text in (member.value, getattr(member, "label", None)):
            return member
    allowed = ", ".join(m.value for m in enum)
    raise ValidationError(field, value, f"must be one of {allowed}")


@frozen
class Due:
    """One deadline: the last working day allowed, and whether the calendar had to guess."""

    on: date
    provisional: bool = False


@frozen
class IssueEvent:
    """One change of one issue; ``data`` holds what the change needs to be replayed."""

    kind: str
    at: datetime
    actor: str
    data: Mapping[str, Any]


@frozen
class Issue:
    id: int
    enterprise: str
    source: str
    title: str
    body: str
    received_at: datetime
    received_by: str  # the unit or official that first received it (首问)
    external_id: str | None = None
    origin: str | None = None  # what raised it: "visit:12", "message:<id>", a project step…
    confidential: bool = False  # who raised it is shown to the office only
    status: Status = Status.RECEIVED
    category: Category = Category.UNCLASSIFIED
    suggested_category: Category = Category.UNCLASSIFIED
    severity: Severity = Severity.GENERAL
    owner: str = ""  # first-inquiry owner, then the lead unit once it acknowledged
    lead_unit: str | None = None
    co_units: tuple[str, ...] = ()
    dispatched_at: datetime | None = None
    ack_due: Due | None = None
    acknowledged_at: datetime | None = None
    feedback_due: Due | None = None
    first_feedback_at: datetime | None = None
    resolve_due: Due | None = None
    resolved_at: datetime | None = None
    resolution: str = ""
    round: int = 1  # resolution round; an unsatisfied rating starts the next
    redo_count: int = 0
    satisfaction: Satisfaction | None = None
    rated_at: datetime | None = None
    closed_at: datetime | None = None
    reject_reason: str = ""
    merged_into: int | None = None
    duplicates: int = 0  # issues merged into this one
    possible_duplicates: tuple[int, ...] = ()
    updated_at: datetime | None = None
    version: int = 0  # the number of events that changed it (see STATE_KINDS)

    @property
    def deadlines(self) -> dict[str, Due | None]:
        return {
            "acknowledge": self.ack_due,
            "feedback": self.feedback_due,
            "resolve": self.resolve_due,
        }


# Which statuses each kind of event may start from. Events not listed (notes, routing and
# escalation records) do not change the status and are allowed on any open issue.
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "accepted": frozenset({Status.RECEIVED}),
    "reclassified": frozenset(
        {Status.ACCEPTED, Status.DISPATCHED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REDO}
    ),
    "dispatched": frozenset({Status.ACCEPTED, Status.DISPATCHED}),
    "acknowledged": frozenset({Status.DISPATCHED}),
    "progressed": frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REDO}),
    "resolved": frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REDO}),
    # A resolution decided above the units (a widespread-issue cluster resolved, an executive
    # meeting's decision) settles every open member at once, whatever step it had reached.
    "settled": frozenset(
        {
            Status.RECEIVED,
            Status.ACCEPTED,
            Status.DISPATCHED,
            Status.ACKNOWLEDGED,
            Status.IN_PROGRESS,
            Status.REDO,
        }
    ),
    "rated": frozenset({Status.RESOLVED}),
    "rejected": frozenset({Status.RECEIVED, Status.ACCEPTED}),
    "merged": frozenset({Status.RECEIVED, Status.ACCEPTED, Status.DISPATCHED}),
    "absorbed": frozenset(s for s in Status if s.is_open),
}


# What each kind of event in an issue's history is called, for people (the kind stays the key).
EVENT_LABELS = {
    "filed": "受理登记",
    "accepted": "分类受理",
    "reclassified": "重新分类",
    "dispatched": "交办",
    "acknowledged": "签收",
    "progressed": "进展反馈",
    "resolved": "办结",
    "settled": "统一办结",
    "rated": "满意度评价",
    "rejected": "不予受理",
    "merged": "合并",
    "absorbed": "并入重复问题",
    "deadlines_recomputed": "期限重算",
    "routed": "确定责任领导",
    "escalated": "督办",
    "clustered": "归入普遍性问题",
    "queued": "列入常务会议议题",
    "decided": "会议决定",
    "supervision_closed": "督办销号",
    "instructed": "领导批示",
}


# The kinds that change the issue itself. Every other kind in an issue's history (routing,
# escalation, clustering and agenda records of later modules) is a record *about* the issue:
# those modules keep their own state and never rewrite the issue's row, so replaying such an
# event leaves the issue exactly as it is, ``version`` and ``updated_at`` included; otherwise
# the stored state would no longer be what the events say.
STATE_KINDS = frozenset({"filed", "deadlines_recomputed", *ALLOWED_FROM})


def check_transition(issue: Issue, kind: str) -> None:
    allowed = ALLOWED_FROM.get(kind)
    if allowed is None:
        if not issue.status.is_open:
            raise IllegalTransition(
                f"issue {issue.id} is {issue.status.value} ({issue.status.label}); it is finished"
            )
        return
    if issue.status not in allowed:
        wanted = ", ".join(sorted(s.value for s in allowed))
        raise IllegalTransition(
            f"issue {issue.id} is {issue.status.value} ({issue.status.label}); "
            f"'{kind}' needs it to be {wanted}"
        )


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _due(value: Any) -> Due | None:
    if value is None:
        return None
    if isinstance(value, Due):
        return value
    return Due(date.fromisoformat(value["on"]), bool(value["provisional"]))


def due_data(due: Due) -> dict[str, Any]:
    return {"on": due.on.isoformat(), "provisional": due.provisional}


def apply(issue: Issue | None, event: IssueEvent) -> Issue:
    """The state after ``event``. Pure: the same events always give the same issue."""
    d = event.data
    if event.kind == "filed":
        if issue is not None:
            raise IllegalTransition("an issue is filed once")
        received_at = _dt(d["received_at"])
        return Issue(
            id=int(d["id"]),
            enterprise=d["enterprise"],
            source=d["source"],
            title=d["title"],
            body=d["body"],
            received_at=received_at,
            received_by=d["received_by"],
            external_id=d.get("external_id"),
            origin=d.get("origin"),
            confidential=bool(d.get("confidential", False)),
            category=Category(d.get("category", 0)),
            suggested_category=Category(d.get("suggested_category", 0)),
            severity=Severity(d.get("severity", "general")),
            owner=d["received_by"],
            possible_duplicates=tuple(d.get("possible_duplicates", ())),
            updated_at=event.at,
            version=1,
        )
    if issue is None:
        raise IllegalTransition(f"'{event.kind}' before the issue was filed")
    if event.kind not in STATE_KINDS:
        return issue
    check_transition(issue, event.kind)
    changes: dict[str, Any] = {"updated_at": event.at, "version": issue.version + 1}
    kind = event.kind
    if kind in ("accepted", "reclassified"):
        changes["category"] = Category(d["category"])
        changes["severity"] = Severity(d["severity"])
        if kind == "accepted":
            changes["status"] = Status.ACCEPTED
    elif kind == "dispatched":
        changes |= {
            "status": Status.DISPATCHED,
            "lead_unit": d["lead"],
            # Sorted: co-handling units are a set, and the store gives them back in this order.
            "co_units": tuple(sorted(set(d.get("co", ())))),
            "dispatched_at": event.at,
            "ack_due": _due(d["ack_due"]),
            "feedback_due": _due(d["feedback_due"]),
            "resolve_due": _due(d["resolve_due"]),
        }
    elif kind == "acknowledged":
        changes |= {
            "status": Status.ACKNOWLEDGED,
            "acknowledged_at": event.at,
            "owner": issue.lead_unit or "",
        }
    elif kind == "progressed":
        changes["status"] = Status.IN_PROGRESS
        if issue.first_feedback_at is None:
            changes["first_feedback_at"] = event.at
    elif kind == "resolved":
        changes |= {"status": Status.RESOLVED, "resolved_at": event.at, "resolution": d["note"]}
        if issue.first_feedback_at is None:  # a resolution is also the first feedback
            changes["first_feedback_at"] = event.at
    elif kind == "settled":
        changes |= {"status": Status.RESOLVED, "resolved_at": event.at, "resolution": d["note"]}
    elif kind == "rated":
        satisfaction = Satisfaction(d["satisfaction"])
        changes |= {"satisfaction": satisfaction, "rated_at": event.at}
        if satisfaction is Satisfaction.UNSATISFIED:
            changes |= {
                "status": Status.REDO,
                "round": issue.round + 1,
                "redo_count": issue.redo_count + 1,
                "resolve_due": _due(d["redo_due"]),
                "resolved_at": None,
            }
        else:
            changes |= {"status": Status.CLOSED, "closed_at": event.at}
    elif kind == "rejected":
        changes |= {"status": Status.REJECTED, "reject_reason": d["reason"], "closed_at": event.at}
    elif kind == "merged":
        changes |= {"status": Status.MERGED, "merged_into": int(d["into"]), "closed_at": event.at}
    elif kind == "absorbed":
        changes["duplicates"] = issue.duplicates + 1
    elif kind == "deadlines_recomputed":
        for name in ("ack_due", "feedback_due", "resolve_due"):
            if name in d:
                changes[name] = _due(d[name])
    return evolve(issue, **changes)


def replay(events: Iterable[IssueEvent]) -> Issue:
    issue: Issue | None = None
    for event in events:
        issue = apply(issue, event)
    if issue is None:
        raise ValueError("no events to replay")
    return issue


def validate_text(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if not body:
        raise ValidationError("body", body, "must not be empty")
    if len(body) > MAX_BODY:
        raise ValidationError(
            "body", f"{body[:20]}… ({len(body)} characters)", f"longer than {MAX_BODY} characters"
        )
    if not title:
        title = body[:40]  # a hotline record often has no title: the start of the text serves
    if len(title) > MAX_TITLE:
        raise ValidationError("title", title[:20] + "…", f"longer than {MAX_TITLE} characters")
    return title, body
