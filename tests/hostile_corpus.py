"""A corpus of hostile inputs: the broken files clerks really send, and what must happen to each.

The files live in ``tests/hostile/``; this module is their manifest and also wrote them
(``python tests/hostile_corpus.py`` writes them again). Each file is either refused as a
whole, with an error naming line and column (``refused``), or read row by row: the bad rows
reported with line and column (``errors``), every other row stored exactly as given.

They are imported into the small sample organisation (``serviceframe.testing.sample``):
enterprise files by ``import_enterprises``, issue files by ``import_issues`` (source hotline).
"""

import csv
import io
from pathlib import Path

from attrs import frozen

from serviceframe.testing.sample import HEADER, JIEFANG, XIUWU, credit_code, enterprise_row

HERE = Path(__file__).parent / "hostile"
ISSUE_HEADER = ("统一社会信用代码", "标题", "内容", "编号", "受理时间")
KNOWN = credit_code(JIEFANG, 1)  # registered in the sample organisation
LONG = "x" * 100_000  # a value no message may print whole


@frozen
class Case:
    file: str
    kind: str  # "enterprises" or "issues"
    what: str  # the hostile thing, for a person reading the test's output
    refused: str = ""  # the file is refused; the message says this (its line and column)
    errors: tuple[tuple[int, str], ...] = ()  # rows refused: (line, column)


CASES = (
    # --- enterprise CSV ---
    Case(
        "enterprises-stray-byte.csv",
        "enterprises",
        "a UTF-8 file with one byte that is not UTF-8 in a name",
        refused="line 3, column 2 (企业名称), character 27 of the line: the byte 0xff is not text in UTF-8",
    ),
    Case(
        "enterprises-unbalanced-quote.csv",
        "enterprises",
        "a quote that opens a name and never closes, which would swallow the rows after it",
        refused="line 3, column 2 (企业名称): a quote opens a value that does not close on line 3 (it runs to line 5",
    ),
    Case(
        "enterprises-text-after-quote.csv",
        "enterprises",
        "text after the closing quote of a value",
        refused="line 2, column 2 (企业名称): text after the closing quote",
    ),
    Case(
        "enterprises-nul-byte.csv",
        "enterprises",
        "a NUL byte in the middle of the file",
        refused="line 4, column 1 (统一社会信用代码), character 1 of the line: a NUL byte",
    ),
    Case(
        "enterprises-utf16.csv",
        "enterprises",
        "saved as Unicode text (UTF-16) from Excel",
        refused="UTF-16",
    ),
    Case(
        "enterprises-header-twice.csv",
        "enterprises",
        "the column 企业名称 twice",
        refused="the column 企业名称 appears twice (columns 2 and 10)",
    ),
    Case(
        "enterprises-huge-field.csv",
        "enterprises",
        "a value beyond the CSV reader's limit",
        refused="line 3, column 9 (地址): a value longer than 131,072 characters",
    ),
    Case(
        "enterprises-long-values.csv",
        "enterprises",
        "100,000-character name and address; an unquoted comma giving a row too many values",
        errors=((3, "企业名称"), (4, "地址"), (5, "10")),
    ),
    Case(
        "enterprises-bad-codes.csv",
        "enterprises",
        "full-width digits (read as the digits they are), a wrong check character, a code of "
        "17 characters, spaces around one",
        errors=((3, "统一社会信用代码"), (4, "统一社会信用代码")),
    ),
    Case(
        "enterprises-gbk-crlf.csv",
        "enterprises",
        "GBK from Excel with CRLF line ends, a quoted value over two lines, formula-like text",
    ),
    # --- enterprise XLSX ---
    Case(
        "enterprises-numeric-code.xlsx",
        "enterprises",
        "credit codes typed as numbers (Excel keeps 15 digits)",
        errors=((3, "统一社会信用代码"),),
    ),
    Case(
        "enterprises-formulas.xlsx",
        "enterprises",
        "a formula in a name, an Excel error value, a formula in a column the import ignores",
        errors=((3, "企业名称"), (4, "行业代码")),
    ),
    Case(
        "enterprises-not-a-workbook.xlsx",
        "enterprises",
        "a text file named .xlsx",
        refused="not a readable XLSX workbook",
    ),
    # --- issue CSV ---
    Case(
        "issues-stray-byte.csv",
        "issues",
        "a GBK file with a byte that is not GBK",
        refused="line 3, column 3 (内容), character 25 of the line: the byte 0xff is not text in GBK/GB18030",
    ),
    Case(
        "issues-unbalanced-quote.csv",
        "issues",
        "a body whose quote never closes",
        refused="line 2, column 3 (内容): a quote opens a value that does not close on line 2 (it runs to line 4",
    ),
    Case(
        "issues-bad-rows.csv",
        "issues",
        "a 100,000-character body, an unknown enterprise, a time in words, a time in the future",
        errors=((3, "内容"), (4, "统一社会信用代码"), (5, "受理时间"), (6, "受理时间")),
    ),
    # --- issue XLSX ---
    Case(
        "issues-cells.xlsx",
        "issues",
        "a credit code typed as a number, a formula body, an error value, a 32,767-character body",
        errors=((3, "统一社会信用代码"), (4, "内容"), (5, "标题"), (6, "内容")),
    ),
)


