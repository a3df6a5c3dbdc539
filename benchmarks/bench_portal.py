"""The enterprise portal under load: requests per second of its pages on localhost, against the
bare framework serving a static page in the same run.

    python benchmarks/bench_portal.py [--backend sqlite|postgresql|both] [--requests 2000]
                                      [--concurrency 16] [--seconds 30]

Each server is a process of its own on a free port, uvicorn with one worker, as
``serviceframe serve`` runs it:

(c) the baseline: a bare Starlette application answering a static HTML page of the portal's
    size, on the same uvicorn;
(a) the issue form (``GET /issues/new``, signed in: the session is checked and the page
    rendered);
(b) filing an issue through it (``POST /issues/new``: CSRF, the portal channel's inbound path,
    intake, the event chain; one transaction per request);
(d) a satisfaction survey page (``GET /survey/<token>``: the signature checked, the link's
    state, the issue and its events read).

The load is ``--concurrency`` httpx clients in one asyncio loop sending ``--requests``
requests in all, stopped after ``--seconds`` whatever is left (bounded in count and time).
Every answer must be a 200 (a 303 for filing): anything else is counted and printed (0: no
answer within 30 s).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import Report, backends, emit, header, parser, say
from common import write_json as write_figures

SECRET = "bench-portal-secret-0123456789"
STATIC_APP = """
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

PAGE = "<!doctype html><meta charset=utf-8><title>静态页</title>" + "<p>企业服务门户</p>" * 120

async def page(request):
    return HTMLResponse(PAGE)

app = Starlette(routes=[Route("/", page)])
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped (exit {process.returncode})")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def start(command: list[str], env: dict[str, str], probe: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(probe, process)
    return process


def small_org(url: str, tmp: Path) -> None:
    """The small sample organisation with a file channel (sign-in codes) and the portal."""
    from serviceframe.services.enterprises import import_enterprises
    from serviceframe.services.organisation import load_organisation
    from serviceframe.testing.databases import migrated
    from serviceframe.testing.fixtures import make_app
    from serviceframe.testing.sample import SMALL_ENTERPRISES, with_channels, write_csv, write_org

    migrated(url)
    app = make_app(url)
    import serviceframe_portal

    app.plugins.register(serviceframe_portal, "portal", "registered")
    channels = (
        f'[[channels]]\nname = "files"\nkind = "file"\nsettings = {{ path = "{tmp / "sent.jsonl"}" }}\n'
        '\n[[channels]]\nname = "web"\nkind = "portal"\nsource = "portal"\n'
    )
    try:
        load_organisation(app, write_org(tmp / "organisation.toml", with_channels(channels)))
        import_enterprises(app, write_csv(tmp / "enterprises.csv", SMALL_ENTERPRISES))
    finally:
        app.close()


