"""Satisfaction survey links (满意度评价链接): signed, single-use, expiring, one issue and round.

A link carries a token signed with the site's secret (``SERVICEFRAME_SECRET``, itsdangerous):
the issue, the resolution round, the enterprise, a nonce and the moment it expires. Nothing in
it can be changed without the secret. Whether it was used lives in the database
(``survey_links``, keyed by the nonce): the rating and the link's use are stored in one
transaction, so a link rates once, and a rating is never stored without its link spent.

Links come from ``serviceframe survey invite ISSUE_ID`` (stored at once), and from the
``{survey_url}`` placeholder the portal plugin adds to satisfaction invitations in the outbox
(stored when first used; the nonce is the notification's delivery key). The portal shows and answers them;
``SERVICEFRAME_PORTAL_URL`` is the portal's address the links start with.
"""

import os
import uuid
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import insert, select, update

from serviceframe.app import App
from serviceframe.domain.issue import Issue
from serviceframe.errors import ConfigError, NotFound, ServiceFrameError
from serviceframe.store import tables as t

VALID_FOR = timedelta(days=30)
SURVEY_PATH = "/survey/"


class LinkRefused(ServiceFrameError):
    """A survey link that cannot be used; ``why`` is one of ``forged``, ``expired``, ``used``,
    ``enterprise``, ``round``; the message is for the person who opened it (Chinese)."""

    def __init__(self, why: str, message: str) -> None:
        super().__init__(message)
        self.why = why


@frozen
class Invitation:
    issue_id: int
    round: int
    enterprise: str
    token: str
    url: str
    expires_at: datetime


@frozen
class Survey:
    """What a survey page shows: the issue as resolved in that round, and what was done."""

    issue: Issue
    round: int
    resolution: str
    token: str
    expires_at: datetime


def secret() -> str:
    value = os.environ.get("SERVICEFRAME_SECRET", "")
    if len(value) < 16:
        raise ConfigError(
            "SERVICEFRAME_SECRET is not set (or shorter than 16 characters): survey links and "
            "portal sessions are signed with it; set the same random value for every process"
        )
    return value


def portal_url() -> str:
    """The portal's address (``SERVICEFRAME_PORTAL_URL``), without a trailing slash; ''."""
    return os.environ.get("SERVICEFRAME_PORTAL_URL", "").strip().rstrip("/")


def _serializer(salt: str) -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret(), salt=salt)


def sign(salt: str, payload: dict[str, Any]) -> str:
    """A URL-safe token of ``payload`` signed with the site's secret (one salt per purpose)."""
    return str(_serializer(salt).dumps(payload))


def unsign(salt: str, token: str) -> dict[str, Any] | None:
    """The payload of a token signed for ``salt``, or None when it is forged or damaged."""
    from itsdangerous import BadSignature

    try:
        payload = _serializer(salt).loads(token)
    except BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


def link(token: str) -> str:
    base = portal_url()
    return f"{base}{SURVEY_PATH}{token}" if base else f"{SURVEY_PATH}{token}"


def token_for(nonce: str, issue_id: int, round_: int, enterprise: str, expires: datetime) -> str:
    return sign(
        "survey",
        {"n": nonce, "i": issue_id, "r": round_, "e": enterprise, "x": int(expires.timestamp())},
    )


def invite(app: App, issue_id: int) -> Invitation:
    """A new survey link for the issue's current resolution round (it must be resolved)."""
    now = app.now()
    with app.uow() as uow:
        issue = uow.issues.get(issue_id)
        if issue is None:
            raise NotFound("issue", issue_id)
        if issue.status.value != "resolved":
            raise ServiceFrameError(
                f"问题 {issue_id} 尚未办结 issue {issue_id} is {issue.status.value}: only a "
                "resolved issue can be rated"
            )
        nonce = uuid.uuid4().hex
        expires = now + VALID_FOR
        token = token_for(nonce, issue.id, issue.round, issue.enterprise, expires)
        uow.connection.execute(
            insert(t.survey_links).values(
                nonce=nonce,
                issue_id=issue.id,
                round=issue.round,
                enterprise_code=issue.enterprise,
                created_at=now,
                expires_at=expires,
            )
        )
        uow.commit()
    return Invitation(issue.id, issue.round, issue.enterprise, token, link(token), expires)


