"""Reading the tables clerks actually have: CSV in UTF-8 (with or without BOM) or GBK, and XLSX.

Rows come back as (line number, {header: text}) so every error can point at the line a clerk
sees in Excel or a text editor.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from serviceframe.errors import ValidationError

if TYPE_CHECKING:
    from _csv import Reader

Row = tuple[int, dict[str, str]]


def detect_encoding(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, else GB18030.

    GB18030 is a superset of GBK and GB2312, which is what Excel on a Chinese Windows writes
    for "CSV". Valid UTF-8 is almost never produced by accident from GBK text, so trying UTF-8
    strictly first is a reliable test between the two encodings clerks have.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def read_rows(path: str | Path, encoding: str | None = None) -> tuple[list[str], Iterator[Row]]:
    """Headers and rows of a CSV or XLSX file (chosen by the file's suffix)."""
    path = Path(path)
    if not path.exists():
        raise ValidationError("file", str(path), "no such file")
    if not path.is_file():
        raise ValidationError("file", str(path), "not a file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix == ".xls":
        raise ValidationError(
            "file", str(path), "old Excel .xls files are not supported; save it as .xlsx or CSV"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError("file", str(path), f"cannot be read: {exc.strerror}") from None
    if b"\x00" in data:
        raise ValidationError(
            "file",
            str(path),
            "contains NUL bytes, so it is not CSV text (UTF-16, or a spreadsheet?); "
            "save it from Excel as CSV UTF-8 or XLSX",
        )
    given = encoding
    if encoding is None:
        encoding = detect_encoding(data)
    else:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ValidationError("encoding", given, "not an encoding Python knows") from None
        if name in ("gbk", "gb2312"):
            encoding = "gb18030"  # a superset: a GBK file with a rare character still reads
        elif name == "utf-8":
            encoding = "utf-8-sig"  # Excel's "CSV UTF-8" starts with a BOM; drop it
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "encoding",
            given or encoding,
            f"cannot read {path.name} as {encoding}: {exc.reason} at byte {exc.start}",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in _next_row(reader, path) or []]
    return headers, _csv_rows(reader, headers, path)


def _next_row(reader: "Reader", path: Path) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:  # e.g. a field beyond the csv module's size limit
        raise ValidationError("file", str(path), f"line {reader.line_num}: {exc}") from None


def _csv_rows(reader: "Reader", headers: list[str], path: Path) -> Iterator[Row]:
    while (values := _next_row(reader, path)) is not None:
        if not any(v.strip() for v in values):
            continue
        yield reader.line_num, _pair(headers, values)


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises zipfile, KeyError, its own: all mean "unreadable"
        raise ValidationError(
            "file", str(path), f"not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        ) from None
    rows = sheet.iter_rows(values_only=True)
    headers = [_cell(v).strip() for v in next(rows, ())]

    def generate() -> Iterator[Row]:
        try:
            for number, values in enumerate(rows, start=2):
                texts = [_cell(v) for v in values]
                if any(t.strip() for t in texts):
                    yield number, _pair(headers, texts)
        finally:
            workbook.close()

    return headers, generate()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel turns a typed "20" into 20.0
    return str(value)


def _pair(headers: list[str], values: list[str]) -> dict[str, str]:
    return {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(headers) if h}


def map_columns(
    headers: list[str], columns: dict[str, tuple[str, ...]], required: tuple[str, ...], source: str
) -> dict[str, str]:
    """Which header of the file holds each field: ``columns`` lists, per field, the headers it
    may have (Chinese as clerks write them, or English, any case). A missing required field
    names the column a clerk should add."""
    found: dict[str, str] = {}
    for fieldname, names in columns.items():
        header = next((h for h in headers if h in names or h.lower() in names), None)
        if header is not None:
            found[fieldname] = header
    missing = [columns[f][0] for f in required if f not in found]
    if missing:
        raise ValidationError(
            "header", ",".join(headers), f"{source} lacks column(s) {', '.join(missing)}"
        )
    return found
