"""The channel contract suite: what every channel, shipped or a county's, must do.

Subclass :class:`ChannelContract` in a test module, say which kind and plugin it tests, and
give a few fixtures and methods for the far end; pytest then runs the whole contract against
your channel, on SQLite and (with ``SERVICEFRAME_TEST_DB``) on PostgreSQL. It needs
serviceframe's pytest plugin on (``serviceframe = true`` under ``[tool.pytest.ini_options]``,
or ``pytest_plugins = ["serviceframe.testing.fixtures"]`` in ``conftest.py``)::

    class TestWebhookContract(ChannelContract):
        kind = "webhook"
        plugin = webhook_channel            # the module with serviceframe_channel_kinds

        @pytest.fixture
        def settings(self, server):         # settings that reach a far end that is up
            return {"url": server.url}

        @pytest.fixture
        def broken_settings(self):          # settings whose far end is down
            return {"url": "http://127.0.0.1:9/"}

        def received(self, settings):       # what reached the far end
            return [Delivered(m["to"], m["subject"], m["text"], m["key"]) for m in ...]

An inbound kind also implements :meth:`ChannelContract.send_in` (put a message where ``poll``
finds it) and :meth:`ChannelContract.send_garbage`.

The contract: the plugin provides the kind with an attrs settings class, and unknown settings
are refused at ``org load``; a notification goes out once, with its Chinese subject and body
intact (and its delivery key, when ``passes_key``); a far end that is down is a
:class:`~serviceframe.channels.Failure` to retry, not an exception, and nothing is lost;
inbound, a registered contact's message becomes one issue however often it is fetched, and an
unknown sender or an unreadable message goes to the quarantine.
"""

import tomllib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import attrs
import pytest
from attrs import frozen

from serviceframe.app import App, Settings, bootstrap
from serviceframe.channels import ChannelKind
from serviceframe.errors import ConfigError
from serviceframe.testing.sample import JIEFANG, SMALL_ORG, credit_code

SUBJECT_MARK = "电网频繁拉闸限电"  # in the subject and the body of the notification sent
ENTERPRISE = credit_code(JIEFANG, 1)  # its contact: 联系人1, boss1@example.com, 13903910001
SENDERS = {"email": "boss1@example.com", "phone": "13903910001"}


@frozen
class Delivered:
    """One message as the far end got it."""

    address: str
    subject: str
    body: str
    key: str | None = None  # the delivery key, when the transport carries it


def load_sample(
    app: App,
    channels: list[dict[str, Any]],
    addresses: dict[str, dict[str, str]] | None = None,
    **tables: Any,
) -> None:
    """Load the small organisation of :mod:`serviceframe.testing.sample` with ``channels``
    (as ``[[channels]]`` tables), ``addresses`` for some officials (by id), and any other
    top-level tables (``outbox={"lease_seconds": 1}``), checked as ``org load`` checks a file."""
    from serviceframe.orgfile import parse_org
    from serviceframe.services.channels import plugin_checks
    from serviceframe.services.organisation import save_organisation

    data = tomllib.loads(SMALL_ORG)
    for official in data["officials"]:
        if official["id"] in (addresses or {}):
            official["addresses"] = dict((addresses or {})[official["id"]])
    data |= {"channels": channels, **tables}
    save_organisation(app, parse_org(data, "sample", plugin_checks(app)), "sample")


