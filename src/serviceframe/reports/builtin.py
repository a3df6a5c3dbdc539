"""The built-in report kinds (plugin :mod:`serviceframe.plugins.reports`): ``circular``
(通报, for all units), ``briefing`` (the periodic report for the leaders), ``assessment``
(满意度考核) and ``monitoring``.

The figures come from :mod:`serviceframe.services.circular` and
:mod:`serviceframe.services.assessment`; this module only lays them out. Imports of the
store happen when a report is built, never when the kinds are listed.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from serviceframe.reports.document import Chart, Column, Report, Section, Series, Table
from serviceframe.reports.kinds import ReportKind, ReportParameter, ReportRequest

if TYPE_CHECKING:
    from serviceframe.services.assessment import Assessment, Result
    from serviceframe.services.circular import Circular, Line

CHART_LIMIT = 25  # bars in one chart; the table lists every line


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _change(now: float | int | None, before: float | int | None, percent: bool = False) -> str:
    if now is None or before is None:
        return "(无可比数据)"
    diff = now - before
    if percent:
        return f"{diff * 100:+.1f}个百分点"
    return f"{diff:+d}" if isinstance(diff, int) else f"{diff:+g}"


LINE_COLUMNS = (
    Column("received", "受理", "int"),
    Column("resolved", "办结", "int"),
    Column("resolution_rate", "办结率", "percent"),
    Column("on_time", "按期办结", "int"),
    Column("on_time_rate", "按期率", "percent"),
    Column("overdue", "逾期", "int"),
    Column("escalated", "提级", "int"),
    Column("supervised", "督办", "int"),
    Column("rated", "评价次数", "int"),
    Column("satisfaction", "满意度", "percent"),
)


def _line_values(line: "Line") -> tuple[Any, ...]:
    return (
        line.received,
        line.resolved,
        line.resolution_rate,
        line.on_time,
        line.on_time_rate,
        line.overdue,
        line.escalated,
        line.supervised,
        line.ratings.rated,
        line.satisfaction,
    )


def _totals(c: "Circular") -> Section:
    now, before = c.total, c.total_before
    text = (
        f"本期({c.period.start}至{c.period.end})共受理企业反映问题{now.received}件,"
        f"已办结{now.resolved}件(办结率{_pct(now.resolution_rate)}),按期办结率"
        f"{_pct(now.on_time_rate)},逾期{now.overdue}件;提级{now.escalated}件,下发督办单"
        f"{now.supervised}份;企业评价{now.ratings.rated}次,满意度{_pct(now.satisfaction)}。"
    )
    change = (
        f"与上期({c.previous})相比:受理{_change(now.received, before.received)}件,"
        f"办结{_change(now.resolved, before.resolved)}件,逾期"
        f"{_change(now.overdue, before.overdue)}件,满意度"
        f"{_change(now.satisfaction, before.satisfaction, percent=True)}。"
    )
    return Section(
        "totals",
        "总体情况",
        (text, change),
        Table(
            (Column("period", "期间"), *LINE_COLUMNS),
            [(str(c.period), *_line_values(now)), (str(c.previous), *_line_values(before))],
        ),
        Chart(
            "bar",
            "本期与上期比较",
            ("受理", "办结", "逾期", "督办"),
            [
                Series(str(c.period), (now.received, now.resolved, now.overdue, now.supervised)),
                Series(
                    str(c.previous),
                    (before.received, before.resolved, before.overdue, before.supervised),
                ),
            ],
        ),
    )


def _grouped(key: str, title: str, first: str, lines: tuple["Line", ...], chart: str) -> Section:
    shown = [x for x in lines if x.received]
    return Section(
        key,
        title,
        (),
        Table(
            (Column("key", "代码"), Column("name", first), *LINE_COLUMNS),
            [(x.key, x.name, *_line_values(x)) for x in lines],
        ),
        Chart(
            "barh",
            chart,
            [x.name for x in shown[:CHART_LIMIT]],
            [
                Series("受理", [x.received for x in shown[:CHART_LIMIT]]),
                Series("逾期", [x.overdue for x in shown[:CHART_LIMIT]]),
            ],
        )
        if shown
        else None,
    )


RESULT_COLUMNS = (
    Column("rank", "名次", "int"),
    Column("key", "编号"),
    Column("name", "名称"),
    Column("jurisdiction", "辖区"),
    Column("score", "结果", "percent"),
    Column("satisfied", "满意", "int"),
    Column("basic", "基本满意", "int"),
    Column("unsatisfied", "不满意", "int"),
    Column("rated", "评价次数", "int"),
    Column("co_satisfied", "协办满意", "int"),
    Column("co_basic", "协办基本满意", "int"),
    Column("co_unsatisfied", "协办不满意", "int"),
    Column("unrated", "未评价", "int"),
    Column("handled", "承办(主办)", "int"),
    Column("handled_co", "协办件数", "int"),
    Column("resolved", "已办结", "int"),
    Column("acknowledge_on_time", "签收按期率", "percent"),
    Column("feedback_on_time", "反馈按期率", "percent"),
    Column("resolve_on_time", "办结按期率", "percent"),
    Column("redo", "重办次数", "int"),
    Column("supervision", "督办次数", "int"),
    Column("response_rate", "评价回复率", "percent"),
)


def _result_values(r: "Result") -> tuple[Any, ...]:
    f = r.figures
    return (
        r.rank,
        f.key,
        f.name,
        f.jurisdiction,
        r.score,
        f.lead.satisfied,
        f.lead.basic,
        f.lead.unsatisfied,
        f.lead.rated,
        f.co.satisfied,
        f.co.basic,
        f.co.unsatisfied,
        f.unrated,
        f.handled,
        f.handled_co,
        f.resolved,
        f.acknowledge.on_time_rate,
        f.feedback.on_time_rate,
        f.resolve.on_time_rate,
        f.redo,
        f.supervision,
        f.response_rate,
    )


# The circular's ranking: the result and the figures a unit is named for.
BRIEF = (
    "rank",
    "name",
    "score",
    "rated",
    "unsatisfied",
    "unrated",
    "handled",
    "resolve_on_time",
    "supervision",
)


def _ranking(
    key: str, title: str, results: tuple["Result", ...], note: str, brief: bool = False
) -> Section:
    scored = [r for r in results if r.score is not None][:CHART_LIMIT]
    columns: tuple[Column, ...] = RESULT_COLUMNS
    rows = [_result_values(r) for r in results]
    if brief:  # only the units that had anything to do, and fewer columns
        keep = [n for n, c in enumerate(RESULT_COLUMNS) if c.key in BRIEF]
        columns = tuple(RESULT_COLUMNS[n] for n in keep)
        rows = [
            tuple(values[n] for n in keep)
            for r, values in zip(results, rows, strict=True)
            if r.figures.active
        ]
    return Section(
        key,
        title,
        (note,),
        Table(columns, rows),
        Chart(
            "barh",
            f"{title}(前{len(scored)}名)",
            [f"{r.rank}. {r.figures.name}" for r in scored],
            [Series("结果", [r.score for r in scored])],
            percent=True,
        )
        if scored
        else None,
    )


def _rules_text(a: "Assessment") -> str:
    return (
        f"结果按“{a.profile_label}”({a.profile})计算:企业对已办结事项的每一次评价均计入"
        f"(重办前的不满意评价同样计入),满意计1分、基本满意计{float(a.rules.basic_weight):g}分、"
        f"不满意计0分,取平均;协办单位按{float(a.rules.co_weight):g}的权重计入所协办事项的评价;"
        "已办结未评价的事项单列,不计为满意。名次按结果从高到低,结果相同者名次相同,"
        "其后名次顺延(1、2、2、4)。承办件数、按期率、重办、督办和评价回复率为参考指标,不计分。"
    )


def _backlog(c: "Circular") -> list[Section]:
    units = Section(
        "backlog",
        "逾期和督办情况",
        (f"截至{c.as_of.date()},超期未办结{c.overdue_total}件;本期下发督办单{c.orders_total}份。",),
        Table(
            (
                Column("unit", "单位编号"),
                Column("name", "单位"),
                Column("overdue", "超期未办结", "int"),
                Column("orders", "本期督办", "int"),
            ),
            [(b.unit, b.name, b.overdue, b.orders) for b in c.backlog],
        ),
        Chart(
            "barh",
            "各单位超期未办结和督办",
            [b.name for b in c.backlog[:CHART_LIMIT]],
            [
                Series("超期未办结", [b.overdue for b in c.backlog[:CHART_LIMIT]]),
                Series("本期督办", [b.orders for b in c.backlog[:CHART_LIMIT]]),
            ],
        )
        if c.backlog
        else None,
    )
    items = Section(
        "overdue_items",
        "超期未办结事项",
        (),
        Table(
            (
                Column("issue", "编号", "int"),
                Column("title", "标题"),
                Column("enterprise_name", "企业"),
                Column("unit_name", "主办单位"),
                Column("due", "办结期限", "date"),
                Column("days", "超期天数", "int"),
                Column("orders", "督办次数", "int"),
            ),
            [
                (x.issue, x.title, x.enterprise_name, x.unit_name, x.due, x.days, x.orders)
                for x in c.overdue_items
            ],
            more=c.overdue_total - len(c.overdue_items),
        ),
    )
    return [units, items]


def _clusters(c: "Circular") -> Section:
    return Section(
        "clusters",
        "倾向性、普遍性问题",
        (f"本期形成或仍在协调的倾向性、普遍性问题{len(c.clusters)}个。",),
        Table(
            (
                Column("id", "编号", "int"),
                Column("topic", "主题"),
                Column("category", "类别"),
                Column("rung", "协调层级"),
                Column("official", "负责领导"),
                Column("status", "状态"),
                Column("created_at", "形成时间", "datetime"),
                Column("issues", "问题数", "int"),
                Column("enterprises", "企业数", "int"),
                Column("counties", "县区数", "int"),
            ),
            [
                (
                    x.id,
                    x.topic,
                    x.category.label,
                    x.rung,
                    x.official,
                    "已解决" if x.status == "resolved" else "协调中",
                    x.created_at,
                    x.issues,
                    x.enterprises,
                    x.counties,
                )
                for x in c.clusters
            ],
        ),
    )


def _projects(c: "Circular") -> Section | None:
    """Major projects' approval steps by unit (重大项目审批环节), when there are any."""
    r = c.projects
    if not r.units:
        return None
    decided = sum(u.steps for u in r.units)
    return Section(
        "projects",
        "重大项目审批环节办理情况",
        (
            f"重大项目{r.projects}个,总投资{r.investment}万元;本期办结审批环节{decided}个,"
            f"在办{sum(u.running for u in r.units)}个,超过时限{r.overdue}个。"
            "用时按工作日计,与各环节时限比较。",
        ),
        Table(
            (
                Column("unit", "单位编号"),
                Column("name", "单位"),
                Column("steps", "本期办结", "int"),
                Column("average_days", "平均用时(工作日)", "number"),
                Column("limit_days", "平均时限(工作日)", "number"),
                Column("running", "在办", "int"),
                Column("overdue", "超时", "int"),
            ),
            [
                (u.unit, u.name, u.steps, u.average_days, u.limit_days, u.running, u.overdue)
                for u in r.units
            ],
        ),
    )


