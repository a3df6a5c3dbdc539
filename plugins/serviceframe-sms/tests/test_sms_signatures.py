"""The request signatures against the providers' own published worked examples."""

from serviceframe_sms.signing import (
    aliyun_signature,
    aliyun_string_to_sign,
    percent_encode,
    tc3_authorization,
    tc3_signature,
)

# Aliyun, "签名机制" (RPC, signature version 1.0): the DescribeRegions example of the ECS API
# reference, AccessKeySecret "testsecret" (the key is "testsecret&").
ECS_EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}

# Aliyun SMS (dysmsapi) "签名机制" example: SendSms with AccessKeySecret "testSecret".
SMS_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_string_to_sign_is_the_published_one() -> None:
    assert aliyun_string_to_sign("GET", ECS_EXAMPLE) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
        "%26Version%3D2014-05-26"
    )


def test_aliyun_signature_matches_the_published_examples() -> None:
    assert aliyun_signature("GET", ECS_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert aliyun_signature("GET", SMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_signature_itself_is_never_signed() -> None:
    signed = {**SMS_EXAMPLE, "Signature": "zJDF+Lrzhj/ThnlvIToysFRq6t4="}
    assert aliyun_signature("GET", signed, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_percent_encoding_follows_rfc_3986() -> None:
    assert percent_encode("a b*c~d+e/f") == "a%20b%2Ac~d%2Be%2Ff"
    assert percent_encode("焦作") == "%E7%84%A6%E4%BD%9C"


# Tencent Cloud API 3.0, "签名方法 v3": the CVM DescribeInstances example, SecretKey
# "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", timestamp 1551113065 (UTC date 2019-02-25).
TC3_PAYLOAD = (
    b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)
TC3_HEADERS = {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}


def test_tc3_signature_matches_the_published_example() -> None:
    signature, signed = tc3_signature(
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", 1551113065, TC3_HEADERS, TC3_PAYLOAD
    )
    assert signed == "content-type;host"
    assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


def test_tc3_authorization_header_has_the_published_shape() -> None:
    header = tc3_authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        "cvm",
        1551113065,
        {"Host": "cvm.tencentcloudapi.com", "Content-Type": "application/json; charset=utf-8"},
        TC3_PAYLOAD,
    )
    assert header == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_tc3_date_is_the_utc_date_of_the_timestamp() -> None:
    # 1551113065 is 2019-02-26 00:44:25 in Beijing: the scope must still say 2019-02-25.
    header = tc3_authorization("id", "key", "sms", 1551113065, TC3_HEADERS, b"{}")
    assert "/2019-02-25/sms/tc3_request" in header
