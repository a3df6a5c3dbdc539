"""Accept and dispatch in bulk: several ids, a file of ids or a filter, one transaction, all
or nothing, with a report of what was done and an error naming each issue that failed.

Every test here runs on SQLite and, with ``SERVICEFRAME_TEST_DB`` set, on PostgreSQL.
"""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from attrs import evolve
from sqlalchemy import func, select

from ladder import events_of, invoke, routing
from serviceframe.domain.issue import STATE_KINDS, replay
from serviceframe.errors import ValidationError
from serviceframe.services import bulk
from serviceframe.services import issues as svc
from serviceframe.services.bulk import BulkError, IssueFilter
from serviceframe.services.issues import IssueDraft
from serviceframe.services.trends import detect
from serviceframe.store import tables as t
from serviceframe.store.issue_repository import ConcurrentChange

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 28, 10, 0, tzinfo=SH)
E1, E2, E3 = "914108026469439561", "9141080242426208X7", "9141080382189956X4"

# A morning of hotline calls: four categories, classified by the classifier.
CALLS = [
    (E1, "我公司近期频繁遭遇拉闸限电,生产线多次停工", 1),
    (E2, "银行到期突然抽贷,企业资金链紧张,请求帮助续贷", 3),
    (E3, "企业招工难,缺少熟练技工,希望组织招聘会", 8),
    (E1, "厂区存在重大安全隐患,需要安监部门指导整改", 9),
]


def file_calls(app, calls=CALLS, source="hotline", **kw) -> list[int]:
    drafts = [IssueDraft(enterprise=e, source=source, body=b, **kw) for e, b, _ in calls]
    report = svc.file_issues(app, drafts)
    assert not report.errors
    return list(report.filed)


def state(app):
    """Everything a bulk step may change: issues, units, routing, events, agenda items."""
    with app.uow() as uow:
        c = uow.connection
        return {
            name: c.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in [
                ("events", t.events),
                ("units", t.issue_units),
                ("routing", t.issue_routing),
                ("agenda", t.agenda_items),
            ]
        } | {"statuses": [(i.id, i.status.value, i.version) for i in uow.issues.find()]}


def assert_replays(app, issue_id):
    with app.uow() as uow:
        stored, history = uow.issues.get(issue_id), uow.issues.events(issue_id)
    assert stored == replay([e for e in history if e.kind in STATE_KINDS])


# --- the services ----------------------------------------------------------------------------


def test_accept_many_classifies_and_routes_every_issue(app):
    ids = file_calls(app)
    done = bulk.accept_many(app, ids)
    assert [i.id for i in done] == ids
    assert [(int(i.category), i.status.value) for i in done] == [
        (c, "accepted") for _, _, c in CALLS
    ]
    for issue in done:
        (accepted,) = events_of(app, issue.id, "accepted")
        assert accepted.data["classified_by"] == "classifier" and accepted.data["matched"]
        assert routing(app, issue.id).official  # every accepted issue has a leader (R7)
        assert_replays(app, issue.id)
    assert routing(app, ids[0]).topic == "1:电力供应"
    assert routing(app, ids[1]).topic == "3:融资难"


def test_bulk_is_the_same_as_one_by_one(app):
    """Accepting and dispatching together records what doing it one issue at a time does."""
    single, together = file_calls(app), file_calls(app)
    for i in single:
        svc.accept(app, i, severity="major")
        svc.dispatch(app, i, "jz-fgw", ["jz-czj"])
    bulk.accept_many(app, together, severity="major")
    bulk.dispatch_many(app, together, "jz-fgw", ["jz-czj"])

    def comparable(issue_id):
        with app.uow() as uow:
            issue = uow.issues.get(issue_id)
            history = [(e.kind, e.data) for e in uow.issues.events(issue_id)]
        history = [(k, {x: v for x, v in d.items() if x != "id"}) for k, d in history]
        return (
            evolve(issue, id=0, possible_duplicates=(), version=0),
            evolve(routing(app, issue_id), issue=0),
            [(k, d) for k, d in history if k != "filed"],
        )

    for a, b in zip(single, together, strict=True):
        assert comparable(a) == comparable(b)