# --- writing the files ---------------------------------------------------------------------------


def _csv_bytes(
    rows: list[list[str]], header: tuple[str, ...], encoding: str = "utf-8", end: str = "\n"
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=end).writerows([list(header), *rows])
    return buffer.getvalue().encode(encoding)


def _good(n: int, county: str = JIEFANG) -> list[str]:
    return enterprise_row(county, n)


def write_corpus() -> None:
    from openpyxl import Workbook

    HERE.mkdir(exist_ok=True)

    def put(name: str, data: bytes) -> None:
        (HERE / name).write_bytes(data)

    # A stray byte in row 3's name (line 3), the 8th character; the rest of the file is UTF-8.
    data = _csv_bytes([_good(51), _good(52, XIUWU), _good(53)], HEADER)
    name = enterprise_row(XIUWU, 52)[1]
    put(
        "enterprises-stray-byte.csv",
        data.replace(name.encode(), name[:7].encode() + b"\xff" + name[7:].encode()),
    )

    rows = [_good(61), _good(62), _good(63), _good(64)]
    text = _csv_bytes(rows, HEADER).decode()
    text = text.replace(rows[1][1], '"' + rows[1][1], 1)  # line 3 opens a quote, never closed
    put("enterprises-unbalanced-quote.csv", text.encode())

    text = (
        _csv_bytes([_good(65)], HEADER)
        .decode()
        .replace(enterprise_row(JIEFANG, 65)[1], '"焦作市"恒泽有限公司', 1)
    )
    put("enterprises-text-after-quote.csv", text.encode())

    data = _csv_bytes([_good(66), _good(67), _good(68)], HEADER)
    lines = data.split(b"\n")
    lines[3] = b"\x00" + lines[3]
    put("enterprises-nul-byte.csv", b"\n".join(lines))

    put("enterprises-utf16.csv", _csv_bytes([_good(69)], HEADER).decode().encode("utf-16"))
    put(
        "enterprises-header-twice.csv",
        _csv_bytes([[*_good(70), "重复"]], (*HEADER, "企业名称")),
    )
    huge = _good(72)
    huge[8] = "y" * 140_000
    put("enterprises-huge-field.csv", _csv_bytes([_good(71), huge], HEADER))

    long_name, long_address, extra = _good(74), _good(75), _good(76)
    long_name[1] = LONG
    long_address[8] = LONG
    text = _csv_bytes([_good(73), long_name, long_address, extra, _good(77)], HEADER).decode()
    text = text.replace(extra[1], extra[1][:4] + "," + extra[1][4:], 1)  # an unquoted comma
    put("enterprises-long-values.csv", text.encode())

    full_width, wrong_check, short, spaced = _good(78), _good(79), _good(80), _good(81)
    full_width[0] = full_width[0].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    wrong_check[0] = wrong_check[0][:17] + ("0" if wrong_check[0][17] != "0" else "1")
    short[0] = short[0][:17]
    spaced[0] = f"  {spaced[0].lower()}  "  # stored upper-cased, without the spaces
    put(
        "enterprises-bad-codes.csv",
        _csv_bytes([full_width, wrong_check, short, spaced], HEADER),
    )

    multi_line, formula_like = _good(82), _good(83)
    multi_line[8] = "河南省焦作市\n建设东路83号"
    formula_like[1] = "=焦作市恒泽+制药有限公司"
    data = _csv_bytes([multi_line, formula_like, _good(84, XIUWU)], HEADER, "gbk", "\r\n")
    put("enterprises-gbk-crlf.csv", data)

    def workbook(name: str, header: tuple[str, ...], rows: list[list[object]]) -> None:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
        book.save(HERE / name)

    numeric: list[object] = list(_good(86))
    numeric[0] = 914108020000000086  # all digits: Excel would keep 15 of them
    numeric_county: list[object] = list(_good(85))
    numeric_county[2] = int(JIEFANG)  # a county code as a number is fine
    workbook("enterprises-numeric-code.xlsx", HEADER, [numeric_county, numeric, _good(87)])

    formula_name: list[object] = [*_good(89), "=ROW()-1"]
    formula_name[1] = '=B2&"分公司"'
    error_value: list[object] = [*_good(90), "=ROW()-1"]
    error_value[3] = "#N/A"
    workbook(
        "enterprises-formulas.xlsx",
        (*HEADER, "序号"),
        [[*_good(88), "=ROW()-1"], formula_name, error_value],
    )
    book_path = HERE / "enterprises-formulas.xlsx"
    _set_error_cell(book_path, "D4")

    put("enterprises-not-a-workbook.xlsx", "统一社会信用代码,企业名称\n".encode())

    # Issues.
    gbk = _csv_bytes(
        [
            [KNOWN, "限电", "我公司近期频繁遭遇拉闸限电。", "RX-1", "2026-09-20 09:00"],
            [KNOWN, "贷款", "流动资金贷款续贷困难。", "RX-2", "2026-09-21 09:00"],
        ],
        ISSUE_HEADER,
        "gbk",
    )
    put(
        "issues-stray-byte.csv",
        gbk.replace(
            "流动资金".encode("gbk"), "流动".encode("gbk") + b"\xff" + "资金".encode("gbk")
        ),
    )

    text = _csv_bytes(
        [
            [KNOWN, "限电", "我公司近期频繁遭遇拉闸限电。", "RX-3", "2026-09-20 09:00"],
            [KNOWN, "贷款", "流动资金贷款续贷困难。", "RX-4", "2026-09-21 09:00"],
            [KNOWN, "招工", "缺少焊工。", "RX-5", "2026-09-22 09:00"],
        ],
        ISSUE_HEADER,
    ).decode()
    text = text.replace("我公司近期", '"我公司近期', 1)
    put("issues-unbalanced-quote.csv", text.encode())

    put(
        "issues-bad-rows.csv",
        _csv_bytes(
            [
                [KNOWN, "限电", "我公司近期频繁遭遇拉闸限电。", "RX-6", "2026-09-20 09:00"],
                [KNOWN, "长文", LONG, "RX-7", "2026-09-20 10:00"],
                [credit_code(JIEFANG, 99), "无此企业", "流动资金贷款续贷困难。", "RX-8", ""],
                [KNOWN, "时间", "缺少焊工。", "RX-9", "昨天下午"],
                [KNOWN, "将来", "缺少焊工。", "RX-10", "2099-01-01 09:00"],
                [KNOWN, "多行", "第一行\n第二行", "RX-11", "2026-09-21 09:00"],
            ],
            ISSUE_HEADER,
        ),
    )
    workbook(
        "issues-cells.xlsx",
        ISSUE_HEADER,
        [
            [KNOWN, "限电", "我公司近期频繁遭遇拉闸限电。", 12001, "2026-09-20 09:00"],
            [914108020000000001, "贷款", "流动资金贷款续贷困难。", 12002, "2026-09-20 09:00"],
            [KNOWN, "公式", '="缺少"&"焊工"', 12003, "2026-09-20 09:00"],
            [KNOWN, "#DIV/0!", "缺少焊工。", 12004, "2026-09-20 09:00"],
            [KNOWN, "长文", "路" * 32_767, 12005, "2026-09-20 09:00"],
        ],
    )
    _set_error_cell(HERE / "issues-cells.xlsx", "B5")


def _set_error_cell(path: Path, ref: str) -> None:
    """Make ``ref`` hold an Excel error value (what a broken formula leaves behind)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    cell = sheet[ref]
    cell.value = str(cell.value)
    cell.data_type = "e"
    book.save(path)


if __name__ == "__main__":
    write_corpus()
    print(f"wrote {len(list(HERE.iterdir()))} files to {HERE}")
