"""Who is assigned to an enterprise (R2, R3).

A *contact* (分包联系人) is one leader for a key enterprise; a *liaison* (挂钩) is a department's
standing link with a responsible leader. Assignments are never deleted: handing over ends the
old one (``valid_to``) and starts a new one, so the history of who was responsible stays.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

from attrs import frozen

from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.organisation import Organisation


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
    level: str = ""  # the jurisdiction the official serves: one contact per enterprise and level

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
    """A key enterprise without a contact leader at a level it is key at (R2: gaps must be
    visible). A leader of that level or of one above it counts."""

    level: str  # the jurisdiction's code: 410800 for the city's list, 410802 for a county's
    credit_code: str
    name: str
    jurisdiction: str  # where the enterprise is registered


@frozen
class QuotaLine:
    """One level's key enterprises against its target (重点企业目标数)."""

    level: str  # the jurisdiction's code
    name: str
    key_enterprises: int
    target: int
    with_contact: int


@frozen
class KeyEnterprise:
    """A key enterprise and the levels of its current contact leaders, for coverage."""

    credit_code: str
    name: str
    jurisdiction: str
    key_level: KeyLevel
    contact_levels: tuple[str, ...] = ()


def coverage_of(
    org: Organisation, levels: Sequence[str], enterprises: Iterable[KeyEnterprise]
) -> tuple[list[QuotaLine], list[CoverageGap]]:
    """Each of ``levels`` with its key enterprises (those of its subtree key at its level or
    higher) against its target, and the key enterprises no leader of that level or above is
    the contact of. One pass over the key enterprises, each along its own chain."""
    wanted = set(levels)
    counts = {code: [0, 0] for code in levels}
    gaps: list[CoverageGap] = []
    for e in enterprises:
        chain = org.chain(e.jurisdiction)
        for position, code in enumerate(chain):
            here = org.jurisdiction(code)
            if code not in wanted or here is None or not e.key_level.is_key_at(here.kind):
                continue
            counts[code][0] += 1
            if any(c in chain[position:] for c in e.contact_levels):
                counts[code][1] += 1
            else:
                gaps.append(CoverageGap(code, e.credit_code, e.name, e.jurisdiction))
    lines = []
    for code in levels:
        here = org.jurisdiction(code)
        target = org.quotas.target(here.kind) if here is not None else 0
        lines.append(QuotaLine(code, org.place(code), counts[code][0], target, counts[code][1]))
    gaps.sort(key=lambda g: (org.depth(g.level), g.level, g.jurisdiction, g.credit_code))
    return lines, gaps
