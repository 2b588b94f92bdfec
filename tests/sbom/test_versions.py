"""Version ordering (semver, PEP 440, loose) and OSV range evaluation, incl. hypothesis
checks against `packaging`'s own comparison."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from checks.sbom.models import OsvAffected, OsvEvent, OsvRange
from checks.sbom.semver import compare, semver_key
from checks.sbom.versions import affected_match, compare_versions, evaluate_range, loose_key


def test_semver_precedence_example_from_the_spec():
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    for a, b in itertools.pairwise(ordered):
        assert compare(a, b) == -1 and compare(b, a) == 1
    assert sorted(reversed(ordered), key=semver_key) == ordered


def test_semver_build_metadata_and_go_forms():
    assert compare("1.0.0+build.1", "1.0.0+other") == 0
    assert compare("v1.2.3", "1.2.3") == 0
    assert compare("v2.0.0+incompatible", "2.0.0") == 0
    # Go pseudo-versions are pre-releases of the next patch
    assert compare("v0.0.0-20230301143203-a9d515a09cc2", "0.0.1") == -1
    assert semver_key("not.a.version") is None
    with pytest.raises(ValueError):
        compare("x", "1.0.0")


def test_loose_ordering_for_other_ecosystems():
    seq = ["1.0-alpha1", "1.0-beta", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0.1", "1.10"]
    keys = [loose_key(v) for v in seq]
    assert keys == sorted(keys)
    assert loose_key("1.0") == loose_key("1.0.0") == loose_key("1.0.0.Final")
    assert compare_versions("Maven", "24.1.1-jre", "30.0-jre") == -1


def _rng(kind: str, *events: tuple[str, str]) -> OsvRange:
    return OsvRange(type=kind, events=[OsvEvent(kind=k, value=v) for k, v in events])


def test_unsorted_events_are_sorted_before_replay():
    # the PyPA record for urllib3 lists the 2.x interval before the 1.x one
    rng = _rng(
        "ECOSYSTEM",
        ("introduced", "2.0.0"),
        ("fixed", "2.0.7"),
        ("introduced", "0"),
        ("fixed", "1.26.18"),
    )
    assert evaluate_range("1.26.17", rng, "PyPI") == (True, "1.26.18")
    assert evaluate_range("1.26.18", rng, "PyPI") == (False, None)
    assert evaluate_range("2.0.6", rng, "PyPI") == (True, "2.0.7")
    assert evaluate_range("2.0.7", rng, "PyPI") == (False, None)


def test_last_affected_and_git_and_limit():
    rng = _rng("SEMVER", ("introduced", "1.0.0"), ("last_affected", "1.4.2"))
    assert evaluate_range("1.4.2", rng, "npm") == (True, None)
    assert evaluate_range("1.4.3", rng, "npm") == (False, None)
    assert evaluate_range("0.9.9", rng, "npm") == (False, None)
    git = _rng("GIT", ("introduced", "0"), ("fixed", "4e98d57809dacab1cbe625fddeec1a290c478ea9"))
    assert evaluate_range("1.0.0", git, "PyPI") == (None, None)
    limited = _rng("ECOSYSTEM", ("introduced", "0"), ("limit", "2.0"))
    assert evaluate_range("1.0", limited, "PyPI") == (True, None)


def test_versions_list_only():
    aff = OsvAffected(ecosystem="PyPI", name="Gradio", versions=["4.36.1", "4.36.-1"])
    assert affected_match("4.36.1", aff, "PyPI") == (True, None)
    assert affected_match("4.36.1.0", aff, "PyPI") == (True, None)  # PEP 440 equal
    assert affected_match("4.36.2", aff, "PyPI") == (False, None)


def test_unparseable_versions_are_not_guessed():
    rng = _rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.0"))
    assert evaluate_range("not a version!", rng, "PyPI") == (None, None)


# --- hypothesis: range evaluation agrees with packaging's comparison -----------------------

_pep440 = st.builds(
    lambda epoch, release, pre, post, dev: (
        (f"{epoch}!" if epoch else "")
        + ".".join(str(x) for x in release)
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
    ),
    st.sampled_from([0, 0, 0, 1]),
    st.lists(st.integers(0, 12), min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 3)),
    st.none() | st.integers(0, 3),
    st.none() | st.integers(0, 3),
)


@settings(max_examples=300, deadline=None)
@given(_pep440, _pep440, _pep440)
def test_pep440_interval_matches_packaging(v, a, b):
    lo, hi = sorted([a, b], key=Version)
    rng = _rng("ECOSYSTEM", ("introduced", lo), ("fixed", hi))
    affected, fixed = evaluate_range(v, rng, "PyPI")
    # OSV: introduced "0" means "since the first version", not the version 0
    above_lo = lo == "0" or Version(lo) <= Version(v)
    expected = above_lo and Version(v) < Version(hi)
    assert affected is expected
    assert fixed == (hi if expected else None)
    last = _rng("ECOSYSTEM", ("introduced", lo), ("last_affected", hi))
    assert evaluate_range(v, last, "PyPI")[0] is (above_lo and Version(v) <= Version(hi))


@settings(max_examples=200, deadline=None)
@given(_pep440, st.lists(_pep440, min_size=2, max_size=8))
def test_pep440_multi_interval_matches_packaging(v, bounds):
    bounds = sorted(set(bounds), key=Version)
    # drop bounds that packaging considers equal to keep intervals well formed
    uniq: list[str] = []
    for x in bounds:
        if not uniq or Version(x) != Version(uniq[-1]):
            uniq.append(x)
    pairs = list(zip(uniq[::2], uniq[1::2], strict=False))
    events = [e for lo, hi in reversed(pairs) for e in (("introduced", lo), ("fixed", hi))]
    affected, _ = evaluate_range(v, _rng("ECOSYSTEM", *events), "PyPI")
    assert affected is any(
        (lo == "0" or Version(lo) <= Version(v)) and Version(v) < Version(hi) for lo, hi in pairs
    )


_semver = st.builds(
    lambda ma, mi, pa, pre: f"{ma}.{mi}.{pa}" + (f"-{pre}" if pre else ""),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 5),
    st.none() | st.sampled_from(["alpha", "alpha.1", "beta", "beta.2", "beta.11", "rc.1", "0"]),
)


@settings(max_examples=300, deadline=None)
@given(_semver, _semver)
def test_semver_release_order_agrees_with_packaging(a, b):
    if "-" not in a and "-" not in b:
        assert compare(a, b) == (Version(a) > Version(b)) - (Version(a) < Version(b))
    # a pre-release sorts below its release
    if "-" in a:
        assert compare(a, a.split("-")[0]) == -1


@settings(max_examples=200, deadline=None)
@given(st.lists(_semver, min_size=3, max_size=3))
def test_semver_order_is_transitive(vs):
    s = sorted(vs, key=semver_key)
    assert compare(s[0], s[1]) <= 0 and compare(s[1], s[2]) <= 0 and compare(s[0], s[2]) <= 0
