"""Reading times the way clerks write them."""

from datetime import datetime

from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import ValidationError


def parse_local_time(value: str, field: str) -> datetime:
    """ISO 8601 date or time; without a zone it is Beijing time, which is what a clerk means."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            field, value, "not an ISO date/time such as 2026-09-28T09:30"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
