"""The settings of an ``email`` channel, as the organisation file gives them."""

import re
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from attrs import define, field, frozen
from serviceframe.errors import ValidationError

SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
IMAP_SCHEMES = {"imap": 143, "imap+starttls": 143, "imaps": 993}
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _server(schemes: dict[str, int]) -> Callable[[object, object, str], None]:
    def check(_inst: object, attribute: object, value: str) -> None:
        if value and Server.parse(value, schemes) is None:
            name = getattr(attribute, "name", "server")
            raise ValidationError(
                name, value, f"write {' or '.join(f'{s}://host:port' for s in schemes)}"
            )

    return check


def _address(_inst: object, _attribute: object, value: str) -> None:
    if not _ADDRESS.match(value):
        raise ValidationError("sender", value, "an e-mail address such as qyfw@jiaozuo.example")


@frozen
class EmailSettings:
    """``[[channels]] kind = "email"``. Secrets (``password``, ``imap_password``) belong in
    ``secrets = { password = "ENV_VAR" }``."""

    sender: str = field(validator=_address)  # From: and the domain of Message-IDs
    sender_name: str = ""  # shown as the sender, e.g. 焦作市企业发展服务局
    smtp: str = field(default="", validator=_server(SMTP_SCHEMES))  # outbound
    username: str = ""
    password: str = ""
    imap: str = field(default="", validator=_server(IMAP_SCHEMES))  # inbound, or…
    imap_username: str = ""  # default: username
    imap_password: str = ""  # default: password
    folder: str = "INBOX"
    maildir: str = ""  # …inbound from a Maildir folder on this machine
    ca_file: str = ""  # trust this CA for STARTTLS/SSL (a county's own); default the system's
    timeout: float = 30.0
    attachments_dir: str = ""  # keep a copy of each attachment here, named by its SHA-256


@define
class Server:
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str, schemes: dict[str, int]) -> "Server | None":
        parts = urlsplit(url)
        if parts.scheme not in schemes or not parts.hostname or parts.path not in ("", "/"):
            return None
        try:
            port = parts.port or schemes[parts.scheme]
        except ValueError:
            return None
        return cls(parts.scheme, parts.hostname, port)


def tls_context(settings: EmailSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file or None)
