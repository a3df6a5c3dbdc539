"""SMPP 3.4 through smpplib: notifications out as submit_sm, replies in as deliver_sm.

A Chinese text goes out in UCS-2 (data_coding 8); one longer than 70 characters is split by
smpplib into parts of 67 characters, each with a concatenation header (UDH IEI 0, reference,
count, number), which phones join into one message. The SMSC acknowledges each part with a
submit_sm_resp; the receipt lists the message ids it gave.

Replies (MO) arrive as deliver_sm while the channel is bound as a transceiver: ``poll`` binds,
reads until the SMSC has nothing more for ``IDLE_SECONDS``, answers each deliver_sm (so the
SMSC does not send it again) and unbinds. Delivery reports (esm_class bit 2) are not replies
and are skipped. Long replies are joined from their parts by the UDH reference.
"""

import contextlib
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import datetime

import smpplib.client
import smpplib.consts as c
import smpplib.exceptions
import smpplib.gsm
from serviceframe.channels import Failure, RawMessage, Receipt
from serviceframe.domain.workdays import SHANGHAI

from serviceframe_sms.settings import SmsSettings, smpp_address

IDLE_SECONDS = 1.0  # poll stops when the SMSC has sent nothing for this long

# Status codes (SMPP 3.4 §5.1.3) that no retry can fix: the number or the message is wrong.
PERMANENT = {
    c.SMPP_ESME_RINVDSTADR,
    0x0000000A,  # ESME_RINVSRCADR
    0x00000050,  # ESME_RINVDSTTON
    0x00000051,  # ESME_RINVDSTNPI
    0x00000001,  # ESME_RINVMSGLEN
    0x00000062,  # ESME_RINVNUMDESTS
}


class SmppError(Exception):
    def __init__(self, status: int, where: str) -> None:
        self.status = status
        text = c.DESCRIPTIONS.get(status, "unknown status")
        super().__init__(f"SMPP {where}: status 0x{status:08X} {text}")


def parts_of(text: str) -> tuple[list[bytes], int, int]:
    """The encoded parts of ``text`` (UCS-2 with concatenation headers when long), the
    data_coding and the esm_class; plain ASCII goes as GSM 7-bit."""
    parts, coding, esm_class = smpplib.gsm.make_parts(text)
    return parts, coding, esm_class


def failure(exc: Exception, where: str) -> Failure:
    if isinstance(exc, SmppError):
        return Failure(str(exc), permanent=exc.status in PERMANENT)
    return Failure(f"SMPP {where}: {type(exc).__name__}: {exc}")


class SmppLink:
    """One bound SMPP session, kept for a batch of notifications."""

    def __init__(self, settings: SmsSettings, mode: str = "transmitter") -> None:
        self.settings = settings
        self.mode = mode
        address = smpp_address(settings.smpp)
        assert address is not None  # the settings' validator saw to it
        self.host, self.port = address
        self.client: smpplib.client.Client | None = None
        self._responses: dict[int, object] = {}
        self._received: list[object] = []

    # --- the session ------------------------------------------------------------------------

    def _open(self) -> smpplib.client.Client:
        if self.client is not None:
            return self.client
        client = smpplib.client.Client(
            self.host, self.port, timeout=self.settings.timeout, allow_unknown_opt_params=True
        )
        client.set_message_sent_handler(lambda pdu: self._responses.__setitem__(pdu.sequence, pdu))
        client.set_message_received_handler(lambda pdu: self._received.append(pdu))
        client.set_error_pdu_handler(lambda pdu: self._responses.__setitem__(pdu.sequence, pdu))
        try:
            client.connect()
            bind = (
                client.bind_transceiver if self.mode == "transceiver" else client.bind_transmitter
            )
            bind(
                system_id=self.settings.system_id,
                password=self.settings.password,
                system_type=self.settings.system_type,
            )
        except smpplib.exceptions.PDUError as exc:
            client.disconnect()
            status = exc.args[1] if len(exc.args) > 1 else c.SMPP_ESME_RBINDFAIL
            # A refused login is fixed in the environment: not permanent for the message.
            raise SmppError(int(status), "bind") from None
        except BaseException:
            client.disconnect()
            raise
        self.client = client
        return client

    def close(self) -> None:
        if self.client is None:
            return
        client, self.client = self.client, None
        with contextlib.suppress(
            smpplib.exceptions.PDUError, smpplib.exceptions.ConnectionError, OSError
        ):
            client.unbind()  # a session already cut off needs no goodbye
        client.disconnect()

    # --- out ----------------------------------------------------------------------------------

    def send(self, to: str, text: str) -> Receipt | Failure:
        parts, coding, esm_class = parts_of(text)
        if len(parts) > self.settings.max_parts:
            return Failure(
                f"the text needs {len(parts)} SMS parts, more than max_parts="
                f"{self.settings.max_parts}; shorten the template",
                permanent=True,
            )
        try:
            client = self._open()
            sequences = []
            for part in parts:
                pdu = client.send_message(
                    source_addr_ton=c.SMPP_TON_UNK,  # a national service number, or the SMSC's
                    source_addr_npi=c.SMPP_NPI_ISDN,
                    source_addr=self.settings.source_addr,
                    dest_addr_ton=c.SMPP_TON_UNK,
                    dest_addr_npi=c.SMPP_NPI_ISDN,
                    destination_addr=to,
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm_class,
                    registered_delivery=False,
                )
                sequences.append(pdu.sequence)
            ids = [self._response(client, s) for s in sequences]
        except (
            SmppError,
            smpplib.exceptions.PDUError,
            smpplib.exceptions.ConnectionError,
            OSError,
        ) as exc:
            if not isinstance(exc, SmppError) or exc.status not in PERMANENT:
                self.close()  # a broken session is opened afresh for the next message
            return failure(exc if isinstance(exc, SmppError) else _plain(exc), "submit_sm")
        return Receipt(",".join(ids))

    def _response(self, client: smpplib.client.Client, sequence: int) -> str:
        deadline = time.monotonic() + self.settings.timeout
        while sequence not in self._responses:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no submit_sm_resp in {self.settings.timeout:g} s")
            client.read_once(auto_send_enquire_link=False)
        pdu = self._responses.pop(sequence)
        status = int(getattr(pdu, "status", 0) or 0)
        if status:
            raise SmppError(status, "submit_sm")
        message_id = getattr(pdu, "message_id", b"") or b""
        return (
            message_id.decode("ascii", "replace")
            if isinstance(message_id, bytes)
            else str(message_id)
        )

    # --- in ----------------------------------------------------------------------------------

    def receive(self) -> Iterator[RawMessage]:
        """The replies the SMSC holds for us, joined from their parts."""
        client = self._open()
        client._socket.settimeout(IDLE_SECONDS)  # smpplib has no setter for it
        try:
            while True:
                try:
                    client.read_once(auto_send_enquire_link=False)
                except TimeoutError:  # nothing more for IDLE_SECONDS
                    break
        finally:
            client._socket.settimeout(self.settings.timeout)
        yield from mo_messages(self._received)
        self._received.clear()


