"""What the portal's tests share: the enterprises, the channels, reading a code and a form."""

import re
from pathlib import Path

from serviceframe.app import App
from serviceframe.testing.sample import JIEFANG, credit_code

SECRET = "portal-test-secret-0123456789"
ENTERPRISE = credit_code(JIEFANG, 1)  # 焦作市恒泽制药有限公司: boss1@example.com, 13903910001
OTHER = credit_code(JIEFANG, 2)  # 焦作市宝祥电机有限公司: boss2@example.com
CONTACTS = {ENTERPRISE: "boss1@example.com", OTHER: "boss2@example.com"}


def channels(tmp: Path, spool: str = "") -> str:
    return (
        f'[[channels]]\nname = "files"\nkind = "file"\nsettings = {{ path = "{tmp / "sent.jsonl"}" }}\n\n'
        f'[[channels]]\nname = "web"\nkind = "portal"\nsource = "portal"\n'
        f'settings = {{ spool = "{spool}" }}\n\n'
        '[notifications.resolved]\nbody = "{recipient}:问题{issue_id}已办结:{resolution}。请评价:{survey_url}"\n'
    )


def latest_code(app: App) -> str:
    from serviceframe.services.outbox import list_outbox

    rows = [r for r in list_outbox(app) if r["kind"] == "signin_code"]
    assert rows, "no sign-in code was written to the outbox"
    last = max(rows, key=lambda r: r["id"])
    found = re.search(r"\d{6}", last["body"])
    assert found, last["body"]
    return found.group()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
