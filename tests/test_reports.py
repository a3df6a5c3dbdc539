"""Reports (R6, R8): the circular's figures, roll-ups, the report hook, and the four formats
read back as a user would: XLSX with openpyxl (cells, charts), HTML charts drawn in Chinese."""

import json
import re
import warnings

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import event

from rated import JF1, rated_season
from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.satisfaction import Tally
from serviceframe.errors import ServiceFrameError
from serviceframe.hookspecs import hookimpl
from serviceframe.reports.document import Column, Report, Section, Table
from serviceframe.reports.kinds import ReportKind
from serviceframe.reports.run import report_dict, run_report
from serviceframe.services import issues as svc
from serviceframe.services.circular import circular_figures
from serviceframe.services.coordination import coordination
from serviceframe.services.enterprises import import_enterprises
from serviceframe.services.organisation import load_organisation
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import SMALL_ORG, credit_code, enterprise_row, write_csv, write_org

ZONE = "410872"  # 修武县产业集聚区, below 修武县: a third level


@pytest.fixture
def season(sf_small_app):
    return rated_season(sf_small_app)


def test_circular_figures_computed_by_hand(season):
    c = circular_figures(season.app, "2026-Q4")
    total = c.total
    assert (total.received, total.resolved, total.on_time, total.overdue) == (8, 6, 6, 2)
    # I8: three orders and no climb: its lead unit is the city government, whose head (the
    # mayor) is the only rung above its deputy, and an issue never climbs to the overdue
    # unit's own head.
    assert (total.escalated, total.supervised) == (0, 3)
    assert total.ratings == Tally(4, 1, 3) and total.satisfaction == pytest.approx(0.6)
    assert str(c.previous) == "2026-Q3" and c.total_before.received == 0
    assert [(x.key, x.received) for x in c.jurisdictions] == [("410802", 8)]
    categories = {x.key: x.received for x in c.categories}
    assert categories["1"] == 8 and categories["2"] == 0 and "0" not in categories
    assert (c.overdue_total, c.orders_total) == (2, 3)
    assert [(b.unit, b.overdue, b.orders) for b in c.backlog] == [
        ("jz-gov", 1, 3),
        ("jf-edsb", 1, 0),
    ]
    assert [x.issue for x in c.overdue_items] == [season.ids["I8"], season.ids["I6"]]
    assert c.overdue_items[0].days == 9  # due 11 November, as of the 20th
    assert [r.figures.key for r in c.assessment.units][:2] == ["jz-edsb", "jz-fgw"]


def test_the_same_counting_as_coordination(season):
    lines = {x.key: x for x in circular_figures(season.app, "2026-Q4").jurisdictions}
    compared = 0
    for county in coordination(season.app, "2026-Q4").jurisdictions:
        if county.key not in lines:  # the circular lists the places that received anything
            assert county.received == 0 or county.depth == 0
            continue
        compared += 1
        mine = lines[county.key]
        assert (
            mine.received,
            mine.resolved,
            mine.on_time,
            mine.overdue,
            mine.escalated,
            mine.supervised,
            mine.ratings,
            mine.satisfaction,
        ) == (
            county.received,
            county.resolved,
            county.on_time,
            county.overdue,
            county.escalated,
            county.supervised,
            Tally(county.satisfied, county.basic, county.unsatisfied),
            county.satisfaction,
        )
    assert compared


def test_jurisdictions_roll_up_any_depth(season, tmp_path):
    """修武县 has a zone below it: its issues count for 修武县 at the city's level, and for the
    zone itself in 修武县's own report."""
    app = season.app
    org = SMALL_ORG.replace(
        '{ code = "410821", name = "修武县", kind = "county", parent = "410800" },',
        '{ code = "410821", name = "修武县", kind = "county", parent = "410800" },\n'
        f'    {{ code = "{ZONE}", name = "修武县产业集聚区", kind = "zone", parent = "410821" }},',
    )
    load_organisation(app, write_org(tmp_path / "org.toml", org))
    import_enterprises(app, write_csv(tmp_path / "e.csv", [enterprise_row(ZONE, 7)]))
    draft = svc.IssueDraft(enterprise=credit_code(ZONE, 7), source="portal", body="园区道路破损。")
    svc.file_issue(app, draft)
    city = {x.key: (x.name, x.received) for x in circular_figures(app, "2026-Q4").jurisdictions}
    assert city == {"410802": ("解放区", 8), "410821": ("修武县", 1)}
    county = circular_figures(app, "2026-Q4", jurisdiction="修武县")
    assert [(x.key, x.name, x.received) for x in county.jurisdictions] == [
        (ZONE, "修武县产业集聚区", 1)
    ]
    assert county.total.received == 1 and county.jurisdiction_name == "修武县"


