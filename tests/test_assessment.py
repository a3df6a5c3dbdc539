"""The assessment (R9): hand-computed results (redo rounds, unrated items, co-handling units,
ties), the supporting figures, scoring profiles as plugins, and the command."""

import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from rated import rated_season
from serviceframe.cli import cli
from serviceframe.cli.context import CliContext
from serviceframe.domain.assessment import DeadlineCounts, ScoringProfile
from serviceframe.domain.satisfaction import Tally, competition_ranks, weighted_rate
from serviceframe.errors import ConfigError, ServiceFrameError, ValidationError
from serviceframe.hookspecs import hookimpl
from serviceframe.services.assessment import assess
from serviceframe.services.organisation import load_organisation
from serviceframe.testing.fixtures import make_app
from serviceframe.testing.sample import SMALL_ORG, write_org


@pytest.fixture
def season(sf_small_app):
    return rated_season(sf_small_app)


def by_key(results) -> dict:
    return {r.figures.key: r for r in results}


# --- the counting, without a database ----------------------------------------------------------


def test_every_round_counts_and_the_basic_weight_applies():
    # 不满意, then 满意 after the redo: both count.
    assert Tally(1, 0, 1).rate(Fraction(4, 5)) == Fraction(1, 2)
    assert Tally(1, 1, 0).rate(Fraction(4, 5)) == Fraction(9, 10)
    assert Tally(1, 1, 0).rate(Fraction(1)) == 1
    assert Tally().rate(Fraction(4, 5)) is None  # nothing rated: no result, not 100%


def test_co_handling_weight():
    lead, co = Tally(1, 1, 1), Tally(1, 0, 0)
    assert weighted_rate(lead, co, Fraction(4, 5), Fraction(1, 2)) == Fraction(23, 35)
    assert weighted_rate(lead, co, Fraction(4, 5), Fraction(0)) == Fraction(3, 5)
    assert weighted_rate(Tally(), co, Fraction(4, 5), Fraction(0)) is None


def test_competition_ranking():
    scores = [Fraction(1, 2), Fraction(3, 4), None, Fraction(1, 2), Fraction(1, 5)]
    assert competition_ranks(scores) == [2, 1, None, 2, 4]


@given(st.lists(st.one_of(st.none(), st.fractions(min_value=0, max_value=1)), max_size=30))
def test_ranks_follow_the_scores(scores):
    ranks = competition_ranks(scores)
    for s, r in zip(scores, ranks, strict=True):
        assert (s is None) == (r is None)
        if s is not None:  # one more than the number of strictly better scores
            assert r == 1 + sum(1 for o in scores if o is not None and o > s)


# --- the season --------------------------------------------------------------------------------


def test_results_computed_by_hand(season):
    a = assess(season.app, "2026-Q4")
    assert a.profile == "satisfaction" and a.rules.basic_weight == Fraction(4, 5)
    units = by_key(a.units)
    assert [r.figures.key for r in a.units] == ["jz-edsb", "jz-fgw", "jf-edsb", "jf-gov", "jz-gov"]
    assert {k: r.rank for k, r in units.items()} == {
        "jz-edsb": 1,
        "jz-fgw": 2,
        "jf-edsb": 3,  # a tie: both 1/2
        "jf-gov": 3,
        "jz-gov": None,  # nothing rated: no result, no rank, listed last
    }
    assert units["jz-edsb"].score == 0.75
    assert units["jz-fgw"].score == pytest.approx(23 / 35)
    assert units["jf-edsb"].score == units["jf-gov"].score == 0.5
    assert units["jz-gov"].score is None

    fgw = units["jz-fgw"].figures
    # The first, unsatisfied round of I1 still counts after the satisfied redo.
    assert (fgw.lead, fgw.co) == (Tally(1, 1, 1), Tally(1, 0, 0))
    assert (fgw.handled, fgw.handled_co, fgw.resolved, fgw.redo) == (2, 1, 2, 1)
    edsb = units["jz-edsb"].figures
    assert (edsb.lead, edsb.co) == (Tally(1, 0, 0), Tally(1, 0, 1))
    assert edsb.unrated == 1  # I4, resolved and not rated: beside the result, not in it
    assert edsb.response_rate == 0.5
    gov = units["jz-gov"].figures
    assert gov.acknowledge == DeadlineCounts(overdue=1)
    assert gov.supervision == 3 and gov.response_rate is None
    jf = units["jf-edsb"].figures
    assert jf.resolve == DeadlineCounts(met=1, overdue=1)  # I6's redo is past due
    assert jf.redo == 1

    officials = by_key(a.officials)
    vm = officials["jz-vm"]
    assert vm.figures.lead == Tally(4, 1, 3) and vm.score == pytest.approx(0.6)
    assert vm.rank == 1 and officials["jz-mayor"].rank is None  # I8 climbed to the mayor


