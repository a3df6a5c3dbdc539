"""The issue lifecycle as use cases: file, accept, dispatch, acknowledge, feed back, resolve,
rate, merge, reject (R4, R7, category 7).

Each function runs one unit of work: it reads the issue, checks the transition, records one
event, stores the folded state, commits, and only then tells the plugins.
"""

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from attrs import evolve, frozen

from serviceframe.app import App
from serviceframe.domain.categories import Category, parse_category
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.issue import (
    Due,
    Issue,
    IssueEvent,
    Satisfaction,
    Severity,
    apply,
    check_transition,
    parse_enum,
    validate_text,
)
from serviceframe.domain.organisation import Organisation
from serviceframe.domain.taxonomy import Classification
from serviceframe.errors import NotFound, StoreError, ValidationError
from serviceframe.progress import Progress, no_progress
from serviceframe.services.configured import (
    known_sources,
    organisation_of,
)
from serviceframe.services.deadlines import deadlines_for, redo_deadline
from serviceframe.services.events import issue_event_row

# Near-duplicates: the same enterprise raising much the same text within two weeks is
# flagged for the office to merge; it is never dropped silently.
DUPLICATE_WINDOW = timedelta(days=14)
DUPLICATE_SIMILARITY = 0.6

# The sizes of the store's columns: longer text is refused here, naming the field, rather than
# failing in the database (PostgreSQL enforces them; SQLite would silently keep it all).
MAX_EXTERNAL_ID = 200  # also the origin
MAX_REASON = 500


@frozen
class IssueDraft:
    """What a channel hands in: enough to file an issue, nothing decided yet."""

    enterprise: str
    source: str
    body: str
    title: str = ""
    external_id: str | None = None
    category: object = None  # 1-9 or a label, when the filer already knows
    severity: object = None
    received_at: datetime | None = None
    # Unit or official id; default: the office of the group that runs the enterprise's place.
    received_by: str | None = None
    origin: str | None = None


@frozen
class Filed:
    issue: Issue
    created: bool  # False when (source, external id) had been filed before


@frozen
class DraftError:
    index: int  # position in the list handed in (a line number for file imports)
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"#{self.index} {self.field}={self.value!r}: {self.reason}"


@frozen
class BulkReport:
    filed: tuple[int, ...]
    existing: tuple[int, ...]
    errors: tuple[DraftError, ...]


@frozen
class IssueView:
    issue: Issue
    enterprise_name: str
    events: tuple[IssueEvent, ...]
    ratings: tuple[dict[str, Any], ...]


# --- intake ----------------------------------------------------------------------------------


def file_issue(app: App, draft: IssueDraft, actor: str | None = None) -> Filed:
    """File one issue from any source. Filing the same (source, external id) again returns the
    issue filed the first time. Bad input raises a ValidationError naming the field; nothing
    is stored then."""
    report, issues = _file_once_more_if_raced(app, [draft], actor)
    if report.errors:
        e = report.errors[0]
        raise ValidationError(e.field, e.value, e.reason)
    if report.existing:
        with app.uow() as uow:
            existing = uow.issues.get(report.existing[0])
        assert existing is not None
        return Filed(existing, created=False)
    return Filed(issues[0], created=True)


def file_issues(
    app: App,
    drafts: Sequence[IssueDraft],
    actor: str | None = None,
    progress: Progress | None = None,
) -> BulkReport:
    """File many issues in one transaction with set-based inserts (a hotline export).

    Bad drafts are reported by position and skipped; the good ones are filed together.
    """
    report, _ = _file_once_more_if_raced(app, drafts, actor, progress)
    return report


