"""The Proof Card of a local change: the GitHub App's engine fed from a git checkout.

The inputs differ (git objects and local report files instead of the GitHub API and the
`maestro-evidence` artifact); what happens to them is the app's own code: evidence through
`collect_evidence` over the change's diff assembled from per-file patches (as
`handlers/workflow_runs.py` does), risk, SBOM and PII through `handlers/assemble.py`, verdicts
through `checks/obligations/verify.py`, and the card through `checks/card_builder.py`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from app.commands.affected import analyse
from app.local_change import LocalChange, LocalChangeError, file_at, open_change, policy_at
from app.render import markdown_env
from checks.card_builder import PullRequestRef, build_proof_card
from checks.evidence.archive import read_artifact_zip, unified_diff_from_files
from checks.evidence.artifact import collect_evidence
from checks.evidence.diff import parse_unified_diff
from checks.evidence.model import Evidence, EvidenceProblem
from checks.policy.model import Policy
from checks.policy.parse import PolicyError
from checks.proofcard import ProofCard
from checks.rules.facts import PullRequestFacts
from checks.rules.local import local_gaps, revert_events
from checks.sbom.models import Component, ParseProblem
from checks.sbom.osv import OsvIndex, iter_osv
from checks.sbom.scan import findings_for_delta
from graph.blast import BlastRadius
from handlers.assemble import Computed, SbomInput, assemble_computed, card_results
from handlers.sbom_source import manifest_deltas

log = logging.getLogger("maestro.proof")

MAX_EVIDENCE_FILES = 200


@dataclass
class LocalOptions:
    """What `maestro proof` was given besides the refs."""

    evidence: list[str] = field(default_factory=list)  # files, directories or artifact zips
    osv_dir: str | None = None
    database_url: str | None = None  # the app's database, for its imported OSV index
    depth: int | None = None
    top: int = 5


@dataclass
class LocalProof:
    change: LocalChange
    policy: Policy | PolicyError
    card: ProofCard
    computed: Computed | None = None
    evidence: Evidence = field(default_factory=Evidence)


def _read_evidence_files(paths: list[str]) -> tuple[dict[str, bytes], list[EvidenceProblem]]:
    files: dict[str, bytes] = {}
    problems: list[EvidenceProblem] = []
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                for item in sorted(p for p in path.rglob("*") if p.is_file()):
                    files[item.as_posix()] = item.read_bytes()
            elif path.suffix.lower() == ".zip":
                members, trouble = read_artifact_zip(path.read_bytes(), raw)
                files.update({f"{raw}/{name}": data for name, data in members.items()})
                problems.extend(trouble)
            else:
                files[raw] = path.read_bytes()
        except OSError as exc:
            raise LocalChangeError(f"cannot read evidence {raw}: {exc.strerror}") from None
        if len(files) > MAX_EVIDENCE_FILES:
            raise LocalChangeError(f"more than {MAX_EVIDENCE_FILES} evidence files under {raw}")
    return files, problems


def local_evidence(change: LocalChange, paths: list[str]) -> Evidence:
    """Evidence from local reports measured against the change, as the app measures an
    uploaded artifact against the pull request's files. No report: every CI obligation pends."""
    files, problems = _read_evidence_files(paths)
    if not files:
        return Evidence()
    source = f"git diff {change.range}"
    diff = parse_unified_diff(unified_diff_from_files(change.files), source)
    evidence = collect_evidence(files, diff, source)
    evidence.problems.extend(problems)
    return evidence


async def _database_index(url: str, components: list[Component]) -> tuple[int, OsvIndex]:
    from app.db import create_engine, session_factory
    from app.osv_store import advisory_count, index_for

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return await advisory_count(session), await index_for(session, components)
    finally:
        await engine.dispose()


def _index(options: LocalOptions, components: list[Component]) -> tuple[int, OsvIndex, str]:
    """(advisories, index, "dir" | "database" | ""): --osv-dir first, else the app's database
    if it holds an imported index; neither leaves sbomCriticals pending."""
    if options.osv_dir:
        if not Path(options.osv_dir).exists():
            raise LocalChangeError(f"OSV path {options.osv_dir} does not exist")
        problems: list[ParseProblem] = []
        index = OsvIndex(iter_osv(options.osv_dir, problems))
        return len(index), index, "dir"
    if options.database_url:
        try:
            count, index = asyncio.run(_database_index(options.database_url, components))
        except Exception as exc:  # no database, not migrated …: the obligation pends
            log.info("no OSV index in %s: %s", options.database_url, exc)
        else:
            return count, index, "database"
    return 0, OsvIndex(), ""