def test_the_period_is_the_time_of_rating(season):
    october = assess(season.app, "2026-10")
    assert all(r.score is None for r in october.units)
    # The 6th only: I1's second round and I7's came on the 10th.
    sixth = by_key(assess(season.app, "2026-11-06").units)
    assert sixth["jz-fgw"].figures.lead == Tally(0, 1, 1)
    assert sixth["jf-gov"].score == 0


def test_one_unit_and_one_jurisdiction(season):
    only = assess(season.app, "2026-Q4", unit="jz-fgw")
    assert [(r.figures.key, r.rank) for r in only.units] == [("jz-fgw", 2)]  # among all
    assert only.officials == ()  # no issue is routed to jz-fgw's officials
    jiefang = assess(season.app, "2026-Q4", jurisdiction="解放区")
    assert [(r.figures.key, r.rank) for r in jiefang.units] == [("jf-edsb", 1), ("jf-gov", 1)]
    with pytest.raises(ValidationError) as caught:
        assess(season.app, "2026-Q4", unit="jz-nowhere")
    assert caught.value.field == "unit"


def reload(app, tmp_path: Path, extra: str) -> None:
    load_organisation(app, write_org(tmp_path / "org.toml", SMALL_ORG + extra))


def test_weights_come_from_the_organisation_file(season, tmp_path):
    reload(season.app, tmp_path, "\n[assessment]\nbasic_weight = 1\nco_weight = 0\n")
    units = by_key(assess(season.app, "2026-Q4").units)
    assert units["jz-fgw"].score == pytest.approx(2 / 3)  # co-handled I5 no longer counts
    assert units["jz-edsb"].score == 1.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("basic_weight = 1.5", "assessment.basic_weight=1.5: must be between 0 and 1"),
        ("co_weight = -0.1", "assessment.co_weight=-0.1"),
        ("colour = 'red'", "colour"),
    ],
)
def test_bad_weights_are_refused_at_load(sf_small_app, tmp_path, extra, message):
    with pytest.raises(ConfigError) as caught:
        reload(sf_small_app, tmp_path, f"\n[assessment]\n{extra}\n")
    assert message in str(caught.value)


def test_the_12345_profile_is_a_plugin_chosen_in_the_file(season, tmp_path):
    reload(season.app, tmp_path, "\n[assessment]\nprofile = 'hotline12345'\n")
    a = assess(season.app, "2026-Q4")
    assert (a.profile, a.profile_plugin) == ("hotline12345", "serviceframe.plugins.hotline12345")
    units = by_key(a.units)
    # 0.2 x acknowledged on time (2/2) + 0.3 x resolved (2/2) + 0.5 x satisfaction (23/35)
    assert units["jz-fgw"].score == pytest.approx(0.2 + 0.3 + 0.5 * 23 / 35)
    # Nothing rated: the parts with data count in full: 0 on time, 0 resolved.
    assert units["jz-gov"].score == 0 and units["jz-gov"].rank == 5


def test_profile_parameters_are_checked(season, tmp_path):
    reload(
        season.app, tmp_path, "\n[assessment]\nprofile = 'hotline12345'\nparams = { speed = 1 }\n"
    )
    with pytest.raises(ConfigError, match="speed unknown to profile 'hotline12345'"):
        assess(season.app, "2026-Q4")
    reload(
        season.app,
        tmp_path,
        "\n[assessment]\nprofile = 'hotline12345'\nparams = { response = 0.5 }\n",
    )
    with pytest.raises(ServiceFrameError, match=r"plugin 'serviceframe\.plugins\.hotline12345'"):
        assess(season.app, "2026-Q4")
    reload(season.app, tmp_path, "\n[assessment]\nprofile = 'nosuch'\n")
    with pytest.raises(ConfigError, match="known: hotline12345, satisfaction"):
        assess(season.app, "2026-Q4")


