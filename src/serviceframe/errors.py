"""The exceptions a user of serviceframe can meet.

Every message names what was wrong (the field, the value) so that a clerk can act on it.
"""


def shown(value: object, limit: int = 60) -> str:
    """A value as a message shows it: long text cut, with its length, so that a 100,000
    character cell does not fill the screen (or the log) of whoever made the mistake."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text):,} characters)"


class ServiceFrameError(Exception):
    """Base of every error serviceframe raises on purpose."""


class ValidationError(ServiceFrameError, ValueError):
    """Input that breaks a rule; the message names the field and the value."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        short = value if len(str(value)) <= 200 else shown(value, 200)
        super().__init__(f"{field}={short!r}: {reason}")


class NotFound(ServiceFrameError):
    """A record that was asked for by its id and does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}")


class ConfigError(ServiceFrameError):
    """The organisation file (or another configuration) is wrong."""


class IllegalTransition(ServiceFrameError):
    """An issue was asked to do something its current state does not allow."""


class CalendarError(ServiceFrameError):
    """A working-day computation that cannot be made (strict mode, unknown year)."""


class StoreError(ServiceFrameError):
    """The database failed or is not ready; raw driver exceptions never leak past the store."""


class AlreadyRunning(ServiceFrameError):
    """A scheduled job (the escalation sweep…) is already running on this database: this run
    did nothing, and the next one does whatever is left. Not a failure for a scheduler."""

    def __init__(self, job: str, where: str) -> None:
        self.job = job
        super().__init__(
            f"another {job} is running on {where}; nothing was done this time "
            "(the next run does whatever is left) · 另一次运行尚未结束,本次未做任何处理"
        )


class Forbidden(ServiceFrameError):
    """The acting principal may not do this to this object (docs/identities.md)."""

    def __init__(self, actor: str, action: str, obj: str, why: str = "") -> None:
        self.actor = actor
        self.action = action
        self.object = obj
        reason = f": {why}" if why else ""
        super().__init__(f"{actor} may not {action} {obj}{reason} · 无权操作")


class UnknownPrincipal(ServiceFrameError):
    """``--as`` / ``SERVICEFRAME_AS`` names nobody the organisation or the registry knows."""