def _check(app: App, uow: Any, token: str, enterprise: str | None) -> tuple[dict[str, Any], Issue]:
    """The token's payload and its issue, or LinkRefused saying why not."""
    payload = unsign("survey", token)
    if payload is None or not {"n", "i", "r", "e", "x"} <= set(payload):
        raise LinkRefused("forged", "链接无效:签名不符,可能被篡改或复制不完整。")
    if app.now().timestamp() > payload["x"]:
        raise LinkRefused("expired", "链接已过期,请联系服务企业办公室重新发送评价邀请。")
    if enterprise is not None and enterprise != payload["e"]:
        raise LinkRefused("enterprise", "此链接属于其他企业,您无权查看或评价。")
    row = uow.connection.execute(
        select(t.survey_links.c.used_at).where(t.survey_links.c.nonce == payload["n"])
    ).first()
    if row is not None and row.used_at is not None:
        raise LinkRefused("used", "此链接已使用过,评价已记录,不能重复评价。")
    issue = uow.issues.get(int(payload["i"]))
    if issue is None or issue.enterprise != payload["e"]:
        raise LinkRefused("forged", "链接无效:所指问题不存在。")
    if issue.round != payload["r"] or issue.status.value != "resolved":
        raise LinkRefused(
            "round",
            f"此链接针对第 {payload['r']} 轮办理结果,该问题已进入新的办理环节,链接已失效。",
        )
    return payload, issue


def open_survey(app: App, token: str, enterprise: str | None = None) -> Survey:
    """What the survey page shows, or LinkRefused. ``enterprise``: who is signed in, if any."""
    with app.uow() as uow:
        payload, issue = _check(app, uow, token, enterprise)
        notes = [
            e.data.get("note", "")
            for e in uow.issues.events(issue.id)
            if e.kind in ("resolved", "settled") and e.data.get("round") == issue.round
        ]
    expires = datetime.fromtimestamp(payload["x"], tz=app.now().tzinfo)
    return Survey(issue, issue.round, notes[-1] if notes else "", token, expires)


def answer(
    app: App, token: str, satisfaction: object, comment: str = "", enterprise: str | None = None
) -> Issue:
    """Record the rating the link asks for, and spend the link, in one transaction."""
    from serviceframe.services.issues import rate

    with app.uow() as uow:
        payload, issue = _check(app, uow, token, enterprise)

    def spend(uow: Any, rated: Issue, now: datetime) -> None:
        s = t.survey_links.c
        if rated.round != payload["r"]:
            raise LinkRefused("round", "该问题已进入新的办理环节,链接已失效。")
        done = uow.connection.execute(
            update(t.survey_links)
            .where(s.nonce == payload["n"], s.used_at.is_(None))
            .values(used_at=now)
        )
        if done.rowcount == 1:
            return
        exists = uow.connection.execute(select(s.nonce).where(s.nonce == payload["n"])).first()
        if exists is not None:  # spent by another request a moment ago
            raise LinkRefused("used", "此链接已使用过,评价已记录,不能重复评价。")
        uow.connection.execute(
            insert(t.survey_links).values(
                nonce=payload["n"],
                issue_id=rated.id,
                round=payload["r"],
                enterprise_code=payload["e"],
                created_at=now,
                expires_at=datetime.fromtimestamp(payload["x"], tz=now.tzinfo),
                used_at=now,
            )
        )

    return rate(
        app,
        issue.id,
        satisfaction,
        comment,
        enterprise=payload["e"],
        actor=f"survey:{payload['e']}",
        also=spend,
    )
