"""Solicitation letters (企业意见建议征询函, R4): the office asks enterprises questions; each
answers once through a signed link on the portal; an answer that raises a problem becomes an
issue with source ``solicitation_letter``.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from attrs import frozen
from sqlalchemy import func, insert, select, update

from serviceframe.app import App
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.errors import NotFound, ServiceFrameError, ValidationError
from serviceframe.services import surveys
from serviceframe.store import tables as t

SOURCE = "solicitation_letter"
MAX_ANSWER = 5_000


@frozen
class Sent:
    enterprise: str
    name: str
    url: str
    notified: bool  # a message with the link was written to the outbox


@frozen
class LetterPage:
    letter_id: int
    title: str
    questions: tuple[str, ...]
    enterprise: str
    answered: bool


def create(app: App, title: str, questions: Sequence[str], actor: str | None = None) -> int:
    title = title.strip()
    if not title or len(title) > 300:
        raise ValidationError("title", title, "give a title of 1 to 300 characters")
    asked = [q.strip() for q in questions if q.strip()]
    if not asked:
        raise ValidationError("question", list(questions), "give at least one question")
    with app.uow() as uow:
        (letter_id,) = uow.connection.execute(
            insert(t.letters)
            .values(
                title=title,
                questions=asked,
                created_at=app.now(),
                created_by=actor or app.settings.actor,
            )
            .returning(t.letters.c.id)
        ).one()
        uow.commit()
    return int(letter_id)


def _letter(uow: Any, letter_id: int) -> Any:
    row = uow.connection.execute(select(t.letters).where(t.letters.c.id == letter_id)).first()
    if row is None:
        raise NotFound("letter", letter_id)
    return row


def recipients(app: App, to: str) -> list[Any]:
    """The enterprises a filter names: ``all``, ``key`` (key enterprises), a jurisdiction (code
    or name, the places below it included), or credit codes separated by commas."""
    from serviceframe.services.enterprises import get_enterprise, list_enterprises

    to = to.strip()
    if to == "all":
        return list_enterprises(app)
    if to == "key":
        return [e for e in list_enterprises(app) if e.key_level is not KeyLevel.NONE]
    if "," in to or len(to) == 18:  # credit codes are 18 characters, place codes 6 digits
        return [get_enterprise(app, code.strip()) for code in to.split(",") if code.strip()]
    return list_enterprises(app, to)


def send(app: App, letter_id: int, to: str, actor: str | None = None) -> list[Sent]:
    """Send the letter to the enterprises ``to`` names (once each: again, nothing changes),
    with a message carrying each one's link when an outbound channel is configured."""
    from serviceframe.services.addresses import of_contacts
    from serviceframe.services.notifications import plan, send_message

    enterprises = recipients(app, to)
    if not enterprises:
        raise ValidationError("to", to, "no enterprise matches")
    sent: list[Sent] = []
    now = app.now()
    with app.uow() as uow:
        letter = _letter(uow, letter_id)
        r = t.letter_recipients.c
        already = set(
            uow.connection.scalars(select(r.enterprise_code).where(r.letter_id == letter_id))
        )
        rows = []
        notify = plan(app, uow) is not None
        for e in enterprises:
            if e.credit_code in already:
                continue
            nonce = uuid.uuid4().hex
            rows.append(
                {
                    "letter_id": letter_id,
                    "enterprise_code": e.credit_code,
                    "nonce": nonce,
                    "sent_at": now,
                }
            )
            url = letter_link(nonce)
            contacts = of_contacts(e)
            if notify and contacts:
                send_message(
                    app,
                    uow,
                    contacts[0],
                    f"【征询函】{letter.title}",
                    f"{contacts[0].name}:您好!诚邀贵企业填写《{letter.title}》,"
                    f"请通过以下链接答复:{url}",
                    kind="letter",
                    cause=f"letter:{letter_id}",
                )
            sent.append(Sent(e.credit_code, e.name, url, notify and bool(contacts)))
        if rows:
            uow.connection.execute(insert(t.letter_recipients), rows)
        uow.commit()
    return sent


def letter_link(nonce: str) -> str:
    token = surveys.sign("letter", {"n": nonce})
    return f"{surveys.portal_url()}/letter/{token}"


