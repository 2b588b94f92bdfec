"""The app under real uvicorn on a loopback port, talking real HTTP to a stand-in GitHub."""

from __future__ import annotations

import asyncio
import gc
import json
import threading

import httpx
from sqlalchemy import select
from support.github import RISK_ONLY_POLICY, load_payload, signed_headers
from support.openapi_guard import check_request
from support.servers import StandInGitHub, serve

from app.main import create_app
from app.settings import Settings
from app.tables import LedgerEntry

BASE_SHA = load_payload("pull_request/opened")["pull_request"]["base"]["sha"]
HEAD_SHA = load_payload("pull_request/opened")["pull_request"]["head"]["sha"]
FILES = [{"filename": "app/core.py", "status": "modified", "additions": 12, "deletions": 3}]


async def test_signed_pull_request_over_http_ends_in_a_completed_check_run(
    settings: Settings,
) -> None:
    github = StandInGitHub(FILES, policy=RISK_ONLY_POLICY)  # no tarball: file-list risk
    async with serve(github.app) as github_url:
        settings.github_api_url = f"{github_url}/api/v3"
        app = create_app(settings)  # worker on, migrations applied in the lifespan
        async with serve(app) as maestro_url, httpx.AsyncClient(base_url=maestro_url) as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            assert (await client.get("/readyz")).status_code == 200
            body = json.dumps(load_payload("pull_request/opened")).encode()
            response = await client.post(
                "/webhook", content=body, headers=signed_headers("pull_request", body, "real-1")
            )
            assert response.status_code == 202
            await asyncio.wait_for(github.completed.wait(), timeout=30)
            # The worker commits the ledger entry right after completing the check-run.
            services = app.state.services
            deadline = asyncio.get_running_loop().time() + 30
            while asyncio.get_running_loop().time() < deadline:
                async with services.sessions() as session:
                    kinds = [
                        k
                        for (k,) in (
                            await session.execute(
                                select(LedgerEntry.kind).order_by(LedgerEntry.seq)
                            )
                        ).all()
                    ]
                if "delivery.processed" in kinds:
                    break
                await asyncio.sleep(0)
            metrics = (await client.get("/metrics")).text
    # The lifespan's shutdown closed every database connection: no aiosqlite worker thread is
    # left to wake the test's event loop after it has closed.
    gc.collect()
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            thread.join(timeout=10)
    leftovers = [t.name for t in threading.enumerate() if "_connection_worker_thread" in t.name]
    assert leftovers == [], f"database connections left open: {leftovers}"

    methods = [(r.method, r.url.path) for r in github.requests]
    assert methods == [
        ("POST", "/api/v3/app/installations/1/access_tokens"),
        ("POST", "/api/v3/repos/Codertocat/Hello-World/check-runs"),
        ("GET", "/api/v3/repos/Codertocat/Hello-World/pulls/2/files"),
        ("GET", "/api/v3/repos/Codertocat/Hello-World/contents/.github/maestro.yml"),
        # no rule in the policy reads approvals, so the reviews are not fetched
        ("GET", f"/api/v3/repos/Codertocat/Hello-World/compare/{BASE_SHA}...{HEAD_SHA}"),
        ("GET", "/api/v3/repos/Codertocat/Hello-World/tarball/" + BASE_SHA),
        # The file came without a patch: its head version is read for the PII scan.
        ("GET", "/api/v3/repos/Codertocat/Hello-World/contents/app/core.py"),
        ("PATCH", "/api/v3/repos/Codertocat/Hello-World/check-runs/1"),
    ]
    for request in github.requests:
        assert check_request(request, settings.github_api_url) == []
    final = github.check_runs[1]
    assert final["status"] == "completed" and final["conclusion"] == "success"
    assert kinds == [
        "delivery.received",
        "checkrun.created",
        "checkrun.completed",
        "delivery.processed",
    ]
    assert 'maestro_deliveries{status="done"} 1' in metrics
