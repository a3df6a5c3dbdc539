"""The portal as a real server process (``serviceframe serve`` on uvicorn), and headless
Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortalServer:
    """``serviceframe --db URL serve --port N`` in its own process, until stopped."""

    def __init__(self, db_url: str, secret: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = db_url
        self.secret = secret
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "PortalServer":
        script = Path(sys.executable).parent / "serviceframe"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "serviceframe.cli"]
        env = os.environ | {
            "SERVICEFRAME_DB": self.db_url,
            "SERVICEFRAME_SECRET": self.secret,
            "SERVICEFRAME_PORTAL_URL": self.url,
        }
        self.process = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the portal stopped: {self.log.read_text(errors='replace')}")
            try:
                urllib.request.urlopen(f"{self.url}/login", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the portal did not answer: {self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def chromium() -> Any:
    """Headless Chromium the size of a phone screen."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=412,915",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.implicitly_wait(10)  # a loaded machine (CI) may be slow to render a page
    return driver
