"""End to end in a real browser: headless Chromium against ``serviceframe serve`` (uvicorn) on
a free port. Sign in with the code from the outbox, file an issue and see it listed, open a
survey link and rate, open it again (refused), try another enterprise's issue (refused), answer
a solicitation letter. Screenshots of the pages are written to a directory printed at the end
(``SERVICEFRAME_SCREENSHOTS`` to choose it)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from serviceframe.app import App
from serviceframe.domain.issue import Status
from serviceframe.services import issues as svc
from serviceframe.services import letters, surveys
from serviceframe.services.issues import list_issues

from portal_servers import CHROMIUM, DRIVER, PortalServer, chromium
from portal_setup import CONTACTS, ENTERPRISE, OTHER, SECRET, latest_code

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER), reason="apt-get install chromium chromium-driver"
    ),
]


@pytest.fixture
def server(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PortalServer]:
    running = PortalServer(str(app.settings.db_url), SECRET, tmp_path / "portal.log").start()
    monkeypatch.setenv("SERVICEFRAME_PORTAL_URL", running.url)  # links the test makes
    yield running
    running.stop()


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    chosen = os.environ.get("SERVICEFRAME_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nscreenshots of the portal: {folder}")


@pytest.fixture
def browser() -> Iterator[object]:
    driver = chromium()
    yield driver
    driver.quit()


def test_an_enterprise_user_in_a_browser(app, server, browser, shots):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    def go(path: str) -> None:
        browser.get(server.url + path)

    def fill(name: str, value: str) -> None:
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def submit() -> None:
        """Send the form and wait for the page it leads to (a click does not wait)."""
        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()

        def left(_: object) -> bool:
            # The old page is gone once its root can no longer be asked anything. Chromium
            # says so as "stale element" or, caught mid-navigation, as "node does not belong
            # to the document": both mean the next page is loading.
            try:
                page.is_enabled()
            except WebDriverException:
                return True
            return False

        WebDriverWait(browser, 30).until(left)

    def shot(name: str) -> None:
        browser.save_screenshot(str(shots / f"{name}.png"))

    # Sign in: the code goes to the contact through the outbox.
    go("/")
    assert "企业用户登录" in browser.page_source
    fill("credit_code", ENTERPRISE)
    fill("address", CONTACTS[ENTERPRISE])
    shot("01-login")
    submit()
    assert "输入验证码" in browser.page_source, browser.find_element(By.TAG_NAME, "main").text
    fill("code", latest_code(app))
    submit()
    assert "焦作市恒泽制药有限公司" in browser.page_source

    # File an issue and see it listed.
    go("/issues/new")
    fill("title", "供电不稳")
    fill("body", "电网频繁拉闸限电,生产线多次停工,请协调供电公司")
    shot("02-new-issue")
    submit()
    assert "受理登记" in browser.page_source and "+08:00" in browser.page_source
    (issue,) = list_issues(app)
    go("/issues")
    assert f"#{issue.id} 供电不稳" in browser.find_element(By.ID, "issues").text
    shot("03-issues")

    # The office resolves it; the enterprise opens the survey link and rates.
    svc.accept(app, issue.id)
    svc.dispatch(app, issue.id, "jz-edsb")
    svc.acknowledge(app, issue.id, "jz-edsb")
    svc.resolve(app, issue.id, "已协调供电公司架设双回路专线")
    link = surveys.invite(app, issue.id).url
    browser.get(link)
    assert "已协调供电公司架设双回路专线" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "input[value=basic]").click()
    fill("comment", "响应及时,希望长期保障")
    shot("04-survey")
    submit()
    assert "基本满意" in browser.find_element(By.ID, "thanks").text
    assert svc.get_issue(app, issue.id).issue.status is Status.CLOSED
    browser.get(link)  # the same link again
    assert "已使用" in browser.find_element(By.ID, "refused").text
    shot("05-survey-used")

    # Another enterprise's issue is not there for this user.
    theirs = svc.file_issue(app, svc.IssueDraft(OTHER, "hotline", "用地审批进度缓慢")).issue
    go(f"/issues/{theirs.id}")
    assert "不属于贵企业" in browser.page_source and "用地审批" not in browser.page_source

    # A solicitation letter, answered with a problem: it becomes an issue.
    letter_id = letters.create(app, "2026年企业意见建议征询函", ["对营商环境的总体评价"])
    (sent,) = letters.send(app, letter_id, ENTERPRISE)
    browser.get(sent.url)
    fill("q0", "总体满意")
    fill("problem", "厂区道路年久失修,货车通行困难")
    shot("06-letter")
    submit()
    assert "已受理" in browser.find_element(By.ID, "thanks").text
    assert [i.source for i in list_issues(app, enterprise=ENTERPRISE)] == [
        "portal",
        "solicitation_letter",
    ]
