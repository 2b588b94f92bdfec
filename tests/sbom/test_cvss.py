"""CVSS base scores computed from vectors (FIRST v3.0/v3.1 equations), and v4 handling."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.sbom import cvss
from checks.sbom.cvss import CvssError, rating, score_v3
from checks.sbom.models import Severity

ROOT = Path(__file__).resolve().parents[2]

KNOWN = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0),
    # from the corpus advisories
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3),  # GHSA-c2qf-rxjj-qqgw
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),  # GHSA-grv7-fg5c-xmjg
    ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", 5.6),  # GHSA-9wx4-h78v-vm56
    ("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", 4.4),  # GHSA-34jh-p97f-mpxf
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", 4.2),  # PYSEC-2023-212
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 6.2),  # RUSTSEC-2020-0071
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),  # RUSTSEC-2017-0004
]


@pytest.mark.parametrize("vector,score", KNOWN)
def test_known_v3_scores(vector, score):
    assert score_v3(vector) == score


def test_temporal_metrics_do_not_change_the_base_score():
    assert score_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:R") == 9.8


@pytest.mark.parametrize(
    "vector",
    [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",  # missing A
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ],
)
def test_bad_vectors_are_rejected(vector):
    with pytest.raises(CvssError):
        score_v3(vector)


def test_roundup_is_float_safe():
    assert cvss.roundup_31(4.000000000000001) == 4.0
    assert cvss.roundup_31(4.02) == 4.1
    assert cvss.roundup_30(4.02) == 4.1


def test_ratings():
    assert [rating(s) for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0)] == [
        Severity.NONE,
        Severity.LOW,
        Severity.LOW,
        Severity.MEDIUM,
        Severity.MEDIUM,
        Severity.HIGH,
        Severity.HIGH,
        Severity.CRITICAL,
        Severity.CRITICAL,
    ]


_metric = st.sampled_from
_v31 = st.builds(
    lambda av, ac, pr, ui, s, c, i, a: (
        f"CVSS:3.1/AV:{av}/AC:{ac}/PR:{pr}/UI:{ui}/S:{s}/C:{c}/I:{i}/A:{a}"
    ),
    _metric("NALP"),
    _metric("LH"),
    _metric("NLH"),
    _metric("NR"),
    _metric("UC"),
    _metric("HLN"),
    _metric("HLN"),
    _metric("HLN"),
)


@settings(max_examples=400, deadline=None)
@given(_v31)
def test_v31_agrees_with_the_reference_implementation(vector):
    import cvss as ref  # Red Hat's implementation of the FIRST reference

    assert score_v3(vector) == float(ref.CVSS3(vector).base_score)


V4_KNOWN = [
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9),  # GHSA-25hc
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0),
]


@pytest.mark.parametrize("vector,score", V4_KNOWN)
def test_known_v4_scores(vector, score):
    assert cvss.score_v4(vector) == score


def test_v4_base_score_ignores_threat_and_supplemental_metrics():
    base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert cvss.score_v4(base + "/E:U/CR:L/S:N/AU:Y") == 9.3


@pytest.mark.parametrize(
    "vector",
    [
        "CVSS:4.0/AV:N/AC:L",
        "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ],
)
def test_bad_v4_vectors_are_rejected(vector):
    with pytest.raises(CvssError):
        cvss.score_v4(vector)


def test_the_v4_scorer_is_a_runtime_dependency():
    """Production installs `.` without extras: the v4 scorer must not hide in [dev]."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [re.split(r"[<>=!~ \[]", d, maxsplit=1)[0] for d in project["dependencies"]]
    dev = [
        re.split(r"[<>=!~ \[]", d, maxsplit=1)[0] for d in project["optional-dependencies"]["dev"]
    ]
    assert "cvss" in runtime
    assert "cvss" not in dev