def _file_once_more_if_raced(
    app: App, drafts: Sequence[IssueDraft], actor: str | None, progress: Progress | None = None
) -> tuple[BulkReport, list[Issue]]:
    """``_file``; when another filing of the same (source, external id) committed between
    our look-up and our insert (a channel delivering one message twice at once), the unique
    index refuses ours, and a second try finds theirs: still one issue, and no error."""
    try:
        return _file(app, drafts, actor, progress)
    except StoreError as exc:
        from sqlalchemy.exc import IntegrityError

        cause = exc.__cause__
        if not (isinstance(cause, IntegrityError) and "external_id" in str(cause)):
            raise
    return _file(app, drafts, actor, progress)


def _file(
    app: App, drafts: Sequence[IssueDraft], actor: str | None, progress: Progress | None = None
) -> tuple[BulkReport, list[Issue]]:
    actor = actor or app.settings.actor
    now = app.now()
    sources = known_sources(app)
    errors: list[DraftError] = []
    with app.uow() as uow:
        org = organisation_of(app, uow)
        people = {o.id for o in org.officials} | {u.id for u in org.units}
        checked: list[tuple[int, IssueDraft, dict[str, Any]]] = []
        for index, draft in enumerate(drafts):
            try:
                checked.append((index, draft, _check_draft(draft, sources, people, now)))
            except ValidationError as exc:
                errors.append(DraftError(index, exc.field, str(exc.value), exc.reason))
        codes = {c["enterprise"] for _, _, c in checked}
        registered = uow.enterprises.get_many(codes)
        for index, _draft, c in checked:
            if c["enterprise"] not in registered:
                errors.append(
                    DraftError(
                        index, "enterprise", c["enterprise"], "no such enterprise in the registry"
                    )
                )
            elif not c["received_by"]:
                c["received_by"] = _default_office(org, registered[c["enterprise"]].jurisdiction)
                if not c["received_by"]:
                    errors.append(DraftError(index, "received_by", "", _NO_OFFICE))
        checked = [x for x in checked if x[2]["enterprise"] in registered and x[2]["received_by"]]

        # Idempotent intake: a (source, external id) filed before, or twice in this batch.
        pairs = {(c["source"], c["external_id"]) for _, _, c in checked if c["external_id"]}
        seen = uow.issues.by_external_ids(pairs)
        in_batch: dict[tuple[str, str], int] = {}  # key -> position in `fresh`
        # Each repeated delivery, in draft order: an issue id, or a position in `fresh` for a
        # message delivered twice in this batch (its id is known once inserted).
        repeats: list[tuple[str, int]] = []
        fresh: list[dict[str, Any]] = []
        for _index, _draft, c in checked:
            key = (c["source"], c["external_id"])
            if c["external_id"] and key in seen:
                repeats.append(("id", seen[key]))
                continue
            if c["external_id"] and key in in_batch:
                repeats.append(("batch", in_batch[key]))
                continue
            if c["external_id"]:
                in_batch[key] = len(fresh)
            fresh.append(c)

        # Near-duplicates: stored issues of the same enterprises, and earlier drafts of this
        # batch, each compared within the window around the draft's own time of receipt.
        times = [datetime.fromisoformat(c["received_at"]) for c in fresh]
        recent: dict[str, list[tuple[int, str, str, str, datetime]]] = {}
        if fresh:
            for row in uow.issues.recent_of(
                {c["enterprise"] for c in fresh},
                min(times) - DUPLICATE_WINDOW,
                max(times) + DUPLICATE_WINDOW,
            ):
                recent.setdefault(row[1], []).append(row)
        batch_similar: list[list[int]] = []  # positions of similar earlier drafts
        earlier: dict[str, list[tuple[int, str, str, str, datetime]]] = {}  # by enterprise
        for k, c in enumerate(fresh):
            (progress or no_progress)(k + 1, len(fresh))
            c["suggested_category"] = int(_classify(app, c["title"], c["body"]).category)
            c["possible_duplicates"] = _similar(c, times[k], recent.get(c["enterprise"], []))
            same = earlier.setdefault(c["enterprise"], [])
            batch_similar.append(_similar(c, times[k], same))
            same.append((k, c["enterprise"], c["title"], c["body"], times[k]))

        events = [IssueEvent("filed", now, actor, {**c, "id": 0}) for c in fresh]
        ids = uow.issues.insert_many([apply(None, e) for e in events])
        events = [
            evolve(
                e,
                data={
                    **e.data,
                    "id": new_id,
                    "possible_duplicates": sorted(
                        [*e.data["possible_duplicates"], *(ids[j] for j in similar)]
                    ),
                },
            )
            for e, new_id, similar in zip(events, ids, batch_similar, strict=True)
        ]
        uow.issues.set_possible_duplicates(
            {
                event.data["id"]: event.data["possible_duplicates"]
                for event, similar in zip(events, batch_similar, strict=True)
                if similar
            }
        )
        issues = [apply(None, e) for e in events]
        uow.record([issue_event_row(i.id, e) for i, e in zip(issues, events, strict=True)])
        existing = [value if how == "id" else ids[value] for how, value in repeats]
        uow.commit()
    app.publish_issue_events(zip(issues, events, strict=True))
    return BulkReport(
        tuple(ids), tuple(existing), tuple(sorted(errors, key=lambda e: e.index))
    ), issues


