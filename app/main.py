"""The ASGI application factory: routes, shared services and the lifespan that runs the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.routing import Route

from app import card_page, ledger_api, ledger_page, pages
from app.app_identity import AppIdentityCache
from app.checkpoints import checkpoint_loop
from app.db import create_engine, session_factory
from app.github_factory import GitHubFactory
from app.ingest import IngestBatcher
from app.ledger_keys import signing_key
from app.migrate import upgrade_async
from app.settings import Settings, load_settings
from app.setup_states import SetupStates
from app.webhook import receive_webhook
from app.worker import InboxWorker
from checks.pii.model import ModelError, load_model
from handlers.port import GitHubPort
from handlers.router import build_router

log = logging.getLogger("maestro")


async def import_osv_if_empty(sessions: async_sessionmaker[AsyncSession], path: Path) -> None:
    """Index MAESTRO_OSV_DIR on first start; later updates go through `maestro osv import`."""
    from app.osv_store import advisory_count, import_advisories
    from checks.sbom.osv import iter_osv

    async with sessions() as session:
        if await advisory_count(session):
            return
    advisories = await asyncio.to_thread(lambda: list(iter_osv(path)))
    async with sessions() as session, session.begin():
        stored = await import_advisories(session, advisories)
    log.info("indexed %d OSV advisories from %s", stored, path)


@dataclass
class Services:
    """Everything request handlers and the worker share, hung on `app.state.services`."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    github: GitHubFactory
    workers: list[InboxWorker] = field(default_factory=list)
    manifest_states: SetupStates = field(default_factory=SetupStates)
    app_identity: AppIdentityCache = field(default_factory=AppIdentityCache)
    ingest: IngestBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.ingest = IngestBatcher(lambda: self.sessions)

    def wake_worker(self) -> None:
        for worker in self.workers:
            worker.wake()

    async def github_for(self, installation_id: int) -> GitHubPort:
        return await self.github.for_installation(installation_id)


def create_app(
    settings: Settings | None = None,
    *,
    github: GitHubFactory | None = None,
    run_worker: bool | None = None,
    migrate: bool = True,
    worker_count: int = 1,
) -> Starlette:
    """Build the app. The database engine and worker start in the lifespan."""
    settings = settings or load_settings()
    engine = create_engine(settings.database_url)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        github=github or GitHubFactory(settings),
    )
    start_worker = settings.worker_enabled if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        periodic: list[asyncio.Task[None]] = []
        try:  # a failed start-up also closes the engine and the HTTP client
            try:  # fail fast: a broken PII model artefact would otherwise surface on the first PR
                load_model()
            except ModelError as exc:
                reason = f"cannot start: the PII detector's model artefact: {exc}"
                raise RuntimeError(reason) from exc
            if migrate:
                await upgrade_async(settings.database_url)
            if settings.osv_dir is not None:
                await import_osv_if_empty(services.sessions, settings.osv_dir)
            # The ledger key is generated (or its configuration checked) on first start, not when
            # the first checkpoint is signed: a bad MAESTRO_LEDGER_KEY or data directory stops it.
            signing_key(settings)
            if start_worker:
                router = build_router()
                for _ in range(worker_count):
                    worker = InboxWorker(
                        services.sessions,
                        settings,
                        router,
                        services.github_for,
                        forget_token=services.github.forget,
                    )
                    services.workers.append(worker)
                    tasks.append(asyncio.create_task(worker.run()))
                loop = checkpoint_loop(services.sessions, settings)
                periodic.append(asyncio.create_task(loop, name="maestro-checkpoints"))
            yield
        finally:
            for task in periodic:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for worker in services.workers:
                worker.stop()
            for task in tasks:
                with contextlib.suppress(Exception):
                    await task
            await services.github.aclose()
            await engine.dispose()
            if services.engine is not engine:
                await services.engine.dispose()

    app = Starlette(
        routes=[
            Route("/webhook", receive_webhook, methods=["POST"]),
            Route("/", pages.home, methods=["GET"]),
            Route("/setup/callback", pages.setup_callback, methods=["GET"]),
            Route("/healthz", pages.healthz, methods=["GET"]),
            Route("/readyz", pages.readyz, methods=["GET"]),
            Route("/metrics", pages.metrics, methods=["GET"]),
            *ledger_api.routes(),
            *card_page.routes(),
            *ledger_page.routes(),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