async def load(
    base: str,
    make: Callable[[int], tuple[str, str, dict[str, Any] | None]],
    total: int,
    concurrency: int,
    seconds: float,
    cookies: Any = None,
) -> tuple[float, int, dict[int, int]]:
    """(elapsed, answered as expected, other status codes) of ``total`` requests made by
    ``concurrency`` clients, stopped after ``seconds``."""
    import httpx

    queue = iter(range(total))
    done = 0
    others: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30) as http:
            for n in queue:
                if time.perf_counter() > stop:
                    return
                method, path, data = make(n)
                try:
                    answer = await http.request(method, path, data=data)
                except httpx.TimeoutException:
                    others[0] = others.get(0, 0) + 1  # 0: no answer within 30 s
                    continue
                if answer.status_code in (200, 303):
                    done += 1
                else:
                    others[answer.status_code] = others.get(answer.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started, done, others


def sign_in(base: str, app: Any) -> tuple[Any, str]:
    """A signed-in session (its cookies) and its CSRF token, by the portal's own sign-in."""
    import httpx

    from serviceframe.services.outbox import list_outbox
    from serviceframe.testing.sample import JIEFANG, credit_code

    with httpx.Client(base_url=base) as http:
        page = http.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        http.post(
            "/login",
            data={"csrf": csrf, "credit_code": credit_code(JIEFANG, 1), "address": "13903910001"},
        )
        (row,) = [r for r in list_outbox(app) if r["kind"] == "signin_code"]
        code = re.search(r"\d{6}", row["body"]).group()  # type: ignore[union-attr]
        http.post("/login/code", data={"csrf": csrf, "code": code})
        page = http.get("/issues/new")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        assert "反映问题" in page.text, page.text
        return http.cookies, csrf


def run_backend(name: str, args: Any) -> Report:
    from serviceframe.services import issues as svc
    from serviceframe.services import surveys
    from serviceframe.testing.databases import PostgreSQLDatabases, SQLiteDatabases
    from serviceframe.testing.fixtures import make_app
    from serviceframe.testing.sample import JIEFANG, credit_code

    os.environ["SERVICEFRAME_SECRET"] = SECRET
    databases = PostgreSQLDatabases(args.pg_url) if name == "postgresql" else SQLiteDatabases()
    report = Report(f"portal on {name}: requests per second", "rate", "bare Starlette page")
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = databases.clone(databases.template(lambda u: small_org(u, Path(tmp))))
        try:
            port, static_port = free_port(), free_port()
            base = f"http://127.0.0.1:{port}"
            os.environ["SERVICEFRAME_PORTAL_URL"] = base
            script = Path(sys.executable).parent / "serviceframe"
            env = {"SERVICEFRAME_DB": url, "SERVICEFRAME_PORTAL_URL": base}
            processes.append(
                start([str(script), "serve", "--port", str(port)], env, f"{base}/login")
            )
            (Path(tmp) / "static_page.py").write_text(STATIC_APP, encoding="utf-8")
            processes.append(
                start(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--app-dir",
                        tmp,
                        "--port",
                        str(static_port),
                        "--log-level",
                        "warning",
                        "static_page:app",
                    ],
                    {},
                    f"http://127.0.0.1:{static_port}/",
                )
            )
            app = make_app(url)
            try:
                cookies, csrf = sign_in(base, app)
                code = credit_code(JIEFANG, 1)
                issue = svc.file_issue(
                    app, svc.IssueDraft(code, "portal", "电网频繁拉闸限电")
                ).issue
                svc.accept(app, issue.id)
                svc.dispatch(app, issue.id, "jz-edsb")
                svc.acknowledge(app, issue.id, "jz-edsb")
                svc.resolve(app, issue.id, "已协调供电公司架设专线")
                token = surveys.invite(app, issue.id).token
            finally:
                app.close()

            def measure(label: str, where: str, make: Any, jar: Any = None, **kw: Any) -> None:
                seconds, done, others = asyncio.run(
                    load(where, make, args.requests, args.concurrency, args.seconds, jar)
                )
                report.add(label, seconds, done, unit="requests", **kw)
                if others:
                    report.note(f"{label}: other answers {others}")

            static = f"http://127.0.0.1:{static_port}"
            measure("bare Starlette page", static, lambda n: ("GET", "/", None), baseline=True)
            measure(
                "issue form GET /issues/new", base, lambda n: ("GET", "/issues/new", None), cookies
            )
            measure(
                "filing POST /issues/new",
                base,
                lambda n: (
                    "POST",
                    "/issues/new",
                    {"csrf": csrf, "mid": f"bench-{n}", "body": f"第{n}号:用电保障问题"},
                ),
                cookies,
            )
            measure("survey page GET /survey/…", base, lambda n: ("GET", f"/survey/{token}", None))
        finally:
            for process in processes:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:  # requests still in flight: do not wait
                    process.kill()
                    process.wait()
            databases.drop(url)
            databases.close()
    report.note(
        f"{args.concurrency} concurrent clients, at most {args.requests} requests or "
        f"{args.seconds:.0f} s each; one uvicorn worker per server"
    )
    return report


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    p.add_argument("--seconds", type=float, default=30.0, help="time limit per measurement")
    args = p.parse_args()
    header("bench_portal", args)
    collected: list[dict[str, Any]] = []
    for name in backends(args):
        say(name)
        emit(run_backend(name, args), collected, name)
    write_figures(args.json, collected)


if __name__ == "__main__":
    main()
