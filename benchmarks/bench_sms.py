"""SMS speed: sending through the SMS channel to a local SMPP server (SMSC), beside a bare
smpplib client sending the same messages in the same run.

    python benchmarks/bench_sms.py [--backend sqlite|postgresql|both] [--messages 2000]
                                   [--repeat 3]

Needs the SMS plugin: ``pip install -e plugins/serviceframe-sms``. The SMSC is the test one
(plugins/serviceframe-sms/tests/smpp_server.py, its own process): it acknowledges every
submit_sm and writes it to a file, the same work for both senders.

Figures, each as a ratio to bare smpplib in the same run:

(a) SMS per second, no database: ``SmsChannel.deliver`` (number normalised, UCS-2 parts,
    one bound session kept for the batch, each part's submit_sm_resp awaited, failures
    mapped) against a bare ``smpplib`` client doing the same submits over one session; short
    texts (one part) and long ones (three parts with concatenation headers).
(b) ``outbox deliver`` through an ``sms`` channel, notifications per second: claim batches
    from the store, send, record every attempt — against the same bare smpplib figure.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from common import NOW, Report, backend, backends, emit, header, parser, say, timed, write_json

from serviceframe.app import App, Settings, bootstrap
from serviceframe.channels import ChannelContext, Outgoing, Recipient
from serviceframe.services.outbox import deliver_due

TESTS = Path(__file__).resolve().parent.parent / "plugins" / "serviceframe-sms" / "tests"
sys.path.insert(0, str(TESTS))

from smsc import Smsc  # noqa: E402  (the test SMSC of the plugin)

SHORT = "【交办】问题{n}:新建厂房用电报装进度缓慢,请于2026-11-17前签收。"
LONG = (
    "高文斌:焦作市企业发展服务局将河南德隆水泥有限公司反映的问题(编号{n})交贵单位主办。"
    "问题:新建厂房于今年提交用电报装申请,至今已三个多月仍未接电,设备无法调试投产。"
    "请于2026-11-17前签收,2026-11-19前首次反馈,2026-11-25前办结。"
)
SETTINGS = {"provider": "smpp", "system_id": "jzqyfw", "password": "secret"}


def phone(n: int) -> str:
    return f"1390391{n % 10000:04d}".replace("0000", "0001").replace("0058", "0059")


def messages(n: int, template: str) -> list[tuple[str, str]]:
    return [(phone(k), template.format(n=k)) for k in range(n)]


def bare_send(port: int, batch: list[tuple[str, str]]) -> None:
    import smpplib.client
    import smpplib.consts as c
    import smpplib.gsm

    acked: list[Any] = []
    client = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True)
    client.set_message_sent_handler(lambda pdu: acked.append(pdu))
    client.connect()
    client.bind_transmitter(system_id="jzqyfw", password="secret")
    for to, text in batch:
        parts, coding, esm_class = smpplib.gsm.make_parts(text)
        for part in parts:
            client.send_message(
                source_addr_ton=c.SMPP_TON_ALNUM,
                source_addr="",
                dest_addr_ton=c.SMPP_TON_UNK,
                dest_addr_npi=c.SMPP_NPI_ISDN,
                destination_addr=to,
                short_message=part,
                data_coding=coding,
                esm_class=esm_class,
            )
        while len(acked) < len(parts):
            client.read_once(auto_send_enquire_link=False)
        acked.clear()
    client.unbind()
    client.disconnect()


def channel_send(port: int, batch: list[tuple[str, str]]) -> None:
    from serviceframe_sms import SmsChannel
    from serviceframe_sms.settings import SmsSettings

    settings = SmsSettings(**SETTINGS, smpp=f"smpp://127.0.0.1:{port}")
    sms = SmsChannel(ChannelContext(None, "sms", "sms", "410800", settings, ("phone",)))
    who = Recipient("official", "jz-fgw-head", "高文斌", "410800")
    for n, (to, text) in enumerate(batch):
        result = sms.deliver(Outgoing(n, uuid.uuid4().hex, "sms", "dispatched", who, to, "", text))
        assert result.__class__.__name__ == "Receipt", result
    sms.close()


def app_with_sms(url: str, port: int) -> App:
    import serviceframe_sms
    from attrs import evolve

    from serviceframe.demo import example_dir
    from serviceframe.orgfile import ChannelConfig, load_org
    from serviceframe.services.channels import plugin_checks
    from serviceframe.services.organisation import save_organisation

    app = bootstrap(
        Settings(db_url=url, actor="bench", load_entry_points=False), plugins=[serviceframe_sms]
    )
    app.clock = lambda: NOW
    path = example_dir() / "organisation.toml"
    channel = ChannelConfig("sms", "sms", settings={**SETTINGS, "smpp": f"smpp://127.0.0.1:{port}"})
    org_file = evolve(load_org(path, plugins=plugin_checks(app)), channels=(channel,))
    save_organisation(app, org_file, str(path))
    return app


def fill_outbox(app: App, batch: list[tuple[str, str]]) -> None:
    rows = [
        {
            "key": uuid.uuid4().hex,
            "channel": "sms",
            "kind": "dispatched",
            "recipient_kind": "official",
            "recipient_id": "jz-fgw-head",
            "recipient_name": "高文斌",
            "jurisdiction": "410800",
            "address": to,
            "subject": "",
            "body": text,
            "issue_id": None,
            "round": None,
            "cause": f"bench {n}",
            "data": {"addresses": {"phone": to}},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": NOW,
            "created_at": NOW,
            "last_error": "",
        }
        for n, (to, text) in enumerate(batch)
    ]
    with app.uow() as uow:
        uow.outbox.add(rows)
        uow.commit()


def deliver_all(app: App) -> None:
    while deliver_due(app, limit=100).claimed:
        pass


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=2000)
    args = p.parse_args()
    header("bench_sms.py", args)
    import serviceframe_sms  # noqa: F401  (imported before the clock starts)

    collected: list[dict[str, Any]] = []
    smsc = Smsc(Path(tempfile.mkdtemp(prefix="serviceframe-bench-smsc-"))).start()
    n = args.messages
    try:
        say(f"the test SMSC on port {smsc.port}")
        report = Report("(a) SMS sent to a local SMSC over SMPP (no database)", "rate", "smpplib")
        for name, template in (("short, 1 part", SHORT), ("long, 3 parts", LONG)):
            batch = messages(n, template)
            bare = min(
                timed(lambda b=batch: bare_send(smsc.port, b))[0] for _ in range(args.repeat)
            )
            report.add(f"smpplib, {name}", bare, n, "SMS", baseline=name.startswith("short"))
            ours = min(
                timed(lambda b=batch: channel_send(smsc.port, b))[0] for _ in range(args.repeat)
            )
            report.add(
                f"SmsChannel.deliver, {name}",
                ours,
                n,
                "SMS",
                ratio_to=f"smpplib, {name}",
                ratio_name="smpplib",
            )
        report.note(
            "one bound session each; every part's submit_sm_resp awaited before the next SMS"
        )
        emit(report, collected, "-")
        batch = messages(n, SHORT)
        for name in backends(args):
            with backend(name, args.pg_url) as b:
                report = Report(
                    f"(b) outbox deliver through an sms channel, {name}", "rate", "smpplib"
                )
                seconds = min(
                    timed(lambda: bare_send(smsc.port, batch))[0] for _ in range(args.repeat)
                )
                report.add("smpplib, short texts", seconds, n, "SMS", baseline=True)
                with b.fresh() as plain:
                    app = app_with_sms(plain.settings.db_url or "", smsc.port)
                    fill_outbox(app, batch)
                    say(f"{name}: delivering {n} notifications")
                    seconds, _ = timed(lambda a=app: deliver_all(a))
                    with app.uow() as uow:
                        counts = uow.outbox.counts()
                    assert counts == {"sent": n}, counts
                    report.add("outbox deliver, one process", seconds, n, "SMS")
                    app.close()
                report.note("claims 100 at a time, records every attempt")
                emit(report, collected, name)
    finally:
        smsc.stop()
    write_json(args.json, collected)


if __name__ == "__main__":
    main()
