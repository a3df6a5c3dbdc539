"""Early warning: the organisation file's rules over the indicators, with hand-computed cases
and a property against a plain Python reading of the rules; stored and told once; optionally
filed as issues."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from channel_setup import configure, file_channel
from serviceframe.app import App
from serviceframe.cli import cli
from serviceframe.domain.indicators import RuleKind, WarningRule, parse_month
from serviceframe.errors import ConfigError, Forbidden
from serviceframe.services import outbox
from serviceframe.services.assignments import assign
from serviceframe.services.early_warning import evaluate, list_warnings, raise_warnings
from serviceframe.services.enterprises import import_enterprises
from serviceframe.services.issues import get_issue
from serviceframe.store import tables as t
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code, enterprise_row, write_csv

A, B, C, D = (
    credit_code(JIEFANG, 1),
    credit_code(JIEFANG, 2),
    credit_code(JIEFANG, 3),
    credit_code(XIUWU, 4),
)
JUNE = parse_month("2026-06")

RULES = """
[[warnings]]
id = "power_yoy"
indicator = "electricity"
kind = "yoy_drop"
percent = 20

[[warnings]]
id = "power_decline"
indicator = "electricity"
kind = "decline"
months = 3
issue = true

[[warnings]]
id = "output_band"
indicator = "output"
kind = "below_industry"
percent = 50
industry_digits = 2
min_peers = 5
label = "产值明显低于同行"
"""


def put(app: App, figures: dict[tuple[str, str, str], float]) -> None:
    """Store figures {(enterprise, indicator, "2026-06"): value} (replacing all others)."""
    now = datetime(2026, 7, 1, tzinfo=UTC)
    with app.uow() as uow:
        uow.connection.execute(delete(t.indicators))
        if figures:
            uow.connection.execute(
                insert(t.indicators),
                [
                    {
                        "enterprise_code": code,
                        "indicator": indicator,
                        "month_no": parse_month(month),
                        "value": value,
                        "updated_at": now,
                    }
                    for (code, indicator, month), value in figures.items()
                ],
            )
        uow.commit()


def flagged(app: App, rules: list[WarningRule], month: int = JUNE) -> set[tuple[str, str]]:
    with app.uow() as uow:
        return {(f.enterprise, f.rule) for f in evaluate(uow.connection, rules, month)}


YOY = WarningRule("yoy", "electricity", RuleKind.YOY_DROP, percent=20)
DECLINE = WarningRule("dec", "electricity", RuleKind.DECLINE, months=3)
BAND = WarningRule("band", "output", RuleKind.BELOW_INDUSTRY, percent=50, min_peers=5)


def test_year_on_year_drop_beyond_the_share(sf_small_app: App):
    put(
        sf_small_app,
        {
            (A, "electricity", "2025-06"): 100,
            (A, "electricity", "2026-06"): 79,  # −21 %: beyond 20 %
            (B, "electricity", "2025-06"): 100,
            (B, "electricity", "2026-06"): 80,  # −20 % exactly: not beyond
            (C, "electricity", "2025-06"): 0,  # nothing a year earlier to compare with
            (C, "electricity", "2026-06"): 0,
            (D, "electricity", "2025-05"): 100,  # not the same month
            (D, "electricity", "2026-06"): 10,
        },
    )
    assert flagged(sf_small_app, [YOY]) == {(A, "yoy")}


def test_consecutive_months_of_decline(sf_small_app: App):
    series = {
        A: {"03": 100, "04": 90, "05": 80, "06": 70},  # three declines: warned
        B: {"03": 100, "04": 90, "05": 90, "06": 70},  # flat in May
        C: {"03": 100, "04": 90, "06": 70},  # May missing: not three months in a row
        D: {"04": 90, "05": 80, "06": 70},  # only two declines
    }
    put(
        sf_small_app,
        {(code, "electricity", f"2026-{m}"): v for code, s in series.items() for m, v in s.items()},
    )
    assert flagged(sf_small_app, [DECLINE]) == {(A, "dec")}
    # A month earlier nothing had fallen three times yet.
    assert flagged(sf_small_app, [DECLINE], parse_month("2026-05")) == set()


@pytest.fixture
def peers(sf_small_app: App, tmp_path: Path) -> list[str]:
    """Six more enterprises of industry C30 (with 修武县's D: seven)."""
    rows = [enterprise_row(XIUWU, n, f"修武县测试{n}号建材有限公司", "C3021") for n in range(5, 11)]
    import_enterprises(sf_small_app, write_csv(tmp_path / "peers.csv", rows))
    return [credit_code(XIUWU, n) for n in range(5, 11)]


def test_below_the_industry_median(sf_small_app: App, peers: list[str]):
    # C30: 40, 49, 100, 100, 100, 200, 300 → median 100; below it by more than 50 %: 40, 49.
    values = dict(zip([D, *peers], [40, 49, 100, 100, 100, 200, 300], strict=True))
    figures = {(code, "output", "2026-06"): v for code, v in values.items()}
    figures[(A, "output", "2026-06")] = 1  # C27: alone in its industry, no median
    put(sf_small_app, figures)
    assert flagged(sf_small_app, [BAND]) == {(D, "band"), (peers[0], "band")}
    # An even count: the mean of the middle two. Without the 300: 40 49 100 100 100 200 → 100.
    del figures[(peers[-1], "output", "2026-06")]
    put(sf_small_app, figures)
    assert flagged(sf_small_app, [BAND]) == {(D, "band"), (peers[0], "band")}
    # Fewer peers than min_peers: no median, no warning.
    put(sf_small_app, {k: v for k, v in figures.items() if k[0] in (D, peers[0], peers[1])})
    assert flagged(sf_small_app, [BAND]) == set()


# --- the rules combined, against a plain reading of them ---------------------------------------


def expected(series: dict[str, dict[int, float]], industry: dict[str, str]) -> set:
    found = set()
    for code, s in series.items():
        now, before = s.get(JUNE), s.get(JUNE - 12)
        if now is not None and before and now * 100 < before * 80:
            found.add((code, "yoy"))
        run = [s.get(JUNE - k) for k in range(4)]
        if None not in run and all(run[k] < run[k + 1] for k in range(3)):  # type: ignore[operator]
            found.add((code, "dec"))
    return found


def expected_band(output: dict[str, float], industry: dict[str, str]) -> set:
    found = set()
    for group in set(industry.values()):
        values = sorted(v for c, v in output.items() if industry[c] == group)
        if len(values) < 5:
            continue
        n = len(values)
        median = (values[(n - 1) // 2] + values[n // 2]) / 2
        found |= {
            (c, "band")
            for c, v in output.items()
            if industry[c] == group and median > 0 and v * 100 < median * 50
        }
    return found


months = st.dictionaries(st.integers(JUNE - 14, JUNE), st.integers(0, 200).map(float), max_size=15)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    series=st.fixed_dictionaries({A: months, B: months, C: months}),
    output=st.lists(st.integers(0, 300).map(float), min_size=7, max_size=7),
)
def test_the_rules_combined_flag_what_a_plain_reading_says(
    sf_small_app: App, peers: list[str], series, output
):
    figures = {
        (code, "electricity", f"{m // 12}-{m % 12 + 1:02d}"): v
        for code, s in series.items()
        for m, v in s.items()
    }
    codes = [D, *peers]
    figures |= {(c, "output", "2026-06"): v for c, v in zip(codes, output, strict=True)}
    put(sf_small_app, figures)
    industry = dict.fromkeys(codes, "C30")
    want = expected(series, industry) | expected_band(
        dict(zip(codes, output, strict=True)), industry
    )
    assert flagged(sf_small_app, [YOY, DECLINE, BAND]) == want


# --- stored, told and filed once ---------------------------------------------------------------


@pytest.fixture
def warned(sf_small_app: App, tmp_path: Path) -> App:
    configure(sf_small_app, tmp_path, file_channel(tmp_path) + RULES)
    assign(sf_small_app, A, "jz-vm")  # A's contact leader (领导分包)
    put(
        sf_small_app,
        {
            (A, "electricity", "2025-06"): 100,
            **{(A, "electricity", f"2026-0{m}"): 100 - 10 * (m - 2) for m in (3, 4, 5, 6)},
        },
    )
    sf_small_app.clock = lambda: datetime(2026, 7, 10, 9, tzinfo=UTC)
    return sf_small_app


def test_a_warning_is_stored_told_and_filed_once(warned: App):
    run = raise_warnings(warned, "2026-06")

    assert [(w.enterprise, w.rule) for w in run.warnings] == [
        (A, "power_decline"),
        (A, "power_yoy"),
    ]
    yoy = next(w for w in run.warnings if w.rule == "power_yoy")
    assert yoy.rule_title == "用电量同比下降" and "同比下降40.0%" in yoy.detail
    # Told to A's contact leader and, for the unit in charge (default: the office running
    # 解放区), its head: each warning to each of them once.
    sent = [r for r in outbox.list_outbox(warned) if r["kind"] == "warning"]
    assert sorted((r["recipient_name"], r["subject"]) for r in sent) == sorted(
        [
            ("黄秀倩", "【预警】焦作市恒泽制药有限公司:用电量同比下降"),
            ("周平", "【预警】焦作市恒泽制药有限公司:用电量同比下降"),
            ("黄秀倩", "【预警】焦作市恒泽制药有限公司:用电量连续下降"),
            ("周平", "【预警】焦作市恒泽制药有限公司:用电量连续下降"),
        ]
    )
    assert all(r["status"] == "pending" for r in sent)
    # The decline rule asks for an issue: source warning, category 2 (工业运行监测).
    decline = next(w for w in run.warnings if w.rule == "power_decline")
    assert run.issues == (decline.issue_id,) and yoy.issue_id is None
    issue = get_issue(warned, decline.issue_id).issue
    assert (issue.source, int(issue.category), issue.enterprise) == ("warning", 2, A)

    again = raise_warnings(warned, "2026-06")
    assert again.raised == () and again.issues == ()
    assert len(again.warnings) == 2
    assert len([r for r in outbox.list_outbox(warned) if r["kind"] == "warning"]) == 4


def test_the_cli_lists_warnings_in_chinese_with_beijing_times(warned: App):
    raise_warnings(warned, "2026-06")  # at the test's clock; the CLI raises nothing more
    url = warned.settings.db_url
    result = CliRunner().invoke(cli, ["--db", url, "warnings", "--period", "2026-06", "--json"])
    assert result.exit_code == 0, result.output
    assert '"rule_title": "用电量同比下降"' in result.output
    assert '"raised_at": "2026-07-10T17:00:00+08:00"' in result.output
    result = CliRunner().invoke(cli, ["--db", url, "warnings", "--period", "2026-06"])
    assert "2026-06 预警 2 条(本次新增 0 条)" in result.output
    assert "2026-07-10 17:00" in result.output
    assert len(list_warnings(warned, "2026-06", jurisdiction="修武县")) == 0


def test_a_county_office_reads_the_warnings_of_its_own_places(warned: App):
    raise_warnings(warned, "2026-06")
    every = list_warnings(warned, "2026-06")
    assert {w.jurisdiction for w in every} == {"410802"}  # 解放区's enterprises were warned
    county = warned.acting_as("jf-edsb")
    assert list_warnings(county, "2026-06") == every
    with pytest.raises(Forbidden):
        list_warnings(county, "2026-06", jurisdiction="修武县")  # run by the city, not by it
    with pytest.raises(Forbidden):
        list_warnings(warned.acting_as("jz-fgw"), "2026-06")  # a department: no such report


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('id = "x"\nindicator = "water"\nkind = "yoy_drop"\npercent = 10', "indicator='water'"),
        ('id = "x"\nindicator = "tax"\nkind = "yoy_drop"\npercent = 120', "percent=120"),
        ('id = "x"\nindicator = "tax"\nkind = "decline"\nmonths = 0', "months=0"),
        ('id = "X Y"\nindicator = "tax"\nkind = "decline"', "id='X Y'"),
        ('id = "x"\nindicator = "tax"\nkind = "fall"', "kind"),
        ('id = "x"\nindicator = "tax"\nkind = "decline"\nmonth = 3', "month"),
        (
            'id = "x"\nindicator = "tax"\nkind = "below_industry"\npercent = 5\n'
            "industry_digits = 1",
            "industry_digits=1",
        ),
    ],
)
def test_bad_rules_stop_the_organisation_file_naming_field_and_value(
    sf_small_app: App, tmp_path: Path, table: str, message: str
):
    with pytest.raises(ConfigError) as caught:
        configure(sf_small_app, tmp_path, f"[[warnings]]\n{table}\n")
    assert message in str(caught.value)


def test_the_monitoring_report_rolls_up_the_month_and_lists_its_warnings(warned: App):
    from serviceframe.reports.run import report_dict, run_report

    raise_warnings(warned, "2026-06")
    report = run_report(warned, "monitoring", "2026-06")

    sections = {s.key: s for s in report.sections}
    assert report.title == "焦作市工业运行监测报告"
    jiefang = sections["jurisdictions"].table.records()
    assert {"name": "解放区", "indicator": "用电量", "enterprises": 1, "value": 60.0,
            "year_before": 100.0, "change": pytest.approx(-0.4)} in jiefang  # fmt: skip
    assert [r["rule"] for r in sections["warnings"].table.records()] == [
        "用电量连续下降",
        "用电量同比下降",
    ]
    assert report_dict(report)["data"]["warnings"] == 2