class ChannelContract:
    """The contract every channel runs; see the module's documentation."""

    kind: ClassVar[str]
    plugin: ClassVar[object]
    # The addresses of the official who is notified (王建国, jz-edsb-head), beyond his phone
    # 13903910001: give one of the kind your channel reaches people by.
    addresses: ClassVar[dict[str, str]] = {"email": "wangjianguo@edsb.jiaozuo.example"}
    passes_key: ClassVar[bool] = False  # the far end sees each notification's delivery key
    secrets: ClassVar[dict[str, str]] = {}  # setting -> environment variable, set by the test

    # --- what the channel's author gives -------------------------------------------------

    @pytest.fixture
    def settings(self) -> dict[str, Any]:
        """Settings under which the channel reaches a far end that is up."""
        raise NotImplementedError("give a `settings` fixture")

    @pytest.fixture
    def broken_settings(self) -> dict[str, Any] | None:
        """Settings under which the far end is down (a closed port); None to skip that test."""
        return None

    def received(self, settings: dict[str, Any]) -> list[Delivered]:
        """Every message the far end got so far."""
        raise NotImplementedError("implement `received` for an outbound channel")

    def send_in(
        self, settings: dict[str, Any], sender: str, subject: str, body: str, message_id: str
    ) -> None:
        """Put a message from ``sender`` where the channel's ``poll`` will find it."""
        raise NotImplementedError("implement `send_in` for an inbound channel")

    def send_garbage(self, settings: dict[str, Any]) -> None:
        """Put something unreadable where ``poll`` will find it."""
        raise NotImplementedError("implement `send_garbage` for an inbound channel")

    # --- the machinery ---------------------------------------------------------------------

    @pytest.fixture
    def contract_app(
        self, sf_make_db: Callable[[str, Callable[[str], None]], str], sf_clock: Any
    ) -> Iterator[App]:
        from serviceframe.testing.fixtures import _small

        app = bootstrap(
            Settings(
                acting_as="office",
                db_url=sf_make_db("small", _small),
                actor="contract",
                load_entry_points=False,
            )
        )
        if not app.plugins.pm.is_registered(self.plugin):  # a built-in kind is there already
            app.plugins.register(self.plugin, f"contract:{self.kind}", "registered")
        app.clock = sf_clock
        yield app
        app.close()

    def configure(self, app: App, settings: dict[str, Any], name: str = "contract") -> None:
        """Load the small organisation with this channel configured (raises ConfigError)."""
        channel = {"name": name, "kind": self.kind, "settings": settings, "secrets": self.secrets}
        load_sample(app, [channel], {"jz-edsb-head": dict(self.addresses)})

    @pytest.fixture
    def channel_app(self, contract_app: App, settings: dict[str, Any]) -> App:
        self.configure(contract_app, settings)
        return contract_app

    def _kind(self, app: App) -> ChannelKind:
        from serviceframe.services.channels import channel_kinds

        found = channel_kinds(app).get(self.kind)
        assert found is not None, f"the plugin provides no channel kind {self.kind!r}"
        return found.kind

    def _notify(self, app: App) -> dict[str, Any]:
        """Dispatch an issue to one unit: its head, 王建国, is told (one notification)."""
        from serviceframe.services import issues as svc
        from serviceframe.services.outbox import list_outbox

        body = f"{SUBJECT_MARK},生产线多次停工,请协调供电公司保障用电"
        issue = svc.file_issue(app, svc.IssueDraft(ENTERPRISE, "portal", body))
        svc.accept(app, issue.issue.id)
        svc.dispatch(app, issue.issue.id, "jz-edsb")
        (row,) = list_outbox(app, issue_id=issue.issue.id)
        assert row["status"] == "pending", (
            f"the notification was not written for this channel: {row['last_error']} "
            "(set the contract's `addresses` to an address of the kind your channel reaches)"
        )
        return row

    # --- the contract ----------------------------------------------------------------------

    def test_the_plugin_provides_the_kind_with_a_settings_class(self, contract_app: App) -> None:
        kind = self._kind(contract_app)
        assert attrs.has(kind.settings), "ChannelKind.settings must be an attrs class"
        assert kind.inbound or kind.outbound
        assert set(kind.secrets) <= {a.name for a in attrs.fields(kind.settings)}

    def test_unknown_settings_are_refused_when_the_file_is_loaded(
        self, contract_app: App, settings: dict[str, Any]
    ) -> None:
        with pytest.raises(ConfigError, match=r"channels\[0\]\.settings") as caught:
            self.configure(contract_app, {**settings, "no_such_setting": "x"})
        assert "no_such_setting" in str(caught.value)

    def test_a_notification_goes_out_once_with_its_chinese_text(
        self, channel_app: App, settings: dict[str, Any]
    ) -> None:
        from serviceframe.services.outbox import deliver_due, show_outbox

        if not self._kind(channel_app).outbound:
            pytest.skip(f"{self.kind} brings messages in only")
        row = self._notify(channel_app)
        report = deliver_due(channel_app)
        assert report.count("sent") == 1, report
        shown = show_outbox(channel_app, row["id"])
        assert shown["status"] == "sent"
        got = self.received(settings)
        assert len(got) == 1, got
        assert SUBJECT_MARK in got[0].subject or SUBJECT_MARK in got[0].body
        assert "交贵单位主办" in got[0].body
        if self.passes_key:
            assert got[0].key == row["key"]
        assert deliver_due(channel_app).claimed == 0
        assert len(self.received(settings)) == 1

    def test_a_far_end_that_is_down_is_a_failure_to_retry(
        self, contract_app: App, broken_settings: dict[str, Any] | None
    ) -> None:
        from serviceframe.services.outbox import deliver_due, show_outbox

        if broken_settings is None or not self._kind(contract_app).outbound:
            pytest.skip("no broken_settings given")
        self.configure(contract_app, broken_settings)
        row = self._notify(contract_app)
        report = deliver_due(contract_app)
        assert report.count("retry") == 1, report
        shown = show_outbox(contract_app, row["id"])
        assert shown["status"] == "pending" and shown["last_error"]
        assert "raised" not in shown["last_error"], (
            "a transport error should be returned as Failure(reason), not raised: "
            + shown["last_error"]
        )
        assert [a["outcome"] for a in shown["attempt_log"]] == ["retry"]

    def test_a_message_from_a_contact_becomes_one_issue(
        self, channel_app: App, settings: dict[str, Any]
    ) -> None:
        from serviceframe.services import inbound
        from serviceframe.services.issues import list_issues

        kind = self._kind(channel_app)
        if not kind.inbound:
            pytest.skip(f"{self.kind} sends notifications only")
        sender = SENDERS.get(next(iter(a for a in kind.address if a != "*"), "email"), "")
        body = "银行抽贷压贷,流动资金贷款到期后无法续贷,请协调"
        self.send_in(settings, sender, "融资难题", body, "contract-1@serviceframe.test")
        report = inbound.poll(channel_app, "contract")
        assert [h.outcome for h in report.handled] == ["filed"], report
        (issue,) = list_issues(channel_app)
        assert issue.enterprise == ENTERPRISE and "流动资金" in issue.body
        self.send_in(settings, sender, "融资难题", body, "contract-1@serviceframe.test")
        inbound.poll(channel_app, "contract")
        assert len(list_issues(channel_app)) == 1

    def test_unknown_senders_and_unreadable_messages_are_quarantined(
        self, channel_app: App, settings: dict[str, Any]
    ) -> None:
        from serviceframe.services import inbound

        if not self._kind(channel_app).inbound:
            pytest.skip(f"{self.kind} sends notifications only")
        self.send_in(settings, "19999999999@nobody.example", "你好", "推销", "contract-2")
        self.send_garbage(settings)
        report = inbound.poll(channel_app, "contract")
        assert [h.outcome for h in report.handled] == ["quarantined", "quarantined"], report
        assert len(inbound.quarantined(channel_app)) == 2
