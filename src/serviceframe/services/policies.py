"""The policy catalogue (涉企政策查询, R4): add, import, search, and match to an enterprise.

These are the functions the enterprise portal calls (search, a policy's page, "policies for
my enterprise") and that a notification rule builds on: every policy added or changed is
recorded as an event (``policy_added`` / ``policy_updated``, subject ``policy:<id>``) and
handed to the ``serviceframe_registry_event`` hook after commit; :func:`enterprises_for`
tells which enterprises a policy applies to.

"Today" for validity is the Beijing date of ``app.now()`` unless ``on`` is given.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import evolve, fields, frozen

from serviceframe.app import App
from serviceframe.domain.categories import parse_category
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.domain.enterprise import normalise_industry
from serviceframe.domain.policy import (
    Policy,
    PolicyHit,
    PolicyMatch,
    PolicySummary,
    industry_prefixes,
    parse_size,
    query_terms,
    snippet,
)
from serviceframe.domain.principal import Action
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import NotFound, ValidationError
from serviceframe.progress import Progress, no_progress
from serviceframe.services.enterprises import ImportReport, RowError
from serviceframe.services.events import event_row
from serviceframe.store.sql import chunks

if TYPE_CHECKING:
    from serviceframe.store.policy_repository import PolicyFilters, PolicyIdentity
    from serviceframe.store.uow import UnitOfWork


@frozen
class SearchIndex:
    """Which index serves policy search here (``fts5-trigram``, ``pg_trgm``), or ``None``:
    then every search scans the catalogue, and ``note`` says what to do about it."""

    kind: str | None
    note: str = ""


@frozen
class PolicySearch:
    """One page of search results: ``total`` matches, ``hits`` from ``offset`` on."""

    text: str
    terms: tuple[str, ...]
    total: int
    offset: int
    hits: tuple[PolicyHit, ...]
    index: SearchIndex


# --- writing -----------------------------------------------------------------------------


def add_policy(app: App, policy: Policy, actor: str | None = None) -> Policy:
    """Add one policy to the catalogue; returns it with its id.

    A policy with the same document number (文号), or without one the same title, issuer and
    date, is already there: that is an error naming it (:func:`update_policy` changes it).
    """
    actor = actor or app.settings.actor
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        existing = _Identities(uow.policies.identities(like=policy)).find(policy)
        if existing is not None:
            field, value = ("doc_no", policy.doc_no) if policy.doc_no else ("title", policy.title)
            raise ValidationError(field, value, f"already in the catalogue as policy {existing.id}")
        (policy_id,) = uow.policies.insert_many([policy], now)
        stored = evolve(policy, id=policy_id)
        events = [_added(stored, actor, now, source="add")]
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    return stored


def update_policy(app: App, policy_id: int, actor: str | None = None, **changes: Any) -> Policy:
    """Change fields of a stored policy (e.g. ``valid_to=date(2026, 12, 31)`` when it is
    abolished); the change is checked as a whole and recorded as ``policy_updated``."""
    actor = actor or app.settings.actor
    unknown = set(changes) - ({f.name for f in fields(Policy)} - {"id"})
    if unknown:
        raise ValidationError("field", ", ".join(sorted(unknown)), "not a field of a policy")
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        old = _get(uow, policy_id)
        new = evolve(old, **changes)
        if new == old:
            return old
        clash = _Identities(uow.policies.identities(like=new)).find(new)
        if clash is not None and clash.id != policy_id:
            raise ValidationError("doc_no", new.doc_no, f"already used by policy {clash.id}")
        uow.policies.update_many([new], now)
        events = [_updated(old, new, actor, now, source="update")]
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    return new


def import_policies(
    app: App,
    path: str | Path,
    encoding: str | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Add or update policies from a CSV (UTF-8 or GBK), XLSX or JSON file.

    A row is the same policy as a stored one when its document number (文号) is the same, or,
    without one, when title, issuer and date are; such a row updates the policy if anything
    differs. Good rows go in one transaction; bad rows are reported with line, column and
    reason. Importing the same file again changes nothing and records no event.
    """
    from serviceframe.policyfile import COLUMNS, read_policies

    actor = actor or app.settings.actor
    found = read_policies(path, encoding)
    errors = list(found.errors)
    now = app.now()
    with app.uow() as uow:
        uow.authorise(Action.CONFIGURE)
        known = _Identities(uow.policies.identities())
        first_line: dict[tuple[Any, ...], int] = {}
        new: list[Policy] = []
        changed: list[Policy] = []
        unchanged = 0
        claimed: dict[int, int] = {}  # stored policy id -> the line that matched it
        for line, policy in found.policies:
            key = _Identities.key(policy)
            existing = known.find(policy)
            earlier = first_line.get(key) or (claimed.get(existing.id) if existing else None)
            if earlier is not None:
                column = COLUMNS["doc_no" if policy.doc_no else "title"][0]
                value = policy.doc_no or policy.title
                errors.append(RowError(line, column, value, f"same policy as line {earlier}"))
                continue
            first_line[key] = line
            if existing is not None:
                claimed[existing.id] = line
            if existing is not None and existing.doc_no and not policy.doc_no:
                policy = evolve(policy, doc_no=existing.doc_no)  # a file without 文号 keeps it
            if existing is None:
                new.append(policy)
            elif existing.fingerprint == _fingerprint(policy):
                unchanged += 1
            else:
                changed.append(evolve(policy, id=existing.id))
        old = uow.policies.get_many(p.id for p in changed if p.id is not None)
        # Storing is the slow part (the search index grows with every text): told in batches.
        progress = progress or no_progress
        total = len(new) + len(changed)
        progress(0, total)
        inserted: list[int] = []
        for batch in chunks(new, 1000):
            inserted += uow.policies.insert_many(batch, now)
            progress(len(inserted), total)
        done = len(inserted)
        for batch in chunks(changed, 1000):
            uow.policies.update_many(batch, now)
            done += len(batch)
            progress(done, total)
        source = str(path)
        events = [
            _added(evolve(p, id=i), actor, now, source) for p, i in zip(new, inserted, strict=True)
        ]
        events += [_updated(old[p.id], p, actor, now, source) for p in changed if p.id in old]
        uow.record(events)
        uow.commit()
    app.publish_registry(events)
    return ImportReport(
        source=str(path),
        rows=found.rows,
        inserted=len(new),
        updated=len(changed),
        unchanged=unchanged,
        errors=tuple(sorted(errors, key=lambda e: e.line)),
    )


