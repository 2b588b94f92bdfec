"""The shipped model artefact: loads, scores, rejects corruption; training is deterministic."""

from __future__ import annotations

import json
import random
from importlib import resources

import numpy as np
import pytest

from checks.pii.candidates import find_candidates
from checks.pii.model import ModelError, PiiModel, load_model, parse_model
from checks.pii.models import PiiType
from checks.pii.training.contexts import plant
from checks.pii.training.corpus import Record
from checks.pii.training.train import choose_thresholds, train_model


def _artefact_text() -> str:
    return resources.files("checks.pii.data").joinpath("model.json").read_text("utf-8")


def test_shipped_model_is_small_versioned_and_complete() -> None:
    text = _artefact_text()
    assert len(text.encode()) < 3_000_000
    model = load_model()
    assert model.version.startswith("pii-hybrid-")
    assert model.n_features == 1 << 18
    assert set(model.thresholds) == {k.value for k in PiiType}
    assert model.provenance["seed"] and model.provenance["train_corpus_sha256"]


def test_model_scores_a_secret_above_a_lockfile_hash() -> None:
    model = load_model()
    secret_line = 'STRIPE_KEY = "sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc9Qx"'
    # A git revision pinned in a lockfile: no digest notation, so the model has to decide.
    hash_line = 'source = "git+https://github.com/o/r#ec26c3e57ca3a959ca5aad62de7213c562f8c821"'
    (secret,) = find_candidates(secret_line, "billing/settings.py")
    (digest,) = find_candidates(hash_line, "Cargo.lock")
    s_secret = model.score(secret, secret_line, "billing/settings.py")
    s_hash = model.score(digest, hash_line, "Cargo.lock")
    assert s_secret >= model.threshold_for(PiiType.STRIPE_KEY) > s_hash


def test_round_trip_through_json_is_exact() -> None:
    model = load_model()
    again = parse_model(json.dumps(model.to_json()))
    assert np.array_equal(again.weights, model.weights)
    assert again.intercept == pytest.approx(model.intercept, abs=1e-6)
    assert again.thresholds == model.thresholds


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(weights_sha256="0" * 64), "sha256"),
        (lambda d: d.update(n_features=12), "power of two"),
        (lambda d: d.pop("intercept"), "corrupt"),
        (lambda d: d.update(weights_f16_b64="!!notbase64!!"), "corrupt"),
    ],
)
def test_corrupt_artefacts_are_rejected_with_a_reason(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(_artefact_text())
    mutate(data)
    with pytest.raises(ModelError, match=message):
        PiiModel.from_json(data)


def test_non_json_artefact() -> None:
    with pytest.raises(ModelError, match="not JSON"):
        parse_model("{nope")


def _tiny_corpus() -> list[Record]:
    rng = random.Random(3)
    records = []
    for kind in (PiiType.GITHUB_TOKEN, PiiType.HIGH_ENTROPY, PiiType.EMAIL):
        for _ in range(30):
            p = plant(rng, kind, test=False)
            records.append(Record(p.path, p.text, 1, kind.value, p.start, p.end, "synth"))
    hashes = [f'    "fingerprint{n}": "{rng.getrandbits(160):040x}",' for n in range(40)] + [
        f"pkg{n} v1.{n}.0 git+https://example.org/r#{rng.getrandbits(160):040x}" for n in range(40)
    ]
    records += [
        Record(f"vendor/f{i % 7}.json", h, 0, source="stdlib", hard=True)
        for i, h in enumerate(hashes)
    ]
    return records


def test_training_is_deterministic_and_learns() -> None:
    corpus = _tiny_corpus()
    a = train_model(corpus, seed=5, n_features=1 << 12)
    b = train_model(corpus, seed=5, n_features=1 << 12)
    assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)
    hash_line = '    "fingerprint": "0123456789abcdef0123456789abcdef01234567",'
    (cand,) = find_candidates(hash_line, "vendor/x.json")
    assert a.score(cand, hash_line, "vendor/x.json") < 0.5


def test_training_needs_both_labels() -> None:
    only_negatives = [r for r in _tiny_corpus() if r.label == 0]
    with pytest.raises(ValueError, match="both"):
        train_model(only_negatives, seed=1, n_features=1 << 10)


def test_thresholds_keep_the_recall_target_and_never_exceed_one_half() -> None:
    scores = [0.9] * 90 + [0.2] * 10  # 90% of secrets score high: target 97% needs t <= 0.2
    kinds = [PiiType.GITHUB_TOKEN] * 100
    t = choose_thresholds(scores, [1] * 100, kinds)
    assert t["github_token"] <= 0.2
    t = choose_thresholds([0.99] * 100, [1] * 100, kinds)
    assert t["github_token"] == 0.5
