"""Who is told what, and when: the notification rules, in one table (R3, R7, R9).

Each *notice kind* follows some kinds of event (a dispatch, a resolution, a supervision order)
and goes to an *audience* (the enterprise's contacts, the handling units, the leader the issue
climbed to) with a Chinese subject and body whose ``{placeholders}`` are filled from the event.
The table below is the default; a county changes any rule, or turns it off, in the
``[notifications.<kind>]`` tables of its organisation file.
"""

import re
import string
import unicodedata
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

# Who a notice can go to; the core resolves each to people with addresses.
AUDIENCES = {
    "enterprise": "企业联系人",  # every contact person of the enterprise
    "lead_unit": "主办单位",  # its liaison leader for the enterprise (挂钩), else its head
    "co_units": "协办单位",  # the same, for each co-handling unit
    "handling_units": "主办和协办单位",
    "overdue_unit": "逾期单位",  # the unit that missed the deadline (督办)
    "leader": "负责领导",  # the leader the issue (or cluster) is now with
    "office": "办公室",  # the office of the leading group that runs the enterprise's place
}

# Placeholders every notice about an issue can use.
COMMON = (
    "recipient",  # the person (or unit) the notice is for
    "office",  # the office running the enterprise's jurisdiction: a signature
    "issue_id",
    "title",
    "enterprise",  # the enterprise's name
    "enterprise_code",
    "round",  # the resolution round
)


@frozen
class NoticeKind:
    name: str
    label: str
    events: frozenset[str]  # the event kinds it follows (see ``notices_for``)
    to: tuple[str, ...]
    subject: str
    body: str
    placeholders: tuple[str, ...] = ()  # beyond COMMON
    enabled: bool = True
    # A satisfaction invitation: it carries the issue and its round, and a reply to it with a
    # rating is recorded for exactly that issue and round.
    invitation: bool = False


NOTICES: dict[str, NoticeKind] = {
    n.name: n
    for n in (
        NoticeKind(
            "received",
            "受理回执",
            frozenset({"filed"}),
            ("enterprise",),
            "【已受理】问题{issue_id}:{title}",
            "{recipient}:您好!贵企业反映的“{title}”已受理,编号{issue_id}。"
            "直接回复本消息可补充情况。\n——{office}",
            enabled=False,  # a bulk import would send thousands: a county turns it on
        ),
        NoticeKind(
            "dispatched",
            "交办通知",
            frozenset({"dispatched"}),
            ("handling_units",),
            "【交办】问题{issue_id}:{title}",
            "{recipient}:\n{office}将{enterprise}反映的问题(编号{issue_id})交贵单位{role}。\n"
            "问题:{title}\n请于{ack_due}前签收,{feedback_due}前首次反馈,{resolve_due}前办结。",
            ("role", "lead_unit", "ack_due", "feedback_due", "resolve_due"),
        ),
        NoticeKind(
            "acknowledged",
            "签收告知",
            frozenset({"acknowledged"}),
            ("enterprise",),
            "【已签收】问题{issue_id}:{title}",
            "{recipient}:您好!贵企业反映的“{title}”(编号{issue_id})已由{unit}签收办理。\n——{office}",
            ("unit",),
        ),
        NoticeKind(
            "resolved",
            "办结告知及满意度评价邀请",
            frozenset({"resolved", "settled"}),
            ("enterprise",),
            "【办结】问题{issue_id}:{title}(请评价)",
            "{recipient}:您好!贵企业反映的“{title}”(编号{issue_id})已办结:{resolution}\n"
            "请对办理结果评价,直接回复:1 满意,2 基本满意,3 不满意。\n——{office}",
            ("resolution",),
            invitation=True,
        ),
        NoticeKind(
            "redo",
            "退回重办",
            frozenset({"rated"}),
            ("enterprise", "lead_unit"),
            "【退回重办】问题{issue_id}:{title}",
            "{recipient}:问题“{title}”(编号{issue_id})企业评价为不满意,已退回重办,"
            "须于{resolve_due}前重新办结。企业意见:{comment}\n——{office}",
            ("comment", "resolve_due"),
        ),
        NoticeKind(
            "replied",
            "企业回复",
            frozenset({"replied"}),
            ("lead_unit",),
            "【企业回复】问题{issue_id}:{title}",
            "{recipient}:{enterprise}就问题{issue_id}回复:\n{reply}",
            ("reply",),
        ),
        NoticeKind(
            "supervised",
            "督办通知",
            frozenset({"escalated"}),
            ("overdue_unit", "leader"),
            "【督办】问题{issue_id}:{title}",
            "{recipient}:{overdue_unit}未在{due}前完成{deadline}(问题{issue_id},{enterprise})。"
            "已督办,问题现由{leader}负责。\n——{office}",
            ("deadline", "due", "overdue_unit", "leader"),
        ),
        NoticeKind(
            "instructed",
            "领导批示",
            frozenset({"instructed"}),
            ("handling_units", "office"),
            "【领导批示】问题{issue_id}:{title}",
            "{recipient}:{leader}对{enterprise}反映的问题(编号{issue_id})批示:\n"
            "{instruction}\n请抓紧落实,并及时反馈办理进展。\n——{office}",
            ("leader", "instruction"),
        ),
        NoticeKind(
            "cluster",
            "倾向性、普遍性问题",
            frozenset({"clustered"}),
            ("leader",),
            "【倾向性普遍性问题】{topic}",
            "{recipient}:{members}家企业反映同类问题“{topic}”,已形成倾向性、普遍性问题"
            "(编号{cluster_id}),请统筹研究解决。\n——{office}",
            ("topic", "cluster_id", "members", "leader"),
        ),
    )
}