def _circular_report(app: Any, request: ReportRequest, for_leaders: bool) -> Report:
    from serviceframe.services.assessment import assessment_dict
    from serviceframe.services.circular import circular_figures

    c = circular_figures(
        app, request.period, request.jurisdiction, request.now, request.params["limit"]
    )
    totals = _totals(c)
    categories = _grouped("categories", "按问题类别", "类别", c.categories, "各类问题受理和逾期")
    places = _grouped(
        "jurisdictions", "按县(市)区", "辖区", c.jurisdictions, "各县(市)区受理和逾期"
    )
    ranking = _ranking(
        "ranking", "满意度排名", c.assessment.units, _rules_text(c.assessment), brief=True
    )
    backlog = _backlog(c)
    clusters = _clusters(c)
    projects = [x for x in (_projects(c),) if x is not None]
    if for_leaders:
        title = f"{c.jurisdiction_name}服务工业企业工作情况报告"
        sections = [totals, categories, clusters, places, *backlog, *projects, ranking]
    else:
        title = f"{c.jurisdiction_name}服务工业企业工作通报"
        sections = [totals, places, ranking, *backlog, *projects, categories, clusters]
    return Report(
        "briefing" if for_leaders else "circular",
        title,
        f"{c.period}({c.period.start}至{c.period.end})",
        c.period,
        c.jurisdiction,
        request.now,
        sections,
        {
            "total": _line_dict(c.total),
            "previous": {"period": str(c.previous), **_line_dict(c.total_before)},
            "categories": [_line_dict(x) for x in c.categories],
            "jurisdictions": [_line_dict(x) for x in c.jurisdictions],
            "overdue_total": c.overdue_total,
            "orders_total": c.orders_total,
            "assessment": assessment_dict(c.assessment),
        },
    )


