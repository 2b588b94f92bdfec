"""Shared SBOM test fixtures."""

from __future__ import annotations

import pytest

from checks.sbom import OsvIndex, load_osv
from sbom.paths import OSV


@pytest.fixture(scope="session")
def osv_index() -> OsvIndex:
    return OsvIndex(load_osv(OSV))