def test_nothing_is_changed_when_some_issues_cannot_take_the_step(app):
    ids = file_calls(app)
    svc.accept(app, ids[1])
    unclassifiable = file_calls(app, [(E2, "请问领导什么时候来我们公司参观", 0)])[0]
    before = state(app)
    with pytest.raises(BulkError) as caught:
        bulk.accept_many(app, [*ids, unclassifiable, 9999])
    message = str(caught.value)
    assert message.startswith("nothing was accepted: 3 of 6 issues cannot be — ")
    assert f"issue {ids[1]}: is accepted (已分类); 'accepted' needs it to be received" in message
    assert f"issue {unclassifiable}: category='': the classifier found no category" in message
    assert "issue 9999: no such issue" in message
    assert [i for i, _ in caught.value.failures] == sorted([ids[1], unclassifiable, 9999])
    assert state(app) == before


def test_dispatch_many_takes_what_a_filter_selects(app, clock):
    ids = file_calls(app)
    bulk.accept_many(app, ids)
    power = bulk.select_issues(app, IssueFilter(status=("accepted",), category=1))
    assert power == [ids[0]]
    everything = bulk.select_issues(app, IssueFilter(status=("accepted",), source="hotline"))
    assert everything == ids

    clock.now = NOW + timedelta(hours=2)
    done = bulk.dispatch_many(app, everything, "jz-fgw", ["jz-czj", "jz-czj"])
    for issue in done:
        assert (issue.status.value, issue.lead_unit, issue.co_units) == (
            "dispatched",
            "jz-fgw",
            ("jz-czj",),
        )
        assert issue.dispatched_at == NOW + timedelta(hours=2)
        assert issue.resolve_due is not None and not issue.resolve_due.provisional
        assert_replays(app, issue.id)
    assert bulk.select_issues(app, IssueFilter(unit="jz-czj")) == ids


def test_a_unit_that_does_not_exist_is_refused_before_any_issue(app):
    ids = file_calls(app)
    bulk.accept_many(app, ids)
    before = state(app)
    with pytest.raises(ValidationError, match="lead='jz-nope': no such unit"):
        bulk.dispatch_many(app, ids, "jz-nope")
    with pytest.raises(ValidationError, match="co='jz-fgw': the lead unit cannot also be"):
        bulk.dispatch_many(app, ids, "jz-fgw", ["jz-fgw"])
    assert state(app) == before


def test_bulk_accepted_issues_join_an_open_cluster_and_policy_ones_the_agenda(app):
    counties = ["914108026469439561", "9141080242426208X7", "9141080382189956X4"]
    counties += ["9141080393961761X2", "91410821807299699J"]
    power = [(e, "厂区频繁停电,生产线停工", 1) for e in counties]
    bulk.accept_many(app, file_calls(app, power))
    (change,) = detect(app)

    later = file_calls(app, [("91410821890220899X", "供电不稳,一天跳闸好几次", 1)])
    policy = file_calls(app, [(E2, "建议出台转贷应急周转资金政策", 3)], severity="policy")
    done = bulk.accept_many(app, [*later, *policy])
    assert routing(app, later[0]).cluster == change.cluster
    assert events_of(app, later[0], "clustered")[0].data["cluster"] == change.cluster
    (queued,) = events_of(app, done[1].id, "queued")
    assert queued.data["agenda_item"]


def test_a_concurrent_change_refuses_the_whole_batch(app):
    ids = file_calls(app)
    with app.uow() as uow:
        issues = uow.issues.get_many(ids)
        changed = [(evolve(i, version=i.version + 1, title="x"), i.version) for i in issues]
        changed[2] = (changed[2][0], changed[2][1] + 7)  # someone else wrote this one
        with pytest.raises(ConcurrentChange, match="1 of 4 issues were changed"):
            uow.issues.save_many(changed)
    with app.uow() as uow:
        assert [i.title for i in uow.issues.get_many(ids)] != ["x"] * 4


# --- the CLI ---------------------------------------------------------------------------------


def issue_cmd(app, *args):
    return invoke(app, "issue", *args)


