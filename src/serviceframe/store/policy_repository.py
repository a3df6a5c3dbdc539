"""The policy catalogue in the store: policies, their scope rows, and search in SQL.

Search and matching are single set-based queries that return ids in rank order (with the
total count through a window function); the summaries of one page are then read by id.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import table as table_clause

from serviceframe.domain.categories import Category
from serviceframe.domain.policy import (
    EnterpriseSize,
    Policy,
    PolicySummary,
    fold,
    validity,
)
from serviceframe.serialise import converter
from serviceframe.store import policy_search
from serviceframe.store import tables as t
from serviceframe.store.sql import chunks

p = t.policies
_FTS = table_clause(
    "policy_search", column("rowid")
)  # SQLite's FTS5 index (store/policy_search.py)


@frozen
class PolicyIdentity:
    """What tells policies apart: the document number, or title, issuer and date."""

    id: int
    doc_no: str
    title: str
    issuer: str
    issued_on: date
    fingerprint: str


@frozen
class Ranked:
    id: int
    title_terms: int = 0
    hits: int = 0
    industry: str = ""  # policies_for: the policy's code that covers the enterprise's industry
    raised: int = 0  # policies_for: how many of its categories the enterprise raised issues in


def fingerprint(policy: Policy) -> str:
    fields = converter.unstructure(policy)
    fields.pop("id", None)
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def search_columns(policy: Policy) -> dict[str, str]:
    """The folded text search compares; the document number and issuer are found as text."""
    return {
        "search_title": fold(policy.title),
        "search_body": fold("\n".join(x for x in (policy.doc_no, policy.issuer, policy.body) if x)),
    }


class PolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- writing ---------------------------------------------------------------------------

    def identities(self, like: Policy | None = None) -> list[PolicyIdentity]:
        """Every policy's identity (small rows, read once per import to match a file's
        rows), or only those that could be the same policy as ``like``."""
        q = select(p.c.id, p.c.doc_no, p.c.title, p.c.issuer, p.c.issued_on, p.c.fingerprint)
        if like is not None:
            same_title = and_(
                p.c.title == like.title,
                p.c.issuer == like.issuer,
                p.c.issued_on == like.issued_on,
            )
            q = q.where(or_(same_title, p.c.doc_no == like.doc_no) if like.doc_no else same_title)
        return [
            PolicyIdentity(r.id, r.doc_no or "", r.title, r.issuer, r.issued_on, r.fingerprint)
            for r in self.conn.execute(q)
        ]

    def insert_many(self, policies: Sequence[Policy], now: datetime) -> list[int]:
        ids: list[int] = []
        for batch in chunks(policies, 1000):
            rows = [{**_row(x), "created_at": now, "updated_at": now} for x in batch]
            result = self.conn.execute(
                insert(p).returning(p.c.id, sort_by_parameter_order=True), rows
            )
            new = [r.id for r in result]
            self._insert_scope(list(zip(new, batch, strict=True)))
            ids += new
        return ids

    def update_many(self, policies: Sequence[Policy], now: datetime) -> None:
        """Store new versions of policies that exist (each has its ``id``)."""
        for batch in chunks(policies, 1000):
            ids = [x.id for x in batch]
            for table in (t.policy_categories, t.policy_industries, t.policy_sizes):
                self.conn.execute(delete(table).where(table.c.policy_id.in_(ids)))
            self.conn.execute(
                update(p).where(p.c.id == bindparam("policy_id")),
                [{**_row(x), "policy_id": x.id, "updated_at": now} for x in batch],
            )
            self._insert_scope([(x.id, x) for x in batch if x.id is not None])

    def _insert_scope(self, pairs: Sequence[tuple[int, Policy]]) -> None:
        for table, rows in (
            (
                t.policy_categories,
                [{"policy_id": i, "category": int(c)} for i, x in pairs for c in x.categories],
            ),
            (
                t.policy_industries,
                [{"policy_id": i, "industry": code} for i, x in pairs for code in x.industries],
            ),
            (
                t.policy_sizes,
                [{"policy_id": i, "size": s.value} for i, x in pairs for s in x.sizes],
            ),
        ):
            if rows:
                self.conn.execute(insert(table), rows)

    # --- reading ---------------------------------------------------------------------------

    def get_many(self, ids: Iterable[int]) -> dict[int, Policy]:
        wanted = list(dict.fromkeys(ids))
        scope = self._scope(wanted)
        found: dict[int, Policy] = {}
        for batch in chunks(wanted, 1000):
            for r in self.conn.execute(select(p).where(p.c.id.in_(batch))):
                cats, inds, sizes = scope.get(r.id, ((), (), ()))
                found[r.id] = Policy(
                    id=r.id,
                    title=r.title,
                    issuer=r.issuer,
                    issued_on=r.issued_on,
                    categories=cats,
                    body=r.body,
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                    industries=inds,
                    sizes=sizes,
                    doc_no=r.doc_no or "",
                    source_url=r.source_url,
                )
        return found

    def summaries(self, ids: Sequence[int], on: date) -> list[PolicySummary]:
        """Summaries (no full text) of ``ids``, in that order."""
        scope = self._scope(ids)
        columns = [c for c in p.c if c.name not in ("body", "search_title", "search_body")]
        rows = {}
        for batch in chunks(ids, 1000):
            rows.update(
                {r.id: r for r in self.conn.execute(select(*columns).where(p.c.id.in_(batch)))}
            )
        return [
            PolicySummary(
                id=r.id,
                title=r.title,
                issuer=r.issuer,
                doc_no=r.doc_no or "",
                issued_on=r.issued_on,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                validity=validity(r.valid_from, r.valid_to, on),
                categories=scope.get(r.id, ((), (), ()))[0],
                industries=scope.get(r.id, ((), (), ()))[1],
                sizes=scope.get(r.id, ((), (), ()))[2],
            )
            for r in (rows[i] for i in ids if i in rows)
        ]

    def bodies(self, ids: Sequence[int]) -> dict[int, str]:
        q = select(p.c.id, p.c.body).where(p.c.id.in_(list(ids)))
        return {policy_id: body for policy_id, body in self.conn.execute(q)}

    def _scope(
        self, ids: Sequence[int]
    ) -> dict[int, tuple[tuple[Category, ...], tuple[str, ...], tuple[EnterpriseSize, ...]]]:
        """Categories, industries and sizes of policies, read in one statement."""
        found: dict[str, dict[int, list[str]]] = {"c": {}, "i": {}, "s": {}}
        pc, pi, ps = t.policy_categories.c, t.policy_industries.c, t.policy_sizes.c
        for batch in chunks(ids, 1000):
            q = union_all(
                select(pc.policy_id, literal("c"), cast(pc.category, String)).where(
                    pc.policy_id.in_(batch)
                ),
                select(pi.policy_id, literal("i"), pi.industry).where(pi.policy_id.in_(batch)),
                select(ps.policy_id, literal("s"), ps.size).where(ps.policy_id.in_(batch)),
            )
            for policy_id, kind, value in self.conn.execute(q):
                found[kind].setdefault(policy_id, []).append(value)
        order = list(EnterpriseSize)
        return {
            i: (
                tuple(sorted(Category(int(c)) for c in found["c"].get(i, ()))),
                tuple(sorted(found["i"].get(i, ()))),
                tuple(sorted((EnterpriseSize(x) for x in found["s"].get(i, ())), key=order.index)),
            )
            for i in ids
        }

    def ranked(self, statement: Select[Any]) -> tuple[int, list[Ranked]]:
        """(total, page) of a statement from :meth:`listing` or :meth:`search_query`."""
        total = 0
        page = []
        for r in self.conn.execute(statement):
            total = r.total
            page.append(Ranked(r.id, getattr(r, "title_terms", 0), getattr(r, "hits", 0)))
        return total, page

    def listing(
        self, on: date, filters: "PolicyFilters", limit: int | None, offset: int
    ) -> Select[Any]:
        """The catalogue in force first, then newest first (for :meth:`ranked`)."""
        return (
            select(p.c.id, func.count().over().label("total"))
            .where(*filters.conditions(on))
            .order_by(_validity_rank(on), p.c.issued_on.desc(), p.c.id.desc())
            .limit(limit)
            .offset(offset)
        )

    def search_query(
        self,
        terms: Sequence[str],
        on: date,
        filters: "PolicyFilters",
        limit: int | None,
        offset: int,
        index: str | None,
    ) -> Select[Any]:
        """Policies containing every term (in the title or the text), best first (for
        :meth:`ranked`).

        Order: in force before upcoming before expired; more of the terms in the title; more
        occurrences of the terms in title and text together; newer; higher id.
        """
        dialect = self.conn.dialect.name
        conditions = filters.conditions(on)
        scanned = list(terms)
        if index == policy_search.SQLITE_FTS:
            indexed = [x for x in terms if len(x) >= policy_search.MIN_INDEXED]
            if indexed:
                phrases = " AND ".join('"' + x.replace('"', '""') + '"' for x in indexed)
                match = literal_column("policy_search").op("MATCH")(phrases)
                conditions.append(p.c.id.in_(select(_FTS.c.rowid).where(match)))
                scanned = [x for x in terms if len(x) < policy_search.MIN_INDEXED]
        for term in scanned:
            conditions.append(
                or_(
                    _contains(p.c.search_title, term, dialect),
                    _contains(p.c.search_body, term, dialect),
                )
            )
        title_terms = sum(
            (case((_position(p.c.search_title, x, dialect) > 0, 1), else_=0) for x in terms),
            literal(0),
        )
        hits = sum(
            (_occurrences(col, x) for x in terms for col in (p.c.search_title, p.c.search_body)),
            literal(0),
        )
        in_title, occurrences = title_terms.label("title_terms"), hits.label("hits")
        return (
            select(p.c.id, func.count().over().label("total"), in_title, occurrences)
            .where(*conditions)
            .order_by(
                _validity_rank(on),
                in_title.desc(),
                occurrences.desc(),
                p.c.issued_on.desc(),
                p.c.id.desc(),
            )
            .limit(limit)
            .offset(offset)
        )

    def for_enterprise(
        self,
        industry_codes: Sequence[str],
        raised: Sequence[int],
        on: date,
        filters: "PolicyFilters",
        limit: int | None,
    ) -> list[Ranked]:
        """Policies covering an industry (given as the codes of its levels), best first:
        in force first; more categories the enterprise raised problems in; a narrower
        industry (C2614 before C26 before C before every industry); newer."""
        pi, pc = t.policy_industries.c, t.policy_categories.c
        matched = (
            select(func.max(pi.industry))
            .where(pi.policy_id == p.c.id, pi.industry.in_(industry_codes))
            .scalar_subquery()
        )
        raised_count = (
            select(func.count())
            .where(pc.policy_id == p.c.id, pc.category.in_(list(raised) or [-1]))
            .scalar_subquery()
        )
        q = (
            select(p.c.id, matched.label("industry"), raised_count.label("raised"))
            .where(*filters.conditions(on), _covers_industry(industry_codes))
            .order_by(
                _validity_rank(on),
                raised_count.desc(),
                func.coalesce(func.length(matched), 0).desc(),
                p.c.issued_on.desc(),
                p.c.id.desc(),
            )
            .limit(limit)
        )
        return [
            Ranked(r.id, industry=r.industry or "", raised=r.raised) for r in self.conn.execute(q)
        ]

    def enterprises_covered(self, policy_id: int) -> list[str]:
        """Credit codes of the enterprises whose industry the policy covers."""
        e, pi = t.enterprises, t.policy_industries
        some = exists().where(pi.c.policy_id == policy_id)
        covering = exists().where(
            pi.c.policy_id == policy_id,
            func.substr(e.c.industry, 1, func.length(pi.c.industry)) == pi.c.industry,
        )
        q = select(e.c.credit_code).where(or_(not_(some), covering)).order_by(e.c.credit_code)
        return list(self.conn.scalars(q))

    def raised_categories(self, enterprise: str) -> list[int]:
        i = t.issues.c
        q = select(i.category).where(i.enterprise_code == enterprise, i.category > 0).distinct()
        return sorted(self.conn.scalars(q))


@frozen
class PolicyFilters:
    """Restrictions every reading query shares; empty means no restriction."""

    categories: tuple[int, ...] = ()
    industry: str | None = None  # a GB/T 4754 code at any level
    size: str | None = None
    include_expired: bool = True

    def conditions(self, on: date) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.categories:
            pc = t.policy_categories.c
            found.append(exists().where(pc.policy_id == p.c.id, pc.category.in_(self.categories)))
        if self.industry:
            # Narrower and broader codes both apply: C26 finds policies for C, C26 and C2614.
            pi = t.policy_industries.c
            code = self.industry
            broader = [code[:n] for n in (1, 3, 4, 5) if n <= len(code)]
            found.append(
                or_(
                    _covers_industry(broader),
                    exists().where(pi.policy_id == p.c.id, pi.industry.like(code + "%")),
                )
            )
        if self.size:
            ps = t.policy_sizes.c
            found.append(
                or_(
                    not_(exists().where(ps.policy_id == p.c.id)),
                    exists().where(ps.policy_id == p.c.id, ps.size == self.size),
                )
            )
        if not self.include_expired:
            found.append(or_(p.c.valid_to.is_(None), p.c.valid_to >= on))
        return found


def _row(policy: Policy) -> dict[str, Any]:
    return {
        "doc_no": policy.doc_no or None,
        "title": policy.title,
        "issuer": policy.issuer,
        "issued_on": policy.issued_on,
        "valid_from": policy.valid_from,
        "valid_to": policy.valid_to,
        "body": policy.body,
        "source_url": policy.source_url,
        **search_columns(policy),
        "fingerprint": fingerprint(policy),
    }


def _validity_rank(on: date) -> ColumnElement[int]:
    return case(
        (and_(p.c.valid_to.is_not(None), p.c.valid_to < on), 2),
        (p.c.valid_from > on, 1),
        else_=0,
    )


def _covers_industry(codes: Sequence[str]) -> ColumnElement[bool]:
    """For every industry (no rows), or for one of ``codes``."""
    pi = t.policy_industries.c
    return or_(
        not_(exists().where(pi.policy_id == p.c.id)),
        exists().where(pi.policy_id == p.c.id, pi.industry.in_(list(codes))),
    )


def _position(column: Any, term: str, dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return func.strpos(column, term)
    return func.instr(column, term)


def _contains(column: Any, term: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # LIKE with the pattern as one bound value: pg_trgm's GIN index serves it.
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(f"%{escaped}%", escape="\\")
    return _position(column, term, dialect) > 0


def _occurrences(column: Any, term: str) -> ColumnElement[int]:
    removed = func.length(column) - func.length(func.replace(column, term, ""))
    return removed // len(term)
