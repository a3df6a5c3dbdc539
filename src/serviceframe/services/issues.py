"""The issue lifecycle as use cases: file, accept, dispatch, acknowledge, feed back, resolve,
rate, merge, reject (R4, R7, category 7).

Each function runs one unit of work: it reads the issue, checks the transition, records one
event, stores the folded state, commits, and only then tells the plugins.
"""

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from attrs import evolve, frozen

from serviceframe.app import App
from serviceframe.domain.categories import Category, parse_category
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.duplicates import DUPLICATE_WINDOW, DuplicateIndex, compared_text
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
from serviceframe.domain.principal import Action, PrincipalKind
from serviceframe.domain.taxonomy import Classification
from serviceframe.errors import Forbidden, NotFound, StoreError, ValidationError, shown
from serviceframe.progress import Progress, no_progress
from serviceframe.services.configured import (
    known_sources,
    organisation_of,
)
from serviceframe.services.deadlines import deadlines_for, redo_deadline
from serviceframe.services.events import issue_event_row
from serviceframe.store.issue_repository import IntakeLookup, filed_row
from serviceframe.store.sql import chunks

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
    # The reporter asked not to be named: origin and filer shown to the office only.
    confidential: bool = False


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
    column: str = ""  # for file imports: the column of the file

    def __str__(self) -> str:
        value = shown(self.value)
        if self.column:
            return f"line {self.index}, column {self.column}: {value!r}: {self.reason}"
        return f"#{self.index} {self.field}={value!r}: {self.reason}"


@frozen
class BulkReport:
    # The ids filed, in order: 8 bytes each (a million-row import would keep 40 MB of Python
    # ints); any sequence of ints to a caller.
    filed: Sequence[int]
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
    intake = file_in_chunks(app, lambda: [[(0, draft)]], actor)
    if intake.errors:
        e = intake.errors[0]
        raise ValidationError(e.field, e.value, e.reason)
    if intake.existing:
        with app.uow() as uow:
            existing = uow.issues.get(intake.existing[0])
        assert existing is not None
        return Filed(existing, created=False)
    return Filed(intake.issues[0], created=True)


def file_issues(
    app: App,
    drafts: Sequence[IssueDraft],
    actor: str | None = None,
    progress: Progress | None = None,
) -> BulkReport:
    """File many issues in one transaction with set-based inserts (a hotline export).

    Bad drafts are reported by position and skipped; the good ones are filed together.
    """

    def batches() -> Iterator[list[tuple[int, IssueDraft]]]:
        return reported_chunks(enumerate(drafts), len(drafts), progress)

    # The filed issues are kept for the plugins only when one listens.
    listened = app.plugins.implemented("serviceframe_issue_event")
    return file_in_chunks(app, batches, actor, keep_issues=listened).report()


# Drafts checked, looked up and inserted together: big enough that the statements cost
# little per draft, small enough that memory stays flat however long the file.
INTAKE_CHUNK = 2000
# How far past a chunk's windows an enterprise's candidates are read, for the chunks after it.
READ_AHEAD = 4 * DUPLICATE_WINDOW

Numbered = Sequence[tuple[int, IssueDraft]]  # (position or line number, draft)
T = TypeVar("T")


def reported_chunks(items: Iterable[T], total: int, progress: Progress | None) -> Iterator[list[T]]:
    """``items`` in chunks of INTAKE_CHUNK, telling ``progress`` (done, total) before the
    first and after each chunk is dealt with."""
    report = progress or no_progress
    report(0, total)
    done = 0
    for chunk in chunks(items, INTAKE_CHUNK):
        yield chunk
        done += len(chunk)
        report(done, total)


