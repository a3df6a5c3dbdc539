"""One cattrs converter for every edge: the organisation file, JSON output, JSON columns.

Dates and datetimes are ISO 8601 strings; enums are their values; Chinese text stays Chinese
(``ensure_ascii=False``) because doubling every character as ``\\uXXXX`` helps nobody.
"""

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, get_args, get_origin
from zoneinfo import ZoneInfo

from cattrs import transform_error
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.preconf.json import make_converter
from cattrs.v import format_exception as cattrs_format_exception

converter = make_converter(forbid_extra_keys=True)


def _structure_bool(value: Any, _type: Any) -> bool:
    # bool("false") is True: a quoted "false" in a TOML file must not mean the opposite.
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not a boolean; write true or false without quotes")


def _structure_int(value: Any, type_: Any) -> Any:
    # Also reached for IntEnum types such as Category: type_(...) then checks the member.
    if isinstance(value, int) and not isinstance(value, bool):
        return type_(value)
    if isinstance(value, float) and value.is_integer():
        return type_(int(value))
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return type_(int(value))
    if type_ is not int:
        raise ValueError(f"{value!r} is not a valid {type_.__name__}")
    raise ValueError(f"{value!r} is not a whole number")


def _not_a_string(
    inner: Callable[[Any, Any], Any],
) -> Callable[[Any, Any], Any]:
    """Refuse a string where a list belongs, instead of taking it as a list of characters."""

    def structure(value: Any, type_: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(f"{value!r} is a single value; write a list: [{value!r}]")
        return inner(value, type_)

    return structure


def _is_homogenous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_frozenset(type_: Any) -> bool:
    return get_origin(type_) is frozenset


converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook_factory(
    _is_homogenous_tuple,
    lambda type_, conv: _not_a_string(homogenous_tuple_structure_factory(type_, conv)),
)
converter.register_structure_hook_factory(
    _is_frozenset,
    lambda type_: _not_a_string(converter._structure_frozenset),
)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(
    date, lambda v, _t: v if isinstance(v, date) else date.fromisoformat(v)
)
# Times in JSON are Beijing time (+08:00), as people read them; the store keeps UTC.
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_iso(moment: datetime) -> str:
    """An aware time as ISO 8601 in Beijing time, e.g. ``2026-10-12T09:00:00+08:00``."""
    return moment.astimezone(BEIJING).isoformat()


converter.register_unstructure_hook(datetime, beijing_iso)

# A time as stored inside event data (UTC, ISO 8601 with its offset); dates have no time.
_STORED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def beijing_times(value: Any) -> Any:
    """``value`` with every time string inside it (event data keeps UTC) in Beijing time.

    For output only: the stored events are the record and are never rewritten.
    """
    if isinstance(value, str) and _STORED_TIME.match(value):
        return beijing_iso(datetime.fromisoformat(value))
    if isinstance(value, dict):
        return {k: beijing_times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [beijing_times(v) for v in value]
    return value


converter.register_structure_hook(
    datetime, lambda v, _t: v if isinstance(v, datetime) else datetime.fromisoformat(v)
)


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """JSON text of any attrs value, list or dict, keeping Chinese characters as they are."""
    return json.dumps(converter.unstructure(value), ensure_ascii=False, indent=indent)


# One encoder for every column value: ``json.dumps`` with options other than its defaults
# builds a new encoder each call, which cost twice as much as encoding an event's data
# (two of them for every issue filed: its event and its row).
_column_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps_column(value: Any) -> str:
    """The serialiser given to the database engine for JSON columns."""
    return _column_encoder.encode(value)


def _format(exc: BaseException, type_: Any) -> str:
    # A ValueError's own message names the bad value ("'boss' is not a valid Role"); cattrs's
    # default only names the expected type, which leaves a clerk guessing what was wrong.
    if isinstance(exc, ValueError):
        return str(exc)
    return cattrs_format_exception(exc, type_)


def structure_errors(exc: Exception, path: str) -> list[str]:
    """Readable messages, one per problem, each with its key path."""
    return transform_error(exc, path=path, format_exception=_format)
