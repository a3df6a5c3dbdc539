"""Who is assigned to an enterprise (R2, R3).

A *contact* (分包联系人) is one leader for a key enterprise; a *liaison* (挂钩) is a department's
standing link with a responsible leader. Assignments are never deleted: handing over ends the
old one (``valid_to``) and starts a new one, so the history of who was responsible stays.
"""

from datetime import date
from enum import StrEnum

from attrs import frozen


class AssignmentKind(StrEnum):
    CONTACT = "contact"  # 领导分包联系人
    LIAISON = "liaison"  # 市直部门挂钩

    @property
    def label(self) -> str:
        return {"contact": "分包联系人", "liaison": "挂钩服务"}[self.value]


@frozen
class Assignment:
    id: int
    kind: AssignmentKind
    enterprise: str
    official: str
    unit: str | None
    valid_from: date
    valid_to: date | None = None
    ended_reason: str = ""

    @property
    def current(self) -> bool:
        return self.valid_to is None


@frozen
class ContactCard:
    """联系卡: what one department hands an enterprise so it knows whom to call."""

    enterprise: str
    enterprise_name: str
    unit: str
    unit_name: str
    unit_phone: str
    leader: str
    leader_name: str
    leader_title: str
    leader_phone: str
    kind: AssignmentKind


@frozen
class CoverageGap:
    """A key enterprise without a current contact leader (R2: gaps must be visible)."""

    level: str  # "city" or the county code
    credit_code: str
    name: str
    jurisdiction: str


@frozen
class QuotaLine:
    level: str  # "city" or a county code
    name: str
    key_enterprises: int
    target: int
    with_contact: int