def test_queries_do_not_grow_with_the_issues(season):
    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(season.app.engine, "before_cursor_execute", count)
        try:
            circular_figures(season.app, "2026-Q4")
        finally:
            event.remove(season.app.engine, "before_cursor_execute", count)
        return len(seen)

    statements()  # settings read once per app
    before = statements()
    for n in range(12):
        draft = svc.IssueDraft(enterprise=JF1, source="hotline", body=f"又一个问题{n}:融资难。")
        svc.accept(season.app, svc.file_issue(season.app, draft).issue.id, category=3)
    assert statements() == before


# --- formats ---------------------------------------------------------------------------------


def test_text_and_json(season):
    report = run_report(season.app, "circular", "2026-Q4")
    assert report.title == "焦作市服务工业企业工作通报"
    from serviceframe.reports.text import render_text

    text = render_text(report)
    assert "一、总体情况" in text and "三、满意度排名" in text
    assert "共受理企业反映问题8件" in text
    data = json.loads(json.dumps(report_dict(report), ensure_ascii=False, default=str))
    totals = next(s for s in data["sections"] if s["key"] == "totals")
    assert totals["rows"][0]["received"] == 8
    assert report.data["total"]["satisfaction"] == pytest.approx(0.6)


def chart_values(sheet, chart) -> list[list[object]]:
    """The numbers each series of a native chart points at."""
    values = []
    for series in chart.series:
        ref = series.val.numRef.f  # e.g. '总体情况'!$M$3:$M$6
        cells = ref.split("!")[1].replace("$", "")
        values.append([c.value for row in sheet[cells] for c in row])
    return values


