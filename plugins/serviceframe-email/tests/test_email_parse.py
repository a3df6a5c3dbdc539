"""Mails as Chinese enterprises send them: the GB family, 8-bit headers, HTML only, attachments,
replies, and the broken ones that must go to the quarantine with a reason."""

import base64
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from serviceframe.channels import Attachment, NewIssue, RawMessage, Reply

from serviceframe_email.parse import codec, parse_mail

SENDER = "boss1@example.com"


def raw(data: bytes) -> RawMessage:
    return RawMessage("<test@x>", data, None, {})


def mail(headers: str, body: bytes) -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


def b64(text: str, encoding: str) -> str:
    return base64.b64encode(text.encode(encoding)).decode()


def test_utf8_mail_from_a_modern_client():
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "魏斌磊 <boss1@example.com>"
    msg["To"] = "qyfw@jiaozuo.example"
    msg["Subject"] = "回复: 关于变压器增容的请求"
    msg["Date"] = "Mon, 12 Oct 2026 09:30:00 +0800"
    msg.set_content("我公司新上生产线,需要变压器增容。\n供电公司迟迟不予办理。")
    parsed = parse_mail(raw(msg.as_bytes()))
    assert isinstance(parsed, NewIssue)
    assert parsed.sender == SENDER
    assert parsed.title == "关于变压器增容的请求"  # "回复:" is not part of the problem
    assert "供电公司迟迟不予办理" in parsed.body
    assert parsed.received_at == datetime.fromisoformat("2026-10-12T09:30:00+08:00")


def test_gbk_text_labelled_gb2312_is_read_as_gb18030():
    # 镕 and 喆 are in GBK but not in GB2312: clients label such mail gb2312 all the same.
    text = "朱镕基同志、陶喆先生反映:厂区供电不足。"
    data = mail(
        f"""
From: =?gb2312?B?{b64("王经理", "gbk")}?= <boss1@example.com>
Subject: =?gb2312?B?{b64("镕喆电力问题", "gbk")}?=
MIME-Version: 1.0
Content-Type: text/plain; charset="gb2312"
Content-Transfer-Encoding: base64
""",
        base64.encodebytes(text.encode("gbk")),
    )
    parsed = parse_mail(raw(data))
    assert isinstance(parsed, NewIssue)
    assert parsed.title == "镕喆电力问题"
    assert parsed.body == text
    assert codec("GB2312") == codec("gbk") == codec("x-gbk") == codec("cp936") == "gb18030"


def test_gb18030_four_byte_characters_and_raw_8bit_headers():
    text = "企业名称:䶮记机械厂,𠀀字号"  # CJK extension A and B: four bytes in GB18030
    headers = b"From: boss1@example.com\r\nSubject: " + "扩建用地".encode("gb18030")
    data = headers + (
        b"\r\nContent-Type: text/plain; charset=gb18030\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode("gb18030")
    )
    parsed = parse_mail(raw(data))
    assert isinstance(parsed, NewIssue)
    assert parsed.title == "扩建用地"  # unlabelled 8-bit header: not UTF-8, so GB18030
    assert parsed.body == text


def test_an_unlabelled_body_is_utf8_or_else_gb18030():
    data = mail("From: boss1@example.com\nSubject: x", "融资难,资金链紧张".encode("gbk"))
    assert parse_mail(raw(data)).body == "融资难,资金链紧张"  # type: ignore[union-attr]


def test_html_only_mail_becomes_text():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>尊敬的领导:</p><div>我公司<b>用工难</b>,&nbsp;熟练技工流失严重。<br>请协调培训。</div>"
        "</body></html>"
    )
    data = mail(
        "From: boss1@example.com\nSubject: 用工\nContent-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: base64",
        base64.encodebytes(html.encode()),
    )
    body = parse_mail(raw(data)).body  # type: ignore[union-attr]
    assert body == "尊敬的领导:\n\n我公司用工难, 熟练技工流失严重。\n请协调培训。"
    assert "alert" not in body and "color" not in body


def test_attachments_are_kept_as_references(tmp_path: Path):
    msg = EmailMessage(policy=SMTP)
    msg["From"] = SENDER
    msg["Subject"] = "环评批复材料"
    msg.set_content("附件是环评报告和现场照片,请审阅。")
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="环评报告.pdf"
    )
    msg.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="现场.png")
    parsed = parse_mail(raw(msg.as_bytes()), str(tmp_path / "files"), "imap:INBOX/7")
    assert isinstance(parsed, NewIssue)
    assert parsed.body == "附件是环评报告和现场照片,请审阅。"
    pdf, png = parsed.attachments
    assert isinstance(pdf, Attachment)
    assert (pdf.name, pdf.content_type, pdf.size) == ("环评报告.pdf", "application/pdf", 13)
    assert Path(pdf.ref).read_bytes() == b"%PDF-1.4 fake"  # saved by its digest, not stored
    assert Path(pdf.ref).name == pdf.sha256
    assert png.name == "现场.png"
    without_dir = parse_mail(raw(msg.as_bytes()), "", "imap:INBOX/7")
    assert without_dir.attachments[0].ref.startswith("imap:INBOX/7#part")  # type: ignore[union-attr]


def test_an_rfc2047_attachment_name_and_a_mail_that_is_only_an_attachment():
    name = f"=?gbk?B?{b64('申请表.xlsx', 'gbk')}?="
    data = mail(
        f"""
From: boss1@example.com
Subject: =?utf-8?B?{b64("申请表", "utf-8")}?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"
""",
        (
            "--b1\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b1--\r\n"
        ).encode(),
    )
    parsed = parse_mail(raw(data))
    assert parsed.attachments[0].name == "申请表.xlsx"  # type: ignore[union-attr]
    assert parsed.body == "见附件 see the attachments: 申请表.xlsx"  # type: ignore[union-attr]


def test_a_broken_mime_structure_is_refused_with_the_reason():
    data = mail(
        'From: boss1@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="never-used"',
        b"this body has no boundary at all\r\n",
    )
    with pytest.raises(ValueError, match=r"broken MIME structure .*StartBoundaryNotFoundDefect"):
        parse_mail(raw(data))


@pytest.mark.parametrize(
    "headers, reason",
    [
        ("Subject: no sender", "no sender address"),
        ("From: undisclosed\nSubject: x", "no sender address"),
        ("From: boss1@example.com\nAuto-Submitted: auto-replied\nSubject: 自动回复", "automatic"),
    ],
)
def test_mails_that_are_not_a_person_s_problem(headers, reason):
    with pytest.raises(ValueError, match=reason):
        parse_mail(raw(mail(headers, "正文".encode())))


def test_no_text_at_all():
    with pytest.raises(ValueError, match="no text"):
        parse_mail(raw(mail("From: boss1@example.com\nSubject: 空", b"   ")))
    with pytest.raises(ValueError, match="not a mail"):
        parse_mail(raw(b"\r\n\r\njust bytes"))


def test_a_reply_to_a_notification_names_its_key_and_drops_the_quote():
    key = "0123456789abcdef0123456789abcdef"
    data = mail(
        f"From: boss1@example.com\nSubject: Re: 【办结】问题12\nIn-Reply-To: <sf-{key}@jiaozuo.example>\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit",
        "1 满意,谢谢\n\n-----原始邮件-----\n发件人: qyfw@jiaozuo.example\n> 请评价".encode(),
    )
    parsed = parse_mail(raw(data))
    assert isinstance(parsed, Reply)
    assert (parsed.in_reply_to, parsed.body) == (key, "1 满意,谢谢")
