"""One cattrs converter for every edge: the organisation file, JSON output, JSON columns.

Dates and datetimes are ISO 8601 strings; enums are their values; Chinese text stays Chinese
(``ensure_ascii=False``) because doubling every character as ``\\uXXXX`` helps nobody.
"""

import json
from datetime import date, datetime
from typing import Any

from cattrs import transform_error
from cattrs.preconf.json import make_converter
from cattrs.v import format_exception as cattrs_format_exception

converter = make_converter(forbid_extra_keys=True)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(
    date, lambda v, _t: v if isinstance(v, date) else date.fromisoformat(v)
)
converter.register_unstructure_hook(datetime, datetime.isoformat)
converter.register_structure_hook(
    datetime, lambda v, _t: v if isinstance(v, datetime) else datetime.fromisoformat(v)
)


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """JSON text of any attrs value, list or dict, keeping Chinese characters as they are."""
    return json.dumps(converter.unstructure(value), ensure_ascii=False, indent=indent)


def dumps_column(value: Any) -> str:
    """The serialiser given to the database engine for JSON columns."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _format(exc: BaseException, type_: Any) -> str:
    # A ValueError's own message names the bad value ("'boss' is not a valid Role"); cattrs's
    # default only names the expected type, which leaves a clerk guessing what was wrong.
    if isinstance(exc, ValueError):
        return str(exc)
    return cattrs_format_exception(exc, type_)


def structure_errors(exc: Exception, path: str) -> list[str]:
    """Readable messages, one per problem, each with its key path."""
    return transform_error(exc, path=path, format_exception=_format)
