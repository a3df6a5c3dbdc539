"""Real servers for the e-mail tests: aiosmtpd (a process) and Dovecot (a process of its own,
configured in a temporary folder, on a free port), and a certificate authority for TLS."""

import getpass
import mailbox
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA and a certificate for 127.0.0.1/localhost signed by it (openssl)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=serviceframe test CA",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        str(key),
        "-out",
        str(csr),
    )
    run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(ext),
        "-out",
        str(cert),
    )
    return {"ca": ca, "cert": cert, "key": key}


class SmtpServer:
    """aiosmtpd in a process of its own; what it receives lands in a Maildir."""

    def __init__(
        self, folder: Path, port: int | None = None, options: tuple[str, ...] = ()
    ) -> None:
        self.maildir = folder / "received"
        self.port = port or free_port()
        self.options = options
        self.process: subprocess.Popen | None = None

    def start(self) -> "SmtpServer":
        self.maildir.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "smtp_server.py"),
                "--port",
                str(self.port),
                "--maildir",
                str(self.maildir),
                *self.options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        wait_for_port(self.port, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def messages(self) -> list[EmailMessage]:
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        keys = sorted(box.iterkeys())  # Maildir names start with the time of delivery
        return [message_from_bytes(box.get_bytes(k), policy=default) for k in keys]  # type: ignore[misc]


class Dovecot:
    """Debian's dovecot as a real IMAP server, configured in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.users = 0
        root = os.geteuid() == 0
        self.mail_user = "dovecot" if root else getpass.getuser()
        self.login_user = "dovenull" if root else getpass.getuser()

    def start(self) -> "Dovecot":
        f = self.folder
        for sub in ("run", "state", "home"):
            (f / sub).mkdir(parents=True, exist_ok=True)
        # Every mailbox the session may use, written once: dovecot notices a changed passwd
        # file by its time stamp, to the second, so adding users later could go unseen.
        (f / "passwd").write_text(
            "".join(f"{self._user(n)}:{{PLAIN}}{self._password(n)}\n" for n in range(1, 500))
        )
        group = pwd.getpwnam(self.mail_user).pw_gid
        (f / "dovecot.conf").write_text(f"""
base_dir = {f}/run
state_dir = {f}/state
log_path = {f}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {self.mail_user}
default_login_user = {self.login_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {f}/passwd
}}
userdb {{
  driver = static
  args = uid={self.mail_user} gid={group} home={f}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
        if os.geteuid() == 0:
            shutil.chown(f / "home", self.mail_user, group)
            shutil.chown(f / "state", self.mail_user, group)
        self.process = subprocess.Popen(
            [shutil.which("dovecot") or "dovecot", "-F", "-c", str(f / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        wait_for_port(self.port, self.process)
        return self

    def new_user(self) -> tuple[str, str]:
        """A mailbox of its own for one test."""
        self.users += 1
        return self._user(self.users), self._password(self.users)

    @staticmethod
    def _user(n: int) -> str:
        return f"qyfw{n}@jiaozuo.example"

    @staticmethod
    def _password(n: int) -> str:
        return f"secret-{n}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None
