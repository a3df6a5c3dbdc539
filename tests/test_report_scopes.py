"""Reports by scope: a county office runs the ledger and the coordination report of its own
jurisdiction tree, a department its own ledger; the figures are those of the issues the
principal sees, filtered in SQL; every other place, unit or role is refused by name.

The small organisation (serviceframe.testing.sample): 焦作市 410800 (office jz-edsb), 解放区
410802 (office jf-edsb), 修武县 410821 (run by the city). Runs on SQLite and on PostgreSQL
(SERVICEFRAME_TEST_DB).
"""

import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from serviceframe.cli import cli
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import Forbidden
from serviceframe.services import issues as svc
from serviceframe.services.assessment import assess, assessment_dict
from serviceframe.services.circular import circular_figures
from serviceframe.services.coordination import coordination
from serviceframe.services.issues import IssueDraft
from serviceframe.services.ledger import build_ledger, ledger_dict
from serviceframe.testing.sample import CITY, JIEFANG, XIUWU, credit_code

PERIOD = "2026-10"
JF = [credit_code(JIEFANG, n) for n in (1, 2, 3)]
XW = credit_code(XIUWU, 4)
# (enterprise, lead unit, co units, how far it goes) for each issue
ISSUES = [
    (JF[0], "jf-edsb", (), "rated"),
    (JF[1], "jf-edsb", ("jz-fgw",), "resolved"),
    (JF[2], "jz-fgw", (), "acknowledged"),
    (JF[0], "jz-edsb", ("jf-gov",), "dispatched"),
    (JF[1], None, (), "accepted"),
    (XW, "jz-fgw", (), "rated"),
    (XW, "jz-edsb", ("jz-fgw",), "resolved"),
    (XW, None, (), "accepted"),
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def world(sf_small_app_shared):
    """Eight issues over both counties, taken as far as each line says; and one received
    by jz-fgw's leader (jz-fgw-leader) and left with the office: jz-fgw's first inquiry."""
    app = sf_small_app_shared
    app.clock = Clock()
    for n, (code, lead, co, stage) in enumerate(ISSUES):
        issue = svc.file_issue(app, IssueDraft(code, "hotline", f"问题{n}", title=f"问题{n}")).issue
        svc.accept(app, issue.id, category=1 + n % 3, severity="general")
        if lead is None:
            continue
        svc.dispatch(app, issue.id, lead, co=co)
        if stage in ("acknowledged", "resolved", "rated"):
            svc.acknowledge(app, issue.id, lead)
        if stage in ("resolved", "rated"):
            svc.resolve(app, issue.id, "已协调解决")
        if stage == "rated":
            svc.rate(app, issue.id, "satisfied" if n % 2 else "basic")
    svc.file_issue(app, IssueDraft(JF[2], "visit", "用地手续", received_by="jz-fgw-leader"))
    return app


def rows(ledger):
    return [row["issue_id"] for row in ledger_dict(ledger)["rows"]]


def same_ledger(mine, theirs):
    a, b = ledger_dict(mine), ledger_dict(theirs)
    assert a["rows"] == b["rows"] and a["summary"] == b["summary"]
    assert a["unit"] == b["unit"] and a["unit_name"] == b["unit_name"]


def seen(app, who) -> set[int]:
    return {i.id for i in svc.list_issues(app.acting_as(who))}


def test_a_county_office_runs_its_own_ledger_with_the_root_offices_figures(world):
    office, county = world, world.acting_as("jf-edsb")
    mine = build_ledger(county, None, PERIOD)  # by default: its whole jurisdiction
    theirs = build_ledger(office, None, PERIOD, jurisdiction=JIEFANG)
    same_ledger(mine, theirs)
    same_ledger(build_ledger(county, None, PERIOD, jurisdiction="解放区"), theirs)
    assert mine.unit == JIEFANG and mine.summary.total > 0
    assert set(rows(mine)) <= seen(world, "jf-edsb")
    # one unit of its own: as the root office sees it
    same_ledger(build_ledger(county, "jf-gov", PERIOD), build_ledger(office, "jf-gov", PERIOD))


@pytest.mark.parametrize(
    ("target", "obj"),
    [
        ({"jurisdiction": XIUWU}, f"jurisdiction {XIUWU}"),
        ({"jurisdiction": "修武县"}, f"jurisdiction {XIUWU}"),
        ({"jurisdiction": CITY}, f"jurisdiction {CITY}"),
        ({"unit": "jz-fgw"}, "unit jz-fgw"),
    ],
)
def test_a_county_office_may_not_run_the_ledger_of_another_place(world, target, obj):
    county = world.acting_as("jf-edsb")
    with pytest.raises(Forbidden) as info:
        build_ledger(county, target.get("unit"), PERIOD, jurisdiction=target.get("jurisdiction"))
    assert str(info.value).startswith(f"office:jf-edsb may not report {obj}: outside its scope")


def test_a_department_runs_its_own_ledger_only(world):
    handler = world.acting_as("jz-fgw")
    mine = build_ledger(handler, None, PERIOD)  # by default: its own
    same_ledger(mine, build_ledger(handler, "jz-fgw", PERIOD))
    same_ledger(mine, build_ledger(world, "jz-fgw", PERIOD))
    # led, co-handled, and first received by its leader (首问): all of them, in its scope
    assert mine.summary.lead == 2 and mine.summary.co == 2 and mine.summary.received == 1
    assert set(rows(mine)) == seen(world, "jz-fgw")
    with pytest.raises(Forbidden, match="handler:jz-fgw may not report unit jf-edsb: outside"):
        build_ledger(handler, "jf-edsb", PERIOD)
    with pytest.raises(Forbidden, match=f"handler:jz-fgw may not report jurisdiction {CITY}"):
        build_ledger(handler, None, PERIOD, jurisdiction=CITY)
    with pytest.raises(Forbidden, match="handler:jz-fgw may not report"):
        coordination(handler, PERIOD)


def coordination_dict(report):
    return {
        "jurisdiction": report.jurisdiction,
        "jurisdictions": report.jurisdictions,
        "units": report.units,
        "supervision": report.supervision,
        "long_overdue": report.long_overdue,
    }


def test_a_county_office_runs_coordination_for_its_tree_with_the_root_offices_figures(world):
    county = world.acting_as("jf-edsb")
    mine = coordination(county, PERIOD)
    theirs = coordination(world, PERIOD, jurisdiction=JIEFANG)
    assert coordination_dict(mine) == coordination_dict(theirs)
    assert coordination_dict(coordination(county, PERIOD, jurisdiction="解放区")) == (
        coordination_dict(theirs)
    )
    whole = coordination(world, PERIOD)
    assert mine.jurisdiction == JIEFANG and [j.key for j in mine.jurisdictions] == [JIEFANG]
    # its figures are its county's, not the city's: 6 of the 9 issues are 解放区's
    assert mine.jurisdictions[0].received == 6 and whole.jurisdictions[0].received == 9
    assert sum(u.received for u in mine.units) == 6
    for place in (XIUWU, "修武县", CITY):
        with pytest.raises(Forbidden) as info:
            coordination(county, PERIOD, jurisdiction=place)
        message = str(info.value)
        assert message.startswith("office:jf-edsb may not report jurisdiction 4108")
        assert "outside its scope" in message


@pytest.mark.parametrize("who", ["jz-vm", "jf-mayor", JF[0], XW])
def test_leaders_and_enterprises_run_no_report(world, who):
    me = world.acting_as(who)
    calls = [
        lambda: build_ledger(me, None, PERIOD),
        lambda: build_ledger(me, "jf-edsb", PERIOD),
        lambda: build_ledger(me, None, PERIOD, jurisdiction=JIEFANG),
        lambda: coordination(me, PERIOD),
        lambda: coordination(me, PERIOD, jurisdiction=JIEFANG),
    ]
    for call in calls:
        with pytest.raises(Forbidden, match=f"{me.principal} may not report .*cannot"):
            call()


@pytest.mark.parametrize("who", ["office", "jz-edsb", "auditor", "system"])
def test_those_who_see_everything_run_any_report(world, who):
    me = world.acting_as(who)
    same_ledger(build_ledger(me, "jf-edsb", PERIOD), build_ledger(world, "jf-edsb", PERIOD))
    assert coordination(me, PERIOD, jurisdiction=XIUWU).jurisdictions[0].received == 3


# Every principal that may run some report, against every unit and place: refused exactly
# when the target is outside what it may report on; otherwise the root office's ledger of
# the same target, less the issues the principal does not see.
TARGETS = [("unit", u) for u in ("jz-edsb", "jz-fgw", "jz-gov", "jf-edsb", "jf-gov")] + [
    ("jurisdiction", c) for c in (CITY, JIEFANG, XIUWU)
]
MAY = {
    "jf-edsb": {"jf-edsb", "jf-gov", JIEFANG},
    "jz-fgw": {"jz-fgw"},
    "jf-gov": {"jf-gov"},
    "jz-edsb": {target for _, target in TARGETS},
}


@pytest.mark.parametrize("who", sorted(MAY))
@pytest.mark.parametrize(("kind", "target"), TARGETS)
def test_a_ledger_is_the_root_offices_within_the_principals_scope(world, who, kind, target):
    me = world.acting_as(who)
    unit, place = (target, None) if kind == "unit" else (None, target)
    if target not in MAY[who]:
        with pytest.raises(Forbidden, match=f"may not report {kind} {target}: "):
            build_ledger(me, unit, PERIOD, jurisdiction=place)
        return
    visible = seen(world, who)
    root = build_ledger(world, unit, PERIOD, jurisdiction=place)
    assert rows(build_ledger(me, unit, PERIOD, jurisdiction=place)) == [
        n for n in rows(root) if n in visible
    ]


def run(app, *args):
    url = app.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, ["--db", url, *args], env={}, catch_exceptions=False)


