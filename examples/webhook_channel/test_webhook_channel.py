"""The webhook channel's tests: serviceframe's contract suite against a real local HTTP server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import webhook_channel

from serviceframe.testing.channels import ChannelContract, Delivered


class OASystem(BaseHTTPRequestHandler):
    """A county OA system's endpoint: keeps what it is sent, answers with a request id."""

    def do_POST(self):
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((data, self.headers["Idempotency-Key"]))
        self.send_response(201)
        self.send_header("X-Request-Id", f"oa-{len(self.server.received)}")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def oa():
    server = ThreadingHTTPServer(("127.0.0.1", 0), OASystem)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class TestWebhookContract(ChannelContract):
    kind = "webhook"
    plugin = webhook_channel
    passes_key = True

    @pytest.fixture
    def settings(self, oa):
        self.oa = oa
        return {"url": f"http://127.0.0.1:{oa.server_port}/notify", "timeout": 5}

    @pytest.fixture
    def broken_settings(self):
        return {"url": "http://127.0.0.1:9/notify", "timeout": 2}  # nothing listens there

    def received(self, settings):
        return [
            Delivered(data["to"], data["subject"], data["text"], key)
            for data, key in self.oa.received
        ]
