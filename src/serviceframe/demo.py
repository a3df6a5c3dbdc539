"""The bundled city, run end to end: what ``serviceframe demo`` does.

Each step goes through the same services a clerk's commands use, so the demo is also a
smoke test of the whole mechanism on a fresh database.
"""

from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

from attrs import frozen

from serviceframe.app import App
from serviceframe.errors import ValidationError
from serviceframe.orgfile import ChannelConfig
from serviceframe.tabular import RowProblem, read_rows

Say = Callable[[str], None]


def example_dir() -> Path:
    """The Jiaozuo example shipped inside the package (examples/jiaozuo in the source tree)."""
    with as_file(files("serviceframe.examples.jiaozuo")) as path:
        return Path(path)


@frozen
class ExampleLoaded:
    jurisdictions: int
    units: int
    officials: int
    groups: int
    enterprises: int
    rejected: int
    contacts: int
    liaisons: int
    policies: int = 0
    projects: int = 0


def load_example(app: App, channels: tuple[ChannelConfig, ...] = ()) -> ExampleLoaded:
    """Load the Jiaozuo organisation, enterprises and assignments into a migrated database;
    with ``channels`` added to the organisation file's."""
    from serviceframe.services.assignments import assign
    from serviceframe.services.enterprises import import_enterprises
    from serviceframe.services.organisation import load_organisation, save_organisation
    from serviceframe.services.policies import import_policies

    data = example_dir()
    if channels:
        from attrs import evolve

        from serviceframe.orgfile import load_org
        from serviceframe.services.channels import plugin_checks

        path = data / "organisation.toml"
        org_file = load_org(path, plugins=plugin_checks(app))
        org_file = evolve(org_file, channels=(*org_file.channels, *channels))
        org = save_organisation(app, org_file, str(path))
    else:
        org = load_organisation(app, data / "organisation.toml")
    imported = import_enterprises(app, data / "enterprises.csv")
    _, rows = read_rows(data / "assignments.csv")
    contacts = liaisons = 0
    for item in rows:
        if isinstance(item, RowProblem):
            raise ValidationError(item.column, item.value, f"line {item.line}: {item.reason}")
        _line, row = item
        result = assign(app, row["统一社会信用代码"], row["官员"], row["单位"] or None)
        if result.assignment.unit:
            liaisons += 1
        else:
            contacts += 1
    policies = import_policies(app, data / "policies.csv")
    from serviceframe.services.projects import import_projects

    projects = import_projects(app, data / "projects.csv")
    if projects.errors:
        raise ValidationError("projects.csv", str(projects.errors[0]), "the example is broken")
    return ExampleLoaded(
        org.jurisdictions,
        org.units,
        org.officials,
        org.groups,
        imported.inserted,
        len(imported.errors),
        contacts,
        liaisons,
        policies.inserted,
        projects.added,
    )


def run_demo(app: App, say: Say) -> None:
    from serviceframe.services.assignments import coverage
    from serviceframe.store.migrate import upgrade

    _, after = upgrade(app.engine)
    say(f"1. 建库 created the schema (migration {after})")
    outbox_file = _notifications_file(app)
    outbox_file.unlink(missing_ok=True)
    loaded = load_example(
        app, (ChannelConfig("demo", "file", settings={"path": str(outbox_file)}),)
    )
    say(
        f"2. 组织机制 loaded the organisation: {loaded.jurisdictions} jurisdictions, "
        f"{loaded.units} units, {loaded.officials} officials, {loaded.groups} leading groups"
    )
    say(
        f"3. 企业名录 imported {loaded.enterprises} enterprises ({loaded.rejected} rejected); "
        f"涉企政策 {loaded.policies} policies in the catalogue"
    )
    policy_lookup(app, say)
    say(
        f"4. 领导分包 assigned {loaded.contacts} contact leaders and {loaded.liaisons} department liaisons"
    )
    cover = coverage(app)
    city = cover.quotas[0]  # the top of the organisation comes first
    say(
        f"5. 覆盖情况 city key enterprises {city.key_enterprises}/{city.target}, "
        f"{city.with_contact} with a contact leader; "
        f"{sum(1 for g in cover.gaps if g.level == city.level)} city gaps, "
        f"{sum(1 for g in cover.gaps if g.level != city.level)} county gaps"
    )
    from serviceframe.scenario import matchmaking, project_season, run_season

    run_season(app, say)
    project_season(app, say)
    matchmaking(app, say)
    early_warning(app, say)
    policy_push(app, say)
    show_notifications(app, say, outbox_file)


def early_warning(app: App, say: Say) -> None:
    """A year of monthly indicators, and the warnings the organisation file's rules raise."""
    from collections import Counter

    from serviceframe.services.early_warning import raise_warnings
    from serviceframe.services.indicators import import_indicators

    imported = import_indicators(app, example_dir() / "indicators.csv")
    run = raise_warnings(app)
    by_rule = Counter(w.rule_title for w in run.warnings)
    say(
        f"14. 预测预警 imported {imported.inserted} monthly indicators of {imported.rows // 13} "
        f"enterprises; {run.month}: {len(run.warnings)} warnings ("
        + ", ".join(f"{title} {n}" for title, n in by_rule.most_common())
        + f"), {len(run.issues)} filed as issues (source warning)"
    )
    first = next((w for w in run.warnings if w.rule == "power_yoy"), None)
    if first is not None:
        say(f"    e.g. {first.enterprise_name}: {first.detail}")


