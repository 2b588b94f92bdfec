"""A pull request that changes a lockfile: only the touched manifest is fetched at base and head,
the delta is matched against the OSV index in the database, criticals fail the card and are
annotated on the manifest line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import respx
from support.github import FIXTURES, load_payload, mock_pull_request_api, post_event

from app.main import Services, import_osv_if_empty
from app.worker import InboxWorker

REPO = "Codertocat/Hello-World"
LOCKS = FIXTURES / "sbom" / "lockfiles" / "cargo"
BASE_LOCK = (LOCKS / "rustsec-rustsec" / "7fad63bdb0a7" / "Cargo.lock").read_text()
HEAD_LOCK = (LOCKS / "rustsec-rustsec-cargo-audit-fixture-base64_vuln" / "Cargo.lock").read_text()
OSV = FIXTURES / "osv"
POLICY = "required: [sbomCriticals]\n"
FILES = [{"filename": "Cargo.lock", "status": "modified", "additions": 10, "deletions": 900}]


def _locks(pull: dict) -> dict[str, str]:
    return {
        f"Cargo.lock@{pull['base']['sha']}": BASE_LOCK,
        f"Cargo.lock@{pull['head']['sha']}": HEAD_LOCK,
    }


async def test_vulnerable_dependency_fails_the_card_on_its_manifest_line(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    pull = load_payload("pull_request/opened")["pull_request"]
    routes = mock_pull_request_api(github, files=FILES, policy=POLICY, contents=_locks(pull))
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()

    assert {c.request.url.params["ref"] for c in routes["contents"].calls} >= {
        pull["base"]["sha"],
        pull["head"]["sha"],
    }
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "failure"
    summary = card["output"]["summary"]
    assert "SBOM criticals 1 is above the limit of 0" in summary
    assert "RUSTSEC-2017-0004" in summary
    notes = [a for a in card["output"]["annotations"] if a["path"] == "Cargo.lock"]
    assert notes and notes[0]["title"].startswith("RUSTSEC-2017-0004: base64 0.5.1 (critical)")
    assert "fixed in 0.5.2" in notes[0]["message"]


async def test_without_an_advisory_database_the_obligation_stays_pending(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    pull = load_payload("pull_request/opened")["pull_request"]
    routes = mock_pull_request_api(github, files=FILES, policy=POLICY, contents=_locks(pull))
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "neutral"  # never a fake pass
    assert "No advisory database is loaded" in card["output"]["summary"]


def test_osv_import_command_indexes_the_records(tmp_path: Path, db_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "osv", "import", str(OSV)],
        env={"MAESTRO_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "indexed 22 advisories" in result.stdout


async def test_the_pull_request_that_fixes_it_passes(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    pull = load_payload("pull_request/opened")["pull_request"]
    fixed = HEAD_LOCK.replace('version = "0.5.1"', 'version = "0.5.2"')
    assert fixed != HEAD_LOCK
    contents = {
        f"Cargo.lock@{pull['base']['sha']}": HEAD_LOCK,
        f"Cargo.lock@{pull['head']['sha']}": fixed,
    }
    routes = mock_pull_request_api(github, files=FILES, policy=POLICY, contents=contents)
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "success"
    assert "SBOM criticals 0 is within the limit of 0" in card["output"]["summary"]
    assert "base64" in card["output"]["summary"]  # the upgrade is in the delta table
