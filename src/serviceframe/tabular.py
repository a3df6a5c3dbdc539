"""Reading the tables clerks actually have: CSV in UTF-8 (with or without BOM) or GBK, and XLSX.

Rows are read one at a time, so a file of a million rows is never held in memory, and come back
as (line number, {header: text}): every error points at the line (and column) a clerk sees in
Excel or a text editor.

What cannot be trusted stops the whole file (``ValidationError`` naming line and column): bytes
that are not text in the file's encoding (a stray byte in a UTF-8 file), and a quote that opens a
value and never closes on its line, which would swallow the rows after it. What spoils one row
only (more values than the header has columns, an XLSX formula, a number with more digits than
Excel keeps, an Excel error value) comes back as a :class:`RowProblem` in place of that row; the
other rows are read.
"""

import codecs
import csv
import re
from collections.abc import Collection, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from attrs import frozen

from serviceframe.errors import ValidationError, shown

Row = tuple[int, dict[str, str]]

BLOCK = 1 << 20  # bytes read at a time when checking the encoding
# Excel keeps 15 significant digits: a longer number typed into a cell has lost its tail.
EXCEL_DIGITS = 15


@frozen
class RowProblem:
    """A row that cannot be read as it stands; the reason names what to do about it."""

    line: int
    column: str  # the header of the cell, or the position of a value beyond the headers
    value: str  # shortened for messages
    reason: str
    row: dict[str, str]  # the row as read, for a caller that does not use that column


def problem_in(item: Row | RowProblem, used: Collection[str]) -> Row | RowProblem:
    """The row, unless its problem is in a column the caller uses (a formula in a column
    the import ignores does not stop the row)."""
    if isinstance(item, RowProblem) and item.column not in used and not item.column.isdigit():
        return item.line, item.row
    return item


def read_rows(
    path: str | Path, encoding: str | None = None
) -> tuple[list[str], Iterator[Row | RowProblem]]:
    """Headers and rows of a CSV or XLSX file (chosen by the file's suffix).

    The headers are the first non-empty row; blank rows are skipped (line numbers still count
    them). A header given twice is an error, since its values would be ambiguous.
    """
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
    return _csv_rows(path, encoding_of(path, encoding))


def count_rows(path: str | Path, encoding: str | None = None) -> int:
    """How many rows ``read_rows`` will give (one pass over the file), for a progress bar."""
    _, rows = read_rows(path, encoding)
    return sum(1 for _ in rows)


# --- CSV ---------------------------------------------------------------------------------------


def encoding_of(path: Path, given: str | None) -> str:
    """The encoding to read ``path`` with, once every byte of it has been checked.

    Without ``given``: UTF-8 (a BOM is dropped) when the bytes are UTF-8, else GB18030, a
    superset of the GBK and GB2312 that Excel on a Chinese Windows writes for "CSV". A file
    that is UTF-8 up to a stray byte (its Chinese text already read as UTF-8) is taken as UTF-8
    with a bad byte, and that byte is reported, rather than the whole file as unreadable GBK.
    """
    with path.open("rb") as f:
        start = f.read(4)
    if b"\x00" in start or start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ValidationError(
            "file",
            str(path),
            f"{path.name} is UTF-16 text or a binary file, not CSV; "
            "save it from Excel as CSV UTF-8 or XLSX",
        )
    if given is not None:
        try:
            name = codecs.lookup(given).name
        except LookupError:
            raise ValidationError("encoding", given, "not an encoding Python knows") from None
        if name in ("gbk", "gb2312"):
            name = "gb18030"  # a superset: a GBK file with a rare character still reads
        elif name == "utf-8":
            name = "utf-8-sig"  # Excel's "CSV UTF-8" starts with a BOM; drop it
        _check_bytes(path, name, given)
        return name
    in_utf8 = _first_undecodable(path, "utf-8")
    if in_utf8 is None:
        return "utf-8-sig"
    in_gb18030 = _first_undecodable(path, "gb18030")
    if in_gb18030 is None and in_utf8[1] < 3:
        return "gb18030"
    if in_gb18030 is None or in_utf8[0] > in_gb18030[0]:
        # UTF-8 read further (or read Chinese text before the bad byte, which GBK bytes
        # almost never do by chance): a UTF-8 file with a stray byte, reported where it is.
        raise _bad_byte(path, "utf-8", in_utf8[0], "UTF-8 (as the rest of the file)")
    raise _bad_byte(path, "gb18030", in_gb18030[0], "GBK/GB18030 (as the rest of the file)")