def test_xlsx_sheets_cells_and_native_charts(season, tmp_path):
    out = tmp_path / "通报.xlsx"
    result = CliRunner().invoke(
        cli,
        ["report", "run", "circular", "--period", "2026-Q4", "--out", str(out)],
        obj=CliContext(app=season.app),
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == [
        "报告",
        "总体情况",
        "按县(市)区",
        "满意度排名",
        "逾期和督办情况",
        "超期未办结事项",
        "按问题类别",
        "倾向性、普遍性问题",
    ]
    assert book["报告"]["A1"].value == "焦作市服务工业企业工作通报"
    totals = book["总体情况"]
    assert [c.value for c in totals[2]][:4] == ["期间", "受理", "办结", "办结率"]
    assert [c.value for c in totals[3]][:4] == ["2026-Q4", 8, 6, 0.75]
    assert totals["D3"].number_format == "0.0%"
    assert totals.freeze_panes == "A3"
    [chart] = totals._charts
    assert chart.tagname == "barChart" and chart.type == "col"
    assert chart_values(totals, chart) == [[8, 6, 2, 3], [0, 0, 0, 0]]

    ranking = book["满意度排名"]
    [bars] = ranking._charts
    assert bars.type == "bar"
    assert chart_values(ranking, bars)[0][:2] == [0.75, pytest.approx(23 / 35)]
    # Columns fit Chinese names: 焦作市企业发展服务局 is 20 cells wide.
    names = [c.value for c in ranking[2]].index("名称") + 1
    letter = ranking.cell(2, names).column_letter
    assert ranking.column_dimensions[letter].width >= 20
    assert ranking.cell(3, names).value == "焦作市企业发展服务局"


def drawn(page: str, text: str) -> bool:
    """Whether every character of ``text`` is drawn in the page's SVG charts as an outline of
    the CJK font: matplotlib embeds each glyph once as <path id="<font>-<glyph index, hex>">."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from serviceframe.reports.html import cjk_family

    family = cjk_family()
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    font = FT2Font(path)
    prefix = re.sub(r"[^A-Za-z0-9]", "", font.postscript_name)
    glyphs = set(re.findall(rf'<path id="{prefix}-([0-9a-f]+)"', page))
    indices = [font.get_char_index(ord(ch)) for ch in text]
    return all(indices) and all(f"{i:x}" in glyphs for i in indices)


def test_html_is_standalone_with_charts_drawn_in_chinese(season, tmp_path):
    from serviceframe.reports.html import render_html

    report = run_report(season.app, "circular", "2026-Q4")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render_html(report)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert page.count("<svg") == len(report.charts) == 5
    for text in ("解放区", "本期与上期比较", "焦作市企业发展服务局", "生产要素协调"):
        assert drawn(page, text), text
    # Offline: nothing is fetched.
    assert not re.search(r"<script|<link|<img|src=|@import|url\((?!#)", page)
    assert "<title>焦作市服务工业企业工作通报 2026-Q4</title>" in page
    out = tmp_path / "c.html"
    result = CliRunner().invoke(
        cli,
        ["report", "run", "briefing", "--period", "2026-Q4", "--out", str(out)],
        obj=CliContext(app=season.app),
    )
    assert result.exit_code == 0, result.output
    assert "服务工业企业工作情况报告" in out.read_text(encoding="utf-8")


# --- the report hook ---------------------------------------------------------------------------


def invoke(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app))


def test_report_list(season):
    result = invoke(season.app, "report", "list", "--json")
    assert result.exit_code == 0, result.output
    kinds = {k["name"]: k for k in json.loads(result.stdout)}
    assert set(kinds) == {"assessment", "briefing", "circular", "monitoring"}
    assert kinds["circular"]["plugin"] == "serviceframe.plugins.reports"
    assert kinds["circular"]["parameters"][0]["name"] == "limit"
    assert "服务工业企业工作通报" in invoke(season.app, "report", "list").stdout


def test_report_run_errors(season, tmp_path):
    bad = invoke(season.app, "report", "run", "weekly", "--period", "2026-Q4")
    assert bad.exit_code == 1 and "known: assessment, briefing, circular, monitoring" in bad.stderr
    bad = invoke(season.app, "report", "run", "circular", "--period", "2026-Q4", "--param", "x=1")
    assert bad.exit_code == 1 and "no such parameter (limit)" in bad.stderr
    bad = invoke(
        season.app, "report", "run", "circular", "--period", "2026-Q4", "--param", "limit=many"
    )
    assert bad.exit_code == 1 and "limit='many': must be a int" in bad.stderr
    bad = invoke(season.app, "report", "run", "circular", "--period", "2026-Q4", "--format", "xlsx")
    assert bad.exit_code == 2 and "needs --out" in bad.stderr
    limited = invoke(
        season.app,
        "report",
        "run",
        "circular",
        "--period",
        "2026-Q4",
        "--param",
        "limit=1",
        "--format",
        "json",
    )
    items = next(s for s in json.loads(limited.stdout)["sections"] if s["key"] == "overdue_items")
    assert len(items["rows"]) == 1 and items["more"] == 1


def tiny(app, request) -> Report:
    return Report(
        "tiny",
        "小报告",
        "",
        request.period,
        request.jurisdiction or "",
        request.now,
        [Section("a", "甲", ("正文",), Table((Column("n", "数", "int"),), [(1,)]))],
    )


class County:
    def __init__(self, plugin: str, *kinds) -> None:
        self.__name__ = plugin
        self.kinds = kinds

    @hookimpl
    def serviceframe_report_kinds(self):
        yield from self.kinds


def test_a_county_report_kind_runs_in_every_format(season, tmp_path):
    app = make_app(season.app.settings.db_url, (County("county", ReportKind("tiny", "小", tiny)),))
    assert "甲" in run_report(app, "tiny", "2026-10").sections[0].title
    for suffix in ("xlsx", "html", "json", "txt"):
        out = tmp_path / f"tiny.{suffix}"
        result = invoke(app, "report", "run", "tiny", "--period", "2026-10", "--out", str(out))
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0


def broken_build(app, request):
    return {"not": "a report"}


def bad_rows(app, request):
    return Report(
        "x",
        "x",
        "",
        request.period,
        "",
        request.now,
        [Section("a", "甲", table=Table((Column("n", "数"),), [(1, 2)]))],
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (broken_build, "report 'tiny' (plugin 'county') built a dict, not a Report"),
        (bad_rows, "report 'tiny' (plugin 'county') failed: ValueError: row 0: 2 values for 1"),
    ],
)
def test_a_misbehaving_report_is_named(season, build, message):
    app = make_app(season.app.settings.db_url, (County("county", ReportKind("tiny", "小", build)),))
    with pytest.raises(ServiceFrameError) as caught:
        run_report(app, "tiny", "2026-10")
    assert message in str(caught.value)


def test_registration_problems(season):
    def bogus():
        raise RuntimeError("配置文件不存在")

    class Raising:
        __name__ = "raising"

        @hookimpl
        def serviceframe_report_kinds(self):
            bogus()

    taken = County("county", ReportKind("circular", "抢名字", tiny))
    app = make_app(season.app.settings.db_url, (Raising(), taken, County("strings", "weekly")))
    result = invoke(app, "report", "list")
    assert result.exit_code == 0, result.output
    assert "assessment" in result.stdout and "circular" not in result.stdout.split("\n", 2)[2]
    assert "plugin 'raising' failed in serviceframe_report_kinds: RuntimeError" in result.stderr
    assert "plugin 'strings' failed" in result.stderr and "expected ReportKind" in result.stderr
    assert re.search(
        r"report 'circular' is registered by (county and serviceframe.plugins.reports|"
        r"serviceframe.plugins.reports and county)",
        result.stderr,
    )
    with pytest.raises(ServiceFrameError, match="'circular' is registered by both plugins") as e:
        run_report(app, "circular", "2026-Q4")
    assert "'county'" in str(e.value) and "'serviceframe.plugins.reports'" in str(e.value)
    with pytest.raises(ValueError, match="lower-case"):
        ReportKind("Weekly Report", "x", tiny)  # names are short lower-case words
