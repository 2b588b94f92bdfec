"""Turns a repository tarball (GitHub's `tarball/{ref}` archive) into path → text for ingest.

The archive is untrusted input: members are size-capped, links and special files are skipped,
and GitHub's top-level `owner-repo-sha/` directory is stripped. Files the graph does not parse
are kept with empty text so that coverage still counts them.
"""

from __future__ import annotations

import io
import tarfile

from pydantic import BaseModel, Field

from graph.facts import reads_text

MAX_FILES = 50_000
MAX_FILE_BYTES = 1_000_000


class Snapshot(BaseModel):
    files: dict[str, str] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list, description="members not read, with why")
    truncated: bool = False


def snapshot_from_tarball(
    data: bytes, max_files: int = MAX_FILES, max_file_bytes: int = MAX_FILE_BYTES
) -> Snapshot:
    snapshot = Snapshot()
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 closed below
    except (tarfile.TarError, OSError, EOFError) as exc:
        snapshot.skipped.append(f"<archive>: {exc}")
        return snapshot
    with archive:
        try:
            for member in archive:
                if not member.isfile():
                    continue
                parts = member.name.split("/", 1)
                if len(parts) < 2 or not parts[1] or ".." in parts[1].split("/"):
                    continue
                path = parts[1]
                if len(snapshot.files) >= max_files:
                    snapshot.truncated = True
                    break
                if not reads_text(path):
                    snapshot.files[path] = ""
                    continue
                if member.size > max_file_bytes:
                    snapshot.skipped.append(f"{path}: {member.size} bytes")
                    snapshot.files[path] = ""
                    continue
                handle = archive.extractfile(member)
                raw = handle.read(max_file_bytes + 1) if handle else b""
                snapshot.files[path] = raw.decode("utf-8", errors="replace")
        except (tarfile.TarError, OSError, EOFError) as exc:
            snapshot.skipped.append(f"<archive>: {exc}")
    return snapshot