def reindex_policies(app: App) -> SearchIndex:
    """Make the search index if it is missing and the database can have it now (after
    ``CREATE EXTENSION pg_trgm``), or rebuild SQLite's from the stored policies."""
    from serviceframe.store import policy_search

    with app.uow() as uow:
        uow.authorise(Action.SWEEP)
        policy_search.rebuild(uow.connection)
        uow.commit()
    app.forget_cached()
    return search_index(app)


# --- reading -----------------------------------------------------------------------------


def get_policy(app: App, policy_id: int) -> Policy:
    with app.uow() as uow:
        return _get(uow, policy_id)


def summary_of(app: App, policy_id: int, on: date | None = None) -> PolicySummary:
    """A policy's summary, with its validity on ``on`` (default today)."""
    with app.uow() as uow:
        found = uow.policies.summaries([policy_id], on or today(app))
    if not found:
        raise NotFound("policy", policy_id)
    return found[0]


def list_policies(
    app: App,
    *,
    categories: Iterable[object] = (),
    include_expired: bool = True,
    on: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[PolicySummary]]:
    """(total, one page) of the catalogue: in force first, then newest first."""
    on = on or today(app)
    filters = _filters(categories=categories, include_expired=include_expired)
    with app.uow() as uow:
        total, ranked = uow.policies.ranked(uow.policies.listing(on, filters, limit, offset))
        return total, uow.policies.summaries([r.id for r in ranked], on)


def search_policies(
    app: App,
    text: str,
    *,
    categories: Iterable[object] = (),
    industry: str | None = None,
    size: str | None = None,
    include_expired: bool = True,
    on: date | None = None,
    limit: int | None = 20,
    offset: int = 0,
) -> PolicySearch:
    """Policies containing every term of ``text`` in their title or full text, best first.

    Terms are split at spaces and punctuation; any length works, one or two characters
    (融资, 用电) too. Ranking: policies in force before those not yet in force before expired
    ones (which are marked, and left out with ``include_expired=False``); then more of the
    terms in the title; then more occurrences of the terms; then newer.
    """
    terms = query_terms(text)
    on = on or today(app)
    filters = _filters(categories, industry, size, include_expired)
    index = search_index(app)
    with app.uow() as uow:
        query = uow.policies.search_query(terms, on, filters, limit, offset, index.kind)
        total, ranked = uow.policies.ranked(query)
        ids = [r.id for r in ranked]
        summaries = uow.policies.summaries(ids, on)
        bodies = uow.policies.bodies(ids)
    hits = tuple(
        PolicyHit(s, r.title_terms, r.hits, snippet(bodies.get(s.id, ""), terms))
        for s, r in zip(summaries, ranked, strict=True)
    )
    return PolicySearch(text, terms, total, offset, hits, index)


