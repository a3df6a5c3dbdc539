"""A local stand-in for Aliyun's and Tencent Cloud's SMS APIs that checks every request's
signature the way the providers describe it (written here again, independently of the
plugin's code), and answers in their formats. Runs in a thread (stdlib http.server).

Aliyun calls are form posts (``Action=SendSms``); Tencent calls carry ``X-TC-Action``
(``SendSms``, ``PullSmsReplyStatus``). A number ending in 0000 is refused as invalid, one
ending in 0058 is throttled; a bad signature, a stale timestamp or a reused nonce is refused.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

SECRET_ID = "AKIDjiaozuoTEST"
SECRET_KEY = "jz-test-secret"


def _pe(value: str) -> str:
    return quote(value, safe="-_.~")


def aliyun_ok(method: str, params: dict[str, str]) -> bool:
    query = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = f"{method}&%2F&{_pe(query)}"
    mac = hmac.new(f"{SECRET_KEY}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), params.get("Signature", ""))


def tencent_ok(headers: dict[str, str], body: bytes) -> str:
    """'' when the TC3 signature is right, else what is wrong."""
    auth = headers.get("authorization", "")
    if not auth.startswith("TC3-HMAC-SHA256 "):
        return "AuthFailure.SignatureFailure"
    fields = dict(part.strip().split("=", 1) for part in auth[len("TC3-HMAC-SHA256 ") :].split(","))
    secret_id, date, service, _end = fields["Credential"].split("/")
    timestamp = int(headers.get("x-tc-timestamp", "0"))
    if abs(time.time() - timestamp) > 300:
        return "AuthFailure.SignatureExpire"
    if secret_id != SECRET_ID or date != datetime.fromtimestamp(timestamp, UTC).strftime(
        "%Y-%m-%d"
    ):
        return "AuthFailure.SecretIdNotFound"
    names = fields["SignedHeaders"].split(";")
    canonical_headers = "".join(f"{n}:{headers.get(n, '').strip().lower()}\n" for n in names)
    request = "\n".join(
        ["POST", "/", "", canonical_headers, ";".join(names), hashlib.sha256(body).hexdigest()]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(request.encode()).hexdigest()}"
    )
    key = f"TC3{SECRET_KEY}".encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        "" if hmac.compare_digest(expected, fields["Signature"]) else "AuthFailure.SignatureFailure"
    )


class CloudSms(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.sent: list[dict] = []  # {"provider", "to", "text", "key"}
        self.refused: list[str] = []  # why requests were refused
        self.replies: list[dict] = []  # waiting for PullSmsReplyStatus
        self.nonces: set[str] = set()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/"

    def start(self) -> "CloudSms":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: CloudSms

    def log_message(self, *args: object) -> None:
        pass

    def reply(self, status: int, data: dict) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if "X-TC-Action" in self.headers:
            self.tencent(body)
        else:
            self.aliyun(body)

    def aliyun(self, body: bytes) -> None:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        nonce = params.get("SignatureNonce", "")
        if not aliyun_ok("POST", params):
            self.server.refused.append("SignatureDoesNotMatch")
            return self.reply(
                400,
                {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"},
            )
        with self.server.lock:
            if nonce in self.server.nonces:
                return self.reply(400, {"Code": "SignatureNonceUsed", "Message": "nonce used"})
            self.server.nonces.add(nonce)
        to = params["PhoneNumbers"]
        if to.endswith("0000"):
            return self.reply(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
        if to.endswith("0058"):
            return self.reply(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "业务限流"})
        text = json.loads(params["TemplateParam"])["content"]
        with self.server.lock:
            self.server.sent.append(
                {"provider": "aliyun", "to": to, "text": text, "key": params["OutId"]}
            )
            n = len(self.server.sent)
        self.reply(200, {"Code": "OK", "Message": "OK", "BizId": f"biz{n}", "RequestId": f"r{n}"})

    def tencent(self, body: bytes) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        wrong = tencent_ok(headers, body)
        if wrong:
            self.server.refused.append(wrong)
            return self.reply(
                200,
                {"Response": {"Error": {"Code": wrong, "Message": "签名错误"}, "RequestId": "r"}},
            )
        data = json.loads(body)
        action = headers["x-tc-action"]
        if action == "PullSmsReplyStatus":
            with self.server.lock:
                replies, self.server.replies = self.server.replies, []
            return self.reply(
                200, {"Response": {"PullSmsReplyStatusSet": replies, "RequestId": "r"}}
            )
        (to,) = data["PhoneNumberSet"]
        code, message = "Ok", "send success"
        if to.endswith("0000"):
            code, message = "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"
        elif to.endswith("0058"):
            code, message = "LimitExceeded.PhoneNumberThirtySecondLimit", "30秒内发送频率超过限制"
        else:
            with self.server.lock:
                self.server.sent.append(
                    {
                        "provider": "tencent",
                        "to": to,
                        "text": data["TemplateParamSet"][0],
                        "key": data["SessionContext"],
                    }
                )
        status = {
            "SerialNo": f"s{len(self.server.sent)}",
            "PhoneNumber": to,
            "Fee": 1,
            "SessionContext": data["SessionContext"],
            "Code": code,
            "Message": message,
            "IsoCode": "CN",
        }
        self.reply(200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}})


def tencent_reply(phone: str, text: str, when: int | None = None) -> dict:
    """One item of PullSmsReplyStatusSet, as Tencent gives it."""
    return {
        "SmsSdkAppId": "1400000001",
        "ReplyUnixTime": when or int(time.time()),
        "SubscriberNumber": phone if phone.startswith("+") else f"+86{phone}",
        "PhoneNumber": phone if phone.startswith("+") else f"+86{phone}",
        "Sign": "焦作企业服务",
        "ReplyContent": text,
        "CountryCode": "86",
        "ExtendCode": "",
    }
