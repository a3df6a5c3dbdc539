"""温县服务企业工作周报: a county's own report, as a serviceframe plugin (docs/reports.md)."""

from serviceframe.hookspecs import hookimpl


def build(app, r):
    # Imported when the report runs: every serviceframe command loads the plugins.
    from serviceframe.reports.document import Chart, Report, Section, Series, Table
    from serviceframe.services.circular import circular_figures

    c = circular_figures(app, r.period, r.jurisdiction, r.now, r.params["top"])
    week, last = c.total, c.total_before
    summary = (
        f"本周受理{week.received}件(上周{last.received}件),办结{week.resolved}件,"
        f"逾期{week.overdue}件,督办{week.supervised}份。"
    )
    places = Table(
        ["乡镇、园区", ("受理", "int"), ("逾期", "int")],
        [(x.name, x.received, x.overdue) for x in c.jurisdictions],
    )
    busy = {x.name: x.received for x in c.jurisdictions if x.received}
    chart = Chart("bar", "本周受理", list(busy), [Series("受理", list(busy.values()))])
    urge = Table(
        [("编号", "int"), "事项", "主办单位", ("超期天数", "int")],
        [(x.issue, x.title, x.unit_name, x.days) for x in c.overdue_items],
        more=c.overdue_total - len(c.overdue_items),
    )
    sections = [
        Section("summary", "本周概况", [summary]),
        Section("places", "各乡镇、园区", table=places, chart=chart if busy else None),
        Section("urge", "请抓紧办理", table=urge),
    ]
    title = f"{c.jurisdiction_name}服务企业工作周报"
    return Report("weekly", title, str(r.period), r.period, c.jurisdiction, r.now, sections)


@hookimpl
def serviceframe_report_kinds():
    from serviceframe.reports.kinds import ReportKind, ReportParameter

    top = ReportParameter("top", "int", 10, "how many overdue items to urge")
    yield ReportKind("weekly", "县服务企业工作周报", build, [top], "A county's weekly bulletin.")
