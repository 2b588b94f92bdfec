"""`GET /ledger`: the auditors' web page — the head, the latest checkpoints, a verification status.

Behind the same token check as the auditor API (`ledger_api.audit_access`: an active token with
scope `audit`). A browser cannot send a bearer header, so the page also accepts the token from a
cookie set by its own small form (`POST /ledger`): HttpOnly, SameSite=Strict, limited to `/ledger`,
Secure over HTTPS. The token travels in the form body, never in a URL (URLs end up in access logs
and browser history), and is never logged. `POST /ledger/logout` clears the cookie.

401 shows the form, 403 says the token lacks the scope; both are HTML pages.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.ledger_api import Access, audit_access, bearer_token
from app.ledger_keys import signing_key
from app.ledger_status import LedgerMonitor, ledger_status
from app.render import html_env

COOKIE = "maestro_audit"
COOKIE_PATH = "/ledger"
COOKIE_MAX_AGE = 8 * 3600


def _page(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    body = html_env().get_template(template).render(**context)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(body, status_code=status_code, headers=headers)


def _login(status_code: int, problem: str | None) -> HTMLResponse:
    page = _page("ledger_login.html.j2", status_code, problem=problem)
    if status_code == 401:
        page.headers["WWW-Authenticate"] = 'Bearer realm="maestro-ledger"'
        page.delete_cookie(COOKIE, path=COOKIE_PATH)
    return page


def monitor_of(request: Request) -> LedgerMonitor:
    """The app's one `LedgerMonitor` (created on first use)."""
    state = request.app.state
    if not hasattr(state, "ledger_monitor"):
        state.ledger_monitor = LedgerMonitor()
    monitor: LedgerMonitor = state.ledger_monitor
    return monitor


async def _access(request: Request, token: str) -> Access:
    async with request.app.state.services.sessions() as session:
        return await audit_access(session, token)


async def ledger_page(request: Request) -> Response:
    token = bearer_token(request) or request.cookies.get(COOKIE)
    if not token:
        return _login(401, None)
    access = await _access(request, token)
    if access is Access.UNKNOWN:
        return _login(401, "That token is unknown or revoked.")
    if access is Access.NO_SCOPE:
        return _login(403, "That token lacks the audit scope.")
    services = request.app.state.services
    status = await ledger_status(
        services.sessions,
        monitor_of(request),
        signing_key(services.settings),
        full=request.query_params.get("full") == "1",
    )
    return _page("ledger.html.j2", status=status)


async def ledger_login(request: Request) -> Response:
    form = await request.form()
    token = form.get("token")
    token = token.strip() if isinstance(token, str) else ""
    if not token:
        return _login(401, "Paste an auditor token (maestro auditors add NAME prints one).")
    access = await _access(request, token)
    if access is Access.UNKNOWN:
        return _login(401, "That token is unknown or revoked.")
    if access is Access.NO_SCOPE:
        return _login(403, "That token lacks the audit scope.")
    response = RedirectResponse("/ledger", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def ledger_logout(request: Request) -> Response:
    response = RedirectResponse("/ledger", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def routes() -> list[BaseRoute]:
    """Routes mounted by `app.main.create_app`."""
    return [
        Route("/ledger", ledger_page, methods=["GET"]),
        Route("/ledger", ledger_login, methods=["POST"]),
        Route("/ledger/logout", ledger_logout, methods=["POST"]),
    ]
