"""A real SMTP server process for the tests: aiosmtpd, delivering into a Maildir.

    python smtp_server.py --port 2525 --maildir DIR [--starttls CERT KEY | --smtps CERT KEY]
                          [--auth USER:PASSWORD]

It runs until SIGTERM. Tests start it as a subprocess, so that "the server is down" is a real
process that is not there, and "it is back" a new one on the same port.
"""

import argparse
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult


class Refusing(Mailbox):
    """Keeps what it gets, except for the addresses it is told do not exist."""

    def __init__(self, maildir: str, refused: set[str]) -> None:
        super().__init__(maildir)
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--refuse", action="append", default=[], metavar="ADDRESS")
    args = parser.parse_args()

    def context(pair: list[str]) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*pair)
        return ctx

    options: dict = {}
    if args.starttls:
        options |= {"tls_context": context(args.starttls), "require_starttls": True}
    if args.smtps:
        options["server_kwargs"] = {"ssl_context": context(args.smtps)}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, data):
            ok = data.login.decode() == user and data.password.decode() == password
            return AuthResult(success=ok, handled=False)  # False: the server answers 535

        options |= {
            "authenticator": authenticate,
            "auth_required": True,
            "auth_require_tls": bool(args.starttls),
        }
    smtps = options.pop("server_kwargs", {}).get("ssl_context")
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # the server's thread must not take them
    controller = Controller(
        Refusing(args.maildir, set(args.refuse)),
        hostname="127.0.0.1",
        port=args.port,
        ssl_context=smtps,
        **options,
    )
    controller.start()
    print("ready", flush=True)
    signal.sigwait(stop)
    controller.stop()


if __name__ == "__main__":
    main()