def policies_for(
    app: App,
    enterprise: str,
    *,
    categories: Iterable[object] = (),
    size: str | None = None,
    include_expired: bool = False,
    on: date | None = None,
    limit: int | None = None,
) -> list[PolicyMatch]:
    """Policies that apply to an enterprise: those for its industry (at any level of
    GB/T 4754, or for every industry), in ``categories`` if given, for ``size`` if given
    (the registry does not record sizes). Best first: in force; in the categories the
    enterprise has raised problems in; for a narrower industry; newer."""
    code = normalise_credit_code(enterprise)
    on = on or today(app)
    filters = _filters(categories, None, size, include_expired)
    with app.uow() as uow:
        found = uow.enterprises.get(code)
        if found is None:
            raise NotFound("enterprise", code)
        raised = uow.policies.raised_categories(code)
        ranked = uow.policies.for_enterprise(
            industry_prefixes(found.industry), raised, on, filters, limit
        )
        summaries = uow.policies.summaries([r.id for r in ranked], on)
    return [
        PolicyMatch(s, r.industry, tuple(c for c in s.categories if int(c) in raised))
        for s, r in zip(summaries, ranked, strict=True)
    ]


def enterprises_for(app: App, policy_id: int) -> list[str]:
    """Credit codes of the registered enterprises a policy applies to (by industry): whom
    a push about a new policy would tell."""
    with app.uow() as uow:
        _get(uow, policy_id)
        return uow.policies.enterprises_covered(policy_id)


def search_index(app: App) -> SearchIndex:
    """Which index serves search here, looked up once per app."""
    from serviceframe.store import policy_search

    def look() -> SearchIndex:
        with app.uow() as uow:
            kind = policy_search.kind(uow.connection)
            dialect = uow.connection.dialect.name
        if kind is not None:
            return SearchIndex(kind)
        if dialect == "postgresql":
            return SearchIndex(
                None,
                "no search index: the pg_trgm extension is missing (or could not be created "
                "by this role), so every search scans all policies; have an administrator run "
                "CREATE EXTENSION pg_trgm, then `serviceframe policy reindex`",
            )
        return SearchIndex(
            None,
            "no search index: this SQLite has no FTS5 trigram tokenizer (needs SQLite 3.34+), "
            "so every search scans all policies; `serviceframe policy reindex` makes it "
            "where SQLite can",
        )

    result: SearchIndex = app.cached("policy_search_index", look)
    return result


def today(app: App) -> date:
    return app.now().astimezone(SHANGHAI).date()


# --- helpers -----------------------------------------------------------------------------


class _Identities:
    """The catalogue's identities, to find the stored policy a new one is."""

    def __init__(self, identities: Sequence["PolicyIdentity"]) -> None:
        self.by_doc_no = {i.doc_no: i for i in identities if i.doc_no}
        self.by_title = {(i.title, i.issuer, i.issued_on): i for i in identities}

    @staticmethod
    def key(policy: Policy) -> tuple[Any, ...]:
        return (
            (policy.doc_no,) if policy.doc_no else (policy.title, policy.issuer, policy.issued_on)
        )

    def find(self, policy: Policy) -> "PolicyIdentity | None":
        """By document number; else by title, issuer and date, unless both policies have
        document numbers and they differ (two documents with the same title that day)."""
        if policy.doc_no and policy.doc_no in self.by_doc_no:
            return self.by_doc_no[policy.doc_no]
        same = self.by_title.get((policy.title, policy.issuer, policy.issued_on))
        if same is not None and policy.doc_no and same.doc_no:
            return None
        return same


def _fingerprint(policy: Policy) -> str:
    from serviceframe.store.policy_repository import fingerprint

    return fingerprint(policy)


def _get(uow: "UnitOfWork", policy_id: int) -> Policy:
    found = uow.policies.get_many([policy_id]).get(policy_id)
    if found is None:
        raise NotFound("policy", policy_id)
    return found


def _filters(
    categories: Iterable[object] = (),
    industry: str | None = None,
    size: str | None = None,
    include_expired: bool = True,
) -> "PolicyFilters":
    from serviceframe.store.policy_repository import PolicyFilters

    return PolicyFilters(
        categories=tuple(sorted({int(parse_category(c)) for c in categories})),
        industry=normalise_industry(industry) if industry else None,
        size=parse_size(size).value if size else None,
        include_expired=include_expired,
    )


def _added(policy: Policy, actor: str, now: datetime, source: str) -> dict[str, Any]:
    return event_row(
        "policy_added",
        f"policy:{policy.id}",
        actor,
        now,
        policy=policy.id,
        title=policy.title,
        doc_no=policy.doc_no,
        issuer=policy.issuer,
        categories=[int(c) for c in policy.categories],
        industries=list(policy.industries),
        source=source,
    )


def _updated(old: Policy, new: Policy, actor: str, now: datetime, source: str) -> dict[str, Any]:
    changed = [
        f.name
        for f in fields(Policy)
        if f.name != "id" and getattr(old, f.name) != getattr(new, f.name)
    ]
    return event_row(
        "policy_updated",
        f"policy:{new.id}",
        actor,
        now,
        policy=new.id,
        title=new.title,
        changed=changed,
        source=source,
    )
