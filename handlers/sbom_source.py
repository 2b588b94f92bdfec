"""The dependency (SBOM) delta of a pull request: only the manifests it touched are fetched at
the base and head commits, diffed, and the changed components matched against the OSV index."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.osv_store import advisory_count, index_for
from checks.changes import FileChange
from checks.sbom.delta import diff_manifest
from checks.sbom.models import Delta, Finding, ParseProblem
from checks.sbom.parsers import detect_format
from checks.sbom.scan import findings_for_delta
from handlers.port import GitHubPort

MAX_MANIFESTS = 50


class SbomResult(BaseModel):
    deltas: list[Delta] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    problems: list[ParseProblem] = Field(default_factory=list)
    advisories: int = Field(default=0, description="advisories in the offline index")


def touched_manifests(files: list[FileChange]) -> list[FileChange]:
    """Changed files that are dependency manifests, lockfiles or SBOM documents (by name)."""
    return [f for f in files if detect_format(f.filename, "") is not None][:MAX_MANIFESTS]


async def sbom_delta(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    base_sha: str,
    head_sha: str,
    files: list[FileChange],
) -> SbomResult:
    result = SbomResult()
    for change in touched_manifests(files):
        old_path = change.previous_filename or change.filename
        base = None if change.status == "added" else await github.get_file(repo, old_path, base_sha)
        head = (
            None
            if change.status == "removed"
            else await github.get_file(repo, change.filename, head_sha)
        )
        manifest_delta = diff_manifest(change.filename, base, head)
        result.deltas.append(manifest_delta)
        result.problems.extend(manifest_delta.problems)
    async with sessions() as session:
        result.advisories = await advisory_count(session)
        changed = [c for d in result.deltas for c in d.head_changed()]
        index = await index_for(session, changed)
    result.findings = findings_for_delta(result.deltas, index)
    return result
