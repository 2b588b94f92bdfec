"""Reads the `maestro-evidence` workflow artifact (a zip) into name → bytes, defensively.

The archive is uploaded by the PR's CI, so it is untrusted: entry count, each entry's size and
the total uncompressed size are capped (zip bombs), directories and unsafe names are skipped,
and a damaged archive becomes a problem naming the artifact, not an exception.
"""

from __future__ import annotations

import io
import zipfile

from checks.changes import FileChange
from checks.evidence.model import EvidenceProblem

MAX_ENTRIES = 200
MAX_TOTAL_BYTES = 100 * 1024 * 1024


def read_artifact_zip(
    data: bytes, name: str, max_entries: int = MAX_ENTRIES, max_total: int = MAX_TOTAL_BYTES
) -> tuple[dict[str, bytes], list[EvidenceProblem]]:
    files: dict[str, bytes] = {}
    problems: list[EvidenceProblem] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return {}, [EvidenceProblem(file=name, code="artifact_not_a_zip", detail=str(exc))]
    if len(entries) > max_entries:
        problems.append(
            EvidenceProblem(file=name, code="artifact_too_many_files", detail=str(len(entries)))
        )
        entries = entries[:max_entries]
    total = 0
    for info in entries:
        member = info.filename
        if member.startswith("/") or ".." in member.split("/"):
            problems.append(EvidenceProblem(file=name, code="artifact_unsafe_name", detail=member))
            continue
        total += info.file_size
        if total > max_total:
            problems.append(
                EvidenceProblem(file=name, code="artifact_too_large", detail=f"{total} bytes")
            )
            break
        try:
            with archive.open(info) as handle:
                content = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            problems.append(
                EvidenceProblem(file=f"{name}/{member}", code="artifact_bad_entry", detail=str(exc))
            )
            continue
        if len(content) > info.file_size:  # the header lied about the size
            problems.append(EvidenceProblem(file=f"{name}/{member}", code="artifact_too_large"))
            continue
        files[member] = content
    return files, problems


def unified_diff_from_files(files: list[FileChange]) -> str:
    """A unified diff assembled from GitHub's per-file patches (`pulls/{n}/files`)."""
    parts: list[str] = []
    for change in files:
        if change.patch is None:
            continue
        old = (
            "/dev/null"
            if change.status == "added"
            else f"a/{change.previous_filename or change.filename}"
        )
        new = "/dev/null" if change.status == "removed" else f"b/{change.filename}"
        parts.append(f"--- {old}\n+++ {new}\n{change.patch.rstrip(chr(10))}\n")
    return "".join(parts)
