"""The portal in-process (Starlette's test client over the real database): sign-in, filing,
status and history, replies, survey links, letters, policies, and the rules every form keeps
(CSRF, escaping, size limits, nothing half-stored)."""

import re
from typing import Any

import pytest
from serviceframe.app import App
from serviceframe.domain.issue import Status
from serviceframe.services import issues as svc
from serviceframe.services import letters, surveys
from serviceframe.services.issues import list_issues
from starlette.testclient import TestClient

from portal_setup import CONTACTS, ENTERPRISE, OTHER, csrf_of, latest_code
from serviceframe_portal.web import create_app


@pytest.fixture
def client(app: App) -> TestClient:
    return TestClient(create_app(app), follow_redirects=True)


def sign_in(client: TestClient, app: App, enterprise: str = ENTERPRISE) -> None:
    page = client.get("/login")
    sent = client.post(
        "/login",
        data={
            "csrf": csrf_of(page.text),
            "credit_code": enterprise,
            "address": CONTACTS[enterprise],
        },
    )
    assert sent.status_code == 200 and "输入验证码" in sent.text, sent.text
    done = client.post("/login/code", data={"csrf": csrf_of(sent.text), "code": latest_code(app)})
    assert done.status_code == 200 and "反映的问题" in done.text, done.text


def file(client: TestClient, body: str, title: str = "") -> Any:
    page = client.get("/issues/new")
    mid = re.search(r'name="mid" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/issues/new", data={"csrf": csrf_of(page.text), "mid": mid, "title": title, "body": body}
    )


def test_sign_in_with_a_code_sent_to_a_registered_contact(client, app):
    assert client.get("/issues").url.path == "/login"  # not signed in
    page = client.get("/login")
    unknown = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "credit_code": ENTERPRISE, "address": "x@nobody.cn"},
    )
    assert unknown.status_code == 400 and "不是该企业在名录中登记的联系人" in unknown.text
    bad_code = client.post(
        "/login", data={"csrf": csrf_of(page.text), "credit_code": "123", "address": "a@b.cn"}
    )
    assert bad_code.status_code == 400 and "credit_code" in bad_code.text
    sent = client.post(
        "/login",
        data={
            "csrf": csrf_of(page.text),
            "credit_code": ENTERPRISE,
            "address": "BOSS1@example.com",
        },
    )
    wrong = client.post("/login/code", data={"csrf": csrf_of(sent.text), "code": "000000"})
    if wrong.status_code == 200 and "反映的问题" in wrong.text:  # 1 in a million: it was right
        return
    assert wrong.status_code == 400 and "还可尝试 4 次" in wrong.text
    done = client.post("/login/code", data={"csrf": csrf_of(sent.text), "code": latest_code(app)})
    assert "焦作市恒泽制药有限公司" in done.text
    again = client.post("/login/code", data={"csrf": csrf_of(done.text), "code": latest_code(app)})
    assert again.url.path == "/login"  # the code was used; no pending sign-in


def test_forms_without_the_csrf_token_are_refused(client, app):
    refused = client.post(
        "/login", data={"credit_code": ENTERPRISE, "address": "boss1@example.com"}
    )
    assert refused.status_code == 403 and "CSRF" in refused.text
    client.get("/login")
    forged = client.post(
        "/login", data={"csrf": "x" * 32, "credit_code": ENTERPRISE, "address": "boss1@example.com"}
    )
    assert forged.status_code == 403
    from serviceframe.services.outbox import list_outbox

    assert [r for r in list_outbox(app) if r["kind"] == "signin_code"] == []


def test_file_an_issue_see_it_listed_with_its_history_in_beijing_time(client, app):
    sign_in(client, app)
    shown = file(client, "电网频繁拉闸限电,生产线多次停工<script>alert(1)</script>", "停电")
    assert shown.status_code == 200 and "停电" in shown.text
    assert "<script>alert(1)</script>" not in shown.text and "&lt;script&gt;" in shown.text
    assert "+08:00" in shown.text and "受理登记" in shown.text
    (issue,) = list_issues(app)
    assert issue.source == "portal" and issue.enterprise == ENTERPRISE
    listed = client.get("/issues")
    assert f"/issues/{issue.id}" in listed.text and "已受理" in listed.text


def test_the_same_form_sent_twice_is_one_issue(client, app):
    sign_in(client, app)
    page = client.get("/issues/new")
    form = {"csrf": csrf_of(page.text), "mid": "m1", "body": "银行抽贷压贷,流动资金无法续贷"}
    client.post("/issues/new", data=form)
    client.post("/issues/new", data=form)
    assert len(list_issues(app)) == 1


def test_an_empty_or_oversized_complaint_is_refused_and_nothing_is_stored(client, app):
    sign_in(client, app)
    empty = file(client, "   ")
    assert empty.status_code == 400 and "不能为空" in empty.text
    page = client.get("/issues/new")
    huge = client.post(
        "/issues/new", data={"csrf": csrf_of(page.text), "mid": "m2", "body": "长" * 70_000}
    )
    assert huge.status_code == 413 and "过大" in huge.text
    assert list_issues(app) == []


