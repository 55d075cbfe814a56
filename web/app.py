"""The review web app: ``create_app(runtime)`` returns a FastAPI app rendering Jinja2 pages (htmx for swaps)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.i18n import N_
from review.errors import ActionError
from service.runtime import Runtime
from web.client_address import Network, forwarded_scheme, trusted_networks
from web.deps import AuthError, Forbidden, auth_user, csrf_protect, deny
from web.errors import TITLES, status_for
from web.render import is_htmx, render
from web.routes import (
    api,
    api_claims,
    api_ops,
    api_review,
    api_takedowns,
    api_users,
    audit,
    auth,
    cases,
    dashboard,
    exports,
    items,
    language,
    narratives,
    password_reset,
    queue,
    sources,
    takedowns,
    users,
)
from web.security import RateLimit
from web.templating import Templates

__all__ = ["CSP", "SECURITY_HEADERS", "ForwardedScheme", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds the security headers to every response, static files and errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.raw if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ForwardedScheme:
    """Makes the request https when a trusted proxy says the client used https (``forwarded_scheme``), so that
    ``Secure`` cookies and any absolute URL the app builds (trailing-slash redirects) follow what the browser used."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted:
            peer = scope["client"][0] if scope.get("client") else ""
            scheme = forwarded_scheme(scope.get("scheme", "http"), peer, Headers(scope=scope), self.trusted)
            if scheme != scope.get("scheme"):
                scope = {**scope, "scheme": scheme}
        await self.app(scope, receive, send)


class TrailingSlash:
    """``/queue/`` answers a redirect to ``/queue`` with a relative ``Location``: built from the path alone, never
    from the request's Host header (Starlette's own slash redirect builds an absolute URL from it). Leading
    slashes collapse to one, so ``//evil.example/`` cannot become a protocol-relative redirect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path != "/" and path.endswith("/") and scope.get("method") in ("GET", "HEAD"):
            query = scope.get("query_string", b"").decode("latin-1")
            target = "/" + path.strip("/") + (f"?{query}" if query else "")
            await RedirectResponse(target, status_code=308)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(runtime: Runtime, *, rate_limit: RateLimit | None = None) -> FastAPI:
    """The web app on ``runtime``'s database and settings."""
    app = FastAPI(title="kiemtin review API", version="1", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None, dependencies=[Depends(csrf_protect)])
    app.router.redirect_slashes = False  # TrailingSlash redirects instead, without trusting the Host header
    app.state.runtime = runtime
    settings = runtime.config.settings
    app.state.templates = Templates(zone=settings.display_zone)
    app.state.display_zone = settings.display_zone
    app.state.ui_language = settings.ui_language
    app.state.trusted_proxies = trusted_networks(settings.trusted_proxies)
    app.state.rate_limit = rate_limit or RateLimit()

    @app.exception_handler(AuthError)
    async def _not_signed_in(request: Request, _exc: AuthError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "not signed in"}, status_code=401)
        target = "/login"
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            target += "?next=" + request.url.path
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message}, status_code=403)
        return render(request, "error.html", {"status": 403, "title": N_("Not allowed"), "message": exc.message},
                      user=auth_user(request), status_code=403)

    @app.exception_handler(ActionError)
    async def _refused(request: Request, exc: ActionError) -> Response:
        """An action's refusal that no route turned into a page of its own (a form shown again)."""
        user = auth_user(request)
        status = status_for(exc)
        if status == 403 and user is not None:
            await run_in_threadpool(deny, request, user, "role", str(exc))
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return render(request, "error.html", {"status": status, "title": TITLES.get(status, N_("Error")),
                                              "message": exc}, user=user, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request) or exc.status_code == 405:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        titles = {404: N_("Not found"), 429: N_("Too many attempts")}
        return render(request, "error.html", {"status": exc.status_code,
                                              "title": titles.get(exc.status_code, N_("Error")),
                                              "message": str(exc.detail)},
                      user=auth_user(request), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors: list[dict[str, Any]] = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        if _wants_json(request):
            return JSONResponse({"detail": errors}, status_code=422)
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors)
        return render(request, "error.html", {"status": 422, "title": N_("Invalid request"), "message": message},
                      user=auth_user(request), status_code=422)

    for module in (auth, language, password_reset, dashboard, queue, cases, items, audit, users, sources, exports,
                   takedowns, narratives, api, api_review, api_users, api_ops, api_takedowns, api_claims):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(TrailingSlash)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ForwardedScheme, trusted=app.state.trusted_proxies)
    return app
