"""SQL expressions that differ between SQLite and PostgreSQL."""

from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class shanghai_date(FunctionElement[Any]):
    """The calendar date in Beijing time of a UTC timestamp column (deadlines are dates there)."""

    type = Date()
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)


@compiles(shanghai_date, "sqlite")
def _sqlite(element: shanghai_date, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(shanghai_date, "postgresql")
def _postgresql(element: shanghai_date, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"