def file_in_chunks(
    app: App,
    batches: Callable[[], Iterable[Numbered]],
    actor: str | None = None,
    keep_issues: bool = True,
) -> "Intake":
    """File every draft of ``batches()`` in one unit of work, then tell the plugins.

    When another filing of the same (source, external id) committed between our look-up and
    our insert (a channel delivering one message twice at once), the unique index refuses
    ours; a second pass (``batches()`` again) finds theirs: still one issue, and no error.
    Without ``keep_issues`` (a file of a million rows) the filed issues are not kept in
    memory but read back from the store, in chunks, for the plugins.
    """
    from sqlalchemy.exc import IntegrityError

    for attempt in (1, 2):
        try:
            with app.uow() as uow:
                intake = Intake(app, uow, actor, keep_issues)
                for batch in batches():
                    intake.add(batch)
                uow.commit()
            break
        except StoreError as exc:
            cause = exc.__cause__
            if attempt == 2 or not (
                isinstance(cause, IntegrityError) and "external_id" in str(cause)
            ):
                raise
    if keep_issues:
        app.publish_issue_events(zip(intake.issues, intake.events, strict=True))
    else:
        app.publish_issue_events(_read_back(app, intake.filed))
    return intake


class Pending(NamedTuple):
    """A draft of the chunk being filed, by its position, before it has an id."""

    position: int