def _line_dict(line: "Line") -> dict[str, Any]:
    return {
        "key": line.key,
        "name": line.name,
        **{c.key: v for c, v in zip(LINE_COLUMNS, _line_values(line), strict=True)},
        "satisfied": line.ratings.satisfied,
        "basic": line.ratings.basic,
        "unsatisfied": line.ratings.unsatisfied,
    }


def build_circular(app: Any, request: ReportRequest) -> Report:
    return _circular_report(app, request, for_leaders=False)


def build_briefing(app: Any, request: ReportRequest) -> Report:
    return _circular_report(app, request, for_leaders=True)


def build_assessment(app: Any, request: ReportRequest) -> Report:
    from serviceframe.services.assessment import assess, assessment_dict

    a = assess(app, request.period, request.jurisdiction, request.params["unit"], request.now)
    names = {j.code: j.name for j in _organisation(app).jurisdictions}
    place = names.get(a.jurisdiction, a.jurisdiction)
    explained = Section(
        "rules",
        "考核说明",
        (
            _rules_text(a),
            f"考核期间{a.period.start}至{a.period.end};评价按评价时间计入期间;"
            f"期限按{a.as_of.date()}的情况判定。",
            "单位对其主办事项(权重1)和协办事项的评价负责;领导对交由其协调的事项负责。",
        ),
    )
    return Report(
        "assessment",
        f"{place}服务企业满意度考核结果",
        f"{a.period}({a.period.start}至{a.period.end})",
        a.period,
        a.jurisdiction,
        request.now,
        [
            explained,
            _ranking("units", "单位考核结果", a.units, "按结果排名;无评价的单位列在最后,不排名。"),
            _ranking("officials", "领导考核结果", a.officials, "领导对交由其协调的事项负责。"),
        ],
        assessment_dict(a),
    )