def _check_draft(
    draft: IssueDraft, sources: frozenset[str], people: set[str], now: datetime
) -> dict[str, Any]:
    enterprise = normalise_credit_code(draft.enterprise, "enterprise")
    source = str(draft.source).strip()
    if source not in sources:
        raise ValidationError(
            "source", source, f"unknown source; known: {', '.join(sorted(sources))}"
        )
    title, body = validate_text(draft.title, draft.body)
    category = (
        parse_category(draft.category)
        if draft.category not in (None, "")
        else Category.UNCLASSIFIED
    )
    severity = (
        parse_enum(Severity, "severity", draft.severity)
        if draft.severity not in (None, "")
        else Severity.GENERAL
    )
    received_by = (draft.received_by or "").strip()  # empty: the default office, decided later
    if received_by and received_by not in people:
        raise ValidationError(
            "received_by", received_by, "not a unit or official of the organisation"
        )
    received_at = draft.received_at or now
    if not isinstance(received_at, datetime):
        raise ValidationError("received_at", received_at, "must be a datetime")
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValidationError(
            "received_at", received_at.isoformat(), "give a time zone (e.g. +08:00)"
        )
    if received_at > now + timedelta(minutes=5):
        raise ValidationError("received_at", received_at.isoformat(), "is in the future")
    external_id = (draft.external_id or "").strip() or None
    if external_id is not None and len(external_id) > MAX_EXTERNAL_ID:
        raise ValidationError(
            "external_id", external_id[:20] + "…", f"longer than {MAX_EXTERNAL_ID} characters"
        )
    if draft.origin is not None and len(draft.origin) > MAX_EXTERNAL_ID:
        raise ValidationError(
            "origin", draft.origin[:20] + "…", f"longer than {MAX_EXTERNAL_ID} characters"
        )
    return {
        "enterprise": enterprise,
        "source": source,
        "title": title,
        "body": body,
        "external_id": external_id,
        "origin": draft.origin,
        "category": int(category),
        "severity": severity.value,
        "received_at": received_at.astimezone(UTC).isoformat(),
        "received_by": received_by,
    }


@lru_cache(maxsize=8192)
def _char_counts(text: str) -> Counter[str]:
    return Counter(text)


