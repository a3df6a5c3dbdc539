"""Who may do what: every role against every issue service, in the service layer, on the
small organisation (city 410800 with office jz-edsb; 解放区 410802 with office jf-edsb;
修武县 410821 run by the city). Runs on SQLite and on PostgreSQL (SERVICEFRAME_TEST_DB).

Two issues: A for a 解放区 enterprise, led by jf-edsb; B for the 修武县 enterprise, led by
jz-fgw. Both category 3 (financing), so both fall in jz-vm's portfolio, and A in jf-mayor's.
"""

from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serviceframe.cli import cli
from serviceframe.domain.enterprise import KeyLevel
from serviceframe.domain.principal import Action, PrincipalKind, check_actor, resolve_principal
from serviceframe.domain.workdays import SHANGHAI
from serviceframe.errors import Forbidden, ServiceFrameError, UnknownPrincipal, ValidationError
from serviceframe.services import (
    agenda,
    assignments,
    audit,
    compliance,
    enterprises,
    outbox,
    routing,
    visits,
)
from serviceframe.services import issues as svc
from serviceframe.services.issues import IssueDraft
from serviceframe.testing.sample import JIEFANG, XIUWU, credit_code

ENT_A = credit_code(JIEFANG, 1)
ENT_B = credit_code(XIUWU, 4)

# principal → (its kind, the issues it sees)
SEES = {
    "office": (PrincipalKind.OFFICE, {"A", "B"}),
    "jz-edsb": (PrincipalKind.OFFICE, {"A", "B"}),
    "jf-edsb": (PrincipalKind.OFFICE, {"A"}),
    "jz-fgw": (PrincipalKind.HANDLER, {"B"}),
    "jf-gov": (PrincipalKind.HANDLER, set()),
    "jz-vm": (PrincipalKind.LEADER, {"A", "B"}),
    "jf-mayor": (PrincipalKind.LEADER, {"A"}),
    "jz-fgw-leader": (PrincipalKind.LEADER, set()),
    ENT_A: (PrincipalKind.ENTERPRISE, {"A"}),
    ENT_B: (PrincipalKind.ENTERPRISE, {"B"}),
    "auditor": (PrincipalKind.AUDITOR, {"A", "B"}),
    "system": (PrincipalKind.SYSTEM, {"A", "B"}),
}


@pytest.fixture
def world(sf_small_app):
    app = sf_small_app
    a = svc.file_issue(app, IssueDraft(ENT_A, "hotline", "贷款审批太慢", title="融资难")).issue
    b = svc.file_issue(app, IssueDraft(ENT_B, "hotline", "担保贷款办不下来", title="担保")).issue
    for issue, lead in ((a, "jf-edsb"), (b, "jz-fgw")):
        svc.accept(app, issue.id, category=3, severity="general")
        svc.dispatch(app, issue.id, lead)
    return app, {"A": a.id, "B": b.id}


def forbidden(call) -> bool:
    """True when ``call`` is refused as forbidden; any other outcome (done, or refused for
    another reason such as the issue's state) means the principal was allowed."""
    try:
        call()
    except Forbidden:
        return True
    except ServiceFrameError:
        return False
    return False


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_sees_its_scope_and_no_more(world, who):
    app, ids = world
    kind, sees = SEES[who]
    me = app.acting_as(who)
    assert me.principal.kind is kind
    listed = {i.id for i in svc.list_issues(me)}
    assert listed == {ids[name] for name in sees}
    assert {i.id for i in svc.list_issues(me, category=3)} == listed  # scope and filter combine
    for name, issue_id in ids.items():
        if name in sees:
            assert svc.get_issue(me, issue_id).issue.id == issue_id
        else:
            with pytest.raises(Forbidden) as info:
                svc.get_issue(me, issue_id)
            message = str(info.value)
            assert who in message and "read" in message and f"issue {issue_id}" in message


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_may_change_only_what_its_role_allows(world, who):
    app, ids = world
    kind, sees = SEES[who]
    me = app.acting_as(who)
    a = ids["A"]
    may_a = "A" in sees
    office_of_a = kind is PrincipalKind.OFFICE and may_a
    checks = {
        "reclassify": (lambda: svc.reclassify(me, a, category=4), office_of_a),
        "reject": (lambda: svc.reject(me, a, "不属于受理范围"), office_of_a),
        # only jf-edsb leads A: the office may act for it, nobody else
        "acknowledge": (lambda: svc.acknowledge(me, a, "jf-edsb"), office_of_a),
        "progress": (
            lambda: svc.progress(me, a, "已联系银行"),
            may_a and kind in (PrincipalKind.OFFICE, PrincipalKind.HANDLER),
        ),
        "rate": (lambda: svc.rate(me, a, "satisfied"), may_a and kind in RATERS),
        "merge": (
            lambda: svc.merge(me, a, ids["B"]),
            kind is PrincipalKind.OFFICE and sees == {"A", "B"},
        ),
    }
    for action, (call, allowed) in checks.items():
        assert forbidden(call) is not allowed, f"{who} {action}: allowed should be {allowed}"