def _check_bytes(path: Path, encoding: str, given: str | None) -> None:
    bad = _first_undecodable(path, encoding)
    if bad is not None:
        raise _bad_byte(path, encoding, bad[0], given or encoding)


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """The offset of the first byte that is not text in ``encoding`` (or a NUL byte), and
    how many Chinese characters (up to 3) were read before it; None when the whole file reads."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0  # of the start of this block
    chinese = 0
    with path.open("rb") as f:
        while True:
            block = f.read(BLOCK)
            held = decoder.getstate()[0]  # the start of a character cut by the last block
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                before = (held + block)[: exc.start].decode(encoding, errors="ignore")
                return offset - len(held) + exc.start, min(3, chinese + _chinese(before))
            nul = block.find(b"\x00")
            if nul >= 0:
                return offset + nul, chinese
            if chinese < 3:
                chinese = min(3, chinese + _chinese(text))
            if not block:
                return None
            offset += len(block)


def _chinese(text: str) -> int:
    return len(_CJK.findall(text))


_CJK = re.compile("[\u4e00-\u9fff]")


def _bad_byte(path: Path, encoding: str, offset: int, expected: str) -> ValidationError:
    line, before, byte = _position(path, offset, encoding)
    what = "a NUL byte" if byte == 0 else f"the byte 0x{byte:02x}"
    column = _column_at(path, line, before, encoding)
    return ValidationError(
        "file",
        str(path),
        f"{path.name}, line {line}, {column}, character {len(before) + 1} of the line: {what} "
        f"is not text in {expected}; fix that character, or save the file again as CSV UTF-8 "
        "(or give --encoding)",
    )


def _position(path: Path, offset: int, encoding: str) -> tuple[int, str, int]:
    """(line, the text of that line before it, the byte) of the byte at ``offset``."""
    line, line_start = 1, 0
    with path.open("rb") as f:
        read = 0
        while read < offset:
            block = f.read(min(BLOCK, offset - read))
            if not block:
                break
            newlines = block.count(b"\n")
            if newlines:
                line += newlines
                line_start = read + block.rfind(b"\n") + 1
            read += len(block)
        f.seek(line_start)
        before = f.read(offset - line_start)
        byte = f.read(1)
    return line, before.decode(encoding, errors="replace"), byte[0] if byte else 0


def _column_at(path: Path, line: int, before: str, encoding: str) -> str:
    """ "column N (header)" of the value that ``before`` (a line's start) ends in."""
    number = 1 + sum(1 for _ in _commas_outside_quotes(before))
    return _column_name(path, encoding, number) if line > 1 else f"column {number}"


def _column_name(path: Path, encoding: str, number: int) -> str:
    """ "column N (header)": the header as the file's first line has it."""
    header = next(csv.reader([_physical_line(path, 1, encoding)]), [])
    if number <= len(header) and header[number - 1].strip():
        return f"column {number} ({header[number - 1].strip()})"
    return f"column {number}"


def _commas_outside_quotes(text: str) -> Iterator[int]:
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted  # a doubled quote toggles twice: no change
        elif ch == "," and not quoted:
            yield i


def _csv_rows(path: Path, encoding: str) -> tuple[list[str], Iterator[Row | RowProblem]]:
    f = path.open(encoding=encoding, newline="")
    reader = csv.reader(f, strict=True)
    try:
        first = _records(reader, path, encoding, None)
        headers: list[str] = []
        for _line, values in first:
            if any(v.strip() for v in values):
                headers = [h.strip() for h in values]
                break
    except BaseException:
        f.close()
        raise
    _check_headers(headers, path)

    def rows() -> Iterator[Row | RowProblem]:
        with f:
            for line, values in _records(reader, path, encoding, headers):
                if not any(v.strip() for v in values):
                    continue
                extra = [v for v in values[len(headers) :] if v.strip()]
                if extra:
                    yield RowProblem(
                        line,
                        f"{len(headers) + 1}",
                        shown(extra[0]),
                        f"{len(values)} values, but the header has {len(headers)} columns "
                        "(a comma inside a value that is not quoted?)",
                        _pair(headers, values),
                    )
                    continue
                yield line, _pair(headers, values)

    return headers, rows()


def _records(
    reader: Any, path: Path, encoding: str, headers: list[str] | None
) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, values) of each CSV record, refusing a quote that swallows
    the lines after it."""
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _broken_line(path, encoding, start, reader.line_num, str(exc)) from None
        end = reader.line_num
        if end > start and headers is not None and len(values) != len(headers):
            # A value ran over several lines and the record no longer has the header's shape:
            # an opening quote that was never closed took the following rows in.
            raise _broken_line(path, encoding, start, end, "unbalanced quote")
        yield start, values


def _broken_line(path: Path, encoding: str, start: int, end: int, problem: str) -> ValidationError:
    text = _physical_line(path, start, encoding)
    quote = _quote_problem(text)
    if quote is not None and quote[1] == "open":
        reason = (
            f"line {start}, {_column_name(path, encoding, quote[0])}: a quote opens a value "
            f"that does not close on line {start}"
            + (f" (it runs to line {end}, taking the rows in between)" if end > start else "")
            + '; close it, or double a quote that is part of the text ("")'
        )
    elif quote is not None:
        reason = (
            f"line {start}, {_column_name(path, encoding, quote[0])}: text after the closing "
            'quote of a value; quote the whole value, doubling the quotes inside it ("")'
        )
    elif "field larger than field limit" in problem:
        starts = [0, *(i + 1 for i in _commas_outside_quotes(text))]
        lengths = [b - a for a, b in zip(starts, [*starts[1:], len(text) + 1], strict=True)]
        limit = csv.field_size_limit()
        number = next((n for n, size in enumerate(lengths, 1) if size > limit), len(starts))
        reason = (
            f"line {start}, {_column_name(path, encoding, number)}: a value longer than "
            f"{limit:,} characters"
        )
    else:
        reason = f"line {start}: {problem}"
    return ValidationError("file", str(path), f"{path.name}, {reason}")


def _physical_line(path: Path, number: int, encoding: str) -> str:
    """Line ``number`` of the file as text (errors replaced), for pointing at a problem."""
    with path.open("rb") as f:
        raw = next(islice(f, number - 1, None), b"")
    return raw.decode(encoding, errors="replace").rstrip("\r\n")


def _quote_problem(text: str) -> tuple[int, str] | None:
    """Where the quotes of one line of CSV go wrong: (column, "open") for a value whose quote
    is still open at the end of the line, (column, "after") for text after a closing quote."""
    column, quoted, closed, at_start = 1, False, False, True
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                i += 1  # a doubled quote is a quote in the text
            elif ch == '"':
                quoted, closed = False, True
        elif ch == ",":
            column, closed, at_start = column + 1, False, True
            i += 1
            continue
        elif closed:
            return column, "after"
        elif ch == '"' and at_start:
            quoted = True
        at_start = False
        i += 1
    return (column, "open") if quoted else None


def _check_headers(headers: list[str], path: Path) -> None:
    seen: dict[str, int] = {}
    for n, header in enumerate(headers, start=1):
        if header and header in seen:
            raise ValidationError(
                "header",
                header,
                f"{path.name}: the column {header} appears twice (columns {seen[header]} and "
                f"{n}); keep one",
            )
        seen[header] = n


def _pair(headers: list[str], values: list[str]) -> dict[str, str]:
    return {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(headers) if h}


# --- XLSX --------------------------------------------------------------------------------------


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[Row | RowProblem]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula is seen as a formula, not silently as its cached value
        # (or as nothing, when no program ever calculated it).
        workbook = load_workbook(path, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        rows = enumerate(sheet.iter_rows(), start=1)
        headers: list[str] = []
        for _line, cells in rows:
            texts = [_header_text(c.value) for c in cells]
            if any(texts):
                headers = texts
                break
    except Exception as exc:  # openpyxl raises zipfile, KeyError, its own: all mean "unreadable"
        raise ValidationError(
            "file", str(path), f"not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        _check_headers(headers, path)
    except ValidationError:
        workbook.close()
        raise

    def generate() -> Iterator[Row | RowProblem]:
        try:
            for line, cells in rows:
                texts: list[str] = []
                problem = None
                for n, cell in enumerate(cells):
                    text, reason = _cell(cell)
                    if reason and problem is None and n < len(headers) and headers[n]:
                        problem = (headers[n], shown(text), reason)
                    texts.append(text)
                if not any(t.strip() for t in texts):
                    continue
                row = _pair(headers, texts)
                yield RowProblem(line, *problem, row) if problem else (line, row)
        finally:
            workbook.close()

    return headers, generate()


def _header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _cell(cell: Any) -> tuple[str, str | None]:
    """The text of a cell, and why it cannot be used as it stands (or None)."""
    value = cell.value
    kind = getattr(cell, "data_type", None)
    if value is None:
        return "", None
    if kind == "f":
        return str(value), (
            f"a formula ({shown(str(value), 40)}): the import reads values, not formulas; "
            "copy the column and paste it back as values (选择性粘贴 → 数值)"
        )
    if kind == "e":
        return str(value), f"the Excel error value {value}; correct the cell"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return repr(value), None
        number = int(value)
        if len(str(abs(number))) > EXCEL_DIGITS:
            return str(number), (
                f"a number of {len(str(abs(number)))} digits, but Excel keeps only "
                f"{EXCEL_DIGITS}, so the last digits were lost when it was typed (a credit code "
                "typed as a number?); format the column as text (设置单元格格式 → 文本) and "
                "type the values again"
            )
        return str(number), None  # Excel turns a typed "20" into 20.0
    return str(value), None


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
            "header",
            shown(",".join(headers)),
            f"{source} lacks column(s) {', '.join(missing)}",
        )
    return found
