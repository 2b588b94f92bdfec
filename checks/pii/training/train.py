"""Training the ML filter: label candidates, fit logistic regression, pick thresholds.

Each record is run through the regex stage; a candidate is labelled 1 when it overlaps the
planted value of a positive record and 0 otherwise (every candidate on a real negative line,
and any other candidate on a positive line). The training split is divided again by file
(75/25): the model is fitted on the first part and per-type thresholds are chosen on the
second. A threshold starts at the balanced model's natural boundary (0.5) and is lowered only
when the validation recall of that type would fall below its target (secrets 97%, PII 93%, a
margin above the product targets of 95% and 90%). It is never raised above 0.5: validation
shares variable names with training, so it overrates how sure the model can afford to be
(on the held-out split, whose names and templates are unseen, a 0.9 cap lost a third of the
high-entropy secrets). scikit-learn is imported only here.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from checks.pii.candidates import find_candidates
from checks.pii.features import N_FEATURES, feature_strings, hash_features
from checks.pii.model import PiiModel
from checks.pii.models import Family, PiiType, family_of
from checks.pii.training.corpus import Record

RECALL_TARGET = {Family.SECRET: 0.97, Family.PII: 0.93}
MIN_THRESHOLD, MAX_THRESHOLD = 0.05, 0.5
MIN_POSITIVES_FOR_OWN_THRESHOLD = 40


@dataclass
class LabelledCandidates:
    rows: list[list[int]]
    labels: list[int]
    kinds: list[PiiType]
    groups: list[str]  # record path, for grouped splits


def label_candidates(records: Sequence[Record], n_features: int = N_FEATURES) -> LabelledCandidates:
    out = LabelledCandidates([], [], [], [])
    for rec in records:
        lines = rec.text.split("\n")
        for c in find_candidates(rec.text, rec.path):
            positive = rec.label == 1 and c.start < rec.end and rec.start < c.end
            feats = feature_strings(
                c.value, lines[c.line_index], c.col_start, c.col_end, rec.path, c.rule, c.kind
            )
            out.rows.append(hash_features(feats, n_features))
            out.labels.append(1 if positive else 0)
            out.kinds.append(c.kind)
            out.groups.append(rec.path)
    return out


def _matrix(rows: Sequence[list[int]], n_features: int) -> Any:
    from scipy.sparse import csr_matrix

    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((i for r in rows for i in r), dtype=np.int32, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(rows), n_features))


def choose_thresholds(
    scores: Sequence[float], labels: Sequence[int], kinds: Sequence[PiiType]
) -> dict[str, float]:
    """Per type: the highest threshold keeping the recall target on the validation part."""
    by_kind: dict[PiiType, list[float]] = defaultdict(list)
    by_family: dict[Family, list[float]] = defaultdict(list)
    for s, y, k in zip(scores, labels, kinds, strict=True):
        if y == 1:
            by_kind[k].append(s)
            by_family[family_of(k)].append(s)

    def pick(pos_scores: list[float], target: float) -> float:
        ranked = sorted(pos_scores)
        allowed_misses = int(len(ranked) * (1 - target))
        t = ranked[allowed_misses] if ranked else 0.5
        return float(min(MAX_THRESHOLD, max(MIN_THRESHOLD, t - 1e-6)))

    family_t = {f: pick(s, RECALL_TARGET[f]) for f, s in by_family.items()}
    out: dict[str, float] = {}
    for kind in PiiType:
        fam = family_of(kind)
        pos = by_kind.get(kind, [])
        if len(pos) >= MIN_POSITIVES_FOR_OWN_THRESHOLD:
            out[kind.value] = pick(pos, RECALL_TARGET[fam])
        elif fam in family_t:
            out[kind.value] = family_t[fam]
    return out


def train_model(
    records: Sequence[Record],
    seed: int,
    n_features: int = N_FEATURES,
    c: float = 4.0,
    version: str = "",
) -> PiiModel:
    """A fitted model with thresholds; deterministic for the same records and seed."""
    from sklearn import __version__ as sklearn_version
    from sklearn.linear_model import LogisticRegression

    data = label_candidates(records, n_features)
    if not data.labels or len(set(data.labels)) < 2:
        raise ValueError("training needs both positive and negative candidates")
    is_val = [zlib.crc32(("val:" + g).encode()) % 4 == 0 for g in data.groups]
    fit_idx = [i for i, v in enumerate(is_val) if not v]
    val_idx = [i for i, v in enumerate(is_val) if v]
    x_fit = _matrix([data.rows[i] for i in fit_idx], n_features)
    y_fit = np.array([data.labels[i] for i in fit_idx])
    clf = LogisticRegression(
        C=c, solver="liblinear", class_weight="balanced", max_iter=2000, random_state=seed
    )
    clf.fit(x_fit, y_fit)
    weights = clf.coef_[0].astype(np.float32)
    model = PiiModel(
        weights=weights.astype(np.float16).astype(np.float32),
        intercept=float(clf.intercept_[0]),
        version=version,
    )
    val_scores = [model.score_indexes(data.rows[i]) for i in val_idx]
    model.thresholds = choose_thresholds(
        val_scores, [data.labels[i] for i in val_idx], [data.kinds[i] for i in val_idx]
    )
    model.provenance = {
        "seed": seed,
        "C": c,
        "candidates_fit": len(fit_idx),
        "candidates_validation": len(val_idx),
        "positive_candidates": int(sum(data.labels)),
        "sklearn": sklearn_version,
        "n_features": n_features,
    }
    return model
