"""The CodeGraph of a pull request: the merge base's graph from a cached snapshot (or its
tarball), the head's graph by updating only the changed files, then the blast radius.

The PR's file list is the diff from the merge base to the head (what GitHub shows), so the head
graph is built from the merge base's graph, never from the base branch's current tip: base tip +
that diff is not the head's tree once the base branch has moved on. Built that way, the head
graph is exactly the head commit's tree and is cached under the head SHA.

Graphs are cached per commit in `graph_snapshots` (the newest `keep` per repository), so the
next PR on the same base, or a push that moves the head, re-parses only what changed. Only files
whose text the graph reads are fetched (`graph.facts.reads_text`), a few at a time; a file
GitHub does not return (a symlink or submodule has no contents) leaves the graph, as it is
absent from a tarball too.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.inbox import utcnow
from app.tables import GraphSnapshot
from checks.changes import FileChange
from graph.blast import BlastRadius, blast_radius
from graph.facts import reads_text
from graph.ingest import GRAPH_FORMAT, CodeGraph, build_graph, update
from graph.tarball import snapshot_from_tarball
from handlers.port import GitHubPort

log = logging.getLogger("maestro.graph")

MAX_TARBALL_BYTES = 200 * 1024 * 1024
MAX_CHANGED_FILES_FETCHED = 300  # also the most files GitHub lists for a PR or a compare
MAX_CONCURRENT_FETCHES = 8
SNAPSHOTS_KEPT = 20  # per repository; the app passes `Settings.graph_snapshots_per_repo`


async def _cached(
    sessions: async_sessionmaker[AsyncSession], repo: str, sha: str
) -> CodeGraph | None:
    async with sessions() as session:
        row = await session.get(GraphSnapshot, (repo, sha))
    if row is None:
        return None
    # Snapshots are written only by Maestro itself, into its own database.
    cg: CodeGraph = pickle.loads(row.data)
    return cg if cg.format == GRAPH_FORMAT else None  # an older version's graph: rebuild


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    repo: str,
    sha: str,
    cg: CodeGraph,
    keep: int = SNAPSHOTS_KEPT,
) -> None:
    """Cache `cg` as the graph of `sha`, and in the same transaction drop the repository's
    snapshots beyond the newest `keep`."""
    async with sessions() as session, session.begin():
        row = await session.get(GraphSnapshot, (repo, sha))
        if row is None:
            session.add(
                GraphSnapshot(
                    repository=repo, commit_sha=sha, data=pickle.dumps(cg), created_at=utcnow()
                )
            )
        else:  # a snapshot of an older graph format: replace it
            row.data, row.created_at = pickle.dumps(cg), utcnow()
        await session.flush()
        newest = (
            select(GraphSnapshot.commit_sha)
            .where(GraphSnapshot.repository == repo)
            .order_by(GraphSnapshot.created_at.desc(), GraphSnapshot.commit_sha.desc())
            .limit(max(1, keep))
        )
        await session.execute(
            delete(GraphSnapshot).where(
                GraphSnapshot.repository == repo,
                GraphSnapshot.commit_sha.not_in(newest.scalar_subquery()),
            )
        )


async def base_graph(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    sha: str,
    keep: int = SNAPSHOTS_KEPT,
) -> CodeGraph:
    cached = await _cached(sessions, repo, sha)
    if cached is not None:
        return cached
    snapshot = snapshot_from_tarball(await github.download_tarball(repo, sha, MAX_TARBALL_BYTES))
    cg = build_graph(snapshot.files)
    await _store(sessions, repo, sha, cg, keep)
    return cg


async def changed_texts(
    github: GitHubPort, repo: str, ref: str, files: list[FileChange]
) -> dict[str, str | None]:
    """path → text at `ref` (None: gone) for a change set, fetching only the files the graph
    reads, at most `MAX_CONCURRENT_FETCHES` at once. Other files are kept as paths only."""
    changed: dict[str, str | None] = {}
    wanted: list[str] = []
    for change in files:
        if change.status == "removed":
            changed[change.filename] = None
            continue
        if change.status == "renamed" and change.previous_filename:
            changed[change.previous_filename] = None
        if reads_text(change.filename):
            wanted.append(change.filename)
        else:
            changed[change.filename] = ""
    gate = asyncio.Semaphore(MAX_CONCURRENT_FETCHES)

    async def fetch(path: str) -> tuple[str, bytes | None]:
        async with gate:
            return path, await github.get_file(repo, path, ref)

    for path, raw in await asyncio.gather(*(fetch(p) for p in wanted)):
        # No contents (a symlink, a submodule): not a file of the tree, like in a tarball.
        changed[path] = None if raw is None else raw.decode("utf-8", errors="replace")
    return changed


async def head_graph(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    head_sha: str,
    base: CodeGraph,
    files: list[FileChange],
    keep: int = SNAPSHOTS_KEPT,
) -> CodeGraph:
    """The graph of `head_sha`, given the graph of an ancestor (`base`) and the files changed
    from that ancestor to the head."""
    cached = await _cached(sessions, repo, head_sha)
    if cached is not None:
        return cached
    if len(files) >= MAX_CHANGED_FILES_FETCHED:  # GitHub truncates lists at 300: rebuild
        cg = build_graph(
            snapshot_from_tarball(
                await github.download_tarball(repo, head_sha, MAX_TARBALL_BYTES)
            ).files
        )
    else:
        cg = update(base.copy(), await changed_texts(github, repo, head_sha, files))
    await _store(sessions, repo, head_sha, cg, keep)
    return cg


async def pull_request_blast(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    base_sha: str,
    head_sha: str,
    files: list[FileChange],
    today: date,
    keep: int = SNAPSHOTS_KEPT,
) -> BlastRadius:
    """Blast radius of a PR: `files` is GitHub's PR file list, which diffs the merge base of
    `base_sha` and `head_sha` against the head."""
    merge_base = (await github.compare(repo, base_sha, head_sha)).merge_base or base_sha
    base = await base_graph(sessions, github, repo, merge_base, keep)
    head = await head_graph(sessions, github, repo, head_sha, base, files, keep)
    changed = [f.filename for f in files] + [
        f.previous_filename for f in files if f.previous_filename
    ]
    return blast_radius(head, changed, today, base=base)
