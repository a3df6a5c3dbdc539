"""Where mail is fetched from: an IMAP folder (through IMAPClient) or a Maildir on this machine.

A mail is marked when serviceframe has stored it for good (an issue, a reply, or in the
quarantine): on IMAP with the keyword ``$ServiceframeDone`` (and \\Seen), in a Maildir by
moving it to ``cur/`` with the Seen flag. A mail fetched again before it was marked (the
poller stopped half-way) is recognised by its Message-ID and handled once.
"""

import contextlib
import hashlib
import os
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import TYPE_CHECKING

from serviceframe.channels import RawMessage

from serviceframe_email.settings import IMAP_SCHEMES, EmailSettings, Server, tls_context

if TYPE_CHECKING:  # imported when mail is fetched: `serviceframe --help` stays quick
    from imapclient import IMAPClient

DONE = b"$ServiceframeDone"
BATCH = 50


def message_id(payload: bytes) -> str:
    """The Message-ID, else a digest of the bytes (the same mail gives the same id)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(payload)
    found = str(headers.get("Message-ID") or "").strip()
    return found or "sha256:" + hashlib.sha256(payload).hexdigest()


class ImapFolder:
    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.client: IMAPClient | None = None

    def fetch(self) -> Iterator[RawMessage]:
        from imapclient import IMAPClient

        s = self.settings
        server = Server.parse(s.imap, IMAP_SCHEMES)
        assert server is not None
        self.client = client = IMAPClient(
            server.host,
            server.port,
            ssl=server.scheme == "imaps",
            ssl_context=tls_context(s) if server.scheme != "imap" else None,
            timeout=s.timeout,
        )
        if server.scheme == "imap+starttls":
            client.starttls(tls_context(s))
        client.login(s.imap_username or s.username, s.imap_password or s.password)
        client.select_folder(s.folder)
        uids = client.search(["NOT", "KEYWORD", DONE.decode()])
        for start in range(0, len(uids), BATCH):
            fetched = client.fetch(uids[start : start + BATCH], ["RFC822", "INTERNALDATE"])
            for uid, data in sorted(fetched.items()):
                payload = data[b"RFC822"]
                when = data.get(b"INTERNALDATE")
                yield RawMessage(
                    message_id(payload),
                    payload,
                    when if when is not None and when.tzinfo is not None else None,
                    {"folder": s.folder, "uid": str(uid)},
                )

    def done(self, raw: RawMessage) -> None:
        if self.client is not None and "uid" in raw.meta:
            self.client.add_flags([int(raw.meta["uid"])], [DONE, b"\\Seen"])

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # the server went away: nothing to release
                self.client.logout()
            self.client = None


class Maildir:
    """A Maildir (``new/``, ``cur/``, ``tmp/``), as Postfix or Dovecot deliver into it."""

    def __init__(self, settings: EmailSettings) -> None:
        self.root = Path(settings.maildir)

    def fetch(self) -> Iterator[RawMessage]:
        if not (self.root / "new").is_dir():
            raise FileNotFoundError(f"{self.root} is not a Maildir (it has no new/ folder)")
        for sub in ("new", "cur"):
            for file in sorted((self.root / sub).iterdir()):
                flags = file.name.partition(":2,")[2]
                if "S" in flags or not file.is_file():
                    continue
                payload = file.read_bytes()
                yield RawMessage(message_id(payload), payload, None, {"maildir": str(file)})

    def done(self, raw: RawMessage) -> None:
        file = Path(raw.meta.get("maildir", ""))
        if file.is_file():
            base, _, flags = file.name.partition(":2,")
            target = self.root / "cur" / f"{base}:2,{''.join(sorted(set(flags) | {'S'}))}"
            os.replace(file, target)

    def close(self) -> None:
        pass