class Intake:
    """Files drafts, chunk by chunk, inside one unit of work.

    Each chunk: check every draft; one round of look-ups (registered enterprises, external
    ids filed before, candidates for near-duplicates); classify; insert the issues and their
    ``filed`` events with one executemany each. A chunk sees the chunks before it, stored in
    the same transaction, as it sees every issue filed before.
    """

    def __init__(self, app: App, uow: Any, actor: str | None, keep_issues: bool) -> None:
        self.app, self.uow = app, uow
        uow.authorise(Action.FILE)
        self.principal = uow.principal
        self.actor = actor or app.settings.actor
        self.now = app.now()
        self.sources = known_sources(app)
        org = organisation_of(app, uow)
        self.people: frozenset[str] = app.cached(
            "receivers",
            lambda: frozenset([o.id for o in org.officials] + [u.id for u in org.units]),
        )
        self.org = org
        self.keep_issues = keep_issues
        self.filed = array("q")  # the ids filed, compactly (see BulkReport)
        self.existing: list[int] = []  # repeated deliveries, in draft order: the issue filed
        self.errors: list[DraftError] = []
        self.issues: list[Issue] = []  # with keep_issues: the issues filed, and their events
        self.events: list[IssueEvent] = []
        self.offices: dict[str, str] = {}  # jurisdiction -> its default office
        # Candidates for near-duplicates, held from chunk to chunk (see look_up), and the
        # registered enterprises read with them.
        self.similar = DuplicateIndex()
        self.known: dict[str, str] = {}

    def office_of(self, jurisdiction: str) -> str:
        """The default office for an enterprise of ``jurisdiction``, found once per place."""
        if jurisdiction not in self.offices:
            self.offices[jurisdiction] = _default_office(self.org, jurisdiction)
        return self.offices[jurisdiction]

    def report(self) -> BulkReport:
        return BulkReport(
            self.filed,
            tuple(self.existing),
            tuple(sorted(self.errors, key=lambda e: e.index)),
        )

    def look_up(
        self,
        spans: dict[str, tuple[datetime, datetime]],
        keys: set[tuple[str, str]],
    ) -> IntakeLookup:
        """What a chunk needs of the store: the registered enterprises, the issues filed
        before with these (source, external id) ``keys``, and the candidates for
        near-duplicates of the drafts received within ``spans`` (enterprise -> first, last).

        Candidates are read only for the enterprises whose window ``self.similar`` does not
        hold, and a stretch ahead with them, so that a file sorted by time reads each
        enterprise once every READ_AHEAD instead of once a chunk (most of a large import's
        time went there). Issues another transaction files meanwhile are seen when the
        enterprise is read again (a near-duplicate is a hint to the office, not a rule)."""
        stale = [code for code, span in spans.items() if not self.similar.covers(code, *span)]
        lookup = self._read(stale, spans, READ_AHEAD, keys)
        # Ahead of the chunk, the store's latest issues may all be later than the chunk's
        # windows (a file older than what is stored): read just the windows then.
        crowded = [c for c in stale if c in lookup.known and not self.similar.covers(c, *spans[c])]
        if crowded:
            self._read(crowded, spans, timedelta(0), set())
        self.known.update(lookup.known)
        return IntakeLookup(self.known, lookup.filed, [])

    def _read(
        self,
        codes: list[str],
        spans: dict[str, tuple[datetime, datetime]],
        ahead: timedelta,
        keys: set[tuple[str, str]],
    ) -> IntakeLookup:
        windows = {
            code: (spans[code][0] - DUPLICATE_WINDOW, spans[code][1] + DUPLICATE_WINDOW + ahead)
            for code in codes
        }
        lookup: IntakeLookup = self.uow.issues.intake_lookup(windows, keys)
        recent: dict[str, list[tuple[datetime, int, str]]] = {code: [] for code in lookup.known}
        for issue_id, enterprise, title, body, received_at in lookup.recent:
            recent[enterprise].append((received_at, issue_id, compared_text(title, body)))
        for code, issues in recent.items():
            self.similar.load(code, *windows[code], issues)
        return lookup

    def add(self, drafts: Numbered) -> None:
        checked: list[tuple[int, dict[str, Any], datetime]] = []
        for index, draft in drafts:
            try:
                data, received_at = _check_draft(draft, self.sources, self.people, self.now)
            except ValidationError as exc:
                self.errors.append(DraftError(index, exc.field, str(exc.value), exc.reason))
                continue
            checked.append((index, data, received_at))

        windows: dict[str, tuple[datetime, datetime]] = {}
        for _, data, received_at in checked:
            code = data["enterprise"]
            since, until = windows.get(code, (received_at, received_at))
            windows[code] = (min(since, received_at), max(until, received_at))
        lookup = self.look_up(
            windows, {(d["source"], d["external_id"]) for _, d, _ in checked if d["external_id"]}
        )
        similar = self.similar

        fresh: list[dict[str, Any]] = []
        received: list[datetime] = []  # when each fresh draft was received
        mates: list[list[int]] = []  # per fresh draft: positions of similar earlier ones
        repeats: list[int | Pending] = []
        in_chunk: dict[tuple[str, str], int] = {}
        for index, data, received_at in checked:
            if data["enterprise"] not in lookup.known:
                self.errors.append(
                    DraftError(
                        index,
                        "enterprise",
                        data["enterprise"],
                        "no such enterprise in the registry",
                    )
                )
                continue
            if not self.principal.reaches(data["enterprise"], lookup.known[data["enterprise"]]):
                self.errors.append(
                    DraftError(
                        index,
                        "enterprise",
                        data["enterprise"],
                        f"{self.principal} may not file for this enterprise (outside its scope)",
                    )
                )
                continue
            if not data["received_by"]:
                data["received_by"] = self.office_of(lookup.known[data["enterprise"]])
                if not data["received_by"]:
                    self.errors.append(DraftError(index, "received_by", "", _NO_OFFICE))
                    continue
            # Idempotent intake: a (source, external id) filed before, or twice in a chunk.
            key = (data["source"], data["external_id"])
            if data["external_id"]:
                if key in lookup.filed:
                    repeats.append(lookup.filed[key])
                    continue
                if key in in_chunk:
                    repeats.append(Pending(in_chunk[key]))
                    continue
                in_chunk[key] = len(fresh)
            text = compared_text(data["title"], data["body"])
            found = similar.similar(data["enterprise"], received_at, text)
            similar.add(data["enterprise"], received_at, Pending(len(fresh)), text)
            data["suggested_category"] = int(
                _classify(self.app, data["title"], data["body"]).category
            )
            data["possible_duplicates"] = sorted(k for k in found if isinstance(k, int))
            mates.append([k.position for k in found if isinstance(k, Pending)])
            fresh.append(data)
            received.append(received_at)

        # The store numbers the issues; their events, with the ids and the near-duplicates
        # found among the chunk, are then recorded.
        ids = self.uow.issues.insert_new(
            [filed_row(d, at, self.now) for d, at in zip(fresh, received, strict=True)]
        )
        duplicates: dict[int, list[int]] = {}
        for data, new_id, positions in zip(fresh, ids, mates, strict=True):
            data["id"] = new_id
            if positions:
                data["possible_duplicates"] = sorted(
                    [*data["possible_duplicates"], *(ids[p] for p in positions)]
                )
                duplicates[new_id] = data["possible_duplicates"]
        if duplicates:
            self.uow.issues.set_possible_duplicates(duplicates)
        by = str(self.principal)
        events = [IssueEvent("filed", self.now, self.actor, {**d, "by": by}) for d in fresh]
        self.uow.record([issue_event_row(d["id"], e) for d, e in zip(fresh, events, strict=True)])
        similar.settle(ids)
        if checked:  # what later chunks, moving on in time, will not need again
            similar.prune(min(at for _, _, at in checked) - DUPLICATE_WINDOW)
        self.filed.extend(ids)
        self.existing += [ids[r.position] if isinstance(r, Pending) else r for r in repeats]
        if self.keep_issues:
            self.issues += [apply(None, e) for e in events]
            self.events += events


