"""Replies by SMS: what a text means, and the providers' reply payloads as raw messages.

Every reply, whichever way it came (SMPP deliver_sm, Tencent's pull or callback, Aliyun's
callback), is kept as the same small JSON object ``{"from", "to", "text", "at"}``; ``parse``
reads it:

- a reply that starts with a rating — ``1``/``2``/``3`` (also full-width ``１``), ``满意``,
  ``基本满意``, ``不满意`` — is an :class:`~serviceframe.channels.Answer`. The invitation SMS
  carries a reply code (``编号A3F9``: the first four characters of its delivery key); a reply
  that repeats it (``1 A3F9``, ``A3F9 1``, ``1A3F9``) rates exactly the issue and round that
  invitation was sent for. Without a code the core takes the one open invitation sent to that
  number on this channel, and quarantines the reply when there are several;
- any other text is a new problem (:class:`~serviceframe.channels.NewIssue`) of the sender's
  enterprise; the core quarantines it when the number is not a registered contact.
"""

import hashlib
import json
import re
import unicodedata
from datetime import datetime
from typing import Any

from serviceframe.channels import Answer, NewIssue, Parsed, RawMessage
from serviceframe.domain.notices import rating_in
from serviceframe.domain.workdays import SHANGHAI

CODE_LENGTH = 4
_SEP = r"[\s,，.。:：;；、()（）\-]*"
_CODE = rf"(?:编号|code)?{_SEP}([0-9a-fA-F]{{{CODE_LENGTH}}})(?![0-9a-zA-Z])"
_CODE_FIRST = re.compile(rf"{_SEP}{_CODE}{_SEP}(.*)", re.S | re.I)
_CODE_AFTER = re.compile(rf"{_SEP}{_CODE}{_SEP}(.*)", re.S | re.I)
# "1A3F9", "12A3B", "满意0A3F": the rating and the code written together.
_GLUED = re.compile(
    r"\s*(不满意|基本满意|非常满意|满意|[123])([0-9a-fA-F]{4})(?=$|[\s,，.。:：;；!！、])"
    + _SEP
    + "(.*)",
    re.S,
)
# A digit is a rating only on its own: "1", "1 满意", "1A3F9" — "1号线停电" is a new problem.
_DIGIT_ALONE = re.compile(
    r"\s*[123](?:$|[\s,，.。:：;；!！、]|不满意|基本满意|非常满意|满意|[0-9a-fA-F]{4}(?![0-9a-zA-Z]))"
)


def _rating(text: str) -> tuple[str, str] | None:
    if text.lstrip()[:1] in ("1", "2", "3") and not _DIGIT_ALONE.match(text):
        return None
    return rating_in(text)


def reply_code(key: str) -> str:
    """The code an invitation SMS shows for its delivery key."""
    return key[:CODE_LENGTH].upper()


def read_reply(text: str) -> tuple[str, str, str | None] | None:
    """A rating reply as (rating, comment, reply code or None); None for any other text."""
    text = unicodedata.normalize("NFKC", text).strip()
    glued = _GLUED.match(text)
    if glued is not None:
        rated = rating_in(glued.group(1))
        assert rated is not None  # the pattern matched a rating
        return rated[0], glued.group(3).strip(), glued.group(2).lower()
    first = _CODE_FIRST.match(text)
    if first is not None:
        rated = _rating(first.group(2))
        if rated is not None:
            return rated[0], rated[1], first.group(1).lower()
    rated = _rating(text)
    if rated is None:
        return None
    rating, rest = rated
    after = _CODE_AFTER.match(rest)
    if after is not None:
        return rating, after.group(2).strip(), after.group(1).lower()
    return rating, rest, None


def parse(raw: RawMessage) -> Parsed:
    try:
        data = json.loads(raw.payload)
    except ValueError as exc:
        raise ValueError(f"不是短信记录 not an SMS record: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("不是短信记录 not an SMS record")
    if data.get("error"):
        raise ValueError(str(data["error"]))
    sender = str(data.get("from") or "").strip()
    text = str(data.get("text") or "").strip()
    if not sender:
        raise ValueError("短信没有发送号码 the SMS has no sender number")
    if not text:
        raise ValueError(f"空短信 an empty SMS from {sender}")
    received = _moment(data.get("at"))
    reply = read_reply(text)
    if reply is not None:
        rating, comment, code = reply
        return Answer(sender, rating, comment, in_reply_to=code)
    return NewIssue(sender, text, received_at=received)


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def record(provider: str, sender: str, to: str, text: str, at: datetime, ident: str) -> RawMessage:
    data = {"from": sender, "to": to, "text": text, "at": at.isoformat()}
    digest = hashlib.sha256(f"{sender}\n{text}".encode()).hexdigest()[:16]
    return RawMessage(
        f"{provider}:{ident or digest}",
        json.dumps(data, ensure_ascii=False).encode(),
        at,
        {"via": provider, "to": to},
    )


def tencent_replies(items: list[dict[str, Any]] | dict[str, Any]) -> list[RawMessage]:
    """Tencent replies as raw messages: the items of ``PullSmsReplyStatus`` or of the reply
    callback (回复回调: ``mobile``, ``text``, ``time``, ``nationcode``, ``sign``)."""
    found = []
    for item in items if isinstance(items, list) else [items]:
        sender = str(
            item.get("SubscriberNumber") or item.get("PhoneNumber") or item.get("mobile") or ""
        )
        text = str(item.get("ReplyContent") or item.get("text") or "")
        when = int(item.get("ReplyUnixTime") or item.get("time") or 0)
        at = datetime.fromtimestamp(when, SHANGHAI) if when else datetime.now(SHANGHAI)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        to = str(item.get("ExtendCode") or item.get("extend") or "")
        found.append(record("tencent", sender, to, text, at, f"{sender}:{when}:{digest}"))
    return found


def aliyun_replies(items: list[dict[str, Any]] | dict[str, Any]) -> list[RawMessage]:
    """Aliyun replies (上行短信, the SmsUp message of the callback or the MNS queue:
    ``phone_number``, ``content``, ``send_time``, ``dest_code``, ``sequence_id``)."""
    found = []
    for item in items if isinstance(items, list) else [items]:
        sender = str(item.get("phone_number") or "")
        text = str(item.get("content") or "")
        try:
            at = datetime.strptime(str(item.get("send_time")), "%Y-%m-%d %H:%M:%S")
            at = at.replace(tzinfo=SHANGHAI)
        except ValueError:
            at = datetime.now(SHANGHAI)
        ident = str(item.get("sequence_id") or "")
        found.append(record("aliyun", sender, str(item.get("dest_code") or ""), text, at, ident))
    return found


def callback(provider: str, body: bytes) -> list[RawMessage]:
    """The raw messages in a provider's reply callback body (JSON), for a web endpoint to hand
    to ``serviceframe.services.inbound.receive(app, CHANNEL, messages)``."""
    data = json.loads(body)
    if provider == "tencent":
        return tencent_replies(data)
    if provider == "aliyun":
        return aliyun_replies(data)
    raise ValueError(f"provider={provider!r}: replies come by callback from tencent or aliyun only")
