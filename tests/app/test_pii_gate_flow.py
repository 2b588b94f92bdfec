"""Secrets and PII on added lines fail the card, are annotated on the lines, and get one review
of suggested redactions per head commit; the raw values never reach GitHub output or the ledger."""

from __future__ import annotations

import json

import httpx
import respx
from sqlalchemy import select
from support.github import load_payload, mock_pull_request_api, post_event

from app.main import Services
from app.tables import LedgerEntry
from app.worker import InboxWorker

REPO = "Codertocat/Hello-World"
AWS_KEY = "AKIA" + "Q3EGRTMZ7NBXW4PL"
EMAIL = "jane.doe@" + "gmail.com"
FILES = [
    {
        "filename": "app/settings.py",
        "status": "modified",
        "additions": 2,
        "deletions": 0,
        "patch": (
            "@@ -1,2 +1,4 @@\n import os\n"
            f'+AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'
            f'+SUPPORT_CONTACT = "{EMAIL}"\n'
            " DEBUG = False"
        ),
    },
    {
        "filename": "tests/fixtures/users.json",
        "status": "added",
        "additions": 1,
        "deletions": 0,
        "patch": f'@@ -0,0 +1 @@\n+{{"email": "{EMAIL}"}}',
    },
]
POLICY = "required: [piiFindings]\npii:\n  allow_paths: ['tests/fixtures/**']\n"


async def test_pii_blocks_with_annotations_and_one_review_of_suggestions(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, files=FILES, policy=POLICY)
    review = github.post(f"/repos/{REPO}/pulls/2/reviews").mock(
        return_value=httpx.Response(200, json={"id": 80})
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()

    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "failure"
    summary = card["output"]["summary"]
    assert "PII findings 2 is above the limit of 0" in summary
    assert "1 allowed finding" in summary  # the fixture path is allow-listed by the policy
    notes = card["output"]["annotations"]
    assert [(a["path"], a["start_line"]) for a in notes] == [
        ("app/settings.py", 2),
        ("app/settings.py", 3),
    ]
    sent = json.loads(review.calls.last.request.content)
    assert sent["event"] == "COMMENT" and sent["commit_id"] == card_head(routes)
    bodies = [c["body"] for c in sent["comments"]]
    assert any('os.environ["AWS_ACCESS_KEY_ID"]' in b for b in bodies)
    everything = json.dumps(card) + json.dumps(sent)
    assert AWS_KEY not in everything and EMAIL not in everything

    await post_event(client, "pull_request", load_payload("pull_request/synchronize"))
    await worker.run_once()
    assert review.call_count == 1  # same head: the suggestions are not posted twice
    async with services.sessions() as session:
        payloads = (await session.execute(select(LedgerEntry.payload))).scalars().all()
    assert not any(AWS_KEY in (p or "") or EMAIL in (p or "") for p in payloads)


def card_head(routes: dict) -> str:
    return json.loads(routes["create"].calls.last.request.content)["head_sha"]


async def test_lockfile_hashes_and_uuids_pass(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    harmless = [
        {
            "filename": "requirements.txt",
            "status": "modified",
            "additions": 2,
            "deletions": 0,
            "patch": (
                "@@ -1 +1,3 @@\n certifi==2024.2.2\n"
                "+idna==3.7 \\\n"
                "+    --hash=sha256:"
                "82fee1fc78add43492d3a1898bfa6d8a904cc97d8427f683ed8e798d07761aa0"
            ),
        },
        {
            "filename": "app/ids.py",
            "status": "modified",
            "additions": 2,
            "deletions": 0,
            "patch": (
                "@@ -1 +1,3 @@\n import uuid\n"
                '+TENANT = uuid.UUID("3f2b8c1e-9d4a-4e7b-a1c2-5e6f7a8b9c0d")\n'
                '+COMMIT = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"'
            ),
        },
    ]
    routes = mock_pull_request_api(github, files=harmless, policy=POLICY)
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "success", card["output"]["summary"]
    assert "annotations" not in card["output"]
