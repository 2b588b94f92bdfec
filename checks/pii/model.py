"""The ML filter's artefact: a logistic-regression weight vector over hashed features.

Stored as plain JSON (weights as base64 float16, a SHA-256 over them, per-type thresholds,
training provenance). JSON, not pickle: loading it cannot execute code and does not depend
on the scikit-learn version. It ships in the package (`checks/pii/data/model.json`), is
read once per process, and is never fetched from the network. Scoring needs only numpy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from checks.pii.features import N_FEATURES, feature_strings, hash_features
from checks.pii.models import Candidate, PiiType

FORMAT = "maestro-pii-model"
FORMAT_VERSION = 1
MODEL_RESOURCE = "model.json"
DEFAULT_THRESHOLD = 0.5


class ModelError(ValueError):
    """The model artefact is missing, corrupt or of an unknown format."""


@dataclass
class PiiModel:
    weights: np.ndarray  # float32, shape (n_features,)
    intercept: float
    thresholds: dict[str, float] = field(default_factory=dict)
    default_threshold: float = DEFAULT_THRESHOLD
    version: str = "untrained"
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[0])

    def threshold_for(self, kind: PiiType) -> float:
        return self.thresholds.get(kind.value, self.default_threshold)

    def score_indexes(self, indexes: list[int]) -> float:
        z = self.intercept + float(self.weights[indexes].sum()) if indexes else self.intercept
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        ez = math.exp(z)
        return ez / (1.0 + ez)

    def score(self, cand: Candidate, line: str, path: str) -> float:
        feats = feature_strings(
            cand.value, line, cand.col_start, cand.col_end, path, cand.rule, cand.kind
        )
        return self.score_indexes(hash_features(feats, self.n_features))

    def to_json(self) -> dict[str, Any]:
        raw = self.weights.astype("<f2").tobytes()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "n_features": self.n_features,
            "intercept": round(self.intercept, 6),
            "default_threshold": round(self.default_threshold, 4),
            "thresholds": {k: round(v, 4) for k, v in sorted(self.thresholds.items())},
            "weights_sha256": hashlib.sha256(raw).hexdigest(),
            "weights_f16_b64": base64.b64encode(raw).decode("ascii"),
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PiiModel:
        if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
            raise ModelError("not a maestro PII model (format or format_version mismatch)")
        try:
            raw = base64.b64decode(data["weights_f16_b64"], validate=True)
            if hashlib.sha256(raw).hexdigest() != data["weights_sha256"]:
                raise ModelError("model weights do not match their recorded sha256")
            weights = np.frombuffer(raw, dtype="<f2").astype(np.float32)
            n = int(data["n_features"])
            if weights.shape[0] != n or n <= 0 or n & (n - 1):
                raise ModelError("model weight count is not the declared power of two")
            return cls(
                weights=weights,
                intercept=float(data["intercept"]),
                thresholds={str(k): float(v) for k, v in data.get("thresholds", {}).items()},
                default_threshold=float(data.get("default_threshold", DEFAULT_THRESHOLD)),
                version=str(data.get("version", "unknown")),
                provenance=dict(data.get("provenance", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"corrupt model artefact: {type(exc).__name__}") from None


def parse_model(text: str) -> PiiModel:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"model artefact is not JSON (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ModelError("model artefact is not a JSON object")
    return PiiModel.from_json(data)


def _artefact_text() -> str:
    return resources.files("checks.pii.data").joinpath(MODEL_RESOURCE).read_text("utf-8")


@lru_cache(maxsize=1)
def load_model() -> PiiModel:
    """The shipped model (package data), read once per process. The app calls it at start-up,
    so a missing or corrupt artefact stops the server with the reason instead of failing the
    first pull request."""
    try:
        text = _artefact_text()
    except FileNotFoundError:
        raise ModelError("the shipped model is missing; run `maestro pii train`") from None
    return parse_model(text)


def empty_model(n_features: int = N_FEATURES) -> PiiModel:
    """A model that scores every candidate 0.5: useful only as a placeholder in tests."""
    return PiiModel(weights=np.zeros(n_features, dtype=np.float32), intercept=0.0)