def test_the_cli_runs_the_principals_own_reports_and_refuses_others(world):
    county = run(world, "--as", "jf-edsb", "ledger", "--period", PERIOD, "--json")
    assert county.exit_code == 0, county.output
    data = json.loads(county.output)
    assert data["unit"] == JIEFANG
    # (the CLI judges deadlines as of today: compare the issues)
    expected = rows(build_ledger(world, None, PERIOD, jurisdiction=JIEFANG))
    assert [row["issue_id"] for row in data["rows"]] == expected
    own = run(world, "--as", "jz-fgw", "ledger", "--period", PERIOD, "--json")
    assert own.exit_code == 0 and json.loads(own.output)["unit"] == "jz-fgw"
    other = run(
        world, "--as", "jf-edsb", "coordination", "--period", PERIOD, "--jurisdiction", "修武县"
    )
    assert other.exit_code == 1 and "Traceback" not in other.output
    assert f"office:jf-edsb may not report jurisdiction {XIUWU}: outside its scope" in (
        other.output
    )
    both = run(world, "ledger", "jz-fgw", "--jurisdiction", JIEFANG, "--period", PERIOD)
    assert both.exit_code == 2 and "not both" in both.output


def test_a_unit_that_served_another_county_shows_its_county_office_only_its_own(sf_small_app):
    """解放区's government co-handles an issue of a 修武县 enterprise: the root office's
    ledger of 解放区 lists it, 解放区's office's does not (its scope, in SQL)."""
    app = sf_small_app
    app.clock = Clock()
    issue = svc.file_issue(app, IssueDraft(XW, "hotline", "跨区协调", title="跨区")).issue
    svc.accept(app, issue.id, category=1, severity="general")
    svc.dispatch(app, issue.id, "jz-fgw", co=("jf-gov",))
    county = app.acting_as("jf-edsb")
    assert rows(build_ledger(app, "jf-gov", PERIOD)) == [issue.id]
    assert rows(build_ledger(app, None, PERIOD, jurisdiction=JIEFANG)) == [issue.id]
    assert rows(build_ledger(county, "jf-gov", PERIOD)) == []
    assert rows(build_ledger(county, None, PERIOD)) == []
    assert build_ledger(county, None, PERIOD).summary.co == 0
    assert rows(build_ledger(app.acting_as("jf-gov"), None, PERIOD)) == [issue.id]
    # the assessment (and the circular's ranking) counts its issues only, too
    root = {u.figures.key: u.figures for u in assess(app, PERIOD, JIEFANG).units}
    mine = {u.figures.key: u.figures for u in assess(county, PERIOD).units}
    assert root["jf-gov"].handled_co == 1 and "jf-gov" not in mine  # nothing of its own


