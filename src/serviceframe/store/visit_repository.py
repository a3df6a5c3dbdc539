"""Visits, symposiums and on-site office days (R5) in the store."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from serviceframe.domain.visit import Finding, Visit, VisitKind
from serviceframe.store import tables as t
from serviceframe.store.sql import chunks


class VisitRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, visit: Visit, recorded_at: datetime, recorded_by: str) -> int:
        """Store a visit with its units, officials, enterprises and findings; its new id."""
        result = self.conn.execute(
            insert(t.visits).values(
                ref=visit.ref,
                kind=visit.kind.value,
                date=visit.date,
                jurisdiction_code=visit.jurisdiction,
                subject=visit.subject,
                place=visit.place,
                recorded_at=recorded_at,
                recorded_by=recorded_by,
            )
        )
        assert result.inserted_primary_key is not None
        visit_id = int(result.inserted_primary_key[0])
        for table, column, values in (
            (t.visit_units, "unit_id", visit.units),
            (t.visit_officials, "official_id", visit.officials),
            (t.visit_enterprises, "enterprise_code", visit.enterprises),
        ):
            if values:
                self.conn.execute(
                    insert(table), [{"visit_id": visit_id, column: v} for v in values]
                )
        if visit.findings:
            self.conn.execute(
                insert(t.visit_findings),
                [
                    {
                        "visit_id": visit_id,
                        "position": n,
                        "enterprise_code": f.enterprise,
                        "text": f.text,
                        "problem": f.problem,
                        "issue_id": f.issue,
                    }
                    for n, f in enumerate(visit.findings, start=1)
                ],
            )
        return visit_id

    def link_issues(self, visit_id: int, issues: Mapping[int, int]) -> None:
        """Point findings (by position) at the issues filed for them."""
        f = t.visit_findings.c
        for position, issue_id in issues.items():
            self.conn.execute(
                update(t.visit_findings)
                .where(and_(f.visit_id == visit_id, f.position == position))
                .values(issue_id=issue_id)
            )

    def by_refs(self, refs: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for batch in chunks(sorted(set(refs)), 1000):
            for ref, visit_id in self.conn.execute(
                select(t.visits.c.ref, t.visits.c.id).where(t.visits.c.ref.in_(batch))
            ):
                found[ref] = visit_id
        return found

    def get_many(self, ids: Sequence[int]) -> list[Visit]:
        """Visits by id, in the order given, with everything that hangs off them."""
        if not ids:
            return []
        links: dict[str, dict[int, list[str]]] = {}
        for name, table, column in (
            ("units", t.visit_units, "unit_id"),
            ("officials", t.visit_officials, "official_id"),
            ("enterprises", t.visit_enterprises, "enterprise_code"),
        ):
            found: dict[int, list[str]] = {}
            for batch in chunks(list(ids), 1000):
                q = (
                    select(table.c.visit_id, table.c[column])
                    .where(table.c.visit_id.in_(batch))
                    .order_by(table.c.visit_id, table.c[column])
                )
                for visit_id, value in self.conn.execute(q):
                    found.setdefault(visit_id, []).append(value)
            links[name] = found
        findings: dict[int, list[Finding]] = {}
        rows: dict[int, Any] = {}
        f = t.visit_findings.c
        for batch in chunks(list(ids), 1000):
            q = select(t.visit_findings).where(f.visit_id.in_(batch))
            for r in self.conn.execute(q.order_by(f.visit_id, f.position)):
                findings.setdefault(r.visit_id, []).append(
                    Finding(r.text, r.enterprise_code, r.problem, r.issue_id)
                )
            for r in self.conn.execute(select(t.visits).where(t.visits.c.id.in_(batch))):
                rows[r.id] = r
        return [
            Visit(
                id=r.id,
                kind=VisitKind(r.kind),
                date=r.date,
                jurisdiction=r.jurisdiction_code,
                units=tuple(links["units"].get(r.id, ())),
                officials=tuple(links["officials"].get(r.id, ())),
                enterprises=tuple(links["enterprises"].get(r.id, ())),
                findings=tuple(findings.get(r.id, ())),
                subject=r.subject,
                place=r.place,
                ref=r.ref,
            )
            for r in (rows[i] for i in ids if i in rows)
        ]

    def find(
        self,
        start: date | None = None,
        end: date | None = None,
        jurisdictions: Iterable[str] | None = None,
        unit: str | None = None,
        kind: VisitKind | None = None,
        limit: int | None = None,
    ) -> list[Visit]:
        v = t.visits.c
        q = select(v.id).order_by(v.date, v.id)
        if start is not None:
            q = q.where(v.date >= start)
        if end is not None:
            q = q.where(v.date <= end)
        if jurisdictions is not None:
            q = q.where(v.jurisdiction_code.in_(list(jurisdictions)))
        if unit is not None:
            q = q.where(
                v.id.in_(select(t.visit_units.c.visit_id).where(t.visit_units.c.unit_id == unit))
            )
        if kind is not None:
            q = q.where(v.kind == kind.value)
        if limit is not None:
            q = q.limit(limit)
        return self.get_many(list(self.conn.scalars(q)))
