"""The risk cap comes from the blast radius on the repository's code graph, built from the merge
base's tarball, updated with the PR's changed files (only those the graph reads), cached per
commit with the newest N kept; the Decision Card and the failing risk row explain it."""

from __future__ import annotations

import asyncio
import io
import json
import pickle
import tarfile
from datetime import timedelta

import httpx
import respx
from sqlalchemy import select
from support.github import (
    FIXTURES,
    FakeGitHub,
    compare_response,
    contents_response,
    load_payload,
    mock_pull_request_api,
    post_event,
)

from app.inbox import utcnow
from app.main import Services
from app.tables import GraphSnapshot
from app.worker import InboxWorker
from checks.changes import FileChange
from graph.ingest import CodeGraph, build_graph, graph_signature
from graph.tarball import snapshot_from_tarball
from handlers.graph_source import MAX_CONCURRENT_FETCHES, _cached, _store, changed_texts

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


def _monorepo_with(changes: dict[str, str | None]) -> dict[str, str]:
    files = snapshot_from_tarball(_tarball("x-y-1")).files
    for path, text in changes.items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    return files


async def _cached_graph(services: Services, sha: str) -> CodeGraph:
    async with services.sessions() as session:
        row = await session.get(GraphSnapshot, (REPO, sha))
    assert row is not None
    graph: CodeGraph = pickle.loads(row.data)
    return graph


