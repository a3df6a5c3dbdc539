"""``{survey_url}`` in satisfaction invitations: a signed survey link for that issue and round.

Given when the portal's address (``SERVICEFRAME_PORTAL_URL``) and the secret are set; the
link's nonce is the notification's delivery key (see services/surveys.py).
"""

from collections.abc import Iterator
from typing import Any

from serviceframe.channels import Outgoing, Placeholder
from serviceframe.hookspecs import hookimpl


@hookimpl
def serviceframe_notification_placeholders(app: Any) -> Iterator[Placeholder]:
    def survey_url(message: Outgoing) -> str:
        from serviceframe.services import surveys

        if not surveys.portal_url() or message.issue_id is None or message.round is None:
            return ""
        enterprise = message.recipient.enterprise or ""
        token = surveys.token_for(
            message.key, message.issue_id, message.round, enterprise, app.now() + surveys.VALID_FOR
        )
        return surveys.link(token)

    yield Placeholder(
        "survey_url",
        survey_url,
        kinds=("resolved",),
        description="满意度评价链接 the signed survey link of the portal (SERVICEFRAME_PORTAL_URL)",
    )
