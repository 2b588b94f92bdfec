"""Shared fixtures for the graph tests: the sample monorepo as a path → text mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

MONOREPO = Path(__file__).resolve().parents[1] / "fixtures" / "graph" / "monorepo"


def read_repo(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def monorepo_files() -> dict[str, str]:
    return read_repo(MONOREPO)