class _GitFiles:
    """The files of the checkout's commits, read as a pull request reads them from GitHub."""

    def __init__(self, repo: str) -> None:
        self.repo = repo

    async def get_file(self, repo: str, path: str, ref: str) -> bytes | None:
        return file_at(self.repo, ref, path)


def local_sbom(change: LocalChange, options: LocalOptions) -> tuple[SbomInput, str]:
    """The delta of the manifests the change touched (at the merge base and at HEAD), found,
    diffed and followed through `-r` includes exactly as for a pull request
    (`handlers.sbom_source.manifest_deltas`), and the advisories the index finds in it."""
    found = asyncio.run(
        manifest_deltas(
            _GitFiles(change.repo), "", change.merge_base, change.head_sha, change.files
        )
    )
    if not found.manifests:
        return SbomInput(), ""
    deltas = found.deltas
    changed = [c for d in deltas for c in d.head_changed()]
    advisories, index, where = _index(options, changed)
    findings = findings_for_delta(deltas, index) if advisories else []
    return SbomInput(deltas=deltas, findings=findings, advisories=advisories), where


def local_blast(change: LocalChange, depth: int | None) -> BlastRadius | None:
    """The blast radius as `maestro blast` computes it; None (file-list risk) if the code graph
    cannot be built, as in the app."""
    try:
        return analyse(change.repo, change.merge_base, change.head_sha, None, depth).blast
    except Exception as exc:  # a graph failure must not block the card
        log.warning("blast radius unavailable: %s", exc)
        return None


def local_facts(change: LocalChange) -> PullRequestFacts:
    """What the rule language can know locally: files, size, reverts; evaluated at the head
    commit's time so a run is reproducible."""
    return PullRequestFacts(
        base_ref=change.base_ref,
        head_sha=change.head_sha,
        changed_files=[f.filename for f in change.files],
        lines_added=sum(f.additions for f in change.files),
        lines_removed=sum(f.deletions for f in change.files),
        events=revert_events(change.commits),
        now=change.head_time,
    )


def _local_section(
    change: LocalChange, policy: Policy, options: LocalOptions, sbom: SbomInput, osv: str
) -> str:
    rules = {
        "invariants": {name: spec.rule for name, spec in policy.invariants.items()},
        "cepGuards": {name: spec.rule for name, spec in policy.cep_guards.items()},
    }
    return (
        markdown_env()
        .get_template("proof_local.md.j2")
        .render(
            change=change,
            configured=policy.configured,
            evidence=options.evidence,
            reverts=len(revert_events(change.commits)),
            manifests=len(sbom.deltas),
            advisories=sbom.advisories,
            osv_source=osv,
            osv_dir=options.osv_dir,
            gaps=local_gaps(rules),
        )
    )


def prove_local(repo: str, base: str, head: str, options: LocalOptions) -> LocalProof:
    """The Proof Card of `git diff BASE...HEAD` under the policy at BASE."""
    change = open_change(repo, base, head)
    policy = policy_at(repo, change.base_sha)
    ref = PullRequestRef(
        repository=Path(repo).resolve().name,
        number=0,
        head_sha=change.head_sha,
        base_ref=base,
    )
    facts = local_facts(change)
    if isinstance(policy, PolicyError):
        results = card_results(policy, Evidence(), facts, None)
        return LocalProof(change, policy, build_proof_card(ref, change.files, results))
    evidence = local_evidence(change, options.evidence)
    sbom, osv_source = local_sbom(change, options)
    blast = local_blast(change, options.depth)
    computed = assemble_computed(
        change.files, policy, blast, sbom, local=True, decision_top=max(1, options.top)
    )
    results = card_results(policy, evidence, facts, computed)
    sections = {
        **computed.sections,
        "local": _local_section(change, policy, options, sbom, osv_source),
    }
    card = build_proof_card(ref, change.files, results, sections)
    return LocalProof(change, policy, card, computed, evidence)
