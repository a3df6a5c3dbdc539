"""Reading a mail as Chinese enterprises actually send it.

The standard library's parser (in its lenient ``compat32`` mode) takes the mail apart; this
module decides what the text is. Mail from Chinese clients is labelled UTF-8, GB2312, GBK or
GB18030, and is often labelled GB2312 while holding GBK characters (a GB2312 label on text
with 镕 or 喆): the whole GB family is decoded as GB18030, its superset. Unlabelled 8-bit
headers are tried as UTF-8, then GB18030. An HTML-only mail is turned into text. Attachments
are kept as references (name, type, size, SHA-256, where to find them), never copied into the
store. What cannot be read — no sender, a broken MIME structure, an automatic reply — raises
with the reason, and the core puts the mail in the quarantine.
"""

import codecs
import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.errors import (
    MessageDefect,
    MultipartInvariantViolationDefect,
    StartBoundaryNotFoundDefect,
)
from email.header import Header, decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from serviceframe.channels import Attachment, NewIssue, Parsed, RawMessage, Reply

GB_FAMILY = {
    "gb2312",
    "gbk",
    "gb18030",
    "x-gbk",
    "cp936",
    "ms936",
    "windows-936",
    "euc-cn",
    "x-euc-cn",
    "csgb2312",
    "chinese",
    "936",
    "gb_2312-80",
    "iso-ir-58",
}
BROKEN = (StartBoundaryNotFoundDefect, MultipartInvariantViolationDefect)
OUR_KEY = re.compile(r"<sf-([0-9a-f]{32})@")
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[::]\s*)+", re.I)
# Where a client starts quoting the mail replied to (Foxmail, Outlook, QQ Mail, Gmail…).
QUOTE_START = re.compile(
    r"^\s*(-{2,}\s*(原始邮件|original message|回复的原邮件)\s*-{2,}|"
    r"在\s.{4,80}写道[::]|on\s.{4,120}wrote:|发件人[::]|from:\s)",
    re.I,
)


def codec(charset: str | None) -> str | None:
    """The Python codec for a MIME charset label; the GB family reads as GB18030."""
    label = (charset or "").strip().strip('"').lower()
    if not label or label in ("unknown-8bit", "x-unknown"):
        return None
    if label in GB_FAMILY:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "gb18030" if name in ("gb2312", "gbk") else name


def decode(data: bytes, charset: str | None) -> str:
    """Text from bytes: the declared charset, else UTF-8, else GB18030 (never an error)."""
    for name in dict.fromkeys(n for n in (codec(charset), "utf-8", "gb18030") if n):
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace")


def header(message: Message, name: str) -> str:
    """A header's text: encoded words decoded (GB family as GB18030), raw 8-bit guessed."""
    value = message.get(name)  # a Header object when it holds raw 8-bit bytes
    return "" if value is None else words(value)


def words(value: str | Header) -> str:
    parts = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, str):  # plain text, or 8-bit bytes smuggled in as surrogates
            chunk = chunk.encode("utf-8", "surrogateescape")
        parts.append(decode(chunk, charset))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


class _Text(HTMLParser):
    BLOCK: ClassVar[set[str]] = {"p", "div", "br", "li", "tr", "table", "blockquote"} | {
        f"h{n}" for n in range(1, 7)
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(self.skip - 1, 0)
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (
        re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in "".join(parser.out).splitlines()
    )
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def without_quote(text: str) -> str:
    """A reply's own words: the quoted mail below it cut off."""
    lines = []
    for line in text.splitlines():
        if QUOTE_START.match(line):
            break
        if not line.lstrip().startswith(">"):
            lines.append(line)
    return "\n".join(lines).strip()


def _defects(message: Message) -> Iterator[MessageDefect]:
    for part in message.walk():
        yield from part.defects


def parse_mail(raw: RawMessage, attachments_dir: str = "", where: str = "") -> Parsed:
    message = message_from_bytes(raw.payload, policy=compat32)
    broken = sorted({type(d).__name__ for d in _defects(message) if isinstance(d, BROKEN)})
    if broken:
        raise ValueError(
            f"broken MIME structure ({', '.join(broken)}): the parts cannot be told apart"
        )
    if not message.keys():
        raise ValueError("not a mail: no headers")
    sender = next((a for _, a in getaddresses([header(message, "From")]) if "@" in a), "")
    if not sender:
        raise ValueError(f"no sender address (From: {header(message, 'From')!r})")
    auto = header(message, "Auto-Submitted").lower()
    if (auto and auto != "no") or message.get_content_type() == "multipart/report":
        raise ValueError(
            f"an automatic message (Auto-Submitted: {auto or 'report'}), not from a person"
        )
    text, html, attachments = "", "", []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = _filename(part)
        kind = part.get_content_type()
        if name or part.get_content_disposition() == "attachment" or not kind.startswith("text/"):
            attachments.append(_attachment(part, data, name, index, attachments_dir, where))
        elif kind == "text/plain" and not text:
            text = decode(data, part.get_content_charset())
        elif kind == "text/html" and not html:
            html = decode(data, part.get_content_charset())
    body = text.strip() or html_text(html)
    if not body and attachments:
        body = "见附件 see the attachments: " + "、".join(a.name for a in attachments)
    if not body:
        raise ValueError("the mail has no text")
    keys = OUR_KEY.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    if keys:  # an answer to one of our notifications
        return Reply(
            sender,
            without_quote(body) or body,
            in_reply_to=keys[-1],
            attachments=tuple(attachments),
        )
    return NewIssue(
        sender,
        body,
        REPLY_PREFIX.sub("", header(message, "Subject"))[:200],
        received_at=_date(message),
        attachments=tuple(attachments),
    )


def _filename(part: Message) -> str:
    name = part.get_filename() or ""
    if "=?" in name:  # RFC 2047 in a filename: not the standard, but what clients send
        return words(name)
    if any("\udc80" <= c <= "\udcff" for c in name):  # raw 8-bit bytes, as surrogates
        return decode(name.encode("utf-8", "surrogateescape"), part.get_content_charset())
    return name


def _attachment(
    part: Message, data: bytes, name: str, index: int, directory: str, where: str
) -> Attachment:
    digest = hashlib.sha256(data).hexdigest()
    ref = f"{where}#part{index}" if where else f"part{index}"
    if directory:
        path = Path(directory) / digest[:2] / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        ref = str(path)
    return Attachment(name or f"part{index}", part.get_content_type(), len(data), digest, ref)


def _date(message: Message) -> datetime | None:
    try:
        return parsedate_to_datetime(header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
