"""The portal's web application: Starlette, server-rendered Chinese HTML (Jinja2, autoescaped),
no JavaScript needed.

Every page an enterprise user sees is about their own enterprise, read with the enterprise in
the query; an issue of another enterprise is "not found". Every form carries the session's CSRF
token; request bodies are limited in size; errors are pages that say what went wrong. The core's
services are synchronous: they run in Starlette's thread pool.
"""

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from serviceframe.app import App
from serviceframe.domain.issue import EVENT_LABELS, Satisfaction
from serviceframe.errors import NotFound, ServiceFrameError, ValidationError
from serviceframe.serialise import BEIJING
from serviceframe.services import letters, surveys
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serviceframe_portal import signin
from serviceframe_portal.channel import MAX_TEXT, payload

HERE = Path(__file__).parent
MAX_BODY = 64 * 1024  # bytes of a request body: a complaint is text, never a file
SESSION_HOURS = 8
MAX_COMMENT = 2000  # characters of a rating's comment


class LimitBody:
    """Refuse a request whose body is larger than ``limit`` bytes (413), whether it says so in
    Content-Length or streams more than it said."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await too_large(scope, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413)
            return message

        await self.app(scope, limited, send)


async def too_large(scope: Scope, send: Send) -> None:
    response = HTMLResponse("<h1>提交内容过大</h1><p>请缩短文字后重试(不超过 64 KB)。</p>", 413)
    await response(scope, lambda: _empty(), send)


async def _empty() -> Message:
    return {"type": "http.request", "body": b""}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),  # survey links stay out of logs
                    (b"content-security-policy", b"default-src 'self'; form-action 'self'"),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def beijing(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") + " (北京时间 +08:00)"


def create_app(app: App) -> Starlette:
    """The portal for ``app`` (an ASGI application; serve it with any ASGI server)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value a page shows is escaped
        undefined=jinja2.StrictUndefined,
    )
    env.filters["beijing"] = beijing
    env.globals["EVENT_LABELS"] = EVENT_LABELS
    secret = surveys.secret()  # refuse to start without it

    def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        values |= {"user": request.session.get("user"), "csrf": csrf_token(request)}
        return HTMLResponse(env.get_template(name).render(**values), status)

    def problem(request: Request, title: str, message: str, status: int = 400) -> HTMLResponse:
        return page(request, "error.html", status, title=title, message=message)

    async def form(request: Request) -> FormData:
        """The submitted form, after its CSRF token was checked."""
        data = await request.form(max_files=0, max_fields=60, max_part_size=MAX_BODY)
        sent = str(data.get("csrf", ""))
        if not sent or not secrets.compare_digest(sent, request.session.get("csrf", "")):
            raise HTTPException(
                403, "表单已过期或来源不明(CSRF 校验失败),请返回刷新页面后重新提交。"
            )
        return data

    def signed_in(request: Request) -> dict[str, Any]:
        user = request.session.get("user")
        if not user:
            raise HTTPException(401)
        return dict(user)

    async def run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(function, *args, **kwargs)

    # --- sign in --------------------------------------------------------------------------

    async def home(request: Request) -> Response:
        target = "/issues" if request.session.get("user") else "/login"
        return RedirectResponse(target, 303)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "login.html", error="", credit_code="", address="")
        data = await form(request)
        credit_code, address = str(data.get("credit_code", "")), str(data.get("address", ""))
        try:
            code_id = await run(signin.request_code, app, credit_code, address)
        except ServiceFrameError as exc:
            return page(
                request,
                "login.html",
                400,
                error=str(exc),
                credit_code=credit_code,
                address=address,
            )
        request.session["pending"] = code_id
        return RedirectResponse("/login/code", 303)

    async def login_code(request: Request) -> Response:
        pending = request.session.get("pending")
        if not pending:
            return RedirectResponse("/login", 303)
        if request.method == "GET":
            return page(request, "code.html", error="")
        data = await form(request)
        try:
            who = await run(signin.check_code, app, int(pending), str(data.get("code", "")))
        except ServiceFrameError as exc:
            return page(request, "code.html", 400, error=str(exc))
        request.session.clear()  # a new session for the signed-in person, new CSRF token
        request.session["user"] = {
            "enterprise": who.enterprise,
            "name": who.name,
            "contact": who.contact,
            "person": who.person,
            "address": who.address,
        }
        return RedirectResponse("/issues", 303)

    async def logout(request: Request) -> Response:
        await form(request)
        request.session.clear()
        return RedirectResponse("/login", 303)

    # --- complaints and feedback -------------------------------------------------------------

    def own_issues(enterprise: str) -> list[Any]:
        with app.uow() as uow:
            return list(reversed(uow.issues.find(enterprise=enterprise)))

    def own_issue(enterprise: str, issue_id: int) -> tuple[Any, list[Any]]:
        with app.uow() as uow:
            issue = uow.issues.get(issue_id)
            if issue is None or issue.enterprise != enterprise:
                raise NotFound("issue", issue_id)
            return issue, uow.issues.events(issue_id)

    async def issue_list(request: Request) -> Response:
        user = signed_in(request)
        issues = await run(own_issues, user["enterprise"])
        return page(request, "issues.html", issues=issues)

    def portal_channel() -> str:
        from serviceframe.services.channels import configured

        with app.uow() as uow:
            found = [c.name for c in configured(app, uow) if c.config.kind == "portal"]
        if not found:
            raise ServiceFrameError(
                '门户渠道未配置:请在组织文件中添加 [[channels]] kind = "portal"(见 docs/portal.md)'
            )
        return found[0]

    def hand_in(user: dict[str, Any], message_id: str, data: bytes) -> Any:
        from serviceframe.channels import RawMessage
        from serviceframe.services.inbound import receive

        name = portal_channel()
        actor = f"portal:{user['enterprise']}#{user['contact']}"
        (handled,) = receive(app, name, [RawMessage(message_id, data)], actor=actor).handled
        if handled.outcome == "quarantined":
            raise ServiceFrameError(f"未能受理,已转人工处理:{handled.reason}")
        return handled

    async def new_issue(request: Request) -> Response:
        user = signed_in(request)
        if request.method == "GET":
            return page(
                request, "new_issue.html", error="", title="", body="", mid=uuid.uuid4().hex
            )
        data = await form(request)
        title, body = str(data.get("title", "")).strip(), str(data.get("body", "")).strip()
        mid = str(data.get("mid", ""))[:40] or uuid.uuid4().hex
        error = ""
        if not body:
            error = "请填写问题描述(body 不能为空)。"
        elif len(body) > MAX_TEXT or len(title) > 100:
            error = f"标题不超过 100 字,问题描述不超过 {MAX_TEXT} 字。"
        if not error:
            message = payload(
                "issue", user["address"], body, title=title, enterprise=user["enterprise"]
            )
            try:
                handled = await run(hand_in, user, f"portal-{mid}", message)
            except ServiceFrameError as exc:
                error = str(exc)
            else:
                return RedirectResponse(f"/issues/{handled.issue_id}", 303)
        return page(request, "new_issue.html", 400, error=error, title=title, body=body, mid=mid)

    async def issue_detail(request: Request) -> Response:
        user = signed_in(request)
        issue_id = int(request.path_params["issue_id"])
        try:
            issue, events = await run(own_issue, user["enterprise"], issue_id)
        except NotFound:
            return problem(
                request, "找不到该问题", f"编号 {issue_id} 的问题不存在,或不属于贵企业。", 404
            )
        return page(
            request, "issue.html", issue=issue, events=events, error="", mid=uuid.uuid4().hex
        )

    async def reply(request: Request) -> Response:
        user = signed_in(request)
        issue_id = int(request.path_params["issue_id"])
        data = await form(request)
        try:
            issue, events = await run(own_issue, user["enterprise"], issue_id)
        except NotFound:
            return problem(
                request, "找不到该问题", f"编号 {issue_id} 的问题不存在,或不属于贵企业。", 404
            )
        body = str(data.get("body", "")).strip()
        mid = str(data.get("mid", ""))[:40] or uuid.uuid4().hex
        error = "请填写回复内容。" if not body else ""
        if not error and len(body) > MAX_TEXT:
            error = f"回复不超过 {MAX_TEXT} 字。"
        if not error:
            message = payload("reply", user["address"], body, issue_id=issue_id)
            try:
                await run(hand_in, user, f"portal-{mid}", message)
            except ServiceFrameError as exc:
                error = str(exc)
            else:
                return RedirectResponse(f"/issues/{issue_id}", 303)
        return page(request, "issue.html", 400, issue=issue, events=events, error=error, mid=mid)

    # --- satisfaction survey links -------------------------------------------------------------

    def refused(request: Request, exc: surveys.LinkRefused) -> HTMLResponse:
        return page(
            request,
            "refused.html",
            410 if exc.why in ("used", "expired") else 403,
            message=str(exc),
            why=exc.why,
        )

    async def survey(request: Request) -> Response:
        token = request.path_params["token"]
        enterprise = (request.session.get("user") or {}).get("enterprise")
        if request.method == "POST":
            data = await form(request)
            choice = str(data.get("satisfaction", ""))
            comment = str(data.get("comment", "")).strip()
            error = ""
            if choice not in {s.value for s in Satisfaction}:
                error = "请选择一项评价(满意、基本满意或不满意)。"
            elif len(comment) > MAX_COMMENT:
                error = f"意见和建议不超过 {MAX_COMMENT} 字(现为 {len(comment)} 字)。"
            if error:
                try:
                    found = await run(surveys.open_survey, app, token, enterprise)
                except surveys.LinkRefused as exc:
                    return refused(request, exc)
                return page(request, "survey.html", 400, survey=found, error=error)
            try:
                await run(surveys.answer, app, token, choice, comment, enterprise)
            except surveys.LinkRefused as exc:
                return refused(request, exc)
            return page(request, "thanks.html", label=Satisfaction(choice).label)
        try:
            found = await run(surveys.open_survey, app, token, enterprise)
        except surveys.LinkRefused as exc:
            return refused(request, exc)
        return page(request, "survey.html", survey=found, error="")

    # --- solicitation letters ---------------------------------------------------------------

    async def letter(request: Request) -> Response:
        token = request.path_params["token"]
        enterprise = (request.session.get("user") or {}).get("enterprise")
        try:
            found = await run(letters.open_letter, app, token, enterprise)
        except surveys.LinkRefused as exc:
            return refused(request, exc)
        if found.answered:
            return refused(
                request, surveys.LinkRefused("used", "贵企业已答复过此征询函,感谢您的意见。")
            )
        if request.method == "GET":
            return page(request, "letter.html", letter=found, error="", answers=[], problem="")
        data = await form(request)
        answers = [str(data.get(f"q{n}", "")) for n in range(len(found.questions))]
        text = str(data.get("problem", ""))
        try:
            issue_id = await run(letters.answer, app, token, answers, text, enterprise)
        except surveys.LinkRefused as exc:
            return refused(request, exc)
        except ValidationError as exc:
            return page(
                request,
                "letter.html",
                400,
                letter=found,
                error=str(exc),
                answers=answers,
                problem=text,
            )
        return page(request, "letter_thanks.html", issue_id=issue_id)

    # --- policy lookup ---------------------------------------------------------------------

    async def policies(request: Request) -> Response:
        from serviceframe.services.policies import search_policies

        text = request.query_params.get("q", "").strip()[:100]
        found = await run(search_policies, app, text, limit=30) if text else None
        return page(request, "policies.html", q=text, found=found)

    async def my_policies(request: Request) -> Response:
        from serviceframe.services.policies import policies_for

        user = signed_in(request)
        found = await run(policies_for, app, user["enterprise"], limit=50)
        return page(request, "my_policies.html", found=found)

    # --- errors -----------------------------------------------------------------------------

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 401:
            return RedirectResponse("/login", 303)
        if exc.status_code == 413:
            return problem(request, "提交内容过大", "请缩短文字后重试(不超过 64 KB)。", 413)
        titles = {403: "请求被拒绝", 404: "页面不存在", 405: "不支持的请求方式"}
        message = exc.detail if exc.status_code == 403 else "请检查地址是否正确。"
        return problem(request, titles.get(exc.status_code, "出错了"), message, exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>系统错误</title>"
            "<h1>系统暂时出错</h1><p>请稍后再试;如仍有问题,请联系服务企业办公室。</p>",
            500,
        )

    async def service_error(request: Request, exc: Exception) -> Response:
        return problem(request, "无法完成", str(exc), 400)

    routes = [
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/login/code", login_code, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/issues", issue_list),
        Route("/issues/new", new_issue, methods=["GET", "POST"]),
        Route("/issues/{issue_id:int}", issue_detail),
        Route("/issues/{issue_id:int}/reply", reply, methods=["POST"]),
        Route("/survey/{token}", survey, methods=["GET", "POST"]),
        Route("/letter/{token}", letter, methods=["GET", "POST"]),
        Route("/policies", policies),
        Route("/policies/mine", my_policies),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: http_error,
        ServiceFrameError: service_error,
        Exception: server_error,
    }
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(LimitBody),
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret,
                session_cookie="sf_portal",
                max_age=SESSION_HOURS * 3600,
                same_site="lax",
                https_only=surveys.portal_url().startswith("https://"),
            ),
        ],
        exception_handlers=handlers,
    )


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (every form carries it back)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)
