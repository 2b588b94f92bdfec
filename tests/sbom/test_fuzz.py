"""Parsers never raise: arbitrary bytes, and real files damaged at random, give components
and/or ParseProblems, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.sbom import diff_manifest, parse_manifest
from checks.sbom.parsers import FORMATS
from sbom.paths import GEN, LOCK, SBOM

SAMPLES = {
    "requirements": LOCK / "pip/sigstore-gh-action-sigstore-python/cbab91d8551b/main.txt",
    "poetry.lock": LOCK / "poetry/python-poetry-poetry-core/e8bbbe6d8cb1/poetry.lock",
    "uv.lock": GEN / "uv/uv.lock",
    "Pipfile.lock": GEN / "pipenv/Pipfile.lock",
    "package-lock.json": GEN / "npm/package-lock.json",
    "yarn.lock": GEN / "yarn-berry/yarn.lock",
    "pnpm-lock.yaml": GEN / "pnpm-v9/pnpm-lock.yaml",
    "go.mod": LOCK / "go/sigstore-rekor/d53aa51f4c39/go.mod",
    "go.sum": LOCK / "go/sigstore-rekor/d53aa51f4c39/go.sum",
    "Cargo.lock": LOCK / "cargo/rustsec-rustsec-cargo-audit-fixture-base64_vuln/Cargo.lock",
    "cyclonedx-json": SBOM / "cyclonedx/bom-examples/SBOM/cern-lhc-vdm-editor-e564943/bom.json",
    "cyclonedx-xml": GEN / "cyclonedx-py/bom.xml",
    "spdx-json": SBOM / "spdx/spdx-examples/software/example11/spdx2.3/sbom.spdx.json",
    "package.json": GEN / "npm/package.json",
    "pyproject.toml": GEN / "uv/pyproject.toml",
}


def _check(result):
    for p in result.problems:
        assert p.file and (p.line is None or p.line >= 1)
    for c in result.components:
        assert c.file


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(fmt, data):
    _check(parse_manifest("file", data, fmt=fmt))


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=4096), name=st.sampled_from(["x.txt", "bom.json", "a.lock", "x"]))
def test_arbitrary_bytes_with_detection_never_raise(data, name):
    _check(parse_manifest(name, data))


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_real_files_never_raise(fmt, data):
    text = SAMPLES[fmt].read_bytes()[:20000]
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.binary(max_size=16))
    damaged = text[:cut] + junk + text[cut + len(junk) :]
    _check(parse_manifest(SAMPLES[fmt].name, damaged, fmt=fmt))
    d = diff_manifest(SAMPLES[fmt].name, text, damaged, fmt=fmt)
    assert d.manifest == SAMPLES[fmt].name


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda kids: (
            st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_odd_json_shapes_never_raise(doc):
    import json

    wrappers = [
        {"lockfileVersion": 3, "packages": doc},
        {"lockfileVersion": 1, "dependencies": doc},
        {"bomFormat": "CycloneDX", "components": doc, "metadata": doc, "dependencies": doc},
        {"spdxVersion": "SPDX-2.3", "packages": doc, "relationships": doc},
        {"@context": "spdx", "@graph": doc},
        {"_meta": {}, "default": doc, "develop": doc},
    ]
    for w in wrappers:
        _check(parse_manifest("f.json", json.dumps(w)))