def test_another_enterprise_s_issue_is_not_shown(client, app):
    theirs = svc.file_issue(app, svc.IssueDraft(OTHER, "hotline", "用地审批进度缓慢")).issue
    sign_in(client, app)
    page = client.get(f"/issues/{theirs.id}")
    assert page.status_code == 404 and "不属于贵企业" in page.text and "用地审批" not in page.text
    assert "用地审批" not in client.get("/issues").text


def test_answer_feedback_on_an_open_issue(client, app):
    sign_in(client, app)
    shown = file(client, "企业用工招聘困难,技术工人短缺")
    issue_id = int(re.search(r"#(\d+)", shown.text).group(1))  # type: ignore[union-attr]
    svc.accept(app, issue_id)
    svc.dispatch(app, issue_id, "jz-edsb")
    page = client.get(f"/issues/{issue_id}")
    mid = re.search(r'name="mid" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    replied = client.post(
        f"/issues/{issue_id}/reply",
        data={"csrf": csrf_of(page.text), "mid": mid, "body": "补充:缺数控车工 20 名"},
    )
    assert replied.status_code == 200 and "缺数控车工" in replied.text
    kinds = [e.kind for e in svc.get_issue(app, issue_id).events]
    assert kinds[-1] == "replied"


def resolved(app: App, enterprise: str = ENTERPRISE) -> int:
    issue = svc.file_issue(app, svc.IssueDraft(enterprise, "portal", "电网频繁拉闸限电")).issue
    svc.accept(app, issue.id)
    svc.dispatch(app, issue.id, "jz-edsb")
    svc.acknowledge(app, issue.id, "jz-edsb")
    svc.resolve(app, issue.id, "已协调供电公司架设专线")
    return issue.id


def test_a_survey_link_rates_once_and_is_then_refused(client, app):
    issue_id = resolved(app)
    url = surveys.invite(app, issue_id).url.replace("http://testserver", "")
    page = client.get(url)
    assert page.status_code == 200 and "已协调供电公司架设专线" in page.text
    missing = client.post(url, data={"csrf": csrf_of(page.text)})
    assert missing.status_code == 400 and "请选择" in missing.text
    rated = client.post(
        url, data={"csrf": csrf_of(page.text), "satisfaction": "satisfied", "comment": "很好"}
    )
    assert rated.status_code == 200 and "满意" in rated.text
    assert svc.get_issue(app, issue_id).issue.status is Status.CLOSED
    again = client.get(url)
    assert again.status_code == 410 and "已使用" in again.text


def test_the_invitation_notice_carries_a_link_that_works(client, app):
    from serviceframe.services.outbox import list_outbox

    issue_id = resolved(app)
    (row,) = [r for r in list_outbox(app, issue_id=issue_id) if r["kind"] == "resolved"]
    assert "已协调供电公司架设专线" in row["body"]
    url = "/survey/" + row["body"].split("http://testserver/survey/", 1)[1]
    page = client.get(url)
    assert page.status_code == 200 and f"问题 #{issue_id}" in page.text
    rated = client.post(url, data={"csrf": csrf_of(page.text), "satisfaction": "unsatisfied"})
    assert "退回承办单位重新办理" in rated.text
    assert client.get(url).status_code == 410


def test_survey_links_refused_for_a_forged_token_and_another_enterprise(client, app):
    issue_id = resolved(app, OTHER)
    url = surveys.invite(app, issue_id).url.replace("http://testserver", "")
    forged = client.get(url[:-3] + "xyz")
    assert forged.status_code == 403 and "签名不符" in forged.text
    sign_in(client, app, ENTERPRISE)
    theirs = client.get(url)
    assert theirs.status_code == 403 and "其他企业" in theirs.text


def test_a_letter_answer_that_raises_a_problem_becomes_an_issue(client, app):
    letter_id = letters.create(
        app, "2026年企业意见建议征询函", ["对营商环境的评价", "对政策的建议"]
    )
    (sent, *_rest) = letters.send(app, letter_id, "410802")
    assert sent.enterprise == ENTERPRISE
    url = sent.url.replace("http://testserver", "")
    page = client.get(url)
    assert page.status_code == 200 and "对营商环境的评价" in page.text
    done = client.post(
        url,
        data={
            "csrf": csrf_of(page.text),
            "q0": "总体满意",
            "q1": "希望加大技改补贴",
            "problem": "厂区道路年久失修,货车通行困难",
        },
    )
    assert done.status_code == 200 and "已受理" in done.text
    (issue,) = list_issues(app)
    assert issue.source == "solicitation_letter" and issue.enterprise == ENTERPRISE
    assert client.get(url).status_code == 410
    found = letters.results(app, letter_id)
    assert found["answered"] == 1 and found["sent"] == 3
    assert found["questions"][1]["answers"] == [
        {"enterprise": "焦作市恒泽制药有限公司", "answer": "希望加大技改补贴"}
    ]
    assert found["issues"][0]["issue_id"] == issue.id


def test_policy_pages(client, app):
    page = client.get("/policies?q=融资")
    assert page.status_code == 200 and "共找到 0 项政策" in page.text
    sign_in(client, app)
    mine = client.get("/policies/mine")
    assert mine.status_code == 200 and "适用于焦作市恒泽制药有限公司的政策" in mine.text


def test_error_pages_are_clear(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    assert client.get("/").url.path == "/login"