def test_cli_accepts_several_ids_with_a_report(app):
    ids = file_calls(app)
    result = issue_cmd(app, "accept", *map(str, ids[:2]), "--severity", "major")
    assert result.exit_code == 0, result.output
    assert "已受理 2 件 · accepted 2 issues" in result.stdout
    assert "生产要素协调" in result.stdout and "融资服务支持" in result.stdout
    assert "重大" in result.stdout  # the severity, in Chinese
    given = issue_cmd(app, "accept", str(ids[2]), str(ids[3]), "--category", "7", "--json")
    assert [(i["category"], i["status"]) for i in json.loads(given.stdout)] == [(7, "accepted")] * 2
    assert events_of(app, ids[3], "accepted")[0].data["classified_by"] == "office"

    one = file_calls(app, CALLS[:1])[0]
    data = json.loads(issue_cmd(app, "accept", str(one), "--json").stdout)
    assert data["id"] == one and data["status"] == "accepted"  # one id: as before


def test_cli_reads_ids_from_a_file(app, tmp_path):
    ids = file_calls(app)
    path = tmp_path / "ids.txt"
    path.write_text(f"# 今天上午的热线\n{ids[0]}, {ids[1]}\n{ids[2]}  # 招工\n\n", "utf-8")
    data = json.loads(issue_cmd(app, "accept", "--from-file", str(path), "--json").stdout)
    assert [i["id"] for i in data] == ids[:3]

    path.write_text("12 abc\n", "utf-8")
    result = issue_cmd(app, "accept", "--from-file", str(path))
    assert result.exit_code == 2 and "line 1: 'abc' is not an issue id" in result.stderr


def test_cli_takes_a_filter_and_can_show_what_it_would_take(app):
    hotline = file_calls(app)
    portal = file_calls(app, CALLS[:1], source="portal")
    dry = issue_cmd(app, "accept", "--source", "hotline", "--dry-run", "--json")
    assert json.loads(dry.stdout) == {"dry_run": True, "ids": hotline}
    assert all(svc.get_issue(app, i).issue.status.value == "received" for i in hotline)

    suggested = issue_cmd(app, "accept", "--suggested-category", "1", "--dry-run")
    assert f"would accept 2 issues (dry run, nothing changed): {hotline[0]}, {portal[0]}" in (
        suggested.stdout
    )

    # As `issue list`: --category selects the issues the filer gave that category.
    filer_said = file_calls(app, CALLS[1:2], source="portal", category=3)
    listed = issue_cmd(app, "list", "--status", "received", "--category", "3", "--json")
    assert [i["id"] for i in json.loads(listed.stdout)] == filer_said
    result = issue_cmd(app, "accept", "--status", "received", "--category", "融资服务支持")
    assert "accepted 1 issues" in result.stdout
    (accepted,) = events_of(app, filer_said[0], "accepted")
    assert (accepted.data["category"], accepted.data["classified_by"]) == (3, "filer")

    result = issue_cmd(app, "accept", "--status", "received", "--source", "hotline")
    assert result.exit_code == 0, result.output
    assert "accepted 4 issues" in result.stdout
    assert svc.get_issue(app, portal[0]).issue.status.value == "received"

    result = issue_cmd(app, "dispatch", "--category", "1", "--lead", "jz-fgw", "--json")
    assert [i["id"] for i in json.loads(result.stdout)] == [hotline[0]]  # accepted, category 1
    result = issue_cmd(app, "dispatch", "--status", "accepted", "--lead", "jz-rsj")
    assert "已交办 4 件 · dispatched 4 issues" in result.stdout  # with the filer-said one

    nothing = issue_cmd(app, "dispatch", "--category", "5", "--lead", "jz-fgw")
    assert nothing.exit_code == 0 and "dispatched 0 issues" in nothing.stdout


def test_cli_refusals_name_the_issues_and_change_nothing(app):
    ids = file_calls(app)
    svc.accept(app, ids[0])
    before = state(app)
    result = issue_cmd(app, "accept", *map(str, ids))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: nothing was accepted: 1 of 4 issues cannot be — ")
    assert f"issue {ids[0]}: is accepted" in result.stderr
    assert state(app) == before

    usage = issue_cmd(app, "accept")
    assert usage.exit_code == 2 and "give issue ids, --from-file FILE, or filter" in usage.stderr
    both = issue_cmd(app, "accept", str(ids[1]), "--source", "hotline")
    assert both.exit_code == 2 and "not both" in both.stderr
    bad = issue_cmd(app, "dispatch", str(ids[0]), str(ids[1]), "--lead", "jz-nope")
    assert bad.exit_code == 1 and "lead='jz-nope': no such unit" in bad.stderr
    assert state(app) == before