async def test_a_failing_risk_shows_its_reason_paths_on_the_card(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    files = [{"filename": CHANGED, "status": "modified", "additions": 3, "deletions": 1}]
    routes = mock_pull_request_api(
        github,
        files=files,
        policy="required: [riskCap]\nthresholds:\n  riskCap: 0.05\n",
        tarball=_tarball("Codertocat-Hello-World-f95f852"),
        contents={CHANGED: NEW_MONEY},
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "failure"
    blocks = card["output"]["summary"].split("**What blocks the merge**", 1)[1]
    risk_line = next(line for line in blocks.splitlines() if line.startswith("- **Risk**"))
    # The service chain and the critical file's chain, on the failing row itself.
    assert "billing: src/acme/common/money.py → src/acme/billing/tax.py" in risk_line
    assert (
        "src/acme/billing/ledger.py: src/acme/common/money.py → src/acme/billing/tax.py → "
        "src/acme/billing/ledger.py"
    ) in risk_line


async def test_the_head_graph_grows_from_the_merge_base_when_the_base_moved_on(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    pull = load_payload("pull_request/opened")["pull_request"]
    merge_base = "c" * 40  # main moved on since the branch was cut: base.sha != merge base
    added = "src/acme/billing/refund.py"
    files = [
        {"filename": CHANGED, "status": "modified", "additions": 3, "deletions": 1},
        {"filename": added, "status": "added", "additions": 2, "deletions": 0},
        {"filename": "docs/diagram.png", "status": "added", "additions": 0, "deletions": 0},
        {"filename": "src/acme/billing/alias.py", "status": "added", "additions": 1},
    ]
    refund = "from .ledger import post\n\n\ndef refund(entry):\n    post(entry)\n"
    routes = mock_pull_request_api(
        github,
        files=files,
        tarball=_tarball("Codertocat-Hello-World-c"),  # the merge base's tree
        contents={CHANGED: NEW_MONEY, added: refund},  # alias.py is a symlink: no contents
        merge_base=merge_base,
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()

    compare = routes["compare"].calls.last.request
    assert compare.url.path.endswith(f"/compare/{pull['base']['sha']}...{pull['head']['sha']}")
    assert [c.request.url.path.rsplit("/", 1)[-1] for c in routes["tarball"].calls] == [merge_base]
    fetched = {c.request.url.path.split("/contents/", 1)[1] for c in routes["contents"].calls}
    assert fetched == {CHANGED, added, "src/acme/billing/alias.py"}  # not the PNG
    head = await _cached_graph(services, pull["head"]["sha"])
    expected = _monorepo_with({CHANGED: NEW_MONEY, added: refund, "docs/diagram.png": ""})
    assert graph_signature(head) == graph_signature(build_graph(expected))
    assert "file:src/acme/billing/alias.py" not in head.graph  # unknown, not an empty file
    async with services.sessions() as session:
        cached = set((await session.execute(select(GraphSnapshot.commit_sha))).scalars())
    assert cached == {merge_base, pull["head"]["sha"]}


async def test_push_carries_the_cached_graph_forward(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
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
    # money.py gains an import of log.py; tax.py is deleted.
    new_money = NEW_MONEY + "\nfrom .log import get_logger\n"
    changes = [
        {"filename": CHANGED, "status": "modified", "additions": 2},
        {"filename": "src/acme/billing/tax.py", "status": "removed", "deletions": 9},
    ]
    compare = github.get(f"/repos/{REPO}/compare/{before}...{after}").mock(
        return_value=compare_response(before, before, changes)
    )
    content = github.get(f"/repos/{REPO}/contents/{CHANGED}").mock(
        return_value=contents_response(new_money, CHANGED)
    )
    await post_event(client, "push", payload)
    await worker.run_once()
    assert compare.call_count == 1 and content.call_count == 1
    assert content.calls.last.request.url.params["ref"] == after
    moved = await _cached_graph(services, after)
    expected = _monorepo_with({CHANGED: new_money, "src/acme/billing/tax.py": None})
    assert graph_signature(moved) == graph_signature(build_graph(expected))
    assert ("file:" + CHANGED, "file:src/acme/common/log.py") in moved.graph.edges
    # Tag deletions (the real example payload) are ignored.
    await post_event(client, "push", load_payload("push/with-installation"))
    await worker.run_once()
    assert compare.call_count == 1


async def test_a_force_push_starts_from_the_merge_base_graph(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("push/with-installation")
    before, after, merge_base = payload["before"], "a" * 40, "b" * 40
    payload.update(after=after, deleted=False, ref="refs/heads/main")
    stale = build_graph(_monorepo_with({"src/acme/only_on_the_old_branch.py": "X = 1\n"}))
    async with services.sessions() as session, session.begin():
        for sha, graph in ((before, stale), (merge_base, build_graph(_monorepo_with({})))):
            session.add(
                GraphSnapshot(
                    repository=REPO, commit_sha=sha, data=pickle.dumps(graph), created_at=utcnow()
                )
            )
    github.post("/app/installations/1/access_tokens").mock(
        return_value=httpx.Response(201, json={"token": "t", "expires_at": "2099-01-01T00:00:00Z"})
    )
    changes = [{"filename": CHANGED, "status": "modified", "additions": 2}]
    github.get(f"/repos/{REPO}/compare/{before}...{after}").mock(
        return_value=compare_response(before, merge_base, changes)
    )
    github.get(f"/repos/{REPO}/contents/{CHANGED}").mock(
        return_value=contents_response(NEW_MONEY, CHANGED)
    )
    await post_event(client, "push", payload)
    await worker.run_once()
    moved = await _cached_graph(services, after)
    assert graph_signature(moved) == graph_signature(
        build_graph(_monorepo_with({CHANGED: NEW_MONEY}))
    )


async def test_snapshots_beyond_the_newest_n_are_evicted_when_one_is_stored(
    services: Services,
) -> None:
    start = utcnow() - timedelta(days=1)
    graph = build_graph({"a.py": ""})
    async with services.sessions() as session, session.begin():
        for i in range(5):
            session.add(
                GraphSnapshot(
                    repository=REPO,
                    commit_sha=f"{i:040d}",
                    data=b"old",
                    created_at=start + timedelta(minutes=i),
                )
            )
        session.add(
            GraphSnapshot(repository="other/repo", commit_sha="0" * 40, data=b"x", created_at=start)
        )
    await _store(services.sessions, REPO, "f" * 40, graph, keep=3)
    async with services.sessions() as session:
        rows = (await session.execute(select(GraphSnapshot))).scalars().all()
    kept = sorted((r.repository, r.commit_sha) for r in rows)
    assert kept == [
        (REPO, f"{3:040d}"),
        (REPO, f"{4:040d}"),
        (REPO, "f" * 40),
        ("other/repo", "0" * 40),  # other repositories keep theirs
    ]
    assert services.settings.graph_snapshots_per_repo == 20


async def test_changed_files_are_fetched_a_few_at_a_time() -> None:
    class Counting(FakeGitHub):
        in_flight = peak = 0

        async def get_file(self, repo: str, path: str, ref: str) -> bytes | None:
            self._record("get_file", repo=repo, path=path, ref=ref)
            Counting.in_flight += 1
            Counting.peak = max(Counting.peak, Counting.in_flight)
            for _ in range(3):  # yield to the other fetches (no timing involved)
                await asyncio.sleep(0)
            Counting.in_flight -= 1
            return None if path.endswith("gone.py") else f"# {path}\n".encode()

    github = Counting()
    files = [FileChange(filename=f"src/m{i}.py") for i in range(40)] + [
        FileChange(filename="logo.png", status="added"),
        FileChange(filename="src/new.py", status="renamed", previous_filename="src/old.py"),
        FileChange(filename="src/gone.py"),
        FileChange(filename="src/dead.py", status="removed"),
    ]
    changed = await changed_texts(github, REPO, "h" * 40, files)
    assert Counting.peak == MAX_CONCURRENT_FETCHES
    assert len(github.named("get_file")) == 42  # the PNG is not fetched, the removal neither
    assert changed["src/m7.py"] == "# src/m7.py\n" and changed["logo.png"] == ""
    assert changed["src/old.py"] is None and changed["src/new.py"] == "# src/new.py\n"
    assert changed["src/gone.py"] is None and changed["src/dead.py"] is None


async def test_snapshots_of_an_older_graph_format_are_rebuilt(services: Services) -> None:
    old = build_graph({"a.py": ""})
    old.format = 1  # e.g. cached before parent-package edges existed
    async with services.sessions() as session, session.begin():
        session.add(
            GraphSnapshot(
                repository=REPO, commit_sha="e" * 40, data=pickle.dumps(old), created_at=utcnow()
            )
        )
    assert await _cached(services.sessions, REPO, "e" * 40) is None
    await _store(services.sessions, REPO, "e" * 40, build_graph({"a.py": "", "b.py": ""}))
    fresh = await _cached(services.sessions, REPO, "e" * 40)
    assert fresh is not None and "file:b.py" in fresh.graph
