"""Major projects (重大项目, category 5): a project's approval steps and how a step moves on.

A step waits (未开始), is submitted to its unit (已报送: the working-day clock starts), and is
approved (已批复), returned for more papers (已退回: submitting again restarts the clock) or
waived (免于办理). Pure rules, no I/O: the service layer stores and records.
"""

from datetime import date, datetime
from enum import StrEnum

from attrs import frozen

from serviceframe.errors import ValidationError


class StepStatus(StrEnum):
    NOT_STARTED = "not_started"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    WAIVED = "waived"

    @property
    def label(self) -> str:
        return STEP_LABELS[self]

    @property
    def finished(self) -> bool:
        return self in (StepStatus.APPROVED, StepStatus.WAIVED)


STEP_LABELS = {
    StepStatus.NOT_STARTED: "未开始",
    StepStatus.SUBMITTED: "已报送",
    StepStatus.APPROVED: "已批复",
    StepStatus.RETURNED: "已退回",
    StepStatus.WAIVED: "免于办理",
}

# Where each status may be reached from: an approved or waived step is done.
STEP_ALLOWED_FROM: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.SUBMITTED: frozenset({StepStatus.NOT_STARTED, StepStatus.RETURNED}),
    StepStatus.APPROVED: frozenset({StepStatus.SUBMITTED}),
    StepStatus.RETURNED: frozenset({StepStatus.SUBMITTED}),
    StepStatus.WAIVED: frozenset(
        {StepStatus.NOT_STARTED, StepStatus.SUBMITTED, StepStatus.RETURNED}
    ),
    StepStatus.NOT_STARTED: frozenset(),
}


def parse_step_status(value: object) -> StepStatus:
    """A status from its value or Chinese label (批复/通过 accepted for approved)."""
    text = str(value).strip()
    aliases = {"批复": "approved", "通过": "approved", "报送": "submitted", "退回": "returned"}
    text = aliases.get(text, text)
    for status in StepStatus:
        if text in (status.value, status.label):
            return status
    allowed = ", ".join(f"{s.value} ({s.label})" for s in StepStatus)
    raise ValidationError("status", value, f"must be one of {allowed}")


def check_step_change(step: str, current: StepStatus, new: StepStatus) -> None:
    if current not in STEP_ALLOWED_FROM[new]:
        raise ValidationError(
            "status",
            new.value,
            f"step {step} is {current.value} ({current.label}); "
            f"{new.value} ({new.label}) needs it to be "
            + (", ".join(sorted(s.value for s in STEP_ALLOWED_FROM[new])) or "never set by hand"),
        )


@frozen
class Step:
    position: int
    name: str
    unit: str
    limit_days: int
    status: StepStatus
    submitted_at: datetime | None = None
    due: date | None = None
    due_provisional: bool = False
    finished_at: datetime | None = None
    issue_id: int | None = None


@frozen
class Project:
    id: int
    ref: str | None
    enterprise: str
    name: str
    investment: int  # 万元
    industry: str
    jurisdiction: str
    leader: str | None
    lead_unit: str | None
    created_at: datetime
    steps: tuple[Step, ...] = ()