RATERS = (PrincipalKind.OFFICE, PrincipalKind.ENTERPRISE)

# principal → the enterprises it may file for (a department files for its place and below)
FILES = {
    "office": {ENT_A, ENT_B},
    "jz-edsb": {ENT_A, ENT_B},
    "jf-edsb": {ENT_A},
    "jz-fgw": {ENT_A, ENT_B},
    "jf-gov": {ENT_A},
    "jz-vm": set(),
    "jf-mayor": set(),
    "jz-fgw-leader": set(),
    ENT_A: {ENT_A},
    ENT_B: {ENT_B},
    "auditor": set(),
    "system": {ENT_A, ENT_B},
}


# principal → the enterprises of the registry it may read: its places and those below, an
# enterprise user only itself
READS = {**FILES, "jz-vm": {ENT_A, ENT_B}, "jf-mayor": {ENT_A}, "jz-fgw-leader": {ENT_A, ENT_B}}
READS["auditor"] = {ENT_A, ENT_B}


@pytest.mark.parametrize("who", sorted(READS))
def test_each_role_reads_only_the_part_of_the_registry_it_reaches(world, who):
    app, _ = world
    me = app.acting_as(who)
    listed = {e.credit_code for e in enterprises.list_enterprises(me)}
    assert listed & {ENT_A, ENT_B} == READS[who]
    if me.principal.kind is PrincipalKind.ENTERPRISE:
        assert listed == {who}  # not the other enterprises' contact cards
    for code in (ENT_A, ENT_B):
        if code in READS[who]:
            assert enterprises.get_enterprise(me, code).credit_code == code
        else:
            with pytest.raises(Forbidden) as info:
                enterprises.get_enterprise(me, code)
            assert who in str(info.value) and f"enterprise {code}" in str(info.value)


def test_a_county_office_may_not_list_another_county(world):
    app, _ = world
    me = app.acting_as("jf-edsb")
    assert {e.jurisdiction for e in enterprises.list_enterprises(me, "410802")} == {"410802"}
    with pytest.raises(Forbidden) as info:
        enterprises.list_enterprises(me, "修武县")
    assert "jf-edsb" in str(info.value) and "jurisdiction 410821" in str(info.value)


@pytest.mark.parametrize("who", sorted(FILES))
def test_each_role_files_only_for_enterprises_it_reaches(world, who):
    app, _ = world
    me = app.acting_as(who)
    for code in (ENT_A, ENT_B):
        try:
            svc.file_issue(me, IssueDraft(code, "portal", "用电报装需要多久"))
            filed = True
        except (Forbidden, ValidationError) as exc:
            filed = False
            assert str(me.principal) in str(exc) and "file" in str(exc)
        assert filed is (code in FILES[who]), f"{who} filing for {code}"


def test_a_department_acknowledges_only_as_itself(world):
    app, ids = world
    with pytest.raises(
        Forbidden, match=r"handler:jz-fgw may not acknowledge issue .* as unit jz-edsb"
    ):
        svc.acknowledge(app.acting_as("jz-fgw"), ids["B"], "jz-edsb")
    done = svc.acknowledge(app.acting_as("jz-fgw"), ids["B"], "jz-fgw")
    assert done.status.value == "acknowledged"
    event = svc.get_issue(app, ids["B"]).events[-1]
    assert event.data["by"] == "handler:jz-fgw"


def test_the_office_acting_for_a_unit_is_recorded(world):
    app, ids = world
    svc.acknowledge(app, ids["A"], "jf-edsb")
    event = svc.get_issue(app, ids["A"]).events[-1]
    assert event.data["unit"] == "jf-edsb" and event.data["by"] == "office:jz-edsb"