def _read_back(app: App, ids: Sequence[int]) -> Iterator[tuple[Issue, IssueEvent]]:
    """The issues just filed with their ``filed`` events, read from the store in chunks."""
    for batch in chunks(ids, 1000):
        with app.uow() as uow:
            issues = uow.issues.get_many(batch)
            filed = uow.issues.filed_events(batch)
        yield from ((issue, filed[issue.id]) for issue in issues)


def _check_draft(
    draft: IssueDraft, sources: frozenset[str], people: frozenset[str], now: datetime
) -> tuple[dict[str, Any], datetime]:
    """The data of the draft's ``filed`` event, and when it was received."""
    enterprise = _enterprise_code(str(draft.enterprise))
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
    data = {
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
    if draft.confidential is True:  # only then: the history of other issues stays as it was
        data["confidential"] = True
    return data, received_at


@lru_cache(maxsize=16384)
def _enterprise_code(value: str) -> str:
    """``normalise_credit_code``, remembered: a hotline file names the same few hundred
    enterprises thousands of times, and checking a code cost more than all the other checks
    of a draft together. A bad code raises each time (exceptions are not remembered)."""
    return normalise_credit_code(value, "enterprise")


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
        uow.authorise(ACTIONS[kind], issue_id)
        issue = uow.issues.get(issue_id, for_update=True)
        if issue is None:
            raise NotFound("issue", issue_id)
        check_transition(issue, kind)
        kind, data = build(uow, issue, now)
        data["by"] = str(uow.principal)  # the principal, beside the person's name (actor)
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


# What each transition needs the principal to be allowed (domain/principal.py).
ACTIONS = {
    "accepted": Action.MANAGE,
    "reclassified": Action.MANAGE,
    "dispatched": Action.MANAGE,
    "rejected": Action.MANAGE,
    "merged": Action.MANAGE,
    "acknowledged": Action.ACKNOWLEDGE,
    "progressed": Action.HANDLE,
    "resolved": Action.HANDLE,
    "rated": Action.RATE,
}

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
        _as_unit(uow.principal, "acknowledge", issue.id, unit)
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
        if issue.lead_unit is not None:  # 办结 is the lead unit's (or the office's) word
            _as_unit(uow.principal, "resolve", issue.id, issue.lead_unit)
        if not note.strip():
            raise ValidationError("note", note, "a resolution note is required")
        on_time = issue.resolve_due is None or not _late(issue.resolve_due, now)
        if issue.source == "project":  # a stalled approval step: resolving it moves it on
            from serviceframe.services.projects import approve_step_of_issue

            approve_step_of_issue(app, uow, issue.id, now, actor or app.settings.actor)
        return "resolved", {"note": note.strip(), "round": issue.round, "on_time": on_time}

    return _change(app, issue_id, "resolved", build, actor)


def rate(
    app: App,
    issue_id: int,
    satisfaction: object,
    comment: str = "",
    enterprise: str | None = None,
    actor: str | None = None,
    also: Callable[[Any, Issue, datetime], None] | None = None,
) -> Issue:
    """满意度: the enterprise rates a resolved issue, once per resolution round.

    ``enterprise`` is who is rating; it must be the issue's own enterprise. Left out, the
    rating is recorded as entered by the actor on the enterprise's behalf (a clerk taking
    it by phone). An unsatisfied rating sends the issue back for redo with a new deadline.
    ``also(uow, issue, now)`` runs in the same transaction, after the checks: what must be
    stored with the rating or not at all (a survey link marked used).
    """
    value: Satisfaction = parse_enum(Satisfaction, "satisfaction", satisfaction)

    def build(uow: Any, issue: Issue, now: datetime) -> tuple[str, dict[str, Any]]:
        me = uow.principal
        if me.kind is PrincipalKind.ENTERPRISE and enterprise not in (None, me.id):
            raise Forbidden(str(me), "rate", f"issue {issue.id}", f"as enterprise {enterprise}")
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
            "on_behalf": enterprise is None and me.kind is not PrincipalKind.ENTERPRISE,
        }
        if value is Satisfaction.UNSATISFIED:
            data["redo_due"] = redo_deadline(app, now)
        if also is not None:
            also(uow, issue, now)
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
        uow.authorise(Action.MANAGE, issue_id)
        uow.authorise(Action.MANAGE, into)
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
        merged_event = IssueEvent("merged", now, actor, {"into": into, "by": str(uow.principal)})
        absorbed_event = IssueEvent(
            "absorbed",
            now,
            actor,
            {"issue": issue_id, "enterprise": issue.enterprise, "by": str(uow.principal)},
        )
        new_issue, new_target = apply(issue, merged_event), apply(target, absorbed_event)
        uow.issues.save(new_issue, issue.version)
        uow.issues.save(new_target, target.version)
        uow.record([issue_event_row(issue_id, merged_event), issue_event_row(into, absorbed_event)])
        uow.commit()
    app.publish_issue_events([(new_issue, merged_event), (new_target, absorbed_event)])
    return new_issue


