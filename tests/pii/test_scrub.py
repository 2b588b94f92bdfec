"""The payload scrubber (fast path) and never-raise properties of scanner and scrubber."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.pii.candidates import find_candidates
from checks.pii.models import PiiConfig
from checks.pii.scanner import scan_text
from checks.pii.scrub import SCRUB_DISABLED, scrub, scrub_text, secret_key_name

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pii"
GHP = "ghp_" + "R2d4Xk9LmQ7pZt3Vb8Nc1Yh6Jw0Fs5Ea4Ug2"
EMAIL = "jane.doe" + "@acme-corp.com"


def test_real_webhook_payload_keeps_shas_and_masks_addresses() -> None:
    payload = json.loads((FIXTURES / "webhook-push.json").read_text())
    clean = scrub(payload)
    text = json.dumps(clean)
    assert "Codertocat@users.noreply.github.com" not in text
    assert clean["after"] == payload["after"] and clean["before"] == payload["before"]
    assert clean["repository"]["node_id"] == payload["repository"]["node_id"]
    assert clean["compare"] == payload["compare"]
    assert clean["repository"]["full_name"] == payload["repository"]["full_name"]
    assert payload["pusher"]["email"].endswith("github.com")  # input is not mutated


def test_nested_values_keys_and_secret_named_fields() -> None:
    obj = {
        "comment": f"ping {EMAIL} with token {GHP}",
        "headers": {"Authorization": "Bearer abc.def", "X-Trace": "42"},
        "db": {"password": "hunter2!", "passwordPolicy": {"min": 8}},
        EMAIL: [1, 2, (f"call +44 20 7946 0018 or {EMAIL}",)],
        "count": 3,
        "ok": True,
        "none": None,
    }
    clean = scrub(obj)
    text = repr(clean)
    for raw in (EMAIL, GHP, "hunter2!", "Bearer abc.def", "7946 0018"):
        assert raw not in text
    assert clean["headers"]["X-Trace"] == "42"
    assert clean["db"]["passwordPolicy"] == {"min": 8}
    assert clean["count"] == 3 and clean["ok"] is True and clean["none"] is None


def test_secret_key_names() -> None:
    for key in (
        "password",
        "db_password",
        "apiKey",
        "X-Api-Key",
        "client_secret",
        "Authorization",
        "access_token",
    ):
        assert secret_key_name(key), key
    for key in ("tokens_used", "author", "sha", "keyboard", "id", "secretary"):
        assert not secret_key_name(key), key


def test_scrub_text_masks_every_occurrence() -> None:
    out = scrub_text(f"{EMAIL} and again {EMAIL}")
    assert EMAIL not in out and out.count("********@********.com") == 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_scrub_never_raises_and_preserves_shape(obj: object) -> None:
    clean = scrub(obj)
    assert type(clean) is type(obj)
    if isinstance(obj, dict):
        assert isinstance(clean, dict) and len(clean) <= len(obj)


# Text built from fragments that form real candidates, mixed with arbitrary characters.
fragments = st.sampled_from(
    [EMAIL, GHP, "AKIA" + "Z3MSJV7WQXB2LKPA", "8.8.4.4", "536-22-1234", "+44 20 7946 0018",
     "4539 1488 0343 6467", "password=Tr0ub4dor3x", " ", "\n", "=", '"', "@", "."]
)  # fmt: skip
mixed_text = st.lists(st.one_of(fragments, st.text(max_size=6)), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(mixed_text)
def test_scrubbed_text_never_contains_a_detected_value(text: str) -> None:
    detected = {c.value for c in find_candidates(text, "", disabled=SCRUB_DISABLED)}
    out = scrub_text(text)
    for value in detected:
        assert value not in out


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=300), st.sampled_from(["a.py", ".env", "x.yml", "README.md", "", "a b/c.json"])
)
def test_scanner_never_raises_and_never_echoes_values(text: str, path: str) -> None:
    for config in (PiiConfig(), PiiConfig(use_model=False, include_suppressed=True)):
        report = scan_text(path, text, config)
        values = {c.value for c in find_candidates(text, path)}
        for f in report.findings:
            for v in values:
                if len(v) >= 4:
                    assert v not in f.excerpt and v not in f.masked_value


@settings(max_examples=100, deadline=None)
@given(mixed_text)
def test_scanner_masks_mixed_candidate_text(text: str) -> None:
    values = {c.value for c in find_candidates(text, "a.py")}
    for f in scan_text("a.py", text, PiiConfig(use_model=False)).findings:
        assert not any(v in f.excerpt for v in values)