def test_an_enterprise_rates_only_as_itself(world):
    app, ids = world
    office = app
    svc.acknowledge(office, ids["A"], "jf-edsb")
    svc.resolve(office, ids["A"], "已协调银行放款")
    with pytest.raises(
        Forbidden, match=rf"enterprise:{ENT_A} may not rate .* as enterprise {ENT_B}"
    ):
        svc.rate(app.acting_as(ENT_A), ids["A"], "satisfied", enterprise=ENT_B)
    with pytest.raises(Forbidden):
        svc.rate(app.acting_as(ENT_B), ids["A"], "satisfied")
    rated = svc.rate(app.acting_as(ENT_A), ids["A"], "satisfied")
    assert rated.status.value == "closed"
    data = svc.get_issue(app, ids["A"]).events[-1].data
    assert data["on_behalf"] is False and data["by"] == f"enterprise:{ENT_A}"


def test_an_auditor_reads_everything_and_changes_nothing(world):
    app, ids = world
    auditor = app.acting_as("auditor")
    before = [e.kind for e in svc.get_issue(auditor, ids["A"]).events]
    with pytest.raises(Forbidden, match="auditor:auditor may not handle issue"):
        svc.progress(auditor, ids["A"], "看看")
    assert [e.kind for e in svc.get_issue(app, ids["A"]).events] == before


def test_a_library_app_without_a_principal_refuses_to_run(sf_small_app):
    from serviceframe.app import Settings, bootstrap

    url = sf_small_app.engine.url.render_as_string(hide_password=False)
    app = bootstrap(Settings(db_url=url, load_entry_points=False))
    try:
        with pytest.raises(UnknownPrincipal, match="acting_as"):
            svc.list_issues(app)
    finally:
        app.close()


@pytest.mark.parametrize("text", ["jz-nobody", "91410800MA00000000", "", "a" * 65, "jz-vm\nx"])
def test_an_unknown_principal_is_an_error(sf_small_app, text):
    with pytest.raises((UnknownPrincipal, ValidationError)):
        sf_small_app.acting_as(text)


def test_sweeps_belong_to_the_root_office_and_system(world):
    app, _ = world
    for who, allowed in (
        ("office", True),
        ("jf-edsb", False),
        ("system", True),
        ("auditor", False),
    ):
        assert app.acting_as(who).principal.may(Action.SWEEP) is allowed


@given(st.text(max_size=120))
@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_actor_text_is_one_short_printable_line_or_refused(text):
    try:
        name = check_actor(text)
    except ValidationError as exc:
        assert exc.field == "actor"
        stripped = text.strip()
        assert not stripped or len(stripped) > 100 or not stripped.isprintable()
    else:
        assert name == text.strip() and 0 < len(name) <= 100 and "\n" not in name


def test_resolution_needs_no_store_for_auditor_and_system():
    assert resolve_principal("auditor", None).kind is PrincipalKind.AUDITOR
    assert resolve_principal("system", None).kind is PrincipalKind.SYSTEM
    assert resolve_principal("office", None).everywhere  # the first `org load`
    with pytest.raises(UnknownPrincipal, match="no organisation"):
        resolve_principal("jz-vm", None)


# --- the CLI -----------------------------------------------------------------------------------


def run(url, *args, env=None):
    return CliRunner().invoke(cli, ["--db", url, *args], env=env or {}, catch_exceptions=False)