def _as_unit(principal: Any, action: str, issue_id: int, unit: str) -> None:
    """A department acts only as itself; the office may act for any unit (the event records
    who did, ``by``)."""
    if principal.kind is PrincipalKind.HANDLER and unit != principal.id:
        raise Forbidden(str(principal), action, f"issue {issue_id}", f"as unit {unit}")


def _late(due: Due, now: datetime) -> bool:
    from serviceframe.domain.workdays import Deadline

    return Deadline(due.on, due.provisional).overdue_at(now)


# --- reading ---------------------------------------------------------------------------------


def get_issue(app: App, issue_id: int) -> IssueView:
    with app.uow() as uow:
        uow.authorise(Action.READ, issue_id)
        issue = uow.issues.get(issue_id)
        if issue is None:
            raise NotFound("issue", issue_id)
        enterprise = uow.enterprises.get(issue.enterprise)
        events = tuple(uow.issues.events(issue_id))
        if _hidden_from(uow.principal, issue):
            events = tuple(_without_reporter(e) for e in events)
        return IssueView(
            as_seen_by(uow.principal, issue),
            enterprise.name if enterprise else "",
            events,
            tuple(uow.issues.ratings(issue_id)),
        )


def list_issues(app: App, **filters: Any) -> list[Issue]:
    """The issues matching ``filters`` that the acting principal may see."""
    with app.uow() as uow:
        uow.authorise(Action.READ)
        found = uow.issues.find(principal=uow.principal, **filters)
        return [as_seen_by(uow.principal, i) for i in found]


# What a confidential issue shows in place of who raised it, to all but the office.
HIDDEN = "(保密)"
# Event data that would name the reporter: the filer's principal, the message it came in.
_REPORTER_KEYS = ("origin", "external_id", "by")


def _hidden_from(principal: Any, issue: Issue) -> bool:
    return issue.confidential and principal.kind is not PrincipalKind.OFFICE


def as_seen_by(principal: Any, issue: Issue) -> Issue:
    """The issue as ``principal`` may see it: a confidential reporter is shown to the office
    only (every service that returns issues passes them through here)."""
    if not _hidden_from(principal, issue):
        return issue
    return evolve(issue, origin=None, external_id=None)


def _without_reporter(event: IssueEvent) -> IssueEvent:
    if event.kind != "filed":
        return event
    data = {k: (HIDDEN if k in _REPORTER_KEYS and v else v) for k, v in event.data.items()}
    return evolve(event, actor=HIDDEN, data=data)
