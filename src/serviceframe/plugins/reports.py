"""The built-in report kinds, registered like any county's: ``circular`` (通报, for all units),
``briefing`` (the periodic report for the leaders), ``assessment`` (满意度考核) and
``monitoring``, laid out by :mod:`serviceframe.reports.builtin`.

Every command loads the built-in plugins: the report model is imported when the kinds are
asked for (``report list``, ``report run``), not here.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from serviceframe.hookspecs import hookimpl

if TYPE_CHECKING:
    from serviceframe.reports.kinds import ReportKind


@hookimpl
def serviceframe_report_kinds() -> Iterator["ReportKind"]:
    from serviceframe.reports.builtin import report_kinds

    yield from report_kinds()
