"""A season of the mechanism on the bundled city, for ``serviceframe demo``.

Enterprises raise problems through every channel over a few weeks; the office classifies and
dispatches them, units acknowledge, report and resolve, enterprises rate. Some units are late
and their issues climb the ladder; many enterprises raise the same gas shortage and it becomes
a widespread-issue cluster; a policy question goes to the executive meeting. Everything goes
through the services, with the app's clock moved along, so it is deterministic.
"""

import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from serviceframe.app import App
from serviceframe.domain.enterprise import Enterprise
from serviceframe.domain.workdays import SHANGHAI

Say = Callable[[str], None]

# What enterprises raise, per category, as a clerk would type it in.
COMPLAINTS = {
    1: [
        "近期电网频繁拉闸限电,生产线多次被迫停工,请协调供电公司保障用电",
        "煤炭供应紧张,电煤到厂价格上涨,库存仅够三天,请协调煤炭调运",
        "铁路运力不足,原料车皮申请迟迟批不下来,影响正常生产",
    ],
    2: [
        "订单较去年同期下降三成,产品价格持续走低,企业经营面临困难",
        "出口订单大幅减少,库存积压严重,希望了解行业运行预警信息",
    ],
    3: [
        "银行抽贷压贷,流动资金贷款到期后无法续贷,资金链十分紧张",
        "申请技改项目贷款被拒,担保公司要求反担保条件过高,融资难",
        "希望参加银企对接会,解决设备更新的资金缺口",
    ],
    4: [
        "申报高新技术企业认定,研发费用归集口径不清楚,请给予指导",
        "新产品专利申请周期太长,希望协调知识产权部门加快审查",
    ],
    5: [
        "新建项目环评、规划许可手续办理缓慢,审批环节多,项目无法按期开工",
        "项目用地手续迟迟没有落实,土地证办理停滞,影响项目建设进度",
    ],
    6: [
        "节能技改项目申请节能专项资金,不清楚申报条件和流程",
        "清洁生产审核和污染治理设施改造需要技术指导",
    ],
    7: [
        "一个月内多个部门反复上门检查,影响企业正常生产秩序,请规范涉企检查",
        "有关部门乱收费,收取的费用没有任何文件依据,请予以查处",
        "办理营业执照变更多次跑腿,窗口推诿,首问责任制没有落实",
    ],
    8: [
        "技术工人招工难,熟练技工流失严重,希望组织校企合作订单式培养",
        "希望为企业中层管理人员举办经营管理培训班",
    ],
    9: [
        "厂区老旧设备存在安全隐患,需要安监部门指导整改",
        "与部分职工发生劳资纠纷,需要劳动部门协调调解",
    ],
}
# Who the office hands each category to (交办), by the portfolio of the leader in charge.
LEAD_UNIT = {
    1: "jz-fgw",
    2: "jz-edsb",
    3: "jz-jrb",
    4: "jz-zjj",
    5: "jz-jw",
    6: "jz-hbj",
    7: "jz-jcj",
    8: "jz-rsj",
    9: "jz-ajj",
}
SOURCES = ["hotline", "portal", "visit", "letter", "self_declared", "department", "government"]
# One gas shortage in three wordings: one topic (1:天然气供应), so one widespread issue.
GAS_SHORTAGE = (
    "冬季天然气供气不足,燃气公司压减工业用气指标,窑炉无法正常运行,请协调增加供气量",
    "入冬后燃气公司突然限气,锅炉只能半负荷运行,生产受到很大影响",
    "管道气气源紧张,每天停气数小时,请求协调保障工业用气",
)
POLICY_QUESTION = "建议市政府出台中小企业转贷应急周转资金政策,缓解企业过桥资金成本高的问题"
INSTRUCTION = "请牵头单位三个工作日内拿出解决方案,办结后报我"


