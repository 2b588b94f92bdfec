"""`workflow_run` completed: collect the `maestro-evidence` artifact the PR's CI uploaded,
store it for the head commit, and recompute the Proof Card of each pull request it ran for."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from app import state
from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from app.tables import EvidenceRecord
from checks.card_builder import PullRequestRef
from checks.evidence.archive import read_artifact_zip, unified_diff_from_files
from checks.evidence.artifact import collect_evidence
from checks.evidence.diff import parse_unified_diff
from handlers.context import HandlerContext
from handlers.gather import read_policy
from handlers.port import GitHubPort
from handlers.proof import prove_pull_request
from handlers.publish import is_private, publish_trouble

router = routing.Router()

MAX_ARTIFACT_BYTES = 50 * 1024 * 1024


@router.register("workflow_run", action="completed")
async def workflow_run_completed(event: sansio.Event, ctx: HandlerContext) -> None:
    run = event.data["workflow_run"]
    repository = event.data["repository"]["full_name"]
    installation_id = (event.data.get("installation") or {}).get("id")
    pulls = run.get("pull_requests") or []
    if not pulls:
        ctx.outcomes.append("skipped: the run is not for a pull request of this repository")
        return
    github = await ctx.github(installation_id)
    base_ref = (pulls[0].get("base") or {}).get("ref", "")
    policy = await read_policy(github, repository, base_ref)
    artifact_name = getattr(getattr(policy, "evidence", None), "artifact", "maestro-evidence")
    artifacts = [
        a
        for a in await github.list_run_artifacts(repository, run["id"])
        if a.get("name") == artifact_name and not a.get("expired")
    ]
    if not artifacts:
        ctx.outcomes.append(f"no {artifact_name} artifact in run {run['id']}")
        return
    artifact = artifacts[0]
    try:
        data = await github.download_artifact(repository, artifact["id"], MAX_ARTIFACT_BYTES)
    except Exception as exc:
        await _evidence_trouble(ctx, github, installation_id, repository, run, pulls, exc)
        return
    files, problems = read_artifact_zip(data, artifact_name)
    head_sha = run["head_sha"]
    for pull in pulls:
        changes = await github.list_pull_files(repository, pull["number"])
        diff = parse_unified_diff(unified_diff_from_files(changes), "the pull request's diff")
        evidence = collect_evidence(files, diff, "the pull request's diff")
        evidence.problems.extend(problems)
        for measurement in evidence.measurements.values():  # shown as the card's evidence source
            measurement.details["artifact"] = {"name": artifact_name, "run_id": run["id"]}
        source = f"artifact {artifact_name} of workflow run {run['id']}"
        async with ctx.sessions() as session, session.begin():
            record = await session.get(EvidenceRecord, (repository, head_sha))
            if record is None:
                record = EvidenceRecord(repository=repository, head_sha=head_sha)
                session.add(record)
            record.source = source
            record.document = evidence.model_dump_json()
            record.received_at = utcnow()
            await append(
                session,
                LedgerRecord(
                    kind="evidence.received",
                    installation_id=installation_id,
                    repository=repository,
                    subject=f"pr:{repository}#{pull['number']}",
                    payload={
                        "head_sha": head_sha,
                        "source": source,
                        "measurements": {
                            k: m.value for k, m in sorted(evidence.measurements.items())
                        },
                        "problems": len(evidence.problems),
                    },
                ),
            )
        ref = PullRequestRef(
            repository=repository,
            number=pull["number"],
            head_sha=head_sha,
            base_ref=(pull.get("base") or {}).get("ref", ""),
        )
        await prove_pull_request(ctx, installation_id, ref)


async def _evidence_trouble(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int | None,
    repository: str,
    run: dict[str, Any],
    pulls: list[dict[str, Any]],
    exc: Exception,
) -> None:
    """The artifact could not be fetched (too large, GitHub trouble): say so on each waiting
    card (neutral, with Re-run, once no retry is left) and re-raise when a retry may help."""
    assert installation_id is not None  # ctx.github raised otherwise
    retry = False
    shown: set[int] = set()
    for pull in pulls:
        async with ctx.sessions() as session:
            waiting = await state.find_check_run(
                session, repository, run["head_sha"], status="in_progress"
            )
        if waiting is None:
            ctx.outcomes.append(f"no open card for {run['head_sha'][:7]}: {type(exc).__name__}")
            retry = True
            continue
        if waiting.id in shown:
            continue
        shown.add(waiting.id)
        ref = PullRequestRef(
            repository=repository,
            number=pull["number"],
            head_sha=run["head_sha"],
            base_ref=(pull.get("base") or {}).get("ref", ""),
        )
        retry |= await publish_trouble(
            ctx,
            github,
            installation_id,
            ref,
            waiting.id,
            exc,
            "collecting_evidence",
            is_private(pull),
        )
    if retry:
        raise exc
