"""The obligation JSON Schema (draft-07, kept as data in schema.json) and its validation.

`obligation_schema(thresholds)` returns the schema with a policy's thresholds in place of the
defaults, or a structural-only schema (`thresholds=None`) that checks types and sane ranges but
not the gate, which is what an uploaded evidence document must satisfy. `validate_obligations`
collects every error and turns each into a `ValidationProblem` (data; `checks/explain.py`
phrases it: "Mutation score 0.62 is below the required 0.70").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from pydantic import BaseModel, Field

from checks.obligations.catalog import SPECS, THRESHOLD_KEYS, title
from checks.proofcard import Comparator

SCHEMA_PATH = Path(__file__).with_name("schema.json")

# Ranges a measured value can take at all, whatever the policy (None: unbounded).
SANE_RANGE: dict[str, tuple[float, float | None]] = {
    "specCoverage": (0, 1),
    "mutationScore": (0, 1),
    "perfP95BudgetMs": (0, None),
    "riskCap": (0, 1),
    "sbomCriticals": (0, None),
    "piiFindings": (0, None),
}

# jsonschema keyword -> reason code rendered by checks.explain.
KEYWORD_REASONS: dict[str, str] = {
    "minimum": "below_minimum",
    "maximum": "above_limit",
    "exclusiveMinimum": "not_above_minimum",
    "exclusiveMaximum": "not_below_limit",
    "type": "wrong_type",
    "required": "missing_obligation",
    "additionalProperties": "unknown_obligation",
    "const": "wrong_value",
    "enum": "wrong_value",
    "pattern": "bad_name",
    "minLength": "empty_name",
    "maxLength": "too_long",
    "uniqueItems": "duplicate_entries",
    "minItems": "too_few_items",
    "maxItems": "too_many_items",
}


class ValidationProblem(BaseModel):
    """One schema error, as data: which obligation, what was required, what was found."""

    key: str = Field(description="top-level obligation key ('' for the document itself)")
    pointer: str = Field(description="JSON pointer to the offending value")
    keyword: str
    title: str
    required: float | int | str | None = None
    actual: float | int | str | None = None
    reason: str
    detail: str = Field(default="", description="jsonschema's own message")
    source: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


@lru_cache(maxsize=1)
def _base_schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def base_schema() -> dict[str, Any]:
    """A fresh copy of schema.json."""
    loaded: dict[str, Any] = json.loads(_base_schema_text())
    return loaded


def obligation_schema(
    thresholds: Mapping[str, float | int | None] | None = None, *, require_all: bool = True
) -> dict[str, Any]:
    """schema.json with `thresholds` as the gate; `None` gives the structural schema."""
    schema = copy.deepcopy(base_schema())
    props = schema["properties"]
    for key in THRESHOLD_KEYS:
        low, high = SANE_RANGE[key]
        prop = props[key]
        prop.pop("minimum", None)
        prop.pop("maximum", None)
        prop["minimum"] = low
        if high is not None:
            prop["maximum"] = high
        limit = thresholds.get(key) if thresholds is not None else None
        if limit is None:
            continue
        if SPECS[key].comparator is Comparator.AT_LEAST:
            prop["minimum"] = limit
        else:
            prop["maximum"] = limit
    if not require_all:
        schema.pop("required", None)
    return schema


def default_thresholds() -> dict[str, float | int | None]:
    return {k: SPECS[k].default for k in THRESHOLD_KEYS}


def _actual(value: Any) -> float | int | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    return json.dumps(value)[:80]


_JSON_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


def _problem(err: ValidationError, key: str, **over: Any) -> ValidationProblem:
    path = list(err.absolute_path)
    pointer = "/" + "/".join(str(p) for p in path) if path else ""
    required: Any = err.validator_value
    actual: Any = _actual(err.instance)
    if err.validator == "type":
        actual = _JSON_TYPES.get(type(err.instance), "value")
        required = required if isinstance(required, str) else " or ".join(required)
    elif isinstance(required, bool | dict | list):
        required = json.dumps(required)[:80]
    fields: dict[str, Any] = {
        "key": key,
        "pointer": pointer,
        "keyword": str(err.validator),
        "title": title(key) if key else "Obligations document",
        "required": required,
        "actual": actual,
        "reason": KEYWORD_REASONS.get(str(err.validator), "schema_violation"),
        "detail": err.message[:300],
    }
    fields.update(over)
    return ValidationProblem(**fields)


def validate_obligations(doc: Any, schema: Mapping[str, Any]) -> list[ValidationProblem]:
    """Every problem with `doc` under `schema`, in document order; [] when it is valid."""
    validator = Draft7Validator(schema)
    errors = sorted(
        validator.iter_errors(doc),
        key=lambda e: ([str(p) for p in e.absolute_path], str(e.validator)),
    )
    props = schema.get("properties", {})
    problems: list[ValidationProblem] = []
    reported_missing: set[str] = set()
    for err in errors:
        path = list(err.absolute_path)
        key = str(path[0]) if path else ""
        if err.validator == "required" and isinstance(doc, dict):
            # one error per missing key, in the order of the schema's list
            missing = [k for k in err.validator_value if k not in doc and k not in reported_missing]
            if not missing:
                continue
            name = missing[0]
            reported_missing.add(name)
            problems.append(
                _problem(
                    err, name, pointer=f"/{name}", title=title(name), required=None, actual=None
                )
            )
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            for extra in sorted(k for k in err.instance if k not in props):
                problems.append(
                    _problem(
                        err,
                        extra,
                        pointer=f"/{extra}",
                        title=extra,
                        required=None,
                        actual=_actual(err.instance[extra]),
                    )
                )
        else:
            problems.append(_problem(err, key))
    return problems