class Generous:
    """A county's profile that gives everyone full marks, and other misbehaviours."""

    def __init__(self, name: str, score=lambda f, r: 1, items=None, plugin: str = "") -> None:
        self.__name__ = plugin or f"county-{name}"
        self.profile = ScoringProfile(name, "县里的办法", score)
        self.items = items

    @hookimpl
    def serviceframe_scoring_profiles(self):
        if self.items is not None:
            return self.items
        return [self.profile]


def app_with(season, tmp_path, profile: str, *plugins):
    reload(season.app, tmp_path, f"\n[assessment]\nprofile = '{profile}'\n")
    return make_app(season.app.settings.db_url, plugins)


def test_a_county_profile_is_registered_and_chosen(season, tmp_path):
    app = app_with(season, tmp_path, "generous", Generous("generous"))
    a = assess(app, "2026-Q4")
    assert {r.rank for r in a.units} == {1}  # all tied at the top
    assert a.profile_plugin == "county-generous"


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (
            Generous("generous", score=lambda f, r: 1.5),
            "gave 1.5; a result is a number from 0 to 1",
        ),
        (Generous("generous", score=lambda f, r: "高"), "gave '高'"),
        (Generous("generous", score=lambda f, r: 1 / 0), "failed: ZeroDivisionError"),
    ],
)
def test_a_misbehaving_profile_is_named(season, tmp_path, plugin, message):
    app = app_with(season, tmp_path, "generous", plugin)
    with pytest.raises(ServiceFrameError) as caught:
        assess(app, "2026-Q4")
    assert message in str(caught.value) and "county-generous" in str(caught.value)


def test_a_broken_registration_is_left_out_and_reported(season, tmp_path):
    wrong = Generous("wrong", items=["satisfaction"])  # a string, not a ScoringProfile
    app = app_with(season, tmp_path, "satisfaction", wrong)
    assert assess(app, "2026-Q4").profile == "satisfaction"  # the built-in still works
    assert [(f.plugin, f.hook) for f in app.plugins.failures] == [
        ("county-wrong", "serviceframe_scoring_profiles")
    ]
    assert "expected ScoringProfile" in app.plugins.failures[0].error


def test_a_name_taken_twice_is_refused_naming_both(season, tmp_path):
    app = app_with(
        season,
        tmp_path,
        "generous",
        Generous("generous", plugin="county-a"),
        Generous("generous", plugin="county-b"),
    )
    with pytest.raises(ServiceFrameError) as caught:
        assess(app, "2026-Q4")
    text = str(caught.value)
    assert "'generous' is registered by both plugins" in text
    assert "'county-a'" in text and "'county-b'" in text


def run(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=CliContext(app=app), catch_exceptions=False)


def test_assess_command(season, tmp_path):
    result = run(season.app, "assess", "--period", "2026-Q4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["profile"]["name"] == "satisfaction" and data["rules"]["basic_weight"] == 0.8
    fgw = next(u for u in data["units"] if u["key"] == "jz-fgw")
    assert fgw["rank"] == 2 and fgw["score"] == pytest.approx(23 / 35, abs=1e-6)
    assert fgw["ratings"] == {"satisfied": 1, "basic": 1, "unsatisfied": 1, "rated": 3}
    assert fgw["co_ratings"]["rated"] == 1 and fgw["redo"] == 1

    text = run(season.app, "assess", "--period", "2026-Q4").stdout
    assert "焦作市企业发展服务局" in text and "75.0%" in text and "基本满意按0.8计" in text

    out = tmp_path / "考核.xlsx"
    result = run(season.app, "assess", "--period", "2026-Q4", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    sheet = book["单位考核结果"]
    header = [c.value for c in sheet[2]]
    assert header[:5] == ["名次", "编号", "名称", "辖区", "结果"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=3, values_only=True) if r[1]}
    assert rows["jz-fgw"][0] == 2 and rows["jz-fgw"][4] == pytest.approx(23 / 35)
    assert rows["jf-gov"][0] == 3 and rows["jz-gov"][0] is None
    assert sheet.cell(3, 5).number_format == "0.0%"
    assert "重办前的不满意评价同样计入" in " ".join(
        str(c.value) for c in book["报告"]["A"] if c.value
    )