def policy_push(app: App, say: Say) -> None:
    """A policy added today is told to the enterprises it fits, once."""
    from serviceframe.domain.policy import Policy
    from serviceframe.services.policies import add_policy, today, update_policy
    from serviceframe.services.policy_push import pushes_of

    day = today(app)
    policy = add_policy(
        app,
        Policy(
            title="焦作市支持电线电缆企业技术改造的若干措施",
            issuer="焦作市工业和信息化局",
            issued_on=day,
            categories=(4, 6),
            industries=("C383",),
            body="对电线电缆企业实施智能化、绿色化技术改造,按设备投资额给予补助。",
            doc_no=f"焦工信〔{day.year}〕88号",
        ),
    )
    pushed = pushes_of(app, policy.id or 0)
    update_policy(app, policy.id or 0, source_url="https://gxj.jiaozuo.example/88")
    again = pushes_of(app, policy.id or 0)
    say(
        f"15. 政策推送 policy {policy.doc_no} added: pushed to the contact people of "
        f"{len(pushed)} enterprises of industry C383; updated: pushed to {len(again) - len(pushed)} more"
    )


def _notifications_file(app: App) -> Path:
    """Beside the demo's database: ``serviceframe-demo.notifications.jsonl``."""
    from sqlalchemy.engine import make_url

    database = make_url(str(app.engine.url)).database or "serviceframe-demo.db"
    return Path(database).with_suffix(".notifications.jsonl")


def show_notifications(app: App, say: Say, path: Path) -> None:
    """What the season told whom, delivered to a file so that nothing leaves the machine."""
    from collections import Counter

    from serviceframe.services.outbox import deliver_due, list_outbox

    rows = list_outbox(app, limit=None)
    kinds = Counter(r["kind"] for r in rows)
    unaddressed = sum(1 for r in rows if r["status"] == "failed")
    say(
        f"16. 通知 the season wrote {len(rows)} notifications, each in the transaction of the "
        "change that caused it: "
        + ", ".join(f"{_label(k)} {k} {n}" for k, n in kinds.most_common())
        + f"; {unaddressed} could not be addressed"
    )
    # The season moved the clock about; deliver as of its last notification.
    latest = max((r["next_attempt_at"] for r in rows), default=app.now())
    app.clock = lambda: latest
    sent = 0
    while report := deliver_due(app, limit=500):
        if not report.claimed:
            break
        sent += report.count("sent")
    say(f"    delivered {sent} to {path} (a local file channel: nothing leaves the machine)")
    for kind in ("dispatched", "resolved", "supervised", "warning", "policy_push"):
        example = next((r for r in reversed(rows) if r["kind"] == kind), None)
        if example is not None:
            say(
                f"    e.g. → {example['recipient_name']} <{example['address']}>: {example['subject']}"
            )


def _label(kind: str) -> str:
    from serviceframe.domain.notices import NOTICES

    # Messages written by a service rather than decided from an event have no notice rule.
    other = {"warning": "预警通知", "policy_push": "政策推送", "event_invitation": "活动邀请"}
    return NOTICES[kind].label if kind in NOTICES else other.get(kind, kind)


def policy_lookup(app: App, say: Say, query: str = "融资") -> None:
    """What an enterprise sees on the portal: a policy search, and the policies for it."""
    from serviceframe.services.enterprises import list_enterprises
    from serviceframe.services.policies import policies_for, search_policies

    found = search_policies(app, query, limit=3)
    say(f"   政策查询 policy search「{query}」: {found.total} found ({found.index.kind} index)")
    for hit in found.hits:
        p = hit.policy
        say(f"     {p.title} ({p.issuer} {p.doc_no}, {p.validity.label})")
    enterprise = next(e for e in list_enterprises(app) if e.key_level.is_city_key)
    matches = policies_for(app, enterprise.credit_code, limit=3)
    say(f"   政策匹配 policies for {enterprise.name} (行业 {enterprise.industry}):")
    for m in matches:
        why = "、".join(c.label for c in m.raised) or f"行业 {m.industry or '不限'}"
        say(f"     {m.policy.title} (适用: {why})")


def write_reports(app: App, directory: Path, say: Say, period: str = "2026-Q4") -> list[Path]:
    """The quarter's circular (HTML with charts, XLSX) and the assessment (XLSX), next to the
    demo database."""
    from serviceframe.reports.run import write_report

    written = []
    for name, suffix in (("circular", "html"), ("circular", "xlsx"), ("assessment", "xlsx")):
        path = directory / f"{name}-{period}.{suffix}"
        write_report(app, name, path, period)
        written.append(path)
    say(f"17. 通报 the circular for {period}: {written[0]} (open it in a browser) and {written[1]}")
    say(f"18. 考核 the assessment for {period}: {written[2]}")
    return written
