"""Secrets and PII on added lines fail the card, are annotated on the lines, and get one review
of suggested redactions per head commit; the raw values never reach GitHub output or the ledger."""

from __future__ import annotations

import json

import httpx
import respx
from sqlalchemy import select
from support.github import FakeGitHub, load_payload, mock_pull_request_api, post_event

from app.main import Services
from app.tables import LedgerEntry
from app.worker import InboxWorker
from checks.changes import FileChange
from handlers.pii_review import MAX_HEAD_BYTES, MAX_HEAD_FILES, patchless_head_files

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


async def test_no_policy_file_fails_the_card_with_both_findings_and_suggestions(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    """The issue's Done-when under the documented defaults: piiFindings is required without a
    policy file, and a known failure completes the card at once (no waiting for CI evidence)."""
    routes = mock_pull_request_api(github, files=FILES[:1], policy=None)
    review = github.post(f"/repos/{REPO}/pulls/2/reviews").mock(
        return_value=httpx.Response(200, json={"id": 81})
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()

    assert routes["policy"].called  # looked for .github/maestro.yml and found none
    card = json.loads(routes["complete"].calls.last.request.content)
    assert (card["status"], card["conclusion"]) == ("completed", "failure")
    summary = card["output"]["summary"]
    assert "PII findings 2 is above the limit of 0" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| `app/settings.py`")]
    assert [row.split(" | ")[1:5] for row in rows] == [
        ["2", "22–41", "aws_access_key", "`aws_access_key_id`"],
        ["3", "20–37", "email", "`email`"],
    ]
    assert [a["title"] for a in card["output"]["annotations"]] == [
        "aws_access_key on an added line",
        "email on an added line",
    ]
    sent = json.loads(review.calls.last.request.content)
    suggestions = {c["line"]: c["body"] for c in sent["comments"]}
    assert set(suggestions) == {2, 3}
    aws_fix = 'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]'
    assert f"```suggestion\n{aws_fix}\n```" in suggestions[2]
    assert '```suggestion\nSUPPORT_CONTACT = "user@example.com"\n```' in suggestions[3]
    everything = json.dumps(card) + json.dumps(sent)
    assert AWS_KEY not in everything and EMAIL not in everything


LOCKFILE_PR = [
    {
        "filename": "package-lock.json",
        "status": "modified",
        "additions": 4,
        "deletions": 0,
        "patch": (
            '@@ -60,3 +60,7 @@\n       "dependencies": {\n'
            '+        "@octokit/auth-token": "^3.0.0",\n'
            '+        "registry-auth-token": "^4.0.0",\n'
            '+        "js-tokens": "^4.0.0"\n'
            "       },\n"
            '+      "integrity": "sha512-u7stbOuYjaPezCuLj29hNW1v64M2Md2qupEKP1fHc7WdOA3'
            'DgLh37suiSrZYY7haUB7iBeQZ9P1uiRF359do3g==",'
        ),
    },
    {
        "filename": "go.sum",
        "status": "modified",
        "additions": 1,
        "deletions": 0,
        "patch": (
            "@@ -1 +1,2 @@\n github.com/a/b v1.0.0/go.mod h1:x\n"
            "+github.com/dgrijalva/jwt-go v3.2.0+incompatible h1:"
            "7qlOGliEKZXTDg6OTjfoBKDXWrumCAMpl/TFQ4/5kLM="
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


async def test_no_policy_file_lockfile_hashes_uuids_and_token_packages_pass(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    """Under the defaults the PII obligation passes: digests, UUIDs, SHAs and packages named
    `*-token*` are not findings (the card then waits for the CI evidence the defaults need)."""
    routes = mock_pull_request_api(github, files=LOCKFILE_PR, policy=None)
    review = github.post(f"/repos/{REPO}/pulls/2/reviews").mock(
        return_value=httpx.Response(200, json={"id": 82})
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    card = json.loads(routes["complete"].calls.last.request.content)
    summary = card["output"]["summary"]
    assert "| ✅ passed | PII findings | ≤ 0 | 0 |" in summary
    assert "❌" not in summary and card.get("conclusion") != "failure"
    assert "PII and secrets" not in summary and "annotations" not in card["output"]
    assert not review.called


async def test_a_file_without_a_patch_is_scanned_whole_at_the_head_commit(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    """GitHub omits `patch` for large diffs: the head file is fetched and scanned whole, the card
    says so, and its findings get annotations but no review comment (no diff line to hold it)."""
    pull = load_payload("pull_request/opened")["pull_request"]
    head = pull["head"]["sha"]
    big = [{"filename": "db/seed.sql", "status": "added", "additions": 40000, "deletions": 0}]
    seed = "-- seed data\n" + f"INSERT INTO users VALUES (1, '{EMAIL}');\n"
    routes = mock_pull_request_api(
        github, files=big, policy=POLICY, contents={f"db/seed.sql@{head}": seed}
    )
    review = github.post(f"/repos/{REPO}/pulls/2/reviews").mock(
        return_value=httpx.Response(200, json={"id": 83})
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()

    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "failure"
    summary = card["output"]["summary"]
    assert "PII findings 1 is above the limit of 0" in summary
    assert "GitHub sent no patch for 1 large file (`db/seed.sql`)" in summary
    (note,) = card["output"]["annotations"]
    assert (note["path"], note["start_line"]) == ("db/seed.sql", 2)
    assert note["title"] == "email in a file scanned whole (no patch)"
    assert not review.called
    assert EMAIL not in json.dumps(card)


async def test_an_unreadable_file_without_a_patch_leaves_pii_pending_with_the_reason(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    big = [{"filename": "db/huge.sql", "status": "added", "additions": 90000, "deletions": 0}]
    routes = mock_pull_request_api(github, files=big, policy=POLICY)  # contents: 404
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()

    card = json.loads(routes["complete"].calls.last.request.content)
    summary = card["output"]["summary"]
    assert card.get("conclusion") != "success"
    assert "waiting for evidence: the PII and secret scan computed by Maestro" in summary
    assert "Not scanned: 1 file with added lines but no patch" in summary
    assert "`db/huge.sql`" in summary


async def test_head_files_are_read_only_for_patchless_text_files_within_the_limits() -> None:
    head = "f" * 40
    files = [
        FileChange(filename="a.py", additions=1, patch="@@ -0,0 +1 @@\n+x = 1"),  # has a patch
        FileChange(filename="logo.png", additions=0),  # binary: GitHub counts no lines
        FileChange(filename="gone.txt", status="removed", deletions=3),
        FileChange(filename="seed.sql", status="added", additions=9),
        FileChange(filename="blob.bin", additions=4),  # NUL bytes: not text
        FileChange(filename="huge.csv", additions=9),
        *(FileChange(filename=f"gen/{i}.json", additions=1) for i in range(MAX_HEAD_FILES)),
    ]
    fake = FakeGitHub()
    fake.contents = {
        ("seed.sql", head): b"INSERT 1;\n",
        ("blob.bin", head): b"\x00\x01data",
        ("huge.csv", head): b"x" * (MAX_HEAD_BYTES + 1),
        **{(f"gen/{i}.json", head): b"{}" for i in range(MAX_HEAD_FILES)},
    }
    texts = await patchless_head_files(fake, REPO, head, files)
    assert [kw["path"] for kw in fake.named("get_file")][:3] == ["seed.sql", "blob.bin", "huge.csv"]
    assert texts["seed.sql"] == "INSERT 1;\n" and texts["huge.csv"] is None
    assert "blob.bin" not in texts and "a.py" not in texts and "logo.png" not in texts
    assert sum(1 for t in texts.values() if t == "{}") == MAX_HEAD_FILES - 2  # 2 slots used above
    assert len(fake.named("get_file")) == MAX_HEAD_FILES + 1  # the rest are not even fetched
