"""Shared fixtures: settings on a migrated SQLite file, the ASGI app, signed webhook posts,
a respx stand-in for GitHub whose every request is checked against GitHub's OpenAPI
description, and a recording fake of the GitHub port for handler tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import settings as hypothesis_settings
from support.github import API_URL, APP_ID, WEBHOOK_SECRET, FakeGitHub
from support.openapi_guard import check_request

from app.github_factory import GitHubFactory
from app.main import Services, create_app
from app.migrate import upgrade
from app.settings import Settings
from app.worker import InboxWorker
from handlers.router import build_router

# CI must be deterministic: the default profile derives every example from the test itself.
# `HYPOTHESIS_PROFILE=explore make test` searches with fresh random examples instead.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=1000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def db_url(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "maestro.db"
    shutil.copy(migrated_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(db_url: str, private_key_pem: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_id=APP_ID,
        private_key=private_key_pem,
        webhook_secret=WEBHOOK_SECRET,
        database_url=db_url,
        github_api_url=API_URL,
        env_file=tmp_path / ".env",
        data_dir=tmp_path / "data",
        worker_backoff_base_seconds=0.0001,
        worker_backoff_max_seconds=0.0001,
    )


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the GitHub client asked for (tests never really sleep)."""
    return []


@pytest.fixture
async def services(settings: Settings, sleeps: list[float]) -> AsyncIterator[Services]:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    app = create_app(
        settings,
        github=GitHubFactory(settings, sleeper=fake_sleep),
        run_worker=False,
        migrate=False,
    )
    services: Services = app.state.services
    services.app = app  # type: ignore[attr-defined]
    yield services
    await services.github.aclose()
    await services.engine.dispose()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=services.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://maestro.test") as c:
        yield c


@pytest.fixture
def worker(services: Services) -> InboxWorker:
    return InboxWorker(
        services.sessions,
        services.settings,
        build_router(),
        services.github_for,
        "test-worker",
        forget_token=services.github.forget,
    )


@pytest.fixture
def github() -> Iterator[respx.MockRouter]:
    """respx stand-in for GitHub at API_URL; fails the test if any request the app sent is not
    allowed by GitHub's OpenAPI description."""
    with respx.mock(base_url=API_URL, assert_all_called=False) as mock:
        yield mock
    problems = [
        p
        for call in mock.calls
        if str(call.request.url).startswith(API_URL)  # not e.g. artifact blob storage
        for p in check_request(call.request, API_URL)
    ]
    assert not problems, "requests GitHub's OpenAPI description does not allow:\n" + "\n".join(
        problems
    )


@pytest.fixture
def fake_github() -> FakeGitHub:
    return FakeGitHub()
