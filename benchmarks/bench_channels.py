"""Channel speed: delivering the outbox to a local SMTP server, and reading mail.

    python benchmarks/bench_channels.py [--backend sqlite|postgresql|both] [--notifications 2000]
                                        [--mails 2000] [--repeat 3]

Needs the e-mail plugin and aiosmtpd: ``pip install -e 'plugins/serviceframe-email[test]'``.

Figures, each as a ratio to the bare library doing the same work in the same run:

(a) outbox delivery, notifications per second, against a local aiosmtpd process (it accepts
    and discards, so the figures are the sender's): ``outbox deliver`` with one deliverer
    process and with two at once, each claiming batches from the store, sending over one kept
    SMTP connection and recording every attempt; the baseline is ``smtplib`` sending the same
    messages (composed the same way) over one connection, in one process and in two.
(b) reading mail, mails per second: the e-mail channel's parser (charsets, HTML, attachments,
    replies) against the standard library's parser reading the same mails
    (``message_from_bytes(policy=default)`` and the text part's content); also, for
    reference, the whole inbound path — Maildir → parse → map the sender → bulk intake —
    through ``channel poll``.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, compat32, default
from typing import Any

from common import NOW, Report, backend, backends, emit, header, parser, say, timed, write_json

from serviceframe.app import App, Settings, bootstrap
from serviceframe.channels import Outgoing, RawMessage, Recipient
from serviceframe.services.outbox import deliver_due

SENDER = "qyfw@jiaozuo.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smtp_sink() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("aiosmtpd did not start")


def app_with_email(url: str) -> App:
    import serviceframe_email

    app = bootstrap(
        Settings(acting_as="office", db_url=url, actor="bench", load_entry_points=False),
        plugins=[serviceframe_email],
    )
    app.clock = lambda: NOW
    return app


def configure(app: App, port: int) -> None:
    from attrs import evolve

    from serviceframe.demo import example_dir
    from serviceframe.orgfile import ChannelConfig, load_org
    from serviceframe.services.channels import plugin_checks
    from serviceframe.services.organisation import save_organisation

    path = example_dir() / "organisation.toml"
    channel = ChannelConfig(
        "mail", "email", settings={"sender": SENDER, "smtp": f"smtp://127.0.0.1:{port}"}
    )
    org_file = evolve(load_org(path, plugins=plugin_checks(app)), channels=(channel,))
    save_organisation(app, org_file, str(path))


def notification(n: int) -> dict[str, Any]:
    return {
        "key": uuid.uuid4().hex,
        "channel": "mail",
        "kind": "dispatched",
        "recipient_kind": "official",
        "recipient_id": "jz-fgw-head",
        "recipient_name": "高文斌",
        "jurisdiction": "410800",
        "address": f"official{n % 50}@jiaozuo.gov.example",
        "subject": f"【交办】问题{n}:新建厂房用电报装进度缓慢",
        "body": (
            f"高文斌:\n焦作市企业发展服务局将河南德隆水泥有限公司反映的问题(编号{n})交贵单位主办。\n"
            "问题:新建厂房于今年提交用电报装申请,至今已三个多月仍未接电,设备无法调试投产。\n"
            "请于2026-11-17前签收,2026-11-19前首次反馈,2026-11-25前办结。"
        ),
        "issue_id": None,
        "round": None,
        "cause": f"issue:{n} dispatched",
        "data": {"addresses": {"email": f"official{n % 50}@jiaozuo.gov.example"}},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": NOW,
        "created_at": NOW,
        "last_error": "",
    }


def fill_outbox(app: App, n: int) -> list[dict[str, Any]]:
    rows = [notification(k) for k in range(n)]
    with app.uow() as uow:
        uow.outbox.add(rows)
        uow.commit()
    return rows


def composed(rows: list[dict[str, Any]]) -> list[EmailMessage]:
    """The same messages the channel sends, for the bare baseline."""
    from serviceframe_email.outbound import compose
    from serviceframe_email.settings import EmailSettings

    settings = EmailSettings(sender=SENDER)
    return [
        compose(
            settings,
            Outgoing(
                0,
                r["key"],
                "mail",
                r["kind"],
                Recipient("official", "x", r["recipient_name"], "410800"),
                r["address"],
                r["subject"],
                r["body"],
            ),
        )
        for r in rows
    ]


def bare_send(port: int, messages: list[EmailMessage]) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages:
            smtp.send_message(message, SENDER, [str(message["To"].addresses[0].addr_spec)])


def child(argv: list[str]) -> None:
    """A process of the run: ``--child bare PORT COUNT`` or ``--child deliver URL``. It waits
    for the start signal (a line on stdin), so that its start-up is not timed, and prints when
    its work began and ended."""
    if argv[0] == "bare":
        rows = [notification(k) for k in range(int(argv[2]))]
        composed(rows[:1])  # the modules imported before the clock starts
        sys.stdin.readline()
        began = time.time()
        bare_send(int(argv[1]), composed(rows))  # composing is part of sending a mail
    else:
        app = app_with_email(argv[1])
        with app.uow():  # connect and check the schema before the clock starts
            pass
        sys.stdin.readline()
        began = time.time()
        while deliver_due(app, limit=100).claimed:
            pass
        app.close()
    print(began, time.time(), flush=True)


def in_parallel(commands: list[list[str]]) -> float:
    """Seconds from the first process beginning its work to the last one ending it."""
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", *c],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for c in commands
    ]
    time.sleep(3)  # every one started and ready
    spans = []
    for p in processes:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in processes:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"a child failed: {p.args}")
        spans.append(tuple(map(float, out.split())))
    return max(end for _, end in spans) - min(begin for begin, _ in spans)


# --- mails ---------------------------------------------------------------------------------


def mails(n: int) -> list[bytes]:
    """Mail as enterprises send it: UTF-8, GBK labelled GB2312, HTML only, with attachments."""
    found = []
    for k in range(n):
        text = f"我公司第{k}号生产线因电网频繁拉闸限电多次停工,损失严重,请协调供电公司保障用电。"
        msg = EmailMessage(policy=SMTP)
        msg["From"] = f"企业联系人{k % 240} <contact{k % 240}@enterprise.example>"
        msg["To"] = SENDER
        msg["Subject"] = f"关于用电保障的请求({k})"
        msg["Message-ID"] = f"<m{k}@enterprise.example>"
        kind = k % 4
        if kind == 0:
            msg.set_content(text)
        elif kind == 1:
            data = (
                f"From: contact{k % 240}@enterprise.example\r\nMessage-ID: <m{k}@enterprise.example>\r\n"
                f"Subject: =?gb2312?B?{base64.b64encode('用电保障'.encode('gbk')).decode()}?=\r\n"
                "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            ).encode() + base64.encodebytes(text.encode("gbk"))
            found.append(data)
            continue
        elif kind == 2:
            msg.set_content(
                f"<html><body><p>尊敬的领导:</p><div>{text}</div></body></html>", subtype="html"
            )
        else:
            msg.set_content(text)
            msg.add_attachment(
                b"%PDF-1.4 " + bytes(2000),
                maintype="application",
                subtype="pdf",
                filename="说明.pdf",
            )
        found.append(msg.as_bytes())
    return found


def bare_parse(data: list[bytes]) -> int:
    """The standard library's parser as serviceframe uses it (compat32): the first text part
    decoded with its declared charset, and the subject."""
    count = 0
    for raw in data:
        message = message_from_bytes(raw, policy=compat32)
        for part in message.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                count += len(payload.decode(part.get_content_charset() or "utf-8", "replace"))
                break
        count += len(str(message["Subject"]))
    return count


def modern_parse(data: list[bytes]) -> int:
    """The same with the modern API (``policy=default``, ``get_body``)."""
    count = 0
    for raw in data:
        message = message_from_bytes(raw, policy=default)
        body = message.get_body(("plain", "html"))
        if body is not None:
            count += len(body.get_content())
        count += len(str(message["Subject"]))
    return count


def our_parse(data: list[bytes]) -> int:
    from serviceframe_email.parse import parse_mail

    return sum(len(parse_mail(RawMessage(str(k), raw)).body) for k, raw in enumerate(data))


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--notifications", type=int, default=2000)
    p.add_argument("--mails", type=int, default=2000)
    p.add_argument("--child", nargs="+", help=__import__("argparse").SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child)
        return
    header("bench_channels.py", args)
    collected: list[dict[str, Any]] = []
    sink, port = smtp_sink()
    try:
        n = args.notifications
        for name in backends(args):
            with backend(name, args.pg_url) as b:
                say(f"{name}: the Jiaozuo example, an e-mail channel to aiosmtpd on port {port}")
                report = Report(
                    f"(a) outbox delivery to a local SMTP server, {name}", "rate", "smtplib"
                )
                seconds = in_parallel([["bare", str(port), str(n)]])
                report.add("smtplib, one process", seconds, n, "mails", baseline=True)
                seconds = in_parallel([["bare", str(port), str(n // 2)]] * 2)
                report.add("smtplib, two processes", seconds, n // 2 * 2, "mails")
                with b.fresh() as plain:
                    url = plain.settings.db_url or ""
                    app = app_with_email(url)
                    configure(app, port)
                    for workers in (1, 2):
                        fill_outbox(app, n)
                        say(f"{name}: delivering {n} notifications with {workers} deliverer(s)")
                        seconds = in_parallel([["deliver", url]] * workers)
                        with app.uow() as uow:
                            counts = uow.outbox.counts()
                        assert counts == {"sent": n * workers}, counts  # each once, none left
                        report.add(
                            f"outbox deliver, {workers} process{'es' if workers > 1 else ''}",
                            seconds,
                            n,
                            "mails",
                            ratio_to="smtplib, one process"
                            if workers == 1
                            else "smtplib, two processes",
                            ratio_name="smtplib" + (" ×2" if workers > 1 else ""),
                        )
                    app.close()
                report.note("each deliverer claims 100 at a time and records every attempt")
                emit(report, collected, name)
        data = mails(args.mails)
        report = Report("(b) reading mail (no database)", "rate", "email (compat32)")
        best = min(timed(lambda: bare_parse(data))[0] for _ in range(args.repeat))
        report.add("email, compat32: text part + subject", best, len(data), "mails", baseline=True)
        best = min(timed(lambda: modern_parse(data))[0] for _ in range(args.repeat))
        report.add("email, policy=default: get_body + subject", best, len(data), "mails")
        best = min(timed(lambda: our_parse(data))[0] for _ in range(args.repeat))
        report.add("serviceframe_email parse_mail", best, len(data), "mails")
        report.note("a quarter each: UTF-8, GBK labelled GB2312, HTML only, with a PDF attached")
        emit(report, collected, "-")
    finally:
        sink.terminate()
        sink.wait()
    write_json(args.json, collected)


if __name__ == "__main__":
    main()