def _organisation(app: Any) -> Any:
    from serviceframe.services.organisation import organisation

    return organisation(app)


LIMIT = ReportParameter("limit", "int", 20, "how many overdue items to list")


def report_kinds() -> Iterator[ReportKind]:
    yield ReportKind(
        "circular",
        "服务工业企业工作通报",
        build_circular,
        (LIMIT,),
        "The circular for all units (通报, R8): totals and the change against the period "
        "before, by jurisdiction, the satisfaction ranking, overdue and supervised items, "
        "by category, widespread clusters.",
    )
    yield ReportKind(
        "briefing",
        "服务工业企业工作情况报告",
        build_briefing,
        (LIMIT,),
        "The periodic report for the leaders (R6): the circular's figures, led by the "
        "categories and the widespread clusters.",
    )
    yield ReportKind(
        "assessment",
        "服务企业满意度考核结果",
        build_assessment,
        (ReportParameter("unit", "str", None, "only this unit and its officials"),),
        "The assessment (R9) for the personnel office: each unit's and official's result, "
        "rank and supporting figures, and how the result is computed.",
    )
    from serviceframe.reports.monitoring import build_monitoring

    yield ReportKind(
        "monitoring",
        "工业运行监测报告",
        build_monitoring,
        description="Industrial operation monitoring (R6, category 2): the month's operating "
        "indicators by jurisdiction and by industry, year on year, and the early warnings.",
    )
