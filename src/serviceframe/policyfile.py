"""Policy files: CSV (UTF-8 or GBK), XLSX or JSON, read into :class:`Policy` values.

Every bad row becomes a :class:`RowError` naming its line, its column (or JSON key) and the
reason; good rows are returned with their line, so that duplicates can say where the first
one was. The columns are in ``docs/policies.md``.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attrs import frozen

from serviceframe.domain.categories import SERVICE_CATEGORIES
from serviceframe.domain.policy import Policy, fold, parse_day
from serviceframe.errors import ValidationError
from serviceframe.services.enterprises import RowError
from serviceframe.tabular import (
    Row,
    RowProblem,
    encoding_of,
    map_columns,
    problem_in,
    read_rows,
)

# Each field and the names its column may have (Chinese as clerks write it, or English).
COLUMNS = {
    "doc_no": ("文号", "发文字号", "doc_no"),
    "title": ("标题", "政策名称", "政策标题", "title"),
    "issuer": ("发文机关", "发布机关", "发文单位", "issuer"),
    "issued_on": ("发文日期", "发布日期", "成文日期", "issued_on"),
    "valid_from": ("生效日期", "施行日期", "valid_from"),
    "valid_to": ("失效日期", "有效期至", "valid_to"),
    "categories": ("服务类别", "类别", "categories"),
    "industries": ("适用行业", "行业代码", "industries"),
    "sizes": ("企业规模", "适用规模", "sizes"),
    "source_url": ("原文链接", "链接", "source_url"),
    "body": ("正文", "全文", "政策内容", "body"),
}
REQUIRED = ("title", "issuer", "issued_on", "categories", "body")
# What a validator names → the field it belongs to (parse_category says "category", …).
_FIELD_OF = {"category": "categories", "industry": "industries"}
# A list cell saying "all": every category; every industry or size (no restriction).
EVERY = {"全部", "不限", "所有", "全部行业", "所有行业", "全部规模", "all", "*"}
_SEPARATORS = re.compile(r"[;,、|\s]+")


@frozen
class PolicyFile:
    rows: int
    policies: tuple[tuple[int, Policy], ...]  # (line, policy)
    errors: tuple[RowError, ...]


def read_policies(path: str | Path, encoding: str | None = None) -> PolicyFile:
    """Policies of a ``.json`` file, or of a CSV or XLSX table (by the file's suffix)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        rows, names = _json_rows(path, encoding), None
    else:
        headers, table = read_rows(path, encoding)
        columns = map_columns(headers, COLUMNS, REQUIRED, str(path))
        names = {f: columns[f] for f in columns}
        rows = _table_rows(table, columns, names)
    policies: list[tuple[int, Policy]] = []
    errors: list[RowError] = []
    count = 0
    for line, values, column_names in rows:
        count += 1
        if isinstance(values, RowError):
            errors.append(values)
            continue
        try:
            policies.append((line, parse_policy(values)))
        except ValidationError as exc:
            field = _FIELD_OF.get(exc.field, exc.field)
            column = column_names.get(field, field)
            errors.append(RowError(line, column, _shown(exc.value), exc.reason))
    return PolicyFile(count, tuple(policies), tuple(errors))


def _table_rows(
    table: Iterator[Row | RowProblem], columns: dict[str, str], names: dict[str, str]
) -> Iterator[tuple[int, dict[str, Any] | RowError, dict[str, str]]]:
    """The values of each row by field, or the row's problem (a formula, an unreadable value)
    when it lies in a column the catalogue uses."""
    used = set(columns.values())
    for item in table:
        item = problem_in(item, used)
        if isinstance(item, RowProblem):
            yield item.line, RowError(item.line, item.column, item.value, item.reason), names
        else:
            line, raw = item
            yield line, {f: raw.get(h, "") for f, h in columns.items()}, names


def parse_policy(values: dict[str, Any]) -> Policy:
    """One policy from the values of a row (strings, or lists and numbers from JSON)."""
    for name in REQUIRED:
        if _blank(values.get(name)):
            raise ValidationError(name, "", "must not be empty")
    fields: dict[str, Any] = {
        "title": _text("title", values["title"]),
        "issuer": _text("issuer", values["issuer"]),
        "issued_on": parse_day("issued_on", values["issued_on"]),
        "categories": _items("categories", values["categories"]),
        "body": _text("body", values["body"]),
        "industries": _items("industries", values.get("industries")) or (),
        "sizes": _items("sizes", values.get("sizes")) or (),
        "doc_no": _text("doc_no", values.get("doc_no")),
        "source_url": _text("source_url", values.get("source_url")),
    }
    if fields["categories"] is None:
        fields["categories"] = SERVICE_CATEGORIES
    for name in ("valid_from", "valid_to"):
        if not _blank(values.get(name)):
            fields[name] = parse_day(name, values[name])
    return Policy(**fields)


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def _text(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise ValidationError(name, value, "must be text")
    return str(value).strip()


def _items(name: str, value: object) -> list[object] | None:
    """A list cell: ``3;4``, ``融资服务支持、推进技术创新``, a JSON list; ``None`` for ``全部``
    (every category; every industry or size, i.e. no restriction)."""
    if value is None:
        return []
    if isinstance(value, list):
        items: list[object] = [v.strip() if isinstance(v, str) else v for v in value]
    elif isinstance(value, int | str):
        items = [v for v in _SEPARATORS.split(fold(str(value).strip())) if v]
    else:
        raise ValidationError(name, value, "must be a list or text")
    if any(isinstance(v, str) and v in EVERY for v in items):
        return None
    return [v for v in items if v != ""]


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


_KEY_TO_FIELD = {name: f for f, names in COLUMNS.items() for name in names}


def _json_rows(
    path: Path, encoding: str | None
) -> Iterator[tuple[int, dict[str, Any] | RowError, dict[str, str]]]:
    """(line, values, key names) per object of a JSON array; a bad item is a RowError."""
    if not path.is_file():
        raise ValidationError("file", str(path), "no such file")
    # The same encodings as a table (UTF-8 with or without BOM, else GBK/GB18030), each byte
    # checked, a bad one reported by line and column.
    text = path.read_text(encoding=encoding_of(path, encoding))
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            "file", str(path), f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    decoder = json.JSONDecoder()
    at = _skip_space(text, 0)
    if not text.startswith("[", at):
        raise ValidationError(
            "file", str(path), "a JSON policy file is a list of objects: [{...}, {...}]"
        )
    at = _skip_space(text, at + 1)
    while not text.startswith("]", at):
        item, end = decoder.raw_decode(text, at)
        line = text.count("\n", 0, at) + 1
        yield (line, *_json_item(line, item))
        at = _skip_space(text, end)
        if text.startswith(",", at):
            at = _skip_space(text, at + 1)


def _json_item(line: int, item: object) -> tuple[dict[str, Any] | RowError, dict[str, str]]:
    if not isinstance(item, dict):
        return RowError(line, "-", _shown(item), "each policy is a JSON object {...}"), {}
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    for key, value in item.items():
        field = _KEY_TO_FIELD.get(key) or _KEY_TO_FIELD.get(str(key).lower())
        if field is None:
            known = ", ".join(COLUMNS)
            return RowError(line, key, _shown(value), f"unknown key; the keys are {known}"), {}
        values[field] = value
        names[field] = key
    return values, names


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at