def test_cli_acts_as_the_root_office_by_default_and_as_told(world):
    app, ids = world
    url = app.engine.url.render_as_string(hide_password=False)
    assert run(url, "issue", "list").exit_code == 0
    listed = run(url, "--as", "jz-fgw", "issue", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert str(ids["B"]) in listed.output and f'"id": {ids["A"]}' not in listed.output
    env = run(url, "issue", "list", "--json", env={"SERVICEFRAME_AS": "jf-edsb"})
    assert f'"id": {ids["A"]}' in env.output and f'"id": {ids["B"]}' not in env.output


def test_cli_refuses_an_unknown_principal_and_a_foreign_unit(world):
    app, ids = world
    url = app.engine.url.render_as_string(hide_password=False)
    unknown = run(url, "--as", "jz-ghost", "issue", "list")
    assert unknown.exit_code == 1 and "jz-ghost" in unknown.output
    assert "Traceback" not in unknown.output
    foreign = run(url, "--as", "jz-fgw", "issue", "ack", str(ids["B"]), "--unit", "jz-edsb")
    assert foreign.exit_code == 1
    assert "handler:jz-fgw may not acknowledge" in foreign.output


@pytest.mark.parametrize("actor", ["张伟\n李四", "x" * 101])
def test_cli_refuses_an_actor_that_is_not_one_short_line(world, actor):
    app, ids = world
    url = app.engine.url.render_as_string(hide_password=False)
    result = run(url, "--actor", actor, "issue", "progress", str(ids["A"]), "--note", "好")
    assert result.exit_code != 0 and "actor=" in result.output
    assert "Traceback" not in result.output


# --- the confidential reporter -------------------------------------------------------------------


def test_a_confidential_reporter_is_shown_to_the_office_only(world):
    app, _ = world
    draft = IssueDraft(
        ENT_A,
        "hotline",
        "有人索要好处费",
        external_id="call-889",
        origin="call:139xxxx0001",
        confidential=True,
    )
    issue_id = svc.file_issue(app.acting_as("system"), draft).issue.id
    svc.accept(app, issue_id, category=7)
    svc.dispatch(app, issue_id, "jf-edsb")
    office = svc.get_issue(app, issue_id)
    assert office.issue.origin == "call:139xxxx0001" and office.issue.confidential
    assert office.events[0].data["by"] == "system:system"
    for who in ("jf-edsb", "jf-mayor", ENT_A, "auditor"):
        me = app.acting_as(who)
        view = svc.get_issue(me, issue_id)
        shown = view.issue.origin, view.issue.external_id, view.events[0].actor
        if who == "jf-edsb":  # 解放区's office: the office of the issue's place
            assert shown[0] == "call:139xxxx0001"
            continue
        assert "call:139xxxx0001" not in repr(view) and "call-889" not in repr(view), who
        assert view.events[0].data["by"] == svc.HIDDEN and view.events[0].actor == svc.HIDDEN
        listed = next(i for i in svc.list_issues(me) if i.id == issue_id)
        assert listed.origin is None and listed.confidential


def test_an_ordinary_issue_shows_its_reporter_to_whoever_may_read_it(world):
    app, ids = world
    view = svc.get_issue(app.acting_as("auditor"), ids["A"])
    assert view.events[0].data["by"] == "office:jz-edsb"
    assert view.events[0].actor == "test"


# --- the SQL scope against a model of the rules ------------------------------------------------

ENTERPRISES = {credit_code(JIEFANG, n): JIEFANG for n in (1, 2, 3)} | {ENT_B: XIUWU}
LEADS = ("jf-edsb", "jz-fgw", "jz-edsb", None)
# The officials of the small organisation who belong to a unit (testing/sample.py).
OFFICIALS_UNIT = {
    "jz-mayor": "jz-gov",
    "jz-vm": "jz-gov",
    "jz-edsb-head": "jz-edsb",
    "jz-edsb-liaison": "jz-edsb",
    "jz-fgw-leader": "jz-fgw",
    "jf-mayor": "jf-gov",
    "jf-edsb-head": "jf-edsb",
}


@pytest.fixture(scope="module")
def many(sf_small_app_shared):
    """Twelve issues over the four enterprises, three categories and four lead units; one
    received by jz-fgw's leader."""
    app = sf_small_app_shared
    codes = sorted(ENTERPRISES)
    for n in range(12):
        receiver = "jz-fgw-leader" if n == 5 else None  # jz-fgw's first inquiry (首问)
        draft = IssueDraft(codes[n % 4], "hotline", f"问题{n}", received_by=receiver)
        issue = svc.file_issue(app, draft).issue
        svc.accept(app, issue.id, category=1 + n % 3, severity="general")
        if LEADS[n % 4] is not None:
            svc.dispatch(app, issue.id, LEADS[n % 4], co=("jz-fgw",) if n == 11 else ())
    return app


def model_sees(principal, issue, routed: str | None) -> bool:
    """The scope rules of docs/identities.md, written out in Python."""
    kind = principal.kind
    place = ENTERPRISES[issue.enterprise]
    if principal.everywhere:
        return True
    if kind is PrincipalKind.ENTERPRISE:
        return issue.enterprise == principal.id
    if kind is PrincipalKind.OFFICE:
        return place in principal.jurisdictions
    if kind is PrincipalKind.HANDLER:  # received by it or one of its officials (首问)
        receiver = OFFICIALS_UNIT.get(issue.received_by, issue.received_by)
        return principal.id in (receiver, issue.lead_unit, *issue.co_units)
    return (
        routed == principal.id
        or (issue.category in principal.categories and place in principal.jurisdictions)
        or issue.lead_unit in principal.departments
    )


@given(
    who=st.sampled_from(sorted(SEES)),
    category=st.sampled_from([None, 1, 2, 3]),
    status=st.sampled_from([(), ("accepted",), ("dispatched",)]),
)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_lists_are_the_scope_rules_applied_to_every_issue(many, who, category, status):
    me = many.acting_as(who)
    everything = svc.list_issues(many)
    with many.uow() as uow:
        routed = {i.id: getattr(uow.routing.get(i.id), "official", None) for i in everything}
    expected = [
        i.id
        for i in everything
        if model_sees(me.principal, i, routed[i.id])
        and (category is None or i.category == category)
        and (not status or i.status.value in status)
    ]
    filters = {"category": category, "status": list(status)}
    assert [i.id for i in svc.list_issues(me, **filters)] == expected


# --- reports and jobs over the whole store -----------------------------------------------------

# (The ledger and coordination are run on a part of the store: tests/test_report_scopes.py.)
WHOLE_STORE = {
    "outbox": lambda app: outbox.list_outbox(app),
    "audit": lambda app: audit.verify(app),
}


@pytest.mark.parametrize("report", sorted(WHOLE_STORE))
def test_a_report_over_the_whole_store_is_for_those_who_see_everything(sf_small_app_shared, report):
    app = sf_small_app_shared
    for who, allowed in (
        ("office", True),
        ("auditor", True),
        ("system", True),
        ("jf-edsb", False),
        ("jz-fgw", False),
        ("jz-vm", False),
        (ENT_A, False),
    ):
        me = app.acting_as(who)
        assert forbidden(lambda me=me: WHOLE_STORE[report](me)) is not allowed, (report, who)


NOW = datetime(2024, 4, 1, 9, tzinfo=SHANGHAI)
PLACES = {"解放区": "410802"}


@pytest.mark.parametrize(
    "report",
    [
        pytest.param(lambda app, place=None: assignments.coverage(app, place), id="coverage"),
        pytest.param(lambda app, place=None: agenda.agenda(app, jurisdiction=place), id="agenda"),
        pytest.param(
            lambda app, place=None: compliance.visit_compliance(app, "2024Q1", place, now=NOW),
            id="compliance",
        ),
        pytest.param(
            lambda app, place=None: visits.list_visits(
                app, jurisdictions=None if place is None else [PLACES.get(place, place)]
            ),
            id="visits",
        ),
    ],
)
def test_a_county_office_runs_reports_by_place_for_its_own_county(sf_small_app_shared, report):
    app = sf_small_app_shared
    county = app.acting_as("jf-edsb")
    assert report(county) == report(app, "410802")  # the root office's view of that county
    assert report(county, "解放区") == report(county)
    with pytest.raises(Forbidden) as info:
        report(county, "410821")
    assert "jf-edsb" in str(info.value) and "410821" in str(info.value)
    for who in ("jz-fgw", "jz-vm", ENT_A):
        assert forbidden(lambda who=who: report(app.acting_as(who))), who
    assert not forbidden(lambda: report(app.acting_as("auditor"), "410802"))


def test_a_county_office_reads_the_supervision_orders_of_its_places(world):
    app, ids = world
    for days in (10, 20, 40, 80):  # each run climbs one rung: both end long-overdue
        routing.escalate(app, now=app.now() + timedelta(days=days))
    every = routing.supervision_orders(app)
    assert {o["issue_id"] for o in every} == {ids["A"], ids["B"]}
    county = app.acting_as("jf-edsb")  # 解放区: issue A's enterprise only
    assert routing.supervision_orders(county) == [o for o in every if o["issue_id"] == ids["A"]]
    listed = routing.long_overdue(app)
    assert {r["issue_id"] for r in listed} == {ids["A"], ids["B"]}
    assert routing.long_overdue(county) == [r for r in listed if r["issue_id"] == ids["A"]]
    assert routing.supervision_orders(app.acting_as("auditor")) == every
    for who in ("jz-fgw", "jz-vm", ENT_A):
        assert forbidden(lambda who=who: routing.supervision_orders(app.acting_as(who))), who
        assert forbidden(lambda who=who: routing.long_overdue(app.acting_as(who))), who


def test_contact_cards_are_read_within_reach(world):
    app, _ = world
    assert forbidden(lambda: assignments.contact_cards(app.acting_as(ENT_A), ENT_B))
    assert forbidden(lambda: assignments.contact_cards(app.acting_as("jf-edsb"), ENT_B))
    assignments.contact_cards(app.acting_as(ENT_A), ENT_A)  # its own: allowed


def test_sweeps_and_configuration_are_refused_to_others(sf_small_app_shared):
    app = sf_small_app_shared
    for who in ("jf-edsb", "jz-fgw", ENT_A, "auditor"):
        me = app.acting_as(who)
        with pytest.raises(Forbidden, match="may not sweep"):
            routing.escalate(me, dry_run=True)
        with pytest.raises(Forbidden, match="may not configure"):
            enterprises.designate(me, ENT_A, KeyLevel.COUNTY)
