"""Request signatures of the two cloud SMS APIs, from their published specifications.

- Aliyun RPC APIs (dysmsapi among them), signature version 1.0 "POP": the parameters sorted
  and percent-encoded (RFC 3986: only ``A-Z a-z 0-9 - _ . ~`` stay), joined into a canonical
  query; ``StringToSign = METHOD & %2F & percentEncode(query)``; the signature is
  ``Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.
- Tencent Cloud API 3.0, TC3-HMAC-SHA256: a canonical request (method, ``/``, query, the
  signed headers, SHA-256 of the payload) hashed into a string to sign with the timestamp and
  the credential scope ``date/service/tc3_request``; the key is derived by chained
  HMAC-SHA256 from ``"TC3" + SecretKey`` over the UTC date, the service and ``tc3_request``.

The tests check both against the providers' own worked examples.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

TC3 = "TC3-HMAC-SHA256"


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    query = canonical_query({k: v for k, v in params.items() if k != "Signature"})
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(query)}"


def aliyun_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    digest = hmac.new(
        f"{secret}&".encode(), aliyun_string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_signature(
    secret_key: str,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    payload: bytes,
    method: str = "POST",
    query: str = "",
) -> tuple[str, str]:
    """The signature (hex) and the signed header names, over ``headers`` (at least
    ``content-type`` and ``host``)."""
    canonical = {k.lower().strip(): v.strip().lower() for k, v in headers.items()}
    names = sorted(canonical)
    signed = ";".join(names)
    request = "\n".join(
        [
            method.upper(),
            "/",
            query,
            "".join(f"{n}:{canonical[n]}\n" for n in names),
            signed,
            _sha256(payload),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"{TC3}\n{timestamp}\n{scope}\n{_sha256(request.encode())}"
    key = _hmac256(f"TC3{secret_key}".encode(), date)
    key = _hmac256(_hmac256(key, service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signed


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    payload: bytes,
) -> str:
    signature, signed = tc3_signature(secret_key, service, timestamp, headers, payload)
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return (
        f"{TC3} Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
