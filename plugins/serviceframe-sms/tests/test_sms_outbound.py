"""Sending: long Chinese texts in UCS-2 parts, the reply code in invitations, and what each
provider's refusal means for the outbox (throttled: later; a wrong number: for good)."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from serviceframe.channels import ChannelContext, Outgoing, Recipient
from serviceframe.errors import ValidationError

from cloud_server import SECRET_ID, CloudSms
from serviceframe_sms import SmsChannel, with_reply_code
from serviceframe_sms.replies import read_reply
from serviceframe_sms.settings import SmsSettings
from smsc import Smsc

WANG = Recipient("official", "jz-edsb-head", "王建国", "jiaozuo", {"phone": "13903910001"})


def outgoing(
    to: str, body: str, key: str = "a3f9" + "0" * 28, round_: int | None = None
) -> Outgoing:
    return Outgoing(1, key, "sms", "resolved", WANG, to, "【办结】", body, 7, round_)


def channel(**settings: Any) -> SmsChannel:
    return SmsChannel(
        ChannelContext(None, "sms", "sms", "jiaozuo", SmsSettings(**settings), ("phone",))
    )


def smpp(smsc: Smsc, **more: Any) -> SmsChannel:
    return channel(
        provider="smpp",
        smpp=f"smpp://127.0.0.1:{smsc.port}",
        system_id="jzqyfw",
        password="secret",
        **more,
    )


def test_a_long_chinese_text_goes_in_ucs2_parts_joined_by_the_phone(smsc: Smsc):
    text = "贵企业反映的“电网频繁拉闸限电”问题已办结,供电公司已调整检修计划。" * 5  # 165 characters
    sms = smpp(smsc)
    receipt = sms.deliver(outgoing("+86 139-0391-0001", text))
    sms.close()
    (got,) = smsc.messages()
    assert (got["to"], got["text"], got["parts"]) == ("13903910001", text, 3)
    assert all(r["data_coding"] == 8 and r["esm_class"] & 0x40 for r in smsc.records())
    assert receipt.reference.count(",") == 2  # the SMSC's id of each part


def test_a_text_longer_than_max_parts_is_refused_for_good(smsc: Smsc):
    result = smpp(smsc, max_parts=2).deliver(outgoing("13903910001", "长" * 200))
    assert result.permanent and "max_parts=2" in result.reason
    assert smsc.records() == []


@pytest.mark.parametrize(
    ("to", "permanent", "said"),
    [("13903910000", True, "Invalid Destination Address"), ("13903910058", False, "Throttling")],
)
def test_smsc_refusals(smsc: Smsc, to: str, permanent: bool, said: str):
    sms = smpp(smsc)
    result = sms.deliver(outgoing(to, "测试"))
    assert result.permanent is permanent and said in result.reason
    assert sms.deliver(
        outgoing("13903910001", "之后的短信照常发出")
    ).reference  # session still usable
    sms.close()


def test_a_wrong_smpp_password_is_retried_not_given_up(smsc: Smsc):
    result = channel(
        provider="smpp", smpp=f"smpp://127.0.0.1:{smsc.port}", system_id="jzqyfw", password="wrong"
    ).deliver(outgoing("13903910001", "测试"))
    assert not result.permanent and "Invalid Password" in result.reason


def test_an_invitation_carries_its_reply_code_once():
    assert with_reply_code(outgoing("1", "请评价", round_=1)).endswith(
        "回复时请带编号A3F9,如“1 A3F9”。"
    )
    assert with_reply_code(outgoing("1", "请评价,编号A3F9", round_=1)) == "请评价,编号A3F9"
    assert with_reply_code(outgoing("1", "已交办")) == "已交办"  # not an invitation


def cloud_channel(cloud: CloudSms, provider: str, secret: str = "jz-test-secret") -> SmsChannel:
    return channel(
        provider=provider,
        endpoint=cloud.url,
        access_key_id=SECRET_ID,
        access_key_secret=secret,
        sign_name="焦作企业服务",
        template_code="SMS_1",
        sdk_app_id="1400000001",
    )


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_cloud_providers_get_signed_requests_with_the_key(cloud: CloudSms, provider: str):
    sms = cloud_channel(cloud, provider)
    message = outgoing("13903910001", "您好!贵企业反映的问题已办结。")
    assert sms.deliver(message).reference
    sms.close()
    (got,) = cloud.sent
    assert got["text"] == "您好!贵企业反映的问题已办结。" and got["key"] == message.key
    assert got["to"] in ("13903910001", "+8613903910001")
    assert cloud.refused == []


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_cloud_refusals_are_mapped_for_the_outbox(cloud: CloudSms, provider: str):
    sms = cloud_channel(cloud, provider)
    invalid = sms.deliver(outgoing("13903910000", "测试"))
    throttled = sms.deliver(outgoing("13903910058", "测试"))
    assert invalid.permanent and not throttled.permanent
    assert (
        "MOBILE_NUMBER_ILLEGAL" if provider == "aliyun" else "IncorrectPhoneNumber"
    ) in invalid.reason
    assert (
        "BUSINESS_LIMIT_CONTROL" if provider == "aliyun" else "LimitExceeded"
    ) in throttled.reason


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_wrong_secret_is_refused_by_the_signature_check_and_retried(
    cloud: CloudSms, provider: str
):
    result = cloud_channel(cloud, provider, secret="not-the-secret").deliver(
        outgoing("13903910001", "测试")
    )
    assert not result.permanent and "Signature" in result.reason
    assert cloud.sent == [] and len(cloud.refused) == 1


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"provider": "sms-gateway"}, "provider"),
        ({"provider": "smpp", "system_id": "a"}, "smpp"),
        ({"provider": "smpp", "smpp": "http://10.1.2.3", "system_id": "a"}, "smpp"),
        ({"provider": "aliyun", "access_key_id": "a", "sign_name": "b"}, "template_code"),
        (
            {"provider": "tencent", "access_key_id": "a", "sign_name": "b", "template_code": "1"},
            "sdk_app_id",
        ),
    ],
)
def test_settings_name_what_is_missing_or_wrong(settings: dict[str, str], field: str):
    with pytest.raises(ValidationError) as caught:
        SmsSettings(**settings)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", ("satisfied", "", None)),
        ("１", ("satisfied", "", None)),
        ("2 A3F9", ("basic", "", "a3f9")),
        ("3A3F9", ("unsatisfied", "", "a3f9")),
        ("A3F9 1", ("satisfied", "", "a3f9")),
        ("编号A3F9,2", ("basic", "", "a3f9")),
        ("1 满意 编号a3f9 谢谢", ("satisfied", "谢谢", "a3f9")),
        ("不满意,仍然停电", ("unsatisfied", "仍然停电", None)),
        ("基本满意", ("basic", "", None)),
        ("1号车间停电", None),
        ("2024年电费补贴何时到", None),
        ("请问何时办结", None),
    ],
)
def test_reading_replies(text: str, expected: tuple[str, str, str | None] | None):
    assert read_reply(text) == expected


RATINGS = {
    "1": "satisfied",
    "１": "satisfied",
    "满意": "satisfied",
    "2": "basic",
    "２": "basic",
    "基本满意": "basic",
    "3": "unsatisfied",
    "不满意": "unsatisfied",
}
LAYOUTS = ["{r} {c}", "{c} {r}", "{r}{c}", "编号{c},{r}", "{r},编号{c}", "{c}:{r}"]


@given(
    rating=st.sampled_from(sorted(RATINGS)),
    code=st.text(alphabet="0123456789abcdefABCDEF", min_size=4, max_size=4),
    layout=st.sampled_from(LAYOUTS),
    comment=st.sampled_from(["", "谢谢", "希望加快进度", "仍然停电,请再协调"]),
)
def test_a_rating_with_its_code_is_read_in_any_order(rating, code, layout, comment):
    text = layout.format(r=rating, c=code) + (f" {comment}" if comment else "")
    assert read_reply(text) == (RATINGS[rating], comment, code.lower())
