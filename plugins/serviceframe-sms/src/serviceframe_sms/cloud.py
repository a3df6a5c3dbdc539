"""Aliyun SMS (dysmsapi ``SendSms``) and Tencent Cloud SMS (``SendSms``, ``PullSmsReplyStatus``)
over HTTPS with httpx, signed as their specifications say (see :mod:`serviceframe_sms.signing`).

Both send approved templates only: the notification's text is the value of the template's one
variable. The delivery key goes with each message (Aliyun ``OutId``, Tencent
``SessionContext``) and comes back in the providers' delivery reports.

Error codes are mapped to what the outbox needs: throttling, quota, an account out of credit,
the provider's own trouble and a bad signature or key (fixed in the environment) are worth
retrying; a wrong or blacklisted number and refused content are permanent.
"""

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from serviceframe.channels import Failure, Receipt

from serviceframe_sms.settings import SmsSettings
from serviceframe_sms.signing import aliyun_signature, tc3_authorization

# Aliyun error codes (dysmsapi) that no retry can fix.
ALIYUN_PERMANENT = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.PARAM_NOT_SUPPORT_URL",
    "isv.INVALID_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
    "isv.DENY_IP_RANGE",
    "isv.SMS_CONTENT_ILLEGAL",
    "isv.SMS_SIGN_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.TEMPLATE_PARAMS_ILLEGAL",
}
# Tencent error code prefixes (API 3.0) that no retry can fix; LimitExceeded.* (frequency
# limits), InternalError.* and FailedOperation.InsufficientBalanceInSmsPackage are retried.
TENCENT_PERMANENT = (
    "InvalidParameterValue.IncorrectPhoneNumber",
    "InvalidParameterValue.ContentLengthLimit",
    "InvalidParameterValue.TemplateParameterFormatError",
    "InvalidParameterValue.TemplateParameterLengthLimit",
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.ContainSensitiveWord",
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
)
TENCENT_VERSION = "2021-01-11"


def _http_failure(where: str, exc: Exception) -> Failure:
    return Failure(f"{where}: {type(exc).__name__}: {exc}")


class Aliyun:
    def __init__(self, settings: SmsSettings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client

    def params(self, to: str, text: str, key: str) -> dict[str, str]:
        s = self.settings
        params = {
            "AccessKeyId": s.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": key,
            "PhoneNumbers": to,
            "RegionId": s.region_id,
            "SignName": s.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": s.template_code,
            "TemplateParam": json.dumps({s.template_param: text}, ensure_ascii=False),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature("POST", params, s.access_key_secret)
        return params

    def send(self, to: str, text: str, key: str) -> Receipt | Failure:
        try:
            response = self.client.post(self.settings.url, data=self.params(to, text, key))
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return _http_failure("Aliyun SendSms", exc)
        code = str(data.get("Code", ""))
        if code == "OK":
            return Receipt(str(data.get("BizId", "")))
        reason = f"Aliyun SendSms {response.status_code} {code}: {data.get('Message', '')}"
        return Failure(reason, permanent=code in ALIYUN_PERMANENT)


class Tencent:
    def __init__(self, settings: SmsSettings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client

    def request(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """One signed call; the ``Response`` object, raising on an error of the whole call."""
        s = self.settings
        payload = json.dumps(body, ensure_ascii=False).encode()
        timestamp = int(time.time())
        signed = {
            "content-type": "application/json; charset=utf-8",
            "host": urlsplit(s.url).netloc,
        }
        headers = {
            **signed,
            "Authorization": tc3_authorization(
                s.access_key_id, s.access_key_secret, "sms", timestamp, signed, payload
            ),
            "X-TC-Action": action,
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": s.region_id,
        }
        response = self.client.post(s.url, content=payload, headers=headers)
        data: dict[str, Any] = response.json().get("Response", {})
        error = data.get("Error")
        if error:
            raise TencentError(str(error.get("Code", "")), str(error.get("Message", "")))
        return data

    def send(self, to: str, text: str, key: str) -> Receipt | Failure:
        s = self.settings
        body = {
            "PhoneNumberSet": [to if to.startswith("+") else f"+86{to}"],
            "SmsSdkAppId": s.sdk_app_id,
            "SignName": s.sign_name,
            "TemplateId": s.template_code,
            "TemplateParamSet": [text],
            "SessionContext": key,
        }
        try:
            data = self.request("SendSms", body)
        except TencentError as exc:
            return Failure(
                f"Tencent SendSms {exc}", permanent=exc.code.startswith(TENCENT_PERMANENT)
            )
        except (httpx.HTTPError, ValueError) as exc:
            return _http_failure("Tencent SendSms", exc)
        (status,) = data.get("SendStatusSet") or [{}]
        code = str(status.get("Code", ""))
        if code.lower() == "ok":
            return Receipt(str(status.get("SerialNo", "")))
        return Failure(
            f"Tencent SendSms {code}: {status.get('Message', '')}",
            permanent=code.startswith(TENCENT_PERMANENT),
        )

    def replies(self) -> list[dict[str, Any]]:
        """Replies waiting at Tencent (PullSmsReplyStatus hands each out once)."""
        data = self.request(
            "PullSmsReplyStatus", {"Limit": 100, "SmsSdkAppId": self.settings.sdk_app_id}
        )
        return list(data.get("PullSmsReplyStatusSet") or [])


class TencentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")