def _recipient(uow: Any, token: str, enterprise: str | None) -> Any:
    payload = surveys.unsign("letter", token)
    if payload is None or "n" not in payload:
        raise surveys.LinkRefused("forged", "链接无效:签名不符,可能被篡改或复制不完整。")
    row = uow.connection.execute(
        select(t.letter_recipients).where(t.letter_recipients.c.nonce == payload["n"])
    ).first()
    if row is None:
        raise surveys.LinkRefused("forged", "链接无效:没有这封征询函。")
    if enterprise is not None and enterprise != row.enterprise_code:
        raise surveys.LinkRefused("enterprise", "此征询函发给其他企业,您无权查看或答复。")
    return row


def open_letter(app: App, token: str, enterprise: str | None = None) -> LetterPage:
    with app.uow() as uow:
        row = _recipient(uow, token, enterprise)
        letter = _letter(uow, row.letter_id)
    return LetterPage(
        letter.id,
        letter.title,
        tuple(letter.questions),
        row.enterprise_code,
        row.answered_at is not None,
    )


def answer(
    app: App, token: str, answers: Sequence[str], problem: str = "", enterprise: str | None = None
) -> int | None:
    """Store an enterprise's answers (once); a problem it raises is filed as an issue, whose
    id is returned."""
    from serviceframe.services.issues import IssueDraft, file_issue

    page = open_letter(app, token, enterprise)
    if page.answered:
        raise surveys.LinkRefused("used", "贵企业已答复过此征询函,感谢您的意见。")
    if len(answers) != len(page.questions):
        raise ValidationError("answers", len(answers), f"give {len(page.questions)} answers")
    for n, text in enumerate(answers, 1):
        if len(text) > MAX_ANSWER:
            raise ValidationError(
                f"answer {n}", text[:20] + "…", f"at most {MAX_ANSWER} characters"
            )
    problem = problem.strip()
    issue_id = None
    if problem:  # filed first: filing again under the same external id is the same issue
        filed = file_issue(
            app,
            IssueDraft(
                page.enterprise,
                SOURCE,
                problem,
                title=f"征询函:{page.title}"[:100],
                external_id=f"letter:{page.letter_id}:{page.enterprise}",
            ),
            actor=f"letter:{page.enterprise}",
        )
        issue_id = filed.issue.id
    with app.uow() as uow:
        r = t.letter_recipients.c
        done = uow.connection.execute(
            update(t.letter_recipients)
            .where(r.letter_id == page.letter_id, r.enterprise_code == page.enterprise)
            .where(r.answered_at.is_(None))
            .values(
                answered_at=app.now(),
                answers=[a.strip() for a in answers],
                problem=problem,
                issue_id=issue_id,
            )
        )
        if done.rowcount != 1:
            raise surveys.LinkRefused("used", "贵企业已答复过此征询函,感谢您的意见。")
        uow.commit()
    return issue_id


def results(app: App, letter_id: int) -> dict[str, Any]:
    """How many were sent and answered, every answer per question, the issues raised."""
    with app.uow() as uow:
        letter = _letter(uow, letter_id)
        r = t.letter_recipients.c
        sent = uow.connection.scalar(select(func.count()).where(r.letter_id == letter_id))
        rows = uow.connection.execute(
            select(r.enterprise_code, t.enterprises.c.name, r.answers, r.problem, r.issue_id)
            .join(t.enterprises, t.enterprises.c.credit_code == r.enterprise_code)
            .where(r.letter_id == letter_id, r.answered_at.is_not(None))
            .order_by(r.enterprise_code)
        ).all()
    if not letter.questions:
        raise ServiceFrameError(f"letter {letter_id} has no questions")
    return {
        "id": letter.id,
        "title": letter.title,
        "sent": int(sent or 0),
        "answered": len(rows),
        "questions": [
            {
                "question": q,
                "answers": [
                    {"enterprise": row.name, "answer": (row.answers or [""] * (n + 1))[n]}
                    for row in rows
                    if (row.answers or [""] * (n + 1))[n]
                ],
            }
            for n, q in enumerate(letter.questions)
        ],
        "issues": [
            {"enterprise": row.name, "issue_id": row.issue_id, "problem": row.problem}
            for row in rows
            if row.issue_id is not None
        ],
    }
