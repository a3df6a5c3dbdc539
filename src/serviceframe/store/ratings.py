"""Ratings counted in SQL: the one place the ledger, coordination, the assessment and the
reports take their satisfaction figures from (every rating, every round; see
:mod:`serviceframe.domain.satisfaction`)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, FromClause, case, func, select
from sqlalchemy.sql.expression import ColumnElement, Subquery

from serviceframe.domain.satisfaction import Tally
from serviceframe.store import tables as t
from serviceframe.store.sql import chunks

VALUES = ("satisfied", "basic", "unsatisfied")


def tally_columns(ratings: FromClause = t.ratings) -> list[ColumnElement[Any]]:
    """``satisfied``, ``basic``, ``unsatisfied``: ratings counted by value, each round once."""
    return [
        func.coalesce(func.sum(case((ratings.c.satisfaction == v, 1), else_=0)), 0).label(v)
        for v in VALUES
    ]


def tally_per_issue() -> Subquery:
    """Per issue with ratings: ``issue_id`` and its ratings counted by value."""
    return (
        select(t.ratings.c.issue_id, *tally_columns())
        .group_by(t.ratings.c.issue_id)
        .subquery("tally")
    )


def tally(row: Any, prefix: str = "") -> Tally:
    """A Tally from a result row holding the three counts (optionally prefixed)."""
    return Tally(*(int(getattr(row, prefix + v) or 0) for v in VALUES))


def tally_of_issues(conn: Connection, issue_ids: Sequence[int]) -> Tally:
    """Every rating of these issues, counted by value."""
    total = Tally()
    for batch in chunks(sorted(set(issue_ids)), 1000):
        q = select(*tally_columns()).where(t.ratings.c.issue_id.in_(batch))
        total += tally(conn.execute(q).one())
    return total
