"""Rebuilds tests/fixtures/github-openapi/github-openapi.json from the shared corpus.

It is GitHub's subset description (`api.github.com.subset.json`) plus the few extra operations
Maestro calls that the subset lacks, copied with every component they reference from the full
octokit description. Run from the repository root: `python tests/tools/build_openapi_fixture.py`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# The shared corpus next to the repository (MAESTRO_CORPUS_DIR overrides it, e.g. in a worktree).
CORPUS = (
    Path(
        os.environ.get("MAESTRO_CORPUS_DIR")
        or Path(__file__).resolve().parents[3] / "shared" / "corpus"
    )
    / "github-openapi"
)
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "github-openapi" / "github-openapi.json"
EXTRA_PATHS = [
    "/app-manifests/{code}/conversions",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts",
    "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}",
    "/repos/{owner}/{repo}/tarball/{ref}",
    "/orgs/{org}/teams/{team_slug}/memberships/{username}",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
    "/repos/{owner}/{repo}/commits",
    "/repos/{owner}/{repo}/commits/{ref}",
]


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def main() -> int:
    subset = json.loads((CORPUS / "api.github.com.subset.json").read_text())
    full = json.loads((CORPUS / "octokit-openapi-23.0.2.api.github.com.json").read_text())
    pending: list[Any] = []
    for path in EXTRA_PATHS:
        item = json.loads(json.dumps(full["paths"][path]))
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("x-octokit", None)
        subset["paths"][path] = item
        pending.append(item)
    seen: set[str] = set()
    while pending:
        for ref in _refs(pending.pop()):
            if ref in seen:
                continue
            seen.add(ref)
            _, _, section, name = ref.split("/", 3)
            target = subset["components"].setdefault(section, {})
            if name not in target:
                target[name] = full["components"][section][name]
            pending.append(target[name])
    OUT.write_text(json.dumps(subset, sort_keys=True, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(subset['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
