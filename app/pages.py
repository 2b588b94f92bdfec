"""HTML pages and probes: setup (GitHub App Manifest flow), status home page, health and metrics."""

from __future__ import annotations

import json

from gidgethub import HTTPException
from sqlalchemy import func, select, text
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from app.envfile import update_env_file
from app.manifest import build_manifest
from app.render import html_env
from app.settings import Settings
from app.tables import CheckRun, Delivery, Installation, LedgerHead, Repository


def _base_url(request: Request) -> str:
    configured = request.app.state.services.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _page(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    body = html_env().get_template(template).render(**context)
    return HTMLResponse(body, status_code=status_code)


async def home(request: Request) -> Response:
    services = request.app.state.services
    settings = services.settings
    if not settings.github_configured:
        state = services.manifest_states.issue()
        base = _base_url(request)
        return _page(
            "setup.html.j2",
            manifest=json.dumps(build_manifest(base)),
            github_web_url=settings.github_web_url,
            state=state,
            base_url=base,
            missing=settings.missing_github_settings(),
            local=base.startswith(("http://127.", "http://localhost")),
        )
    async with services.sessions() as session:
        installations = list(
            (await session.execute(select(Installation).order_by(Installation.id))).scalars()
        )
        repo_counts = dict(
            (
                await session.execute(
                    select(Repository.installation_id, func.count()).group_by(
                        Repository.installation_id
                    )
                )
            ).all()
        )
        deliveries = list(
            (
                await session.execute(
                    select(Delivery).order_by(Delivery.received_at.desc()).limit(20)
                )
            ).scalars()
        )
        check_runs = list(
            (
                await session.execute(
                    select(CheckRun).order_by(CheckRun.updated_at.desc()).limit(10)
                )
            ).scalars()
        )
        status_counts = dict(
            (
                await session.execute(
                    select(Delivery.status, func.count()).group_by(Delivery.status)
                )
            ).all()
        )
    return _page(
        "home.html.j2",
        app=await services.app_identity.get(settings, services.github),
        installations=installations,
        repo_counts=repo_counts,
        deliveries=deliveries,
        check_runs=check_runs,
        status_counts=status_counts,
        webhook_url=_base_url(request) + "/webhook",
    )


async def setup_callback(request: Request) -> Response:
    """GitHub redirects here with `code` after the user created the app from the manifest."""
    services = request.app.state.services
    settings = services.settings
    if settings.github_configured:
        # Once registered, the credentials are never replaced from the web: a state issued
        # before registration must not let its holder swap in an app of their own.
        return _already_registered(settings)
    code = request.query_params.get("code", "")
    state = request.query_params.get("state", "")
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        return _page("message.html.j2", 400, title="Setup failed", message="Missing or bad code.")
    if not services.manifest_states.spend(state):
        return _page(
            "message.html.j2",
            400,
            title="Setup failed",
            message="This setup link has expired or was not started here. Open the setup page "
            "and create the app again.",
        )
    services.manifest_states.clear()  # one registration at a time: other setup pages are void
    api = services.github.api()
    try:
        conversion = await api.post("/app-manifests/{code}/conversions", {"code": code}, data=b"")
    except HTTPException as exc:
        return _page(
            "message.html.j2",
            502,
            title="Setup failed",
            message=f"GitHub refused the manifest code ({int(exc.status_code)}). "
            "Codes expire after one hour; create the app again.",
        )
    if settings.github_configured:  # registered by another request while GitHub answered
        return _already_registered(settings)
    values = {
        "MAESTRO_APP_ID": str(conversion["id"]),
        "MAESTRO_PRIVATE_KEY": conversion["pem"],
        "MAESTRO_WEBHOOK_SECRET": conversion["webhook_secret"],
    }
    for key, field in (("MAESTRO_APP_NAME", "name"), ("MAESTRO_APP_SLUG", "slug")):
        if conversion.get(field):
            values[key] = str(conversion[field])
    update_env_file(settings.env_file, values)
    settings.app_id = int(conversion["id"])
    settings.private_key = conversion["pem"]
    settings.webhook_secret = conversion["webhook_secret"]
    settings.app_name = conversion.get("name") or None
    settings.app_slug = conversion.get("slug") or None
    services.manifest_states.clear()
    return _page(
        "installed.html.j2",
        name=conversion.get("name", "Maestro"),
        html_url=conversion.get("html_url", ""),
        env_file=str(settings.env_file),
    )


def _already_registered(settings: Settings) -> Response:
    return _page(
        "message.html.j2",
        409,
        title="Maestro is already registered",
        message=f"This server is already connected to GitHub App {settings.app_id}, so the "
        "setup link cannot replace its credentials. To register a different app, remove "
        f"MAESTRO_APP_ID, MAESTRO_PRIVATE_KEY and MAESTRO_WEBHOOK_SECRET from {settings.env_file} "
        "(and the environment), restart Maestro and open the setup page again.",
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    services = request.app.state.services
    try:
        async with services.sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse(
            {"status": "unavailable", "database": type(exc).__name__}, status_code=503
        )
    return JSONResponse({"status": "ready", "database": "ok"})


async def metrics(request: Request) -> Response:
    """Prometheus text format: deliveries by status and the ledger size."""
    services = request.app.state.services
    async with services.sessions() as session:
        counts = (
            await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        ).all()
        size = await session.scalar(select(LedgerHead.size)) or 0
    lines = ["# TYPE maestro_deliveries gauge"]
    lines += [f'maestro_deliveries{{status="{status}"}} {count}' for status, count in counts]
    lines += ["# TYPE maestro_ledger_entries gauge", f"maestro_ledger_entries {size}"]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
