"""Asking which: a rating that names no invitation, from a number with several open ones.

The core never guesses: such a reply goes to the quarantine ("several open invitations").
The SMS channel also answers the sender at once, listing each open invitation's reply code
and issue, so the enterprise can simply reply again with the code (``1 A3F9``). The question
is written to the outbox like any notification, and goes out with the next delivery.
"""

from typing import Any

from serviceframe.domain.addresses import normalise

from serviceframe_sms.replies import reply_code


def ask_which(app: Any, channel: str, sender: str) -> bool:
    """Write the question for ``sender`` when several invitations are open; whether it did."""
    from serviceframe.services.addresses import senders
    from serviceframe.services.notifications import send_message

    with app.uow() as uow:
        open_: dict[tuple[int, int], dict[str, Any]] = {}
        for row in uow.outbox.invitations(channel, normalise("phone", sender)):
            open_.setdefault((row["issue_id"], row["round"]), row)
        contacts = [p for p in senders(app, uow, "phone", [sender])[sender] if p.kind == "contact"]
        if len(open_) < 2 or not contacts:
            return False
        lines = []
        for row in open_.values():
            issue = uow.issues.get(row["issue_id"])
            title = issue.title if issue is not None else ""
            lines.append(f"编号{reply_code(row['key'])}:{title[:20]}")
        example = reply_code(next(iter(open_.values()))["key"])
        body = (
            f"您有{len(open_)}项办结事项待评价,未能确定您评价的是哪一项。请回复评价和编号,"
            f"如“1 {example}”(1 满意,2 基本满意,3 不满意):\n" + "\n".join(lines)
        )
        send_message(app, uow, contacts[0], "请注明评价的事项", body, channels=(channel,))
        uow.commit()
    return True
