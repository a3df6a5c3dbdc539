"""Gaps in an organisation (``serviceframe org check``): what leaves an issue with nobody to
answer for it at some rung, listed so the office can fill it.

A gap never stops the mechanism: the ladder skips a missing rung to the next one that exists
(:mod:`serviceframe.domain.routing`) and records the skip on the issue. But each skip is a
leader missing where the seed wants one, so every gap is listed here, level by level.
"""

from enum import StrEnum

from attrs import frozen

from serviceframe.domain.categories import Category
from serviceframe.domain.organisation import Organisation, Role, UnitKind


class GapKind(StrEnum):
    NO_GROUP = "no_group"  # no leading group here or above: issues land nowhere
    OFFICE = "office"  # the group's office is not an active unit
    GROUP_LEADER = "group_leader"  # the group's leader left office
    RUNG = "rung"  # no active head, executive deputy or deputy at a level that runs the ladder
    CATEGORY = "category"  # a service category nobody at the level is in charge of
    UNIT_HEAD = "unit_head"  # a department without an active head

    @property
    def label(self) -> str:
        return {
            "no_group": "无领导小组",
            "office": "办公室",
            "group_leader": "领导小组组长",
            "rung": "缺少层级",
            "category": "无人分管",
            "unit_head": "单位无负责人",
        }[self.value]


@frozen
class Gap:
    level: str  # the jurisdiction's code
    kind: GapKind
    subject: str  # what is missing: a role, a category number, a unit id
    message: str  # in Chinese, naming the place and what is missing


def organisation_gaps(org: Organisation) -> list[Gap]:
    """Every gap, level by level from the root down (breadth first), then by kind."""
    gaps: list[Gap] = []
    units = {u.id: u for u in org.units}
    for code in org.descendants(org.root.code):
        here = org.jurisdiction(code)
        assert here is not None
        place = f"{here.name}({code})"
        group = org.group_of(code)
        if group is None:
            if org.running_group(code) is None:
                gaps.append(
                    Gap(
                        code,
                        GapKind.NO_GROUP,
                        "",
                        f"{place}及其上级都没有领导小组:这里企业的问题无处受理",
                    )
                )
        else:
            office = units.get(group.office)
            if office is None or not office.active:
                gaps.append(
                    Gap(
                        code,
                        GapKind.OFFICE,
                        group.office,
                        f"{place}领导小组的办公室 {group.office} 不是在用的单位:问题无处受理",
                    )
                )
            leader = org.official(group.leader)
            if leader is None or not leader.active:
                gaps.append(
                    Gap(
                        code,
                        GapKind.GROUP_LEADER,
                        group.leader,
                        f"{place}领导小组组长 {group.leader} 已不在任",
                    )
                )
            for role in (Role.HEAD, Role.EXECUTIVE_DEPUTY, Role.DEPUTY):
                if not org.leaders_in(code, role):
                    gaps.append(
                        Gap(
                            code,
                            GapKind.RUNG,
                            role.value,
                            f"{place}没有在任的{here.title(role)}:督办时跳过这一级",
                        )
                    )
            covered = {
                c
                for o in org.officials_in(code)
                if o.active and o.role.is_government_leader
                for c in o.portfolio.categories
            }
            for c in Category:
                if c is not Category.UNCLASSIFIED and c not in covered:
                    gaps.append(
                        Gap(
                            code,
                            GapKind.CATEGORY,
                            str(c.value),
                            f"{place}没有领导分管 {c.value} {c.label}:一般性问题交常务副职或主要领导",
                        )
                    )
        for unit in units.values():
            if unit.jurisdiction != code or not unit.active or unit.kind is UnitKind.GOVERNMENT:
                continue
            if not org.unit_heads(unit.id):
                gaps.append(
                    Gap(
                        code,
                        GapKind.UNIT_HEAD,
                        unit.id,
                        f"{unit.name}({unit.id})没有在任的主要负责人:逾期时无人可问责",
                    )
                )
    return gaps
