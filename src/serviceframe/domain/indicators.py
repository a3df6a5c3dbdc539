"""Operating indicators and the early-warning rules over them (工业运行监测、预测预警, category 2).

An enterprise reports, month by month, its electricity use, industrial output value, tax paid
and employees. A *warning rule* of the organisation file (``[[warnings]]``) says when a month's
figure calls for attention: a year-on-year drop beyond a share, several months of decline in a
row, or a figure below its industry's median by a share. Months are numbered
``year * 12 + month - 1`` in the store, so that "a year earlier" is ``month_no - 12`` in SQL.
"""

import re
from collections.abc import Sequence
from enum import StrEnum

from attrs import frozen

from serviceframe.errors import ValidationError

# indicator -> (Chinese label, unit); the keys are the names in files, rules and JSON.
INDICATORS: dict[str, tuple[str, str]] = {
    "electricity": ("用电量", "万千瓦时"),
    "output": ("工业总产值", "万元"),
    "tax": ("税收", "万元"),
    "employees": ("从业人员", "人"),
}


class RuleKind(StrEnum):
    YOY_DROP = "yoy_drop"  # 同比下降: below the same month a year earlier by more than percent
    DECLINE = "decline"  # 连续下降: lower than the month before, ``months`` months in a row
    BELOW_INDUSTRY = "below_industry"  # 低于行业: below the industry's median by more than percent

    @property
    def label(self) -> str:
        return {"yoy_drop": "同比下降", "decline": "连续下降", "below_industry": "低于行业中位数"}[
            self.value
        ]


_RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_DECLINE_MONTHS = 12


@frozen
class WarningRule:
    """One ``[[warnings]]`` table of the organisation file."""

    id: str  # short, lower-case: how stored warnings name their rule
    indicator: str
    kind: RuleKind
    percent: float = 0.0  # yoy_drop, below_industry: the drop (or gap) that raises a warning
    months: int = 3  # decline: how many month-on-month declines in a row
    industry_digits: int = 2  # below_industry: peers share this many digits of GB/T 4754 (C26)
    min_peers: int = 5  # below_industry: fewer enterprises reporting that month: no median
    label: str = ""  # the rule's Chinese name in lists; default from indicator and kind
    issue: bool = False  # also file an issue (source ``warning``) for each warning

    @property
    def title(self) -> str:
        return self.label or f"{INDICATORS[self.indicator][0]}{self.kind.label}"


def check_warning_rules(rules: Sequence[WarningRule], where: str = "warnings") -> list[str]:
    """Every problem of the ``[[warnings]]`` tables, naming the key and the value."""
    problems = []
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        at = f"{where}[{i}]"
        if not _RULE_ID.match(rule.id):
            problems.append(
                f"{at}.id={rule.id!r}: lower-case letters, digits and _, at most 40, "
                'e.g. "power_yoy"'
            )
        elif rule.id in seen:
            problems.append(f"{at}.id={rule.id!r}: two rules have this id")
        seen.add(rule.id)
        if rule.indicator not in INDICATORS:
            problems.append(
                f"{at}.indicator={rule.indicator!r}: not an indicator; known: "
                f"{', '.join(INDICATORS)}"
            )
        if rule.kind in (RuleKind.YOY_DROP, RuleKind.BELOW_INDUSTRY) and not (
            0 < rule.percent < 100
        ):
            problems.append(f"{at}.percent={rule.percent!r}: give a share between 0 and 100")
        if rule.kind is RuleKind.DECLINE and not 1 <= rule.months <= MAX_DECLINE_MONTHS:
            problems.append(f"{at}.months={rule.months!r}: between 1 and {MAX_DECLINE_MONTHS}")
        if rule.kind is RuleKind.BELOW_INDUSTRY:
            if rule.industry_digits not in (2, 3, 4):
                problems.append(
                    f"{at}.industry_digits={rule.industry_digits!r}: 2, 3 or 4 digits of "
                    "GB/T 4754 (division C26, group C261, class C2614)"
                )
            if rule.min_peers < 2:
                problems.append(f"{at}.min_peers={rule.min_peers!r}: at least 2")
        if len(rule.label) > 60:
            problems.append(f"{at}.label={rule.label!r}: at most 60 characters")
    return problems


# --- months ------------------------------------------------------------------------------------

_MONTH = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))\s*$")


def parse_month(value: object, field: str = "month") -> int:
    """``2026-03``, ``2026/3``, ``2026年3月``, ``202603`` (or an Excel date's ``2026-03-01``)
    as a month number (``year * 12 + month - 1``)."""
    text = str(value).strip()
    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}( 00:00:00)?$", text):  # an Excel date cell
        text = text.rsplit("-", 1)[0]
    found = _MONTH.match(text)
    if found is None:
        raise ValidationError(field, value, "not a month: write 2026-03, 2026年3月 or 202603")
    year, month = int(found.group(1)), int(found.group(2) or found.group(3))
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise ValidationError(field, value, "no such month")
    return year * 12 + month - 1


def month_text(month_no: int) -> str:
    """``2026-03`` for a month number."""
    return f"{month_no // 12:04d}-{month_no % 12 + 1:02d}"


def parse_value(indicator: str, value: object) -> float | None:
    """A cell's figure: ``1,234.5``, ``１２３``; blank means not reported (None)."""
    text = str(value).strip().replace(",", "").replace(",", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(indicator, value, "not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationError(indicator, value, "not a number")
    if number < 0:
        raise ValidationError(indicator, value, "must not be negative")
    if indicator == "employees" and number != int(number):
        raise ValidationError(indicator, value, "a number of people is a whole number")
    return number


# --- enterprise size (统计上大中小微型企业划分办法(2017), industry) ----------------------------

# (size, at least employees, at least annual revenue in 万元); both must hold, else the next.
SIZE_BANDS = (("large", 1000, 40000.0), ("medium", 300, 2000.0), ("small", 20, 300.0))


def size_of(employees: float | None, annual_output: float | None) -> str | None:
    """The statistical size of an industrial enterprise from its employees and a year's
    output value (standing in for revenue); None when either is unknown."""
    if employees is None or annual_output is None:
        return None
    for size, people, revenue in SIZE_BANDS:
        if employees >= people and annual_output >= revenue:
            return size
    return "micro"
