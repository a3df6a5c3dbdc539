"""Signing in with a one-time code (一次性验证码) sent to a registered contact of the enterprise.

The person gives the enterprise's credit code and a phone number or e-mail address that the
registry has for one of its contact people; a six-digit code goes to that address through the
outbox (notice kind ``signin_code``), valid for ten minutes and five tries. Only an HMAC of the
code is stored. The code and its message commit together, or neither does.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from attrs import frozen
from serviceframe.app import App
from serviceframe.channels import Recipient
from serviceframe.domain.addresses import normalise
from serviceframe.domain.credit_code import normalise_credit_code
from serviceframe.errors import ServiceFrameError, ValidationError
from serviceframe.services import surveys
from serviceframe.store import tables as t
from sqlalchemy import func, insert, select, update

CODE_VALID = timedelta(minutes=10)
MAX_TRIES = 5
MAX_CODES_PER_HOUR = 5  # per contact: with five tries each, guessing stays hopeless
KIND = "signin_code"


@frozen
class SignedIn:
    enterprise: str
    name: str
    contact: int
    person: str
    address: str  # the phone or e-mail address the code went to: the sender of what they file


def _digest(code_id: int, code: str) -> str:
    key = surveys.secret().encode()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(app: App, credit_code: str, address: str) -> int:
    """Send a code to ``address`` if it is a contact's of the enterprise; the code's id."""
    from serviceframe.services.addresses import of_contacts
    from serviceframe.services.notifications import send_message

    code_text = normalise_credit_code(credit_code.strip(), "统一社会信用代码 credit_code")
    address = address.strip()
    kind = "email" if "@" in address else "phone"
    if not address:
        raise ValidationError("手机号或邮箱 address", address, "请填写登记的联系人手机号或邮箱")
    wanted = normalise(kind, address)
    now = app.now()
    with app.uow() as uow:
        enterprise = uow.enterprises.get(code_text)
        if enterprise is None:
            raise ValidationError("统一社会信用代码 credit_code", code_text, "名录中没有这家企业")
        contacts = of_contacts(enterprise)
        n, person = next(
            (
                (n, c)
                for n, c in enumerate(contacts, 1)
                if c.addresses.get(kind) and normalise(kind, c.addresses[kind]) == wanted
            ),
            (0, None),
        )
        if person is None:
            raise ValidationError(
                "手机号或邮箱 address", address, "不是该企业在名录中登记的联系人手机号或邮箱"
            )
        c = t.portal_codes.c
        recent = uow.connection.scalar(
            select(func.count()).where(
                c.enterprise_code == code_text,
                c.contact == n,
                c.created_at > now - timedelta(hours=1),
            )
        )
        if (recent or 0) >= MAX_CODES_PER_HOUR:
            raise ValidationError(
                "手机号或邮箱 address", address, "一小时内获取验证码过于频繁,请稍后再试"
            )
        (code_id,) = uow.connection.execute(
            insert(t.portal_codes)
            .values(
                enterprise_code=code_text,
                contact=n,
                code_hash="",
                created_at=now,
                expires_at=now + CODE_VALID,
            )
            .returning(t.portal_codes.c.id)
        ).one()
        code = f"{secrets.randbelow(1_000_000):06d}"
        uow.connection.execute(
            update(t.portal_codes)
            .where(t.portal_codes.c.id == code_id)
            .values(code_hash=_digest(code_id, code))
        )
        only_there = Recipient(
            person.kind,
            person.id,
            person.name,
            person.jurisdiction,
            {kind: address},
            enterprise=code_text,
        )
        row = send_message(
            app,
            uow,
            only_there,
            "企业服务门户登录验证码",
            f"{person.name}:您的企业服务门户登录验证码为 {code},10分钟内有效。如非本人操作,请忽略。",
            kind=KIND,
        )
        if row["status"] == "failed":  # nobody would get it: store nothing
            raise ServiceFrameError(f"验证码无法发送 the code cannot be sent: {row['last_error']}")
        uow.commit()
    return int(code_id)


def check_code(app: App, code_id: int, code: str) -> SignedIn:
    """The person the code was sent to, once; a wrong code counts as a try."""
    c = t.portal_codes.c
    now = app.now()
    with app.uow() as uow:
        row = uow.connection.execute(
            select(t.portal_codes).where(c.id == code_id).with_for_update()
        ).first()
        if row is None or row.used_at is not None:
            raise ValidationError("验证码 code", code, "验证码已使用或不存在,请重新获取")
        if row.expires_at < now or row.attempts >= MAX_TRIES:
            raise ValidationError("验证码 code", code, "验证码已失效,请重新获取")
        good = hmac.compare_digest(row.code_hash, _digest(code_id, code.strip()))
        uow.connection.execute(
            update(t.portal_codes)
            .where(c.id == code_id)
            .values(attempts=row.attempts + 1, used_at=now if good else None)
        )
        uow.commit()
    if not good:
        left = MAX_TRIES - row.attempts - 1
        raise ValidationError("验证码 code", code, f"验证码不正确,还可尝试 {left} 次")
    with app.uow() as uow:
        enterprise = uow.enterprises.get(row.enterprise_code)
    person = contact_of(app, row.enterprise_code, row.contact)
    if enterprise is None or person is None:
        raise ValidationError("验证码 code", code, "该联系人已不在名录中")
    address = person.addresses.get("phone") or person.addresses.get("email") or ""
    return SignedIn(enterprise.credit_code, enterprise.name, row.contact, person.name, address)


def contact_of(app: App, enterprise: str, contact: int) -> Any:
    """The signed-in contact person as registered now (None when removed from the registry)."""
    from serviceframe.services.addresses import of_contacts

    with app.uow() as uow:
        found = uow.enterprises.get(enterprise)
    people = of_contacts(found) if found else []
    return people[contact - 1] if 0 < contact <= len(people) else None