def circular_dict(c):
    return {
        "jurisdiction": (c.jurisdiction, c.jurisdiction_name),
        "figures": (c.total, c.total_before, c.categories, c.jurisdictions),
        "backlog": (c.backlog, c.overdue_items, c.overdue_total, c.orders_total),
        "clusters": c.clusters,
        "assessment": assessment_dict(c.assessment),
    }


def test_a_county_office_runs_its_circular_and_assessment_with_the_root_offices_figures(world):
    county = world.acting_as("jf-edsb")
    mine = circular_figures(county, PERIOD)
    assert circular_dict(mine) == circular_dict(circular_figures(world, PERIOD, JIEFANG))
    assert mine.jurisdiction == JIEFANG and mine.total.received == 6
    assert circular_figures(world, PERIOD).total.received == 9
    assert [u.figures.key for u in mine.assessment.units] == ["jf-edsb", "jf-gov"]
    assert assessment_dict(assess(county, PERIOD)) == assessment_dict(
        assess(world, PERIOD, "解放区")
    )
    for place in (XIUWU, CITY):
        with pytest.raises(Forbidden, match=f"office:jf-edsb may not report jurisdiction {place}"):
            circular_figures(county, PERIOD, place)
        with pytest.raises(Forbidden, match=f"office:jf-edsb may not report jurisdiction {place}"):
            assess(county, PERIOD, place)
    for who in ("jz-fgw", "jz-vm", XW):
        with pytest.raises(Forbidden, match=f"{world.acting_as(who).principal} may not report"):
            circular_figures(world.acting_as(who), PERIOD)


def test_the_cli_runs_a_county_offices_circular(world):
    done = run(world, "--as", "jf-edsb", "report", "run", "circular", "--period", PERIOD)
    assert done.exit_code == 0, done.output
    assert "解放区服务工业企业工作通报" in done.output
    refused = run(
        world,
        "--as",
        "jf-edsb",
        "report",
        "run",
        "briefing",
        "--period",
        PERIOD,
        "--jurisdiction",
        "修武县",
    )
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert f"office:jf-edsb may not report jurisdiction {XIUWU}" in refused.output