def _similar(
    c: dict[str, Any], received_at: datetime, candidates: list[tuple[int, str, str, str, datetime]]
) -> list[int]:
    """The candidates of the same enterprise, received within the window around
    ``received_at``, whose text is much the same as the draft's."""
    text = f"{c['title']}\n{c['body']}"[:500]
    matcher: difflib.SequenceMatcher[str] | None = None
    found = []
    for issue_id, enterprise, title, body, when in candidates:
        if enterprise != c["enterprise"] or abs(when - received_at) > DUPLICATE_WINDOW:
            continue
        other = f"{title}\n{body}"[:500]
        # Cheap upper bounds of the similarity first (lengths, then the characters in common,
        # as difflib's quick_ratio): most pairs stop here, before the costly matching.
        if 2 * min(len(text), len(other)) < DUPLICATE_SIMILARITY * (len(text) + len(other)):
            continue
        common = sum((_char_counts(text) & _char_counts(other)).values())
        if 2 * common < DUPLICATE_SIMILARITY * (len(text) + len(other)):
            continue
        if matcher is None:  # the draft is analysed once, for all its candidates
            matcher = difflib.SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(text)
        matcher.set_seq1(other)
        if matcher.ratio() >= DUPLICATE_SIMILARITY:
            found.append(issue_id)
    return sorted(found)


def _classify(app: App, title: str, body: str) -> Classification:
    result: Classification | None = app.plugins.first(
        "serviceframe_classify", app=app, title=title, body=body
    )
    return result if result is not None else Classification(Category.UNCLASSIFIED, 0.0, (), None)


def _default_office(org: Organisation, jurisdiction: str) -> str:
    """R4: whatever the channel, issues end in one place: the office of the leading group that
    runs the enterprise's place (its county's, when the county runs the mechanism; else the
    next level up that does)."""
    group = org.running_group(jurisdiction)
    return group.office if group is not None else ""


_NO_OFFICE = "no leading group runs the enterprise's place or any above it; give received_by"


# --- lifecycle -------------------------------------------------------------------------------

Build = Callable[[Any, Issue, datetime], tuple[str, dict[str, Any]]]


def _change(app: App, issue_id: int, kind: str, build: Build, actor: str | None) -> Issue:
    """Run one transition: check it, record its event, store the new state, then notify."""
    actor = actor or app.settings.actor
    now = app.now()
    with app.uow() as uow:
        issue = uow.issues.get(issue_id, for_update=True)
        if issue is None:
            raise NotFound("issue", issue_id)
        check_transition(issue, kind)
        kind, data = build(uow, issue, now)
        event = IssueEvent(kind, now, actor, data)
        new = apply(issue, event)
        uow.issues.save(new, expected_version=issue.version)
        uow.record([issue_event_row(issue.id, event)])
        if kind == "dispatched":
            uow.issues.set_units(issue.id, data["lead"], data["co"])
        published = [(new, event)]
        if kind in ROUTED_BY:  # an accepted issue always has a responsible leader (R7)
            from serviceframe.services.routing import route_in

            published += [(new, e) for e in route_in(app, uow, new, now, actor)]
        uow.commit()
    app.publish_issue_events(published)
    return new


# Events after which the issue's place on the leaders' ladder is decided again: the category
# and severity decide the leader, the lead unit is the fallback when no leader is in charge.
ROUTED_BY = frozenset({"accepted", "reclassified", "dispatched"})


def accept(
    app: App,
    issue_id: int,
    category: object = None,
    severity: object = None,
    actor: str | None = None,
) -> Issue:
    """Classify and set the severity. Without a category the classifier hook decides (the
    office can always give one, or reclassify later)."""
    return _change(app, issue_id, "accepted", accepting(app, category, severity), actor)


def accepting(app: App, category: object = None, severity: object = None) -> Build:
    """What accepting an issue records (for one issue, or many in ``bulk.accept_many``).
    The given category and severity are checked once, before any issue is read."""
    chosen = parse_category(category) if category not in (None, "") else None
    level = parse_enum(Severity, "severity", severity) if severity else None

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        data: dict[str, Any] = {"severity": (level or issue.severity).value}
        if chosen is not None:
            data |= {"category": int(chosen), "classified_by": "office"}
        elif issue.category is not Category.UNCLASSIFIED:
            data |= {"category": int(issue.category), "classified_by": "filer"}
        else:
            result = _classify(app, issue.title, issue.body)
            if result.category is Category.UNCLASSIFIED:
                raise ValidationError(
                    "category", "", "the classifier found no category; give --category 1-9"
                )
            data |= {
                "category": int(result.category),
                "classified_by": "classifier",
                "matched": list(result.matched),
            }
        return "accepted", data

    return build


