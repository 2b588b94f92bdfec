"""Which files a pull request's SBOM check reads, through the real port over respx: `-r`
includes at base and head, a change made only in an included file, requirements files found by
content, lockfiles over 1 MB (the blob API), broken head manifests, and `sbom.block_high`."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import respx
from support.github import FIXTURES, load_payload, mock_pull_request_api, post_event

from app.main import Services, import_osv_if_empty
from app.worker import InboxWorker

REPO = "Codertocat/Hello-World"
OSV = FIXTURES / "osv"
LOCK = FIXTURES / "sbom" / "lockfiles"
PULL = load_payload("pull_request/opened")["pull_request"]
BASE, HEAD = PULL["base"]["sha"], PULL["head"]["sha"]
REQUIRED = "required: [sbomCriticals]\n"
BLOCK_HIGH = "required: [sbomCriticals]\nsbom:\n  block_high: true\n"


def _change(name: str, patch: str | None = None, status: str = "modified") -> dict[str, Any]:
    item: dict[str, Any] = {"filename": name, "status": status, "additions": 1, "deletions": 1}
    if patch is not None:
        item["patch"] = patch
    return item


async def _run(client, worker, github, files, contents, policy=REQUIRED) -> tuple[dict, Any]:
    routes = mock_pull_request_api(github, files=files, policy=policy, contents=contents)
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    return json.loads(routes["complete"].calls.last.request.content), routes


def _fetched(routes) -> set[str]:
    """path@ref of every file content the check asked GitHub for."""
    return {
        c.request.url.path.split("/contents/", 1)[1] + "@" + c.request.url.params["ref"]
        for c in routes["contents"].calls
    }


def _levels(card: dict) -> dict[str, str]:
    """advisory id -> annotation level."""
    return {a["title"].split(":")[0]: a["annotation_level"] for a in card["output"]["annotations"]}


def _notes(card: dict, path: str) -> list[dict]:
    return [a for a in card["output"].get("annotations", []) if a["path"] == path]


async def test_only_touched_manifests_are_fetched(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    cargo = (LOCK / "cargo/rustsec-rustsec-cargo-audit-fixture-base64_vuln/Cargo.lock").read_text()
    files = [
        _change("Cargo.lock"),
        _change("src/app.py", "@@ -1 +1 @@\n-a = 1\n+a = 2"),
        _change("docs/notes.txt", "@@ -1 +1 @@\n-Old words.\n+Remember idna==3.6 is pinned."),
    ]
    contents = {
        f"Cargo.lock@{BASE}": cargo.replace('version = "0.5.1"', 'version = "0.5.2"'),
        f"Cargo.lock@{HEAD}": cargo,
        # the repository has other manifests; the pull request does not touch them
        "package-lock.json": (FIXTURES / "sbom/generated/npm/package-lock.json").read_text(),
        "requirements.txt": "idna==3.6\n",
    }
    card, routes = await _run(client, worker, github, files, contents)
    assert _fetched(routes) == {f"Cargo.lock@{BASE}", f"Cargo.lock@{HEAD}"}
    assert card["conclusion"] == "failure"


async def test_includes_are_read_at_base_and_head(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    files = [_change("requirements.txt", "@@ -1,2 +1,2 @@\n -r common.txt\n-six==1.15\n+six==1.16")]
    contents = {
        f"requirements.txt@{BASE}": "-r common.txt\nsix==1.15\n",
        f"requirements.txt@{HEAD}": "-r common.txt\nsix==1.16\n",
        "common.txt": "idna==3.6\n",  # unchanged, and affected by PYSEC-2024-60 (high)
    }
    card, routes = await _run(client, worker, github, files, contents, policy=BLOCK_HIGH)
    assert _fetched(routes) == {
        f"requirements.txt@{BASE}",
        f"requirements.txt@{HEAD}",
        f"common.txt@{BASE}",
        f"common.txt@{HEAD}",
    }
    summary = card["output"]["summary"]
    assert "0 added, 0 removed, 1 upgraded" in summary
    assert "PYSEC-2024-60" not in summary  # idna did not change
    assert "could not be read" not in summary
    assert card["conclusion"] == "success"


async def test_a_change_only_in_an_included_file_rescans_the_manifest_including_it(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    files = [_change("common.txt", "@@ -1 +1 @@\n-idna==3.7\n+idna==3.6")]
    contents = {
        f"common.txt@{BASE}": "idna==3.7\n",
        f"common.txt@{HEAD}": "idna==3.6\n",
        "requirements.txt": "-r common.txt\nsix==1.16\n",  # untouched, next to it
    }
    card, routes = await _run(client, worker, github, files, contents, policy=BLOCK_HIGH)
    assert {f"requirements.txt@{BASE}", f"requirements.txt@{HEAD}"} <= _fetched(routes)
    assert card["conclusion"] == "failure"
    summary = card["output"]["summary"]
    assert "**`requirements.txt`**: 0 added, 0 removed, 0 upgraded, 1 downgraded" in summary
    assert "**`common.txt`**" not in summary  # reported through requirements.txt, once
    [note] = _notes(card, "common.txt")
    assert note["start_line"] == 1 and note["title"].startswith("PYSEC-2024-60: idna 3.6")
    assert note["annotation_level"] == "failure"  # high blocks with sbom.block_high


async def test_requirements_file_with_an_unusual_name_is_found_by_content(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    pair = LOCK / "pip/sigstore-gh-action-sigstore-python"
    base = (pair / "cbab91d8551b/main.txt").read_text()
    head = (pair / "74e004047800/main.txt").read_text().replace("idna==3.18", "idna==3.6")
    files = [_change("requirements/main.txt", "@@ -410 +410 @@\n-idna==3.18 \\\n+idna==3.6 \\")]
    contents = {f"requirements/main.txt@{BASE}": base, f"requirements/main.txt@{HEAD}": head}
    card, _routes = await _run(client, worker, github, files, contents)
    assert card["conclusion"] == "success"  # high does not block by default
    [note] = _notes(card, "requirements/main.txt")
    assert note["start_line"] == 410 and note["annotation_level"] == "warning"
    assert "fixed in 3.7" in note["message"]


def _big_lock(braces: str) -> str:
    packages: dict[str, Any] = {"": {"name": "big", "dependencies": {"braces": "^3.0.0"}}}
    for i in range(6000):
        name = f"pkg-{i:05d}"
        packages[f"node_modules/{name}"] = {
            "version": "1.0.0",
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",
            "integrity": "sha512-" + "A" * 86 + "==",
        }
    packages["node_modules/braces"] = {"version": braces, "license": "MIT"}
    doc = {"name": "big", "lockfileVersion": 3, "requires": True, "packages": packages}
    return json.dumps(doc, indent=2) + "\n"


def _large_file(path: str, sha: str) -> httpx.Response:
    """GitHub's contents answer for a 1–100 MB file: no content, encoding "none"."""
    return httpx.Response(
        200,
        json={
            "type": "file",
            "encoding": "none",
            "size": 1_300_000,
            "name": path,
            "path": path,
            "content": "",
            "sha": sha,
            "url": f"https://api.github.com/repos/o/r/contents/{path}",
            "git_url": None,
            "html_url": None,
            "download_url": None,
            "_links": {"self": "https://api.github.com/x", "git": None, "html": None},
        },
    )


