"""The channel of serviceframe_hotline (imported when the channel is used, not with the plugin)."""

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attrs import frozen
from serviceframe.channels import Channel, ChannelContext, NewIssue, RawMessage
from serviceframe.domain.categories import parse_category
from serviceframe.domain.clock import parse_local_time
from serviceframe.errors import ValidationError
from serviceframe.tabular import RowProblem, map_columns, problem_in, read_rows

__all__ = ["COLUMNS", "HotlineChannel", "HotlineSettings"]

COLUMNS = {
    "call_id": ("工单编号", "来电编号", "编号", "工单号", "call_id"),
    "summary": ("诉求内容", "来电内容", "内容摘要", "摘要", "summary"),
    "time": ("来电时间", "受理时间", "时间", "time"),
    "caller": ("来电号码", "主叫号码", "联系电话", "caller"),
    "enterprise": ("企业", "企业名称", "统一社会信用代码", "enterprise"),
    "title": ("标题", "诉求标题", "title"),
    "category": ("类别", "诉求分类", "category"),
}
REQUIRED = ("call_id", "summary")
SUFFIXES = (".csv", ".xlsx", ".xlsm")


@frozen
class HotlineSettings:
    inbox: str  # the folder the hotline system exports into
    encoding: str | None = None  # of CSV files; default: UTF-8 if it is, else GB18030
    done: str = ""  # where handled files go; default done/ in the inbox


class HotlineChannel(Channel):
    def __init__(self, context: ChannelContext) -> None:
        self.settings: HotlineSettings = context.settings
        self.rows_left: dict[Path, set[str]] = {}

    def poll(self) -> Iterator[RawMessage]:
        inbox = Path(self.settings.inbox)
        if not inbox.is_dir():
            raise FileNotFoundError(f"the hotline inbox {inbox} is not a folder")
        for file in sorted(p for p in inbox.iterdir() if p.suffix.lower() in SUFFIXES):
            messages = list(self._rows(file))
            self.rows_left[file] = {m.id for m in messages}
            yield from messages

    def _rows(self, file: Path) -> Iterator[RawMessage]:
        try:
            headers, rows = read_rows(file, self.settings.encoding)
            columns = map_columns(headers, COLUMNS, REQUIRED, file.name)
            used = set(columns.values())
            records: list[tuple[int, dict[str, object]]] = []
            for item in rows:
                item = problem_in(item, used)
                if isinstance(item, RowProblem):  # a bad cell the row needs: this call waits
                    call_id = item.row.get(columns.get("call_id", ""), "")
                    cell = f"{item.column}={item.value!r}: {item.reason}"
                    records.append((item.line, {"call_id": call_id, "problem": cell}))
                    continue
                line, row = item
                records.append((line, {f: row.get(h, "") for f, h in columns.items()}))
        except ValidationError as exc:  # the file as a whole: kept in the quarantine
            data = file.read_bytes()
            problem = {"file": file.name, "error": f"{exc.field}={exc.value!r}: {exc.reason}"}
            yield RawMessage(
                "file:" + hashlib.sha256(data).hexdigest(),
                json.dumps(problem, ensure_ascii=False).encode(),
                None,
                {"file": str(file)},
            )
            return
        for line, record in records:
            record["line"] = line
            call = str(record["call_id"]).strip() or f"{file.name}:{line}"
            yield RawMessage(
                call,
                json.dumps(record, ensure_ascii=False).encode(),
                None,
                {"file": str(file), "line": str(line)},
            )

    def parse(self, raw: RawMessage) -> NewIssue:
        record: dict[str, Any] = json.loads(raw.payload)
        if "error" in record:
            raise ValueError(f"{record['file']} cannot be read: {record['error']}")
        where = f"line {record['line']}"
        if "problem" in record:
            raise ValueError(f"{where}: {record['problem']}")
        if not str(record.get("call_id", "")).strip():
            raise ValueError(f"{where}: no call id (工单编号), so it could be filed twice")
        body = str(record.get("summary", "")).strip()
        category: str | None = str(record.get("category", "")).strip() or None
        if category is not None:
            try:
                parse_category(category)
            except ValidationError:  # the hotline's own scheme: the classifier decides
                body += f"\n(12345 分类:{category})"
                category = None
        when = str(record.get("time", "")).strip().replace("/", "-")
        try:
            received_at = parse_local_time(when, "time") if when else None
        except ValidationError as exc:
            raise ValueError(f"{where}: 来电时间 {when!r}: {exc.reason}") from None
        return NewIssue(
            sender=str(record.get("caller", "")).strip(),
            body=body,
            title=str(record.get("title", "")).strip(),
            enterprise=str(record.get("enterprise", "")).strip() or None,
            category=category,
            received_at=received_at,
        )

    def done(self, raw: RawMessage) -> None:
        file = Path(raw.meta.get("file", ""))
        left = self.rows_left.get(file)
        if left is None:
            return
        left.discard(raw.id)
        if not left and file.exists():  # every row of the file is stored for good
            target = Path(self.settings.done or file.parent / "done")
            target.mkdir(parents=True, exist_ok=True)
            shutil.move(str(file), str(target / file.name))