def reclassify(
    app: App,
    issue_id: int,
    category: object = None,
    severity: object = None,
    actor: str | None = None,
) -> Issue:
    """The office overrides category or severity of an issue under way."""

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        new_category = parse_category(category) if category not in (None, "") else issue.category
        new_severity = parse_enum(Severity, "severity", severity) if severity else issue.severity
        return "reclassified", {
            "category": int(new_category),
            "severity": new_severity.value,
            "before": {"category": int(issue.category), "severity": issue.severity.value},
        }

    return _change(app, issue_id, "reclassified", build, actor)


def dispatch(
    app: App, issue_id: int, lead: str, co: Iterable[str] = (), actor: str | None = None
) -> Issue:
    """交办: hand the issue to a lead unit (and co-handling units), starting the clocks."""
    return _change(app, issue_id, "dispatched", dispatching(app, lead, co), actor)


def dispatching(app: App, lead: str, co: Iterable[str] = ()) -> Build:
    """What dispatching an issue records (for one issue, or many in ``bulk.dispatch_many``):
    the units are checked once, first; the deadlines counted once per severity."""
    co = tuple(dict.fromkeys(co))
    with app.uow() as uow:
        for field, unit_id in [("lead", lead), *(("co", u) for u in co)]:
            unit = uow.org.unit(unit_id)
            if unit is None or not unit.active:
                raise ValidationError(field, unit_id, "no such unit")
    if lead in co:
        raise ValidationError("co", lead, "the lead unit cannot also be a co-handling unit")
    deadlines: dict[Severity, dict[str, Any]] = {}

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        if issue.severity not in deadlines:
            deadlines[issue.severity] = deadlines_for(app, now, issue.severity)
        return "dispatched", {"lead": lead, "co": list(co), **deadlines[issue.severity]}

    return build


def acknowledge(app: App, issue_id: int, unit: str, actor: str | None = None) -> Issue:
    """签收: the lead unit takes the issue over; first-inquiry ownership passes to it."""

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        if unit != issue.lead_unit:
            raise ValidationError(
                "unit",
                unit,
                f"only the lead unit {issue.lead_unit} can acknowledge issue {issue.id}",
            )
        on_time = issue.ack_due is None or not _late(issue.ack_due, now)
        return "acknowledged", {"unit": unit, "on_time": on_time, "owner_before": issue.owner}

    return _change(app, issue_id, "acknowledged", build, actor)


def progress(app: App, issue_id: int, note: str, actor: str | None = None) -> Issue:
    """反馈: the handling unit reports how far it got (the first one is the 'first feedback')."""

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        if not note.strip():
            raise ValidationError("note", note, "must not be empty")
        return "progressed", {"note": note.strip()}

    return _change(app, issue_id, "progressed", build, actor)


def resolve(app: App, issue_id: int, note: str, actor: str | None = None) -> Issue:
    """办结: the lead unit reports the issue done; the enterprise is then asked to rate it."""

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        if not note.strip():
            raise ValidationError("note", note, "a resolution note is required")
        on_time = issue.resolve_due is None or not _late(issue.resolve_due, now)
        return "resolved", {"note": note.strip(), "round": issue.round, "on_time": on_time}

    return _change(app, issue_id, "resolved", build, actor)