def run_season(
    app: App, say: Say, start: datetime | None = None, days: int = 20, per_day: int = 6
) -> None:
    from serviceframe.services import agenda, bulk, coordination, instructions, routing, trends
    from serviceframe.services import issues as svc
    from serviceframe.services.enterprises import list_enterprises
    from serviceframe.services.organisation import organisation

    rng = random.Random(20090918)
    clock = start or datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
    app.clock = lambda: clock
    enterprises = list_enterprises(app)
    filed = 0
    late: list[int] = []
    for day in range(days):
        clock = datetime.combine(
            (start or datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)).date() + timedelta(days=day),
            datetime.min.time().replace(hour=9),
            SHANGHAI,
        )
        if clock.weekday() >= 5:
            continue
        for n in range(per_day):
            category = rng.choice(list(COMPLAINTS))
            enterprise = rng.choice(enterprises)
            issue = svc.file_issue(
                app,
                svc.IssueDraft(
                    enterprise=enterprise.credit_code,
                    source=rng.choice(SOURCES),
                    body=rng.choice(COMPLAINTS[category]),
                    external_id=f"demo-{day}-{n}",
                    severity="major" if rng.random() < 0.1 else None,
                ),
            ).issue
            filed += 1
            issue = svc.accept(app, issue.id)
            issue = svc.dispatch(app, issue.id, LEAD_UNIT[int(issue.category)])
            if rng.random() < 0.12:  # this unit lets it lie: the sweep will find it
                late.append(issue.id)
                continue
            _work(app, issue.id, issue.lead_unit or "", rng, clock)
    app.clock = lambda: clock
    say(
        f"6. 问题受理 filed {filed} issues from {len(SOURCES)} channels; classified, dispatched with "
        "working-day deadlines, handled and rated"
    )

    counts = Counter(i.status.value for i in svc.list_issues(app))
    say("   status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    # Late units: the sweep supervises each missed deadline, and each order left unanswered
    # past its reply limit, and moves the issue up a rung (one a sweep).
    org = organisation(app)
    for offset in (2, 5, 12):
        done = routing.escalate(app, clock + timedelta(days=offset))
        for e in done[:3]:
            move = f"{org.who(e.from_official)} → {org.who(e.to_official)}" if e.moved else e.note
            say(
                f"   督办 issue {e.issue}: {routing.ORDER_LABELS[e.deadline]} ({e.deadline}) "
                f"due {e.due}, {e.overdue_unit} ({org.who(e.overdue_official)}); {move}"
            )
        if len(done) > 3:
            say(f"   … and {len(done) - 3} more supervision orders")
    again = routing.escalate(app, clock + timedelta(days=12))
    say(
        f"7. 逾期督办 the sweep climbed the ladder; run again at the same moment: {len(again)} changes"
    )
    # The leader an overdue issue climbed to writes an instruction on it (领导批示), as itself.
    # The newest order of an issue names the leader it is with now.
    climbed = next((o for o in reversed(routing.supervision_orders(app)) if o["to_official"]), None)
    if climbed is not None:
        leader = climbed["to_official"]
        instructions.instruct(
            app.acting_as(leader), climbed["issue_id"], INSTRUCTION, actor=org.who(leader)
        )
        say(
            f"   领导批示 {org.who(leader)} on issue {climbed['issue_id']}: {INSTRUCTION} "
            "(told the units and the office)"
        )

    # Many enterprises in several counties raise the same gas shortage: a widespread issue.
    by_county: dict[str, Enterprise] = {}
    for enterprise in enterprises:
        by_county.setdefault(enterprise.jurisdiction, enterprise)
    gas = [
        svc.file_issue(
            app,
            svc.IssueDraft(
                enterprise=raiser.credit_code,
                source="hotline",
                body=GAS_SHORTAGE[n % len(GAS_SHORTAGE)],
                external_id=f"gas-{n}",
            ),
        ).issue.id
        for n, raiser in enumerate(list(by_county.values())[:6])
    ]
    # The office accepts and hands them on together, in bulk (one transaction each).
    bulk.accept_many(app, gas)
    bulk.dispatch_many(app, gas, "jz-fgw")
    for change in trends.detect(app):
        say(
            f"8. 倾向性普遍性问题 cluster {change.cluster} {change.kind}: topic {change.topic}, "
            f"{change.enterprises} enterprises in {change.counties} counties, "
            f"{len(GAS_SHORTAGE)} wordings → {change.rung} {change.official}"
        )
        _cluster, settled = trends.resolve_cluster(
            app, change.cluster, "市发改委协调燃气公司增加工业用气指标,优先保障重点企业"
        )
        say(
            f"   cluster {change.cluster} resolved once: {len(settled)} member issues settled (解决一个,带动一类)"
        )
        for issue_id in settled:
            svc.rate(app, issue_id, "satisfied")

    # A policy question for the executive meeting.
    city_key = next(e for e in enterprises if e.key_level.is_city_key)
    policy = svc.file_issue(
        app,
        svc.IssueDraft(
            enterprise=city_key.credit_code,
            source="letter",
            body=POLICY_QUESTION,
            severity="policy",
            external_id="policy-1",
        ),
    ).issue
    svc.accept(app, policy.id, category=3)
    meeting = agenda.schedule_meeting(
        app, (clock + timedelta(days=7)).date(), name="市政府常务会议"
    )
    items = agenda.agenda(app)["items"]
    say(f"9. 常务会议 {meeting['date']}: {len(items)} item(s) on the agenda")
    for item in items:
        result = agenda.decide(
            app, item["id"], "同意设立5000万元转贷应急周转资金,由市金融办牵头制定办法", settle=True
        )
        say(f"   item {item['id']} decided; decision written to issue(s) {result['issues']}")

    report = coordination.coordination(app, "2026-Q4")
    worst = sorted(report.units, key=lambda x: (-x.overdue, x.key))[:3]
    say(
        "10. 通报 coordination: "
        + "; ".join(
            f"{x.name or x.key} received {x.received}, on time {x.on_time}, overdue {x.overdue}, supervised {x.supervised}"
            for x in worst
        )
    )

    visit_season(app, say, enterprises, rng)


def _work(app: App, issue_id: int, unit: str, rng: random.Random, now: datetime) -> None:
    """A unit doing its job: acknowledge, report, resolve; the enterprise rates."""
    from serviceframe.services import issues

    base = now
    app.clock = lambda: base + timedelta(hours=3)
    issues.acknowledge(app, issue_id, unit)
    app.clock = lambda: base + timedelta(days=1, hours=2)
    issues.progress(app, issue_id, "已与企业对接,正在协调相关部门")
    app.clock = lambda: base + timedelta(days=rng.choice((2, 3, 4, 6)))
    issues.resolve(app, issue_id, "经协调,问题已解决,已向企业反馈")
    app.clock = lambda: base + timedelta(days=7)
    verdict = rng.choices(["satisfied", "basic", "unsatisfied"], weights=(70, 22, 8))[0]
    issue = issues.rate(
        app, issue_id, verdict, comment="" if verdict != "unsatisfied" else "问题未实质解决"
    )
    if verdict == "unsatisfied":  # sent back for redo; the unit tries again
        app.clock = lambda: base + timedelta(days=9)
        issues.resolve(app, issue.id, "重新协调,已落实解决措施")
        issues.rate(app, issue.id, "basic")
    app.clock = lambda: now


# Units that let the quarter pass without visiting an enterprise, so the compliance shows them.
IDLE_UNITS = ("jz-gsj-tax", "jz-dsj-tax", "jz-ghj", "jz-gaj", "jz-fgj")
VISIT_PROBLEM = "新厂区用地手续迟迟没有落实,土地证办理停滞,项目无法按期开工"


def visit_season(app: App, say: Say, enterprises: list[Enterprise], rng: random.Random) -> None:
    """R5: member units visit key enterprises with their contact leaders, the heads hold
    symposiums, a department holds an on-site office day; a problem found becomes an issue."""
    from datetime import date

    from serviceframe.domain.assignment import AssignmentKind
    from serviceframe.services.compliance import visit_compliance
    from serviceframe.services.configured import organisation_of
    from serviceframe.services.visits import FindingDraft, VisitDraft, record_visits

    city_keys = [e for e in enterprises if e.key_level.is_city_key]
    with app.uow() as uow:
        group = organisation_of(app, uow).group_of("410800")
        assert group is not None
        contacts = {}
        for e in city_keys:
            found = uow.assignments.current(e.credit_code, AssignmentKind.CONTACT)
            if found is not None:
                contacts[e.credit_code] = found.official
    drafts = []
    for n, unit in enumerate(u for u in group.members if u not in IDLE_UNITS):
        visited = rng.sample(city_keys, 2)
        leaders = tuple(contacts[e.credit_code] for e in visited if e.credit_code in contacts)
        drafts.append(
            VisitDraft(
                kind="走访",
                date=date(2026, 10, 13 + n % 14),
                units=(unit,),
                officials=leaders[:1],
                enterprises=tuple(e.credit_code for e in visited),
                findings=(FindingDraft("企业生产经营基本正常,订单较为饱满"),)
                + (
                    (FindingDraft(VISIT_PROBLEM, visited[0].credit_code, True, 5),)
                    if n == 0
                    else ()
                ),
                subject="四季度走访重点企业",
            )
        )
    drafts.append(
        VisitDraft(
            "座谈会", date(2026, 10, 20), ("jz-gov",), ("jz-mayor",), subject="市长与企业家座谈会"
        )
    )
    drafts.append(
        VisitDraft(
            "座谈会", date(2026, 10, 22), ("jf-gov",), ("jf-mayor",), subject="区长与企业家座谈会"
        )
    )
    drafts.append(
        VisitDraft(
            "现场办公",
            date(2026, 10, 27),
            ("jz-hbj",),
            enterprises=tuple(e.credit_code for e in city_keys[:3]),
            subject="环保审批现场办公",
        )
    )
    batch = record_visits(app, drafts)
    compliance = visit_compliance(app, "2026-Q4")
    city = [u for u in compliance.units if u.jurisdiction == "410800"]
    went = sum(1 for u in city if any(c.held for c in u.checks))
    heads = sum(1 for h in compliance.heads if any(c.held for c in h.checks))
    say(
        f"11. 走访调研 recorded {len(batch.recorded)} visits, symposiums and on-site office days; "
        f"{len(batch.issues)} problem found filed as an issue (source visit). "
        f"2026-Q4: {went} of {len(city)} city member units have visited, {heads} of "
        f"{len(compliance.heads)} heads held a symposium, {len(compliance.contact_gaps)} of "
        f"{compliance.key_enterprises} key enterprises not yet visited by their contact leader "
        "(serviceframe visit compliance --period 2026-Q4)"
    )


def project_season(app: App, say: Say) -> None:
    """Category 5: the example's major projects move through their approval steps; one step
    lies past its limit, becomes an issue and climbs the ladder until the unit approves it."""
    from serviceframe.services import projects, routing
    from serviceframe.services.organisation import organisation

    start = app.now()

    def at(days: int, hour: int = 10) -> datetime:
        return datetime.combine(start.date() + timedelta(days=days), time(hour), SHANGHAI)

    listed = projects.list_projects(app)
    first, second = listed[0].id, listed[1].id
    # The first project's filing was approved in time; the second's land pre-review stalls.
    projects.set_step(app, first, "立项备案", "submitted", at(-40))
    projects.set_step(app, first, "立项备案", "approved", at(-37))
    projects.set_step(app, first, "用地预审", "submitted", at(-25))
    projects.set_step(app, second, "立项备案", "waived", at(-40))
    projects.set_step(app, second, "用地预审", "submitted", at(-40))
    stalled = projects.get_project(app, second).project.steps[1]
    (issue_id,) = projects.file_stalled_steps(app)
    say(
        f"12. 重大项目 {len(listed)} projects; 项目 {second} {stalled.name} submitted to "
        f"{stalled.unit}, limit {stalled.limit_days} working days (due {stalled.due}): "
        f"still waiting, filed as issue {issue_id} (source project) and dispatched to {stalled.unit}"
    )
    org = organisation(app)
    for days in (3, 9):
        for e in routing.escalate(app, at(days)):
            if e.issue == issue_id:
                move = (
                    f"{org.who(e.from_official)} → {org.who(e.to_official)}" if e.moved else e.note
                )
                say(f"   督办 issue {e.issue}: {routing.ORDER_LABELS[e.deadline]}; {move}")
    app.clock = lambda: at(10, 15)
    projects.set_step(app, second, "用地预审", "approved")
    settled = [e.kind for e in issues_events(app, issue_id)].count("settled")
    report = projects.project_report(app)
    say(
        f"   {stalled.name} approved: issue {issue_id} settled ({settled} event), awaiting the "
        f"enterprise's rating; {report.projects} projects, 总投资 {report.investment} 万元, "
        f"{sum(u.steps for u in report.units)} steps approved "
        "(serviceframe project report)"
    )


def issues_events(app: App, issue_id: int) -> tuple[Any, ...]:
    from serviceframe.services.issues import get_issue

    return get_issue(app, issue_id).events


def matchmaking(app: App, say: Say) -> None:
    """Category 3: a bank–enterprise matchmaking meeting; invitations through the outbox,
    loans intended and signed, and a follow-up that becomes an issue for the finance office."""
    from serviceframe.services import issues as svc
    from serviceframe.services import service_events as events

    day = app.now().date() + timedelta(days=3)
    meeting = events.add_event(
        app,
        "matchmaking",
        "焦作市2026年四季度银企对接会",
        day,
        ["jz-jrb", "jz-edsb"],
        place="市政府三楼会议室",
    )
    invited = events.invite(app, meeting.id, events.Invitees(jurisdiction="410802", key="city"))
    came = list(invited.invited[:4])
    events.attend(app, meeting.id, came)
    loans = ((3000, 2000), (1500, 1500), (800, 0))
    for code, (intended, signed) in zip(came, loans, strict=False):
        events.record_outcome(app, meeting.id, code, "中国银行焦作分行", intended, signed)
    _, follow_up = events.record_outcome(
        app,
        meeting.id,
        came[0],
        "中国银行焦作分行",
        3000,
        2000,
        follow_up="剩余1000万元贷款需补充抵押物评估,请协调评估机构尽快出具报告",
    )
    assert follow_up is not None
    svc.accept(app, follow_up)
    svc.dispatch(app, follow_up, "jz-jrb")
    (summary,) = [s for s in events.list_events(app) if s.event.id == meeting.id]
    say(
        f"13. 银企对接 {meeting.title} on {day}: invited {len(invited.invited)} enterprises "
        f"({invited.notifications} invitations in the outbox), {summary.attended} came; "
        f"loans intended {summary.loans_intended} ({summary.intended} 万元), signed "
        f"{summary.loans_signed} ({summary.signed} 万元); follow-up filed as issue {follow_up} "
        "(source event) and dispatched to jz-jrb"
    )
