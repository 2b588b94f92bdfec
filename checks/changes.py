"""The changed files of a pull request, as the pure checks see them."""

from __future__ import annotations

from pydantic import BaseModel


class FileChange(BaseModel):
    """One changed file (the fields of GitHub's `pulls/{n}/files` entries that checks use)."""

    filename: str
    status: str = "modified"
    additions: int = 0
    deletions: int = 0
    changes: int = 0
    patch: str | None = None
    previous_filename: str | None = None
