"""The risk cap comes from the blast radius on the repository's code graph, built from the base
commit's tarball, updated with the PR's changed files, cached per commit; the Decision Card
explains it on the Proof Card."""

from __future__ import annotations

import io
import json
import tarfile

import httpx
import respx
from sqlalchemy import select
from support.github import (
    FIXTURES,
    load_payload,
    mock_pull_request_api,
    post_event,
)

from app.main import Services
from app.tables import GraphSnapshot
from app.worker import InboxWorker

REPO = "Codertocat/Hello-World"
MONOREPO = FIXTURES / "graph" / "monorepo"
CHANGED = "src/acme/common/money.py"
NEW_MONEY = (MONOREPO / CHANGED).read_text() + "\n\ndef round_half_even(x):\n    return x\n"


def _tarball(prefix: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(MONOREPO.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=f"{prefix}/{path.relative_to(MONOREPO).as_posix()}")
    return buffer.getvalue()


async def test_decision_card_and_graph_risk_on_the_proof_card(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    pull = load_payload("pull_request/opened")["pull_request"]
    files = [
        {
            "filename": CHANGED,
            "status": "modified",
            "additions": 3,
            "deletions": 1,
            "patch": "@@ -1 +1,3 @@\n-x\n+y\n+z\n+w",
        }
    ]
    routes = mock_pull_request_api(
        github,
        files=files,
        policy="required: [riskCap]\n",
        tarball=_tarball("Codertocat-Hello-World-f95f852"),
        contents={CHANGED: NEW_MONEY},
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()

    assert routes["tarball"].calls.last.request.url.path.endswith(pull["base"]["sha"])
    head_file = routes["contents"].calls.last.request
    assert head_file.url.path.endswith(CHANGED)
    assert head_file.url.params["ref"] == pull["head"]["sha"]
    card = json.loads(routes["complete"].calls.last.request.content)
    summary = card["output"]["summary"]
    assert "billing" in summary  # money.py is imported by the billing service
    assert "### Decision Card: risk" in summary
    assert "| Critical services | 0.25 |" in summary  # the table keeps its rows
    assert "Not required by this repository's policy: Spec coverage" in summary
    async with services.sessions() as session:
        cached = (await session.execute(select(GraphSnapshot.commit_sha))).scalars().all()
    assert set(cached) == {pull["base"]["sha"], pull["head"]["sha"]}

    # A second card for the same head reuses both cached graphs: no tarball download.
    await post_event(client, "pull_request", load_payload("pull_request/synchronize"))
    await worker.run_once()
    assert routes["tarball"].call_count == 1


async def test_push_carries_the_cached_graph_forward(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    import pickle

    from app.inbox import utcnow
    from graph.ingest import build_graph
    from graph.tarball import snapshot_from_tarball

    payload = load_payload("push/with-installation")
    before = payload["before"]
    after = "a" * 40
    payload.update(after=after, deleted=False, ref="refs/heads/main")
    base = build_graph(snapshot_from_tarball(_tarball("x-y-1")).files)
    async with services.sessions() as session, session.begin():
        session.add(
            GraphSnapshot(
                repository=REPO, commit_sha=before, data=pickle.dumps(base), created_at=utcnow()
            )
        )
    github.post("/app/installations/1/access_tokens").mock(
        return_value=httpx.Response(201, json={"token": "t", "expires_at": "2099-01-01T00:00:00Z"})
    )
    compare = github.get(f"/repos/{REPO}/compare/{before}...{after}").mock(
        return_value=httpx.Response(
            200, json={"files": [{"filename": CHANGED, "status": "modified", "additions": 3}]}
        )
    )
    content = github.get(f"/repos/{REPO}/contents/{CHANGED}").mock(
        return_value=httpx.Response(404, json={"message": "Not Found"})
    )
    await post_event(client, "push", payload)
    await worker.run_once()
    assert compare.call_count == 1 and content.call_count == 1
    async with services.sessions() as session:
        row = await session.get(GraphSnapshot, (REPO, after))
    assert row is not None
    moved = pickle.loads(row.data)
    assert "file:" + CHANGED in moved.graph  # the file is still a node, re-parsed from its new text
    # Tag deletions (the real example payload) are ignored.
    await post_event(client, "push", load_payload("push/with-installation"))
    await worker.run_once()
    assert compare.call_count == 1
