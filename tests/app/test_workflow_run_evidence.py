"""A completed workflow run's `maestro-evidence` artifact becomes evidence on the Proof Card."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import respx
from sqlalchemy import select
from support.github import FIXTURES, load_payload, mock_pull_request_api, post_event

from app.main import Services
from app.tables import EvidenceRecord, LedgerEntry
from app.worker import InboxWorker

REPO = "octo-org/octo-repo"
BLOB_URL = "https://blob.storage.example.test/artifacts/1234.zip?sig=abc"
POLICY = "required: [specCoverage, mutationScore, perfP95BudgetMs, riskCap]\n"
OBLIGATIONS = FIXTURES / "obligations"

# GitHub's `pulls/{n}/files` entries for the change in tests/fixtures/obligations/pr.diff.
PR_FILES = [
    {
        "filename": "src/shop/pricing.py",
        "status": "modified",
        "additions": 7,
        "deletions": 1,
        "patch": (
            "@@ -2,7 +2,7 @@\n \n \n def total(prices, discount=0.0):\n"
            "-    subtotal = sum(prices)\n+    subtotal = sum(p for p in prices if p > 0)\n"
            "     if discount < 0 or discount > 1:\n"
            '         raise ValueError("discount must be between 0 and 1")\n'
            "     return round(subtotal * (1 - discount), 2)\n"
            "@@ -14,3 +14,9 @@ def shipping(weight_kg):\n     if weight_kg < 5:\n"
            "         return 4\n     return 4 + (weight_kg - 5) * 1\n+\n+\n"
            "+def tax(amount, rate=0.2):\n+    if amount < 0:\n"
            '+        raise ValueError("negative amount")\n+    return round(amount * rate, 2)'
        ),
    }
]


def _artifact() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("coverage.xml", "mutmut-cicd-stats.json", "pytest-benchmark-data.json"):
            archive.writestr(name, (OBLIGATIONS / name).read_bytes())
    return buffer.getvalue()


async def test_artifact_evidence_completes_the_card(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("workflow_run/completed.with-pull-requests")
    payload["installation"] = {"id": 1}  # App deliveries carry the installation
    run = payload["workflow_run"]
    pull = load_payload("pull_request/opened")["pull_request"]
    pull["head"]["sha"] = run["head_sha"]  # the run is for the pull request's current head
    routes = mock_pull_request_api(
        github, repo=REPO, number=2, files=PR_FILES, policy=POLICY, check_run_id=9, pull=pull
    )
    listing = github.get(f"/repos/{REPO}/actions/runs/{run['id']}/artifacts").mock(
        return_value=httpx.Response(
            200,
            json={
                "total_count": 1,
                "artifacts": [
                    {"id": 1234, "name": "maestro-evidence", "expired": False, "size_in_bytes": 1}
                ],
            },
        )
    )
    github.get(f"/repos/{REPO}/actions/artifacts/1234/zip").mock(
        return_value=httpx.Response(302, headers={"Location": BLOB_URL})
    )
    blob = github.get(BLOB_URL).mock(return_value=httpx.Response(200, content=_artifact()))
    await post_event(client, "workflow_run", payload)
    assert await worker.run_once() is True

    assert listing.call_count == 1 and blob.call_count == 1
    assert "authorization" not in blob.calls.last.request.headers  # signed URL, no token
    created = json.loads(routes["create"].calls.last.request.content)
    assert created["head_sha"] == run["head_sha"]
    complete = json.loads(routes["complete"].calls.last.request.content)
    summary = complete["output"]["summary"]
    assert complete["conclusion"] == "failure"
    assert "Mutation score 0.33 is below the required 0.70" in summary
    assert "waiting for evidence" not in summary
    assert f"from the maestro-evidence artifact of workflow run #{run['id']}" in summary
    # The uncovered changed line of the coverage report is annotated where the author works.
    notes = complete["output"]["annotations"]
    assert [(n["path"], n["start_line"], n["title"]) for n in notes] == [
        ("src/shop/pricing.py", 21, "Changed lines not covered by tests")
    ]
    async with services.sessions() as session:
        record = await session.get(EvidenceRecord, (REPO, run["head_sha"]))
        kinds = (await session.execute(select(LedgerEntry.kind))).scalars().all()
    assert record is not None
    stored = json.loads(record.document)["measurements"]
    assert set(stored) >= {"specCoverage", "mutationScore", "perfP95BudgetMs"}
    assert "evidence.received" in kinds


async def test_run_without_the_artifact_changes_nothing(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("workflow_run/completed.with-pull-requests")
    payload["installation"] = {"id": 1}
    mock_pull_request_api(github, repo=REPO, policy=POLICY)
    github.get(f"/repos/{REPO}/actions/runs/{payload['workflow_run']['id']}/artifacts").mock(
        return_value=httpx.Response(200, json={"total_count": 0, "artifacts": []})
    )
    await post_event(client, "workflow_run", payload)
    await worker.run_once()
    async with services.sessions() as session:
        assert (await session.execute(select(EvidenceRecord))).first() is None
