"""A small SMSC for the tests and the benchmark, run as its own process:

    python smpp_server.py FOLDER [PASSWORD]

It speaks enough SMPP 3.4, with smpplib's PDU classes, for the channel: bind_transmitter,
bind_transceiver, submit_sm, deliver_sm, enquire_link, unbind. It writes the port it listens
on to FOLDER/port and every submit_sm to FOLDER/submitted.jsonl; replies (MO) waiting in
FOLDER/mo/*.json (``{"from", "to", "text"}``, or ``{"from", "hex", "data_coding"}`` for raw
bytes) are sent as deliver_sm to a transceiver when it binds, each removed when the client
answers. A destination number ending in 0000 is refused as invalid (ESME_RINVDSTADR), one
ending in 0058 is throttled (ESME_RTHROTTLED).
"""

import itertools
import json
import socket
import socketserver
import struct
import sys
import threading
from pathlib import Path

import smpplib.client
import smpplib.consts as c
import smpplib.gsm
from smpplib import smpp

SYSTEM_ID = "jzqyfw"
FOLDER = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
PASSWORD = sys.argv[2] if len(sys.argv) > 2 else "secret"
LOCK = threading.Lock()
IDS = itertools.count(1)
SEQ = smpplib.client.SimpleSequenceGenerator()  # what smpplib's PDUs number themselves from


def read_pdu(sock: socket.socket) -> bytes | None:
    head = _exact(sock, 4)
    if head is None:
        return None
    (length,) = struct.unpack(">L", head)
    rest = _exact(sock, length - 4)
    return None if rest is None else head + rest


def _exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def respond(sock: socket.socket, name: str, sequence: int, status: int = 0, **fields) -> None:
    pdu = smpp.make_pdu(name, client=SEQ, status=status, **fields)
    pdu.sequence = sequence  # the request's (smpplib numbers a new PDU from SEQ otherwise)
    sock.sendall(pdu.generate())


class Session(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        out = open(FOLDER / "submitted.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        try:
            self.serve(sock, out)
        finally:
            out.close()

    def serve(self, sock: socket.socket, out) -> None:
        while True:
            raw = read_pdu(sock)
            if raw is None:
                return
            pdu = smpp.parse_pdu(raw, client=SEQ, allow_unknown_opt_params=True)
            command, seq = pdu.command, pdu.sequence
            if command in ("bind_transmitter", "bind_transceiver", "bind_receiver"):
                ok = _s(pdu.system_id) == SYSTEM_ID and _s(pdu.password) == PASSWORD
                status = 0 if ok else c.SMPP_ESME_RINVPASWD
                respond(sock, f"{command}_resp", seq, status, system_id="jzsmsc")
                if ok and command != "bind_transmitter":
                    self.deliver_waiting(sock)
            elif command == "submit_sm":
                to = _s(pdu.destination_addr)
                status = 0
                if to.endswith("0000"):
                    status = c.SMPP_ESME_RINVDSTADR
                elif to.endswith("0058"):
                    status = c.SMPP_ESME_RTHROTTLED
                message_id = f"m{next(IDS)}" if status == 0 else ""
                if status == 0:
                    record = {
                        "id": message_id,
                        "to": to,
                        "from": _s(pdu.source_addr),
                        "data_coding": int(pdu.data_coding or 0),
                        "esm_class": int(pdu.esm_class or 0),
                        "hex": bytes(pdu.short_message or b"").hex(),
                    }
                    with LOCK:
                        out.write(json.dumps(record) + "\n")
                        out.flush()
                respond(sock, "submit_sm_resp", seq, status, message_id=message_id)
            elif command == "enquire_link":
                respond(sock, "enquire_link_resp", seq)
            elif command == "unbind":
                respond(sock, "unbind_resp", seq)
                return
            elif command.endswith("_resp"):
                continue
            else:
                respond(sock, "generic_nack", seq, c.SMPP_ESME_RINVCMDID)

    def deliver_waiting(self, sock: socket.socket) -> None:
        for path in sorted((FOLDER / "mo").glob("*.json")):
            mo = json.loads(path.read_text(encoding="utf-8"))
            if "hex" in mo:
                parts, coding, esm_class = [bytes.fromhex(mo["hex"])], mo["data_coding"], 0
            else:
                parts, coding, esm_class = smpplib.gsm.make_parts(mo["text"])
            for part in parts:
                pdu = smpp.make_pdu(
                    "deliver_sm",
                    client=SEQ,
                    source_addr=mo["from"],
                    destination_addr=mo.get("to", "106900001234"),
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm_class,
                    **({"user_message_reference": mo["ref"]} if "ref" in mo else {}),
                )
                sock.sendall(pdu.generate())
                answer = smpp.parse_pdu(read_pdu(sock), client=SEQ, allow_unknown_opt_params=True)
                assert answer.command == "deliver_sm_resp", answer.command
            path.unlink()


def _s(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    (FOLDER / "mo").mkdir(parents=True, exist_ok=True)
    with Server(("127.0.0.1", 0), Session) as server:
        (FOLDER / "port.tmp").write_text(str(server.server_address[1]))
        (FOLDER / "port.tmp").rename(FOLDER / "port")
        server.serve_forever()