def _plain(exc: Exception) -> Exception:
    if isinstance(exc, smpplib.exceptions.PDUError) and len(exc.args) > 1:
        return SmppError(int(exc.args[1]), "submit_sm")
    return exc


def _text(short_message: bytes, coding: int) -> str:
    if coding == c.SMPP_ENCODING_ISO10646:
        return short_message.decode("utf-16-be")
    if coding == 0x0F:  # GBK, used by some Chinese SMSCs (CMPP gateways behind SMPP)
        return short_message.decode("gbk")
    if coding in (c.SMPP_ENCODING_ISO88591, 0x03):
        return short_message.decode("latin-1")
    return short_message.decode("ascii")  # GSM 7-bit default alphabet, digits and Latin letters


def _udh(short_message: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """The concatenation (reference, count, number) in a UDH, and the rest."""
    length = short_message[0]
    header, rest = short_message[1 : 1 + length], short_message[1 + length :]
    i = 0
    while i + 1 < len(header):
        iei, size = header[i], header[i + 1]
        data = header[i + 2 : i + 2 + size]
        if iei == 0x00 and size == 3:
            return (data[0], data[1], data[2]), rest
        if iei == 0x08 and size == 4:
            return ((data[0] << 8) | data[1], data[2], data[3]), rest
        i += 2 + size
    return None, rest


def mo_messages(pdus: list[object]) -> Iterator[RawMessage]:
    """deliver_sm PDUs as raw messages: replies only (no delivery reports), long ones joined."""
    pending: dict[tuple[str, int], dict[int, tuple[object, bytes]]] = {}
    for pdu in pdus:
        esm_class = int(getattr(pdu, "esm_class", 0) or 0)
        if esm_class & 0x04 or getattr(pdu, "command", "") != "deliver_sm":
            continue  # a delivery report, not a reply
        body = bytes(
            getattr(pdu, "short_message", b"") or getattr(pdu, "message_payload", b"") or b""
        )
        sender = _addr(getattr(pdu, "source_addr", b""))
        if esm_class & c.SMPP_GSMFEAT_UDHI and body:
            concat, rest = _udh(body)
            if concat is not None:
                ref, count, number = concat
                parts = pending.setdefault((sender, ref), {})
                parts[number] = (pdu, rest)
                if len(parts) == count:
                    del pending[(sender, ref)]
                    joined = b"".join(parts[n][1] for n in sorted(parts))
                    yield _raw(parts[1][0] if 1 in parts else pdu, joined)
                continue
            body = rest
        yield _raw(pdu, body)
    for (sender, ref), parts in pending.items():  # a long reply with parts missing
        first = next(iter(parts.values()))[0]
        yield RawMessage(
            f"smpp:{sender}:incomplete:{ref}:{sorted(parts)}",
            json.dumps(
                {
                    "from": sender,
                    "error": f"长短信缺少分段 parts {sorted(parts)} of reference {ref} only",
                },
                ensure_ascii=False,
            ).encode(),
            meta={"via": "smpp", "to": _addr(getattr(first, "destination_addr", b""))},
        )


def _addr(value: object) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")


def _raw(pdu: object, body: bytes) -> RawMessage:
    sender = _addr(getattr(pdu, "source_addr", b""))
    to = _addr(getattr(pdu, "destination_addr", b""))
    coding = int(getattr(pdu, "data_coding", 0) or 0)
    now = datetime.now(SHANGHAI)
    try:
        text = _text(body, coding)
        data = {"from": sender, "to": to, "text": text, "at": now.isoformat()}
    except UnicodeDecodeError as exc:
        data = {"from": sender, "to": to, "error": f"无法解码 data_coding {coding}: {exc}"}
    # An SMPP reply has no id of its own. The handset's message reference (TP-MR, which an
    # SMSC passes as user_message_reference) with the sender and the text names it, so a reply
    # the SMSC sends again is one issue; without it, the sender, the text and the minute.
    digest = hashlib.sha256(body).hexdigest()[:16]
    reference = getattr(pdu, "user_message_reference", None)
    if reference is not None:
        message_id = f"smpp:{sender}:mr{int(reference)}:{digest}"
    else:
        message_id = f"smpp:{sender}:{now:%Y%m%d%H%M}:{digest}"
    payload = json.dumps(data, ensure_ascii=False).encode()
    return RawMessage(message_id, payload, now, {"via": "smpp", "to": to})