DEADLINE_LABELS = {"acknowledge": "签收", "feedback": "首次反馈", "resolve": "办结", "redo": "重办"}


def notices_for(kind: str, data: Mapping[str, Any]) -> list[str]:
    """The notice kinds an event of ``kind`` with ``data`` can cause (before the rules say
    whether they are on)."""
    if kind == "rated":
        return ["redo"] if data.get("satisfaction") == "unsatisfied" else []
    if kind == "clustered":  # only the event that formed a cluster, not each member joining
        return ["cluster"] if data.get("formed") else []
    return [n.name for n in NOTICES.values() if kind in n.events]


@frozen
class NotificationRule:
    """What the organisation file may change of one notice kind (``[notifications.<kind>]``)."""

    enabled: bool | None = None
    to: tuple[str, ...] | None = None
    channels: tuple[str, ...] = ()  # preference order; empty: every outbound channel
    subject: str | None = None
    body: str | None = None


@frozen
class Rule:
    """One notice kind as it applies: the default with the county's changes."""

    kind: NoticeKind
    enabled: bool
    to: tuple[str, ...]
    channels: tuple[str, ...]
    subject: str
    body: str
    placeholders: frozenset[str] = field(factory=frozenset)


def effective_rules(
    changes: Mapping[str, NotificationRule], extra: Mapping[str, frozenset[str]] | None = None
) -> dict[str, Rule]:
    """Every notice kind with the county's changes applied; ``extra`` names the placeholders
    plugins add, per notice kind."""
    rules = {}
    for name, kind in NOTICES.items():
        change = changes.get(name, NotificationRule())
        rules[name] = Rule(
            kind,
            kind.enabled if change.enabled is None else change.enabled,
            kind.to if change.to is None else change.to,
            change.channels,
            kind.subject if change.subject is None else change.subject,
            kind.body if change.body is None else change.body,
            frozenset({*COMMON, *kind.placeholders, *(extra or {}).get(name, ())}),
        )
    return rules


def check_rules(
    changes: Mapping[str, NotificationRule],
    channels: set[str],
    extra: Mapping[str, frozenset[str]] | None = None,
) -> list[str]:
    """Every problem of the ``[notifications]`` tables, naming the key and the value."""
    problems = []
    for name, change in changes.items():
        where = f"notifications.{name}"
        if name not in NOTICES:
            problems.append(f"{where}: no such notice kind; known: {', '.join(NOTICES)}")
            continue
        for audience in change.to or ():
            if audience not in AUDIENCES:
                problems.append(
                    f"{where}.to: {audience!r} is not an audience; known: {', '.join(AUDIENCES)}"
                )
        for channel in change.channels:
            if channel not in channels:
                problems.append(f"{where}.channels: {channel!r} is not a configured channel")
    for name, rule in effective_rules(
        {k: v for k, v in changes.items() if k in NOTICES}, extra
    ).items():
        for part in ("subject", "body"):
            problems += [
                f"notifications.{name}.{part}: {p}"
                for p in check_template(getattr(rule, part), rule.placeholders)
            ]
    return problems


def placeholders_in(template: str) -> list[str]:
    """The names a template uses; raises ValueError for a malformed one."""
    names = []
    for _text, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{{{name}}} is not a placeholder: write a plain name in braces")
        names.append(name)
    return names


def check_template(template: str, allowed: frozenset[str]) -> list[str]:
    try:
        names = placeholders_in(template)
    except ValueError as exc:
        return [f"{template!r}: {exc} (a literal brace is written twice: {{{{ or }}}})"]
    return [
        f"{{{name}}} is not a placeholder here; known: {', '.join(sorted(allowed))}"
        for name in names
        if name not in allowed
    ]


def render(template: str, values: Mapping[str, object]) -> str:
    """The template with its placeholders filled; a missing value raises KeyError."""
    return template.format_map({name: values[name] for name in placeholders_in(template)})


# A rating written as a reply: "1", "２", "满意", "基本满意。谢谢", "不满意,问题没解决".
_WORDS = "不满意|基本满意|非常满意|满意"
_SEP = r"[\s,.;:!?、。]*"
# "2 基本满意,希望…": the digit, the word it stands for (often both are written), the comment.
_RATING = re.compile(rf"\s*({_WORDS}|[123])(?!\d){_SEP}(?:(?:{_WORDS}){_SEP})?(.*)", re.S)
_RATINGS = {
    "1": "satisfied",
    "满意": "satisfied",
    "非常满意": "satisfied",
    "2": "basic",
    "基本满意": "basic",
    "3": "unsatisfied",
    "不满意": "unsatisfied",
}


def rating_in(text: str) -> tuple[str, str] | None:
    """The rating a reply to a satisfaction invitation starts with, and the rest as a comment;
    None when it does not start with one."""
    found = _RATING.match(unicodedata.normalize("NFKC", text))
    if found is None:
        return None
    return _RATINGS[found.group(1)], found.group(2).strip()
