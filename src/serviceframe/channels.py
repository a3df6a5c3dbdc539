"""The channel contract: what a plugin implements to bring messages in and send notifications out.

A plugin provides *channel kinds* through the ``serviceframe_channel_kinds`` hook, each a
:class:`ChannelKind` record. A county configures channels of those kinds in its organisation
file (``[[channels]]``: a name, a kind, a jurisdiction, settings). When serviceframe needs one,
it calls the kind's ``open`` with a :class:`ChannelContext` and gets a :class:`Channel`:

- **outbound**: :meth:`Channel.deliver` sends one :class:`Outgoing` notification and returns a
  :class:`Receipt`, or a :class:`Failure` that says whether trying again can help;
- **inbound**: :meth:`Channel.poll` fetches :class:`RawMessage` s and :meth:`Channel.parse` turns
  each into a :class:`NewIssue`, a :class:`Reply` or an :class:`Answer`.

Everything else is the core's job, so that every channel gets it right: who the sender is
(mapped to a registered enterprise contact or official), whether the message was seen before
(idempotent on the message id), what to do when it cannot be mapped or parsed (the quarantine,
never dropped), retries with back-off, and the record of every attempt. Core code never imports
a channel; it finds kinds by name through the plugin manager.

This module imports nothing heavy: plugins import it at start-up.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from attrs import field, frozen

__all__ = [
    "SECRET",
    "Answer",
    "Attachment",
    "Channel",
    "ChannelContext",
    "ChannelKind",
    "Failure",
    "NewIssue",
    "NoSettings",
    "Outgoing",
    "Parsed",
    "Placeholder",
    "RawMessage",
    "Receipt",
    "Recipient",
    "Reply",
]


# What a secret setting holds while ``org load`` checks the settings: the secret itself is read
# from the environment only when the channel is used. A validator lets this value pass.
SECRET = "<secret>"


@frozen
class NoSettings:
    """The settings of a kind that takes none (any key in ``settings`` is then an error)."""


@frozen
class Recipient:
    """Someone a notification is for, with every address the organisation file and the
    registry know for them.

    ``kind`` is ``official``, ``unit`` or ``contact`` (an enterprise's contact person); ``id``
    is the official's or unit's id, or ``<credit code>#<n>`` for the n-th contact of an
    enterprise. ``addresses`` maps an address kind to a value: ``phone`` and ``email`` for
    everyone who has them, and whatever else the organisation file gives an official or a
    unit under ``addresses`` (``wecom``, ``dingtalk``, a chat id per app).
    """

    kind: str
    id: str
    name: str
    jurisdiction: str
    addresses: Mapping[str, str] = field(factory=dict, hash=False)
    enterprise: str | None = None  # the credit code, for an enterprise's contact


@frozen
class Outgoing:
    """One notification to deliver, as the outbox holds it.

    ``key`` is the delivery key: the same for every attempt at this notification and unique
    across databases. Pass it on where the transport has room for it (an e-mail's Message-ID,
    an HTTP ``Idempotency-Key``), so that a message sent again after a crash can be recognised
    as the same one at the far end.
    """

    id: int
    key: str
    channel: str
    kind: str  # the notice kind: dispatched, acknowledged, resolved, redo, supervised, …
    recipient: Recipient
    address: str  # the recipient's address on this channel
    subject: str
    body: str
    issue_id: int | None = None
    round: int | None = None  # the resolution round a satisfaction invitation asks about
    data: Mapping[str, Any] = field(factory=dict, hash=False)
    attempt: int = 1


@frozen
class Receipt:
    """Delivered: what the far end said (its message id, a queue id), for the record."""

    reference: str = ""


@frozen
class Failure:
    """Not delivered. ``permanent`` when trying again cannot help (the address does not exist,
    the far end refused the message for good); the notification then waits for a person
    (``serviceframe outbox list --status failed``, ``outbox retry ID``). Otherwise it is tried
    again later, with exponential back-off."""

    reason: str
    permanent: bool = False


@frozen
class RawMessage:
    """A message as the channel fetched it, before parsing.

    ``id`` identifies the message for good (an e-mail's Message-ID, a hotline call id): the
    same id twice is one issue or one reply, however often it is fetched. ``payload`` is kept
    in the quarantine when the message cannot be handled, so that ``quarantine retry`` can
    parse it again later. ``meta`` is for people reading the quarantine (file, line, folder).
    """

    id: str
    payload: bytes
    received_at: datetime | None = None
    meta: Mapping[str, str] = field(factory=dict, hash=False)


@frozen
class Attachment:
    """A file that came with a message, kept as a reference (never copied into the store)."""

    name: str
    content_type: str
    size: int
    sha256: str
    ref: str = ""  # where it can be found again: a saved file, a mailbox and part number


@frozen
class NewIssue:
    """A problem raised through the channel: it becomes an issue of the sender's enterprise.

    ``sender`` is the address the message came from, of the kind the channel is configured
    with (``email``, ``phone``…); the core maps it to a registered enterprise contact. A
    channel that knows the enterprise itself (a hotline record names it) gives ``enterprise``:
    a credit code or the registered name.
    """

    sender: str
    body: str
    title: str = ""
    enterprise: str | None = None
    category: str | None = None
    received_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()


@frozen
class Reply:
    """A message about an existing issue.

    Give ``issue_id`` when the message names the issue, or ``in_reply_to``: the delivery key of
    the notification it answers (an e-mail's In-Reply-To header). When that notification was a
    satisfaction invitation and the text starts with a rating (``1``/``2``/``3``, ``满意``,
    ``基本满意``, ``不满意``), the core records it as the answer for exactly that issue and round.
    """

    sender: str
    body: str
    issue_id: int | None = None
    in_reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()


@frozen
class Answer:
    """A satisfaction rating (满意度) for one issue and resolution round.

    Give ``issue_id`` and ``round``, or ``in_reply_to``: the delivery key of the invitation,
    or its first characters (at least 4: a reply code a template put in an SMS through a
    placeholder) when they name one notification this channel sent to ``sender``. With
    neither, the core takes the one open invitation sent to ``sender`` on this channel, and
    quarantines the answer when there are several: they must not be confused.
    """

    sender: str
    satisfaction: str  # satisfied / basic / unsatisfied, or 满意 / 基本满意 / 不满意, or 1 / 2 / 3
    comment: str = ""
    issue_id: int | None = None
    round: int | None = None
    in_reply_to: str | None = None


Parsed = NewIssue | Reply | Answer


@frozen
class ChannelContext:
    """What ``ChannelKind.open`` receives: the configured channel with its settings structured
    by the kind's settings class (secrets filled in from the environment)."""

    app: Any
    name: str
    kind: str
    jurisdiction: str
    settings: Any
    address: tuple[str, ...]  # the address kinds this channel reaches people by, in order


class Channel:
    """Base class of channels: override what your channel does.

    An outbound channel overrides :meth:`deliver`; an inbound one :meth:`poll` (or is handed
    messages by a web endpoint through ``serviceframe.services.inbound.receive``) and
    :meth:`parse`. The others are optional. A channel object is used by one thread at a time,
    for a batch of deliveries or one poll, then closed.
    """

    def deliver(self, message: Outgoing) -> Receipt | Failure:
        """Send one notification. Return a :class:`Receipt`, or a :class:`Failure`.

        An exception is taken as a failure worth retrying; it is recorded with the plugin's
        name and the notification is tried again later, never lost.
        """
        raise NotImplementedError(f"{type(self).__name__} does not deliver notifications")

    def confirm(self, message: Outgoing) -> Receipt | None:
        """Whether an earlier attempt at ``message`` (same ``key``) already got through.

        Called only for a notification whose deliverer stopped between sending and
        recording (a crash, a kill). Return a :class:`Receipt` if the far end has it, ``None``
        if it does not. A channel that cannot tell does not override this: the notification
        is then sent again with the same key, which is at-least-once delivery.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot confirm a delivery")

    def poll(self) -> Iterable[RawMessage]:
        """Fetch the messages waiting: new ones, and any fetched before but not marked
        :meth:`done` (fetching a message twice is harmless)."""
        raise NotImplementedError(f"{type(self).__name__} does not poll for messages")

    def parse(self, raw: RawMessage) -> Parsed:
        """Turn one raw message into a :class:`NewIssue`, :class:`Reply` or :class:`Answer`.

        Raise any exception with a clear message when the message cannot be understood: it
        goes to the quarantine with that message as the reason.
        """
        raise NotImplementedError(f"{type(self).__name__} does not parse messages")

    def done(self, raw: RawMessage) -> None:
        """The message is stored for good (as an issue, a reply, or in the quarantine): mark
        it at the source (flag it, move it) so the next poll need not fetch it again."""

    def close(self) -> None:
        """Release connections; called after each batch."""


@frozen
class ChannelKind:
    """A kind of channel a plugin provides, e.g. ``email``, ``sms``, ``apprise``.

    :param name: the ``kind`` a county writes in ``[[channels]]``; unique among all plugins.
    :param open: makes a :class:`Channel` from a :class:`ChannelContext`.
    :param settings: an attrs class for the ``settings`` table; the host structures it with
        serviceframe's cattrs converter, unknown keys rejected, every problem reported at
        ``org load`` with its key path.
    :param address: the address kinds the channel reaches people by by default (``email``;
        ``phone``; ``*`` for any recipient at all, e.g. a group chat or a file); a configured
        channel may name others.
    :param inbound: whether channels of this kind bring messages in (``channel poll``).
    :param outbound: whether they deliver notifications.
    :param secrets: the settings that hold secrets; ``channel list`` never shows their values.
    """

    name: str
    open: Callable[[ChannelContext], Channel]
    settings: type = NoSettings
    description: str = ""
    address: tuple[str, ...] = ("email",)
    inbound: bool = False
    outbound: bool = True
    secrets: tuple[str, ...] = ()


@frozen
class Placeholder:
    """A value a plugin adds to notification templates, e.g. ``{survey_url}``.

    :param name: the placeholder's name, as templates write it between braces; unique.
    :param kinds: the notice kinds it is given for (``resolved``…); empty for every kind.
    :param value: computes the text from the notification about to be written (its ``id`` is
        still 0; its ``key`` is final). Called inside the transaction of the change, so keep
        it quick and free of I/O.
    """

    name: str
    value: Callable[[Outgoing], str]
    kinds: tuple[str, ...] = ()
    description: str = ""
