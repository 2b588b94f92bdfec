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
from app.setup_states import SetupStates
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
        "members": "read",
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
    assert 'MAESTRO_APP_NAME="Maestro Proof Card"' in env
    assert 'MAESTRO_APP_SLUG="maestro-proof-card"' in env
    assert settings.github_configured and settings.app_id == 31337
    assert settings.app_name == "Maestro Proof Card"
    assert len(services.manifest_states) == 0, "states are cleared once the app is registered"
    # A replayed callback cannot replace the credentials.
    again = await client.get(f"/setup/callback?code=abc123&state={state}")
    assert again.status_code == 409
    assert conversion.call_count == 1
    # The status page names the app from the saved settings, without asking GitHub.
    home = await client.get("/")
    assert (
        '<a href="https://github.com/apps/maestro-proof-card">Maestro Proof Card</a>' in home.text
    )
    assert len(github.calls) == 1


async def test_callback_without_a_known_state_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings.app_id = None
    response = await client.get("/setup/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert "expired" in response.text


async def test_configured_home_page_lists_installations_and_deliveries(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    github.get("/app").mock(return_value=httpx.Response(200, json=APP_ANSWER))
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


async def test_callback_is_refused_once_the_app_is_configured(
    client: httpx.AsyncClient, services: Services, github: respx.MockRouter
) -> None:
    """A state issued while unconfigured cannot later swap the credentials of a running app."""
    settings = services.settings
    configured = (settings.app_id, settings.private_key, settings.webhook_secret)
    settings.app_id = None
    page = (await client.get("/")).text
    state = re.search(r"state=([A-Za-z0-9_-]+)", page).group(1)  # type: ignore[union-attr]
    settings.app_id = configured[0]  # configured by hand meanwhile
    conversion = github.post("/app-manifests/evil/conversions").mock(
        return_value=httpx.Response(201, json={"id": 666, "pem": "x", "webhook_secret": "y"})
    )
    response = await client.get(f"/setup/callback?code=evil&state={state}")
    assert response.status_code == 409
    assert "already connected to GitHub App 4242" in response.text
    assert conversion.call_count == 0
    assert not settings.env_file.exists()
    assert (settings.app_id, settings.private_key, settings.webhook_secret) == configured


def test_setup_states_expire_are_capped_and_spent_once() -> None:
    now = [1000.0]
    states = SetupStates(ttl_seconds=3600, cap=3, clock=lambda: now[0])
    first = states.issue()
    assert states.spend(first) is True
    assert states.spend(first) is False, "a state is spent once"
    old = states.issue()
    now[0] += 3601
    assert states.spend(old) is False, "a state expires after an hour"
    issued = [states.issue() for _ in range(5)]
    assert len(states) == 3, "only the newest states are kept"
    assert states.spend(issued[0]) is False
    assert states.spend(issued[-1]) is True
    states.clear()
    assert states.spend(issued[-2]) is False


async def test_setup_page_reloads_do_not_grow_the_states_without_bound(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings.app_id = None
    services.manifest_states.cap = 5
    for _ in range(12):
        assert (await client.get("/")).status_code == 200
    assert len(services.manifest_states) == 5


APP_ANSWER = {
    "id": 4242,
    "slug": "maestro-for-acme",
    "node_id": "MDExOkludGVncmF0aW9uMQ==",
    "owner": None,
    "name": "Maestro for Acme",
    "description": "",
    "external_url": "https://maestro.acme.test",
    "html_url": "https://github.com/apps/maestro-for-acme",
    "created_at": "2024-01-01T00:00:00Z",
    "updated_at": "2024-01-01T00:00:00Z",
    "permissions": {"checks": "write"},
    "events": ["pull_request"],
}


async def test_home_page_names_the_app_from_github_once(
    client: httpx.AsyncClient, services: Services, github: respx.MockRouter
) -> None:
    lookup = github.get("/app").mock(return_value=httpx.Response(200, json=APP_ANSWER))
    for _ in range(2):
        page = (await client.get("/")).text
        assert '<a href="https://github.com/apps/maestro-for-acme">Maestro for Acme</a>' in page
        assert "(ID 4242)" in page
    assert lookup.call_count == 1, "the answer is cached"
    assert lookup.calls.last.request.headers["authorization"].lower().startswith("bearer ey")


async def test_home_page_shows_the_app_id_when_github_cannot_say(
    client: httpx.AsyncClient, services: Services, github: respx.MockRouter
) -> None:
    lookup = github.get("/app").mock(
        return_value=httpx.Response(401, json={"message": "A JSON web token could not be decoded"})
    )
    for _ in range(2):
        response = await client.get("/")
        assert response.status_code == 200
        assert "GitHub App 4242 ·" in response.text
    assert lookup.call_count == 1, "a failed lookup is not repeated on every page load"