def rate(
    app: App,
    issue_id: int,
    satisfaction: object,
    comment: str = "",
    enterprise: str | None = None,
    actor: str | None = None,
) -> Issue:
    """满意度: the enterprise rates a resolved issue, once per resolution round.

    ``enterprise`` is who is rating; it must be the issue's own enterprise. Left out, the
    rating is recorded as entered by the actor on the enterprise's behalf (a clerk taking
    it by phone). An unsatisfied rating sends the issue back for redo with a new deadline.
    """
    value: Satisfaction = parse_enum(Satisfaction, "satisfaction", satisfaction)

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        if (
            enterprise is not None
            and normalise_credit_code(enterprise, "enterprise") != issue.enterprise
        ):
            raise ValidationError(
                "enterprise", enterprise, f"only {issue.enterprise} may rate issue {issue.id}"
            )
        data: dict[str, Any] = {
            "satisfaction": value.value,
            "comment": comment.strip(),
            "round": issue.round,
            "on_behalf": enterprise is None,
        }
        if value is Satisfaction.UNSATISFIED:
            data["redo_due"] = redo_deadline(app, now)
        # The code as registered: the check above let "…x7" through for "…X7".
        uow.issues.add_rating(issue, value, comment.strip(), now, issue.enterprise)
        return "rated", data

    return _change(app, issue_id, "rated", build, actor)


def reject(app: App, issue_id: int, reason: str, actor: str | None = None) -> Issue:
    """不予受理: out of scope, with the reason the enterprise will be told."""

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        if not reason.strip():
            raise ValidationError("reason", reason, "a reason is required")
        if len(reason.strip()) > MAX_REASON:
            raise ValidationError(
                "reason", reason.strip()[:20] + "…", f"longer than {MAX_REASON} characters"
            )
        return "rejected", {"reason": reason.strip()}

    return _change(app, issue_id, "rejected", build, actor)


def merge(app: App, issue_id: int, into: int, actor: str | None = None) -> Issue:
    """Merge a duplicate into another issue. The duplicate keeps its enterprise and text and
    counts on the target (``duplicates``); nothing is lost."""
    actor = actor or app.settings.actor
    if issue_id == into:
        raise ValidationError("into", into, "an issue cannot be merged into itself")
    now = app.now()
    with app.uow() as uow:
        # Locked in id order, so that two clerks merging a pair either way round cannot
        # deadlock on PostgreSQL.
        locked = {i: uow.issues.get(i, for_update=True) for i in sorted((issue_id, into))}
        issue, target = locked[issue_id], locked[into]
        if issue is None:
            raise NotFound("issue", issue_id)
        if target is None:
            raise NotFound("issue", into)
        check_transition(issue, "merged")
        check_transition(target, "absorbed")
        merged_event = IssueEvent("merged", now, actor, {"into": into})
        absorbed_event = IssueEvent(
            "absorbed", now, actor, {"issue": issue_id, "enterprise": issue.enterprise}
        )
        new_issue, new_target = apply(issue, merged_event), apply(target, absorbed_event)
        uow.issues.save(new_issue, issue.version)
        uow.issues.save(new_target, target.version)
        uow.record([issue_event_row(issue_id, merged_event), issue_event_row(into, absorbed_event)])
        uow.commit()
    app.publish_issue_events([(new_issue, merged_event), (new_target, absorbed_event)])
    return new_issue


def _late(due: Due, now: datetime) -> bool:
    from serviceframe.domain.workdays import Deadline

    return Deadline(due.on, due.provisional).overdue_at(now)


# --- reading ---------------------------------------------------------------------------------


def get_issue(app: App, issue_id: int) -> IssueView:
    with app.uow() as uow:
        issue = uow.issues.get(issue_id)
        if issue is None:
            raise NotFound("issue", issue_id)
        enterprise = uow.enterprises.get(issue.enterprise)
        return IssueView(
            issue,
            enterprise.name if enterprise else "",
            tuple(uow.issues.events(issue_id)),
            tuple(uow.issues.ratings(issue_id)),
        )


def list_issues(app: App, **filters: Any) -> list[Issue]:
    with app.uow() as uow:
        return uow.issues.find(**filters)