async def test_lockfiles_over_1_mb_are_read_through_the_blob_api(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    locks = {"a" * 40: _big_lock("3.0.3"), "b" * 40: _big_lock("3.0.2")}
    assert all(len(text) > 1024 * 1024 for text in locks.values())
    shas = {BASE: "a" * 40, HEAD: "b" * 40}
    github.get(url__regex=rf".*/repos/{REPO}/contents/package-lock\.json.*").mock(
        side_effect=lambda r: _large_file("package-lock.json", shas[r.url.params["ref"]])
    )
    blobs = github.get(url__regex=rf".*/repos/{REPO}/git/blobs/[0-9a-f]+").mock(
        side_effect=lambda r: httpx.Response(
            200,
            json={
                "sha": r.url.path.rsplit("/", 1)[1],
                "node_id": "B_1",
                "size": len(locks[r.url.path.rsplit("/", 1)[1]]),
                "url": str(r.url),
                "encoding": "base64",
                "content": base64.encodebytes(
                    locks[r.url.path.rsplit("/", 1)[1]].encode()
                ).decode(),
            },
        )
    )
    card, _routes = await _run(
        client, worker, github, [_change("package-lock.json")], {}, policy=BLOCK_HIGH
    )
    # base and head for the dependency delta; the PII scan (GitHub sent no patch, so it reads
    # the whole head file) gets the head from the port's per-commit memo, not from GitHub.
    assert blobs.call_count == 2
    assert card["conclusion"] == "failure"
    [note] = _notes(card, "package-lock.json")
    assert note["title"].startswith("GHSA-grv7-fg5c-xmjg: braces 3.0.2 (high)")
    assert '"node_modules/braces"' in locks["b" * 40].splitlines()[note["start_line"] - 1]


async def test_a_broken_head_lockfile_fails_with_its_line(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    base = (FIXTURES / "sbom/generated/npm/package-lock.json").read_text()
    lines = base.splitlines(keepends=True)
    conflict = ["<<<<<<< HEAD\n", *lines[10:14], "=======\n", *lines[10:14], ">>>>>>> topic\n"]
    head = "".join([*lines[:10], *conflict, *lines[14:]])
    contents = {f"package-lock.json@{BASE}": base, f"package-lock.json@{HEAD}": head}
    card, _routes = await _run(client, worker, github, [_change("package-lock.json")], contents)
    assert card["conclusion"] == "failure"
    summary = card["output"]["summary"]
    assert "package-lock.json:11: the file could not be parsed (invalid JSON" in summary
    [note] = _notes(card, "package-lock.json")
    assert (note["start_line"], note["annotation_level"]) == (11, "failure")


async def _octokit_pr(client, worker, github, policy: str) -> dict:
    old = (LOCK / "npm/octokit-webhooks/76f8deb2d40c/package-lock.json").read_text()
    new = (LOCK / "npm/octokit-webhooks/0355b158c05f/package-lock.json").read_text()
    contents = {f"package-lock.json@{BASE}": old, f"package-lock.json@{HEAD}": new}
    card, _routes = await _run(
        client, worker, github, [_change("package-lock.json")], contents, policy
    )
    return card


async def test_block_high_fails_the_card_and_marks_the_high_advisory_as_failure(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    card = await _octokit_pr(client, worker, github, BLOCK_HIGH)
    assert card["conclusion"] == "failure"
    assert "SBOM criticals 1 is above the limit of 0" in card["output"]["summary"]
    levels = _levels(card)
    assert levels["GHSA-grv7-fg5c-xmjg"] == "failure"  # braces, high
    assert levels["GHSA-c2qf-rxjj-qqgw"] == "warning"  # semver, medium


async def test_without_block_high_the_same_pull_request_passes(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await import_osv_if_empty(services.sessions, OSV)
    card = await _octokit_pr(client, worker, github, REQUIRED)
    assert card["conclusion"] == "success"
    levels = _levels(card)
    assert levels["GHSA-grv7-fg5c-xmjg"] == "warning"
