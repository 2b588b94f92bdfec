"""The CodeGraph of a pull request: base graph from a cached snapshot (or the base tarball),
head graph by updating only the changed files, then the blast radius and Decision Card.

Graphs are cached per commit in `graph_snapshots`, so the next PR on the same base, or a push
that moves the head, re-parses only what changed.
"""

from __future__ import annotations

import logging
import pickle
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.inbox import utcnow
from app.tables import GraphSnapshot
from checks.changes import FileChange
from graph.blast import BlastRadius, blast_radius
from graph.ingest import CodeGraph, build_graph, update
from graph.tarball import snapshot_from_tarball
from handlers.port import GitHubPort

log = logging.getLogger("maestro.graph")

MAX_TARBALL_BYTES = 200 * 1024 * 1024
MAX_CHANGED_FILES_FETCHED = 300  # also the most files GitHub lists for a PR or a compare


async def _cached(
    sessions: async_sessionmaker[AsyncSession], repo: str, sha: str
) -> CodeGraph | None:
    async with sessions() as session:
        row = await session.get(GraphSnapshot, (repo, sha))
    # Snapshots are written only by Maestro itself, into its own database.
    return pickle.loads(row.data) if row is not None else None


async def _store(
    sessions: async_sessionmaker[AsyncSession], repo: str, sha: str, cg: CodeGraph
) -> None:
    async with sessions() as session, session.begin():
        if await session.get(GraphSnapshot, (repo, sha)) is None:
            session.add(
                GraphSnapshot(
                    repository=repo, commit_sha=sha, data=pickle.dumps(cg), created_at=utcnow()
                )
            )


async def base_graph(
    sessions: async_sessionmaker[AsyncSession], github: GitHubPort, repo: str, sha: str
) -> CodeGraph:
    cached = await _cached(sessions, repo, sha)
    if cached is not None:
        return cached
    snapshot = snapshot_from_tarball(await github.download_tarball(repo, sha, MAX_TARBALL_BYTES))
    cg = build_graph(snapshot.files)
    await _store(sessions, repo, sha, cg)
    return cg


async def head_graph(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    head_sha: str,
    base: CodeGraph,
    files: list[FileChange],
) -> CodeGraph:
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
        changed: dict[str, str | None] = {}
        for change in files:
            if change.status == "removed":
                changed[change.filename] = None
                continue
            if change.status == "renamed" and change.previous_filename:
                changed[change.previous_filename] = None
            raw = await github.get_file(repo, change.filename, head_sha)
            changed[change.filename] = raw.decode("utf-8", errors="replace") if raw else ""
        cg = update(base.copy(), changed)
    await _store(sessions, repo, head_sha, cg)
    return cg


async def pull_request_blast(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    base_sha: str,
    head_sha: str,
    files: list[FileChange],
    today: date,
) -> BlastRadius:
    base = await base_graph(sessions, github, repo, base_sha)
    head = await head_graph(sessions, github, repo, head_sha, base, files)
    changed = [f.filename for f in files] + [
        f.previous_filename for f in files if f.previous_filename
    ]
    return blast_radius(head, changed, today, base=base)
