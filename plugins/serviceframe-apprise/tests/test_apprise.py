"""Any apprise URL as a channel: tested against a real local HTTP server (apprise's json://),
with serviceframe's channel contract suite."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from serviceframe.app import App, Settings, bootstrap
from serviceframe.errors import ConfigError
from serviceframe.services import issues as svc
from serviceframe.services import outbox
from serviceframe.testing.channels import ChannelContract, Delivered, load_sample
from serviceframe.testing.sample import JIEFANG, credit_code

import serviceframe_apprise


class ChatApp(BaseHTTPRequestHandler):
    """A chat app's webhook: keeps each JSON message with its path and headers."""

    def do_POST(self) -> None:
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, dict(self.headers), data))  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def chat() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatApp)
    server.received = []  # type: ignore[attr-defined]
    server.status = 200  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class TestAppriseContract(ChannelContract):
    kind = "apprise"
    plugin = serviceframe_apprise
    passes_key = True
    addresses: ClassVar[dict[str, str]] = {"wecom": "WangJianGuo"}

    @pytest.fixture
    def settings(self, chat: ThreadingHTTPServer) -> dict[str, Any]:
        self.chat = chat
        return {"url": f"json://127.0.0.1:{chat.server_port}/hook?+X-Serviceframe-Key={{key}}"}

    @pytest.fixture
    def broken_settings(self) -> dict[str, Any]:
        return {"url": "json://127.0.0.1:9/hook"}

    def received(self, settings: dict[str, Any]) -> list[Delivered]:
        return [
            Delivered(path, data["title"], data["message"], headers.get("X-Serviceframe-Key"))
            for path, headers, data in self.chat.received  # type: ignore[attr-defined]
        ]


@pytest.fixture
def app(sf_make_db: Any, sf_clock: Any) -> Iterator[App]:
    from serviceframe.testing.fixtures import _small

    app = bootstrap(
        Settings(
            acting_as="office",
            db_url=sf_make_db("small", _small),
            actor="test",
            load_entry_points=False,
        ),
        plugins=[serviceframe_apprise],
    )
    app.clock = sf_clock
    yield app
    app.close()


def test_each_official_reached_at_the_chat_id_in_the_url(
    app: App, chat: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("JZ_WECOM_URL", f"json://127.0.0.1:{chat.server_port}/users/{{address}}")
    load_sample(
        app,
        [
            {
                "name": "wecom",
                "kind": "apprise",
                "address": ["wecom"],
                "secrets": {"url": "JZ_WECOM_URL"},
            }
        ],
        {"jz-edsb-head": {"wecom": "WangJianGuo"}, "jz-fgw-leader": {"wecom": "ZhaoGang"}},
    )
    issue = svc.file_issue(
        app, svc.IssueDraft(credit_code(JIEFANG, 1), "portal", "电网频繁拉闸限电")
    )
    svc.accept(app, issue.issue.id)
    svc.dispatch(app, issue.issue.id, "jz-edsb", ["jz-fgw"])
    assert outbox.deliver_due(app).count("sent") == 2
    paths = sorted(path for path, _h, _d in chat.received)  # type: ignore[attr-defined]
    assert paths == ["/users/WangJianGuo", "/users/ZhaoGang"]
    titles = {d["title"] for _p, _h, d in chat.received}  # type: ignore[attr-defined]
    assert titles == {f"【交办】问题{issue.issue.id}:电网频繁拉闸限电"}


def test_a_failure_is_retried_with_what_apprise_said(app: App, chat: ThreadingHTTPServer):
    chat.status = 503  # type: ignore[attr-defined]
    load_sample(
        app,
        [
            {
                "name": "bot",
                "kind": "apprise",
                "settings": {"url": f"json://127.0.0.1:{chat.server_port}/"},
            }
        ],
    )
    issue = svc.file_issue(app, svc.IssueDraft(credit_code(JIEFANG, 1), "portal", "缺煤"))
    svc.accept(app, issue.issue.id)
    svc.dispatch(app, issue.issue.id, "jz-edsb")
    (attempt,) = outbox.deliver_due(app).attempts
    assert attempt.outcome == "retry" and "503" in attempt.detail


def test_a_url_apprise_does_not_know_is_refused_at_load(app: App):
    with pytest.raises(ConfigError, match=r"not a URL apprise can notify"):
        load_sample(app, [{"name": "x", "kind": "apprise", "settings": {"url": "nosuchapp://x"}}])
    # A URL kept in the environment is checked when the channel is used instead.
    load_sample(app, [{"name": "x", "kind": "apprise", "secrets": {"url": "SOME_VARIABLE"}}])
