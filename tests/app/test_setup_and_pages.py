"""The setup page registers the App through GitHub's manifest flow; the home page shows status."""

from __future__ import annotations

import html
import json
import re
import socket

import httpx
import respx
from support.github import load_payload, post_event

from app.main import Services
from app.worker import InboxWorker


def _manifest(page: str) -> dict:
    match = re.search(r'name="manifest" value="([^"]+)"', page)
    assert match, "the setup page must carry the manifest"
    return json.loads(html.unescape(match.group(1)))


async def test_unconfigured_app_serves_the_manifest_setup_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings.app_id = None
    services.settings.webhook_secret = None
    services.settings.public_url = "https://maestro.example.org"
    response = await client.get("/")
    assert response.status_code == 200
    page = response.text
    assert "Set up Maestro" in page
    assert 'action="https://github.com/settings/apps/new?state=' in page
    manifest = _manifest(page)
    assert manifest["hook_attributes"]["url"] == "https://maestro.example.org/webhook"
    assert manifest["redirect_url"] == "https://maestro.example.org/setup/callback"
    assert manifest["default_permissions"] == {
        "checks": "write",
        "pull_requests": "write",
        "contents": "read",
        "metadata": "read",
        "issues": "write",
        "actions": "read",
    }
    assert {"pull_request", "check_run", "check_suite"} <= set(manifest["default_events"])


async def test_manifest_callback_writes_credentials_to_dotenv(
    client: httpx.AsyncClient,
    services: Services,
    github: respx.MockRouter,
    private_key_pem: str,
) -> None:
    settings = services.settings
    settings.app_id = None
    settings.private_key = None
    settings.webhook_secret = None
    page = (await client.get("/")).text
    state = re.search(r"state=([A-Za-z0-9_-]+)", page).group(1)  # type: ignore[union-attr]
    conversion = github.post("/app-manifests/abc123/conversions").mock(
        return_value=httpx.Response(
            201,
            json={
                "id": 31337,
                "slug": "maestro-proof-card",
                "name": "Maestro Proof Card",
                "html_url": "https://github.com/apps/maestro-proof-card",
                "pem": private_key_pem,
                "webhook_secret": "whsec-from-github",
                "client_id": "Iv1.x",
                "client_secret": "y",
            },
        )
    )
    response = await client.get(f"/setup/callback?code=abc123&state={state}")
    assert response.status_code == 200
    assert conversion.call_count == 1
    assert "installations/new" in response.text
    env = settings.env_file.read_text()
    assert 'MAESTRO_APP_ID="31337"' in env
    assert 'MAESTRO_WEBHOOK_SECRET="whsec-from-github"' in env
    assert "BEGIN RSA PRIVATE KEY" in env and "\\n" in env
    assert oct(settings.env_file.stat().st_mode & 0o777) == "0o600"
    assert settings.github_configured and settings.app_id == 31337
    # A replayed state is refused.
    again = await client.get(f"/setup/callback?code=abc123&state={state}")
    assert again.status_code == 400


async def test_callback_without_a_known_state_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/setup/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert "expired" in response.text


async def test_configured_home_page_lists_installations_and_deliveries(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker
) -> None:
    await post_event(client, "installation", load_payload("installation/created"))
    await worker.run_once()
    await post_event(client, "star", {"action": "created"})
    response = await client.get("/")
    assert response.status_code == 200
    assert "Codertocat" in response.text
    assert "installation.created" in response.text
    assert "star.created" in response.text and "pending" in response.text


async def test_readyz_reports_an_unreachable_database(
    client: httpx.AsyncClient, services: Services
) -> None:
    assert (await client.get("/readyz")).json()["status"] == "ready"
    await services.engine.dispose()
    from app.db import create_engine, session_factory

    # A PostgreSQL port nothing listens on: refused at once, and (unlike a SQLite file that
    # cannot be opened) no driver thread outlives the test's event loop.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    services.engine = create_engine(f"postgresql+asyncpg://maestro@127.0.0.1:{dead_port}/maestro")
    services.sessions = session_factory(services.engine)
    response = await client.get("/readyz")
    assert response.status_code == 503
